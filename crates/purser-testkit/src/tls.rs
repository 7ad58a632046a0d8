//! Certificates made at test time with the `openssl` command: a store CA, each Kafka node's
//! key and certificate (PKCS#12, as the kit's properties expect), and till certificates
//! for mutual TLS — valid, expired, or signed by another CA.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The password of the nodes' PKCS#12 keystores (in `secrets.properties`).
pub const KEYSTORE_PASSWORD: &str = "purser-test-keystore";

/// A certificate authority in a folder: `<name>.pem` and `<name>.key`.
#[derive(Debug, Clone)]
pub struct Ca {
    pub dir: PathBuf,
    pub name: String,
    /// The CA's certificate (PEM): what a till or a node trusts.
    pub cert: PathBuf,
    key: PathBuf,
}

/// A certificate and its unencrypted private key, both PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl ({e}): install Debian's openssl package"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

impl Ca {
    /// A new self-signed CA valid for 30 days, in `dir`.
    pub fn new(dir: &Path, name: &str) -> Ca {
        std::fs::create_dir_all(dir).unwrap();
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                path_str(&key),
                "-out",
                path_str(&cert),
                "-days",
                "30",
                "-subj",
                &format!("/O=Purser tests/CN={name}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        Ca {
            dir: dir.to_path_buf(),
            name: name.into(),
            cert,
            key,
        }
    }

    /// A certificate for `subject` (e.g. `/O=Example/OU=tills/CN=till-S1-T1`) with the
    /// given subjectAltNames (`DNS:…`, `IP:…`; empty for a client), valid from `not_before`
    /// to `not_after` (`YYYYMMDDHHMMSSZ`), or for 30 days from now when `None`.
    pub fn issue(
        &self,
        file_stem: &str,
        subject: &str,
        sans: &[String],
        validity: Option<(&str, &str)>,
    ) -> Issued {
        let dir = &self.dir;
        let key = dir.join(format!("{file_stem}.key"));
        let csr = dir.join(format!("{file_stem}.csr"));
        let cert = dir.join(format!("{file_stem}.pem"));
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                path_str(&key),
                "-out",
                path_str(&csr),
                "-subj",
                subject,
            ],
        );
        let ext = dir.join(format!("{file_stem}.ext"));
        let mut ext_text = String::from(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n",
        );
        if !sans.is_empty() {
            ext_text.push_str(&format!("subjectAltName={}\n", sans.join(",")));
        }
        std::fs::write(&ext, ext_text).unwrap();
        match validity {
            None => openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    path_str(&csr),
                    "-CA",
                    path_str(&self.cert),
                    "-CAkey",
                    path_str(&self.key),
                    "-CAcreateserial",
                    "-days",
                    "30",
                    "-extfile",
                    path_str(&ext),
                    "-out",
                    path_str(&cert),
                ],
            ),
            Some((from, to)) => {
                // `openssl x509 -req` (3.0) cannot back-date; `openssl ca` can.
                let db = dir.join(format!("{}-index.txt", self.name));
                if !db.exists() {
                    std::fs::write(&db, "").unwrap();
                }
                let conf = dir.join(format!("{file_stem}-ca.cnf"));
                std::fs::write(
                    &conf,
                    format!(
                        "[ca]\ndefault_ca=test\n[test]\ndatabase={db}\nnew_certs_dir={dir}\n\
                         certificate={cert}\nprivate_key={key}\nrand_serial=yes\n\
                         default_md=sha256\npolicy=any\nunique_subject=no\ncopy_extensions=none\n\
                         [any]\ncommonName=supplied\norganizationName=optional\norganizationalUnitName=optional\n",
                        db = path_str(&db),
                        dir = path_str(dir),
                        cert = path_str(&self.cert),
                        key = path_str(&self.key),
                    ),
                )
                .unwrap();
                openssl(
                    dir,
                    &[
                        "ca",
                        "-batch",
                        "-config",
                        path_str(&conf),
                        "-in",
                        path_str(&csr),
                        "-startdate",
                        from,
                        "-enddate",
                        to,
                        "-extfile",
                        path_str(&ext),
                        "-notext",
                        "-out",
                        path_str(&cert),
                    ],
                );
            }
        }
        Issued { cert, key }
    }

    /// A Kafka node's keystore: key, certificate and this CA in PKCS#12 at `out`.
    pub fn node_keystore(&self, node_name: &str, sans: &[String], out: &Path) {
        let issued = self.issue(
            node_name,
            &format!("/O=Purser tests/CN={node_name}"),
            sans,
            None,
        );
        openssl(
            &self.dir,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                path_str(&issued.key),
                "-in",
                path_str(&issued.cert),
                "-certfile",
                path_str(&self.cert),
                "-name",
                node_name,
                "-passout",
                &format!("pass:{KEYSTORE_PASSWORD}"),
                "-out",
                path_str(out),
            ],
        );
    }
}
