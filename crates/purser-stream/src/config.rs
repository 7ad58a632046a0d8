//! Kafka client settings, from the till's configuration file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rdkafka::ClientConfig;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityProtocol {
    #[default]
    Plaintext,
    Ssl,
    SaslSsl,
    SaslPlaintext,
}

impl SecurityProtocol {
    pub fn parse(s: &str) -> Option<SecurityProtocol> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "plaintext" => Some(SecurityProtocol::Plaintext),
            "ssl" => Some(SecurityProtocol::Ssl),
            "sasl_ssl" => Some(SecurityProtocol::SaslSsl),
            "sasl_plaintext" => Some(SecurityProtocol::SaslPlaintext),
            _ => None,
        }
    }
    fn librdkafka(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "plaintext",
            SecurityProtocol::Ssl => "ssl",
            SecurityProtocol::SaslSsl => "sasl_ssl",
            SecurityProtocol::SaslPlaintext => "sasl_plaintext",
        }
    }
}

/// How the till reaches the store's Kafka cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KafkaConfig {
    /// `host:port[,host:port…]`
    pub bootstrap_servers: String,
    pub security_protocol: SecurityProtocol,
    /// SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN
    pub sasl_mechanism: Option<String>,
    pub sasl_username: Option<String>,
    pub sasl_password: Option<String>,
    /// CA bundle that signed the brokers' certificates (PEM).
    pub ssl_ca_location: Option<PathBuf>,
    /// Client certificate and key for mTLS (PEM).
    pub ssl_certificate_location: Option<PathBuf>,
    pub ssl_key_location: Option<PathBuf>,
    pub ssl_key_password: Option<String>,
    /// Any other librdkafka property, passed through as is (e.g. `linger.ms`); settings that
    /// would break per-till order are refused by [`KafkaConfig::validate`].
    pub extra: BTreeMap<String, String>,
}

/// The till's topics; defaults from the design brief.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Topics {
    pub payments: String,
    pub tills: String,
    pub loyalty: String,
    pub inventory: String,
    pub catalog: String,
    pub loyalty_accounts: String,
    /// Headquarters' reconciliation of every till's days (`purser-cloud reconcile`),
    /// mirrored from the cloud; read by the manager's view. Optional: a store whose
    /// cloud has not published it yet simply shows nothing confirmed.
    pub reconciliation: String,
}

impl Default for Topics {
    fn default() -> Topics {
        Topics {
            payments: "pos.payments.v1".into(),
            tills: "pos.tills.v1".into(),
            loyalty: "pos.loyalty.v1".into(),
            inventory: "pos.inventory.v1".into(),
            catalog: "pos.catalog.v1".into(),
            loyalty_accounts: "pos.loyalty-accounts.v1".into(),
            reconciliation: "pos.reconciliation.v1".into(),
        }
    }
}

impl Topics {
    pub fn for_stream(&self, s: purser_core::events::Stream) -> &str {
        use purser_core::events::Stream;
        match s {
            Stream::Payments => &self.payments,
            Stream::Tills => &self.tills,
            Stream::Loyalty => &self.loyalty,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("no Kafka bootstrap servers configured (set kafka.bootstrap_servers or PURSER_KAFKA_BOOTSTRAP)")]
    NoBootstrap,
    #[error("bootstrap server '{0}' is not host:port")]
    BadBootstrap(String),
    #[error("{protocol} needs {what}")]
    Missing {
        protocol: &'static str,
        what: &'static str,
    },
    #[error("SASL mechanism '{0}' is not supported (use SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN)")]
    BadMechanism(String),
    #[error("[kafka.extra] {key} = \"{value}\" is refused: {why}")]
    OrderBreaking {
        key: String,
        value: String,
        why: &'static str,
    },
    #[error("[kafka.extra] message.max.bytes = \"{0}\" is not a size librdkafka accepts (1000 to 1000000000)")]
    BadMaxBytes(String),
    #[error("{what} file {path} cannot be read: {reason}")]
    Unreadable {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
}

/// librdkafka's own default for `message.max.bytes`: the largest record it will send.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_000_000;

/// Why a `[kafka.extra]` setting is refused, if it is: the relay's guarantees (every event
/// once, each till's events in `till_seq` order on one partition) rest on these.
fn order_breaking(key: &str, value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_lowercase();
    match key.trim() {
        "message.timeout.ms" | "delivery.timeout.ms" if v != "0" => Some(
            "a finite delivery timeout lets a later event overtake one that timed out, breaking each till's order; the relay never gives up on an event (leave it unset, or 0)",
        ),
        "partitioner" if v != "murmur2_random" && v != "murmur2" => Some(
            "each till's events must keep landing on the partition Kafka's Java clients pick for its key (murmur2); another partitioner moves a till's events to another partition mid-stream",
        ),
        "partitioner_cb" | "transactional.id" => Some(
            "the relay's producer is idempotent and not transactional; this setting would change how its events are partitioned or committed",
        ),
        "enable.idempotence" | "acks" | "request.required.acks" | "max.in.flight.requests.per.connection" | "max.in.flight" | "enable.gapless.guarantee" | "queuing.strategy" => Some(
            "the relay sets this itself (idempotent, acks=all, at most 5 in flight, gapless) and ignores any other value",
        ),
        _ => None,
    }
}

impl KafkaConfig {
    /// The largest record (key, value and headers) this till may send: `message.max.bytes`
    /// from `[kafka.extra]`, else librdkafka's default.
    pub fn max_message_bytes(&self) -> usize {
        self.extra
            .get("message.max.bytes")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES)
    }

    /// Checks `[kafka.extra]` alone: the settings that would break per-till order, and
    /// `message.max.bytes`. The till's configuration loader runs this, so a till refuses to
    /// start with them rather than relay out of order.
    pub fn check_extra(&self) -> Result<(), ConfigError> {
        for (k, v) in &self.extra {
            if let Some(why) = order_breaking(k, v) {
                return Err(ConfigError::OrderBreaking {
                    key: k.clone(),
                    value: v.clone(),
                    why,
                });
            }
        }
        if let Some(v) = self.extra.get("message.max.bytes") {
            if !v
                .trim()
                .parse::<usize>()
                .is_ok_and(|n| (1000..=1_000_000_000).contains(&n))
            {
                return Err(ConfigError::BadMaxBytes(v.clone()));
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check_extra()?;
        let servers = self.bootstrap_servers.trim();
        if servers.is_empty() {
            return Err(ConfigError::NoBootstrap);
        }
        for s in servers.split(',') {
            let s = s.trim();
            let ok = s
                .rsplit_once(':')
                .map(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0))
                .unwrap_or(false);
            if !ok {
                return Err(ConfigError::BadBootstrap(s.to_string()));
            }
        }
        let sasl = matches!(
            self.security_protocol,
            SecurityProtocol::SaslSsl | SecurityProtocol::SaslPlaintext
        );
        if sasl {
            let mech = self
                .sasl_mechanism
                .clone()
                .unwrap_or_else(|| "SCRAM-SHA-512".into());
            if !matches!(mech.as_str(), "SCRAM-SHA-256" | "SCRAM-SHA-512" | "PLAIN") {
                return Err(ConfigError::BadMechanism(mech));
            }
            if self.sasl_username.as_deref().unwrap_or("").is_empty() {
                return Err(ConfigError::Missing {
                    protocol: "SASL",
                    what: "a user name (kafka.sasl_username)",
                });
            }
            if self.sasl_password.as_deref().unwrap_or("").is_empty() {
                return Err(ConfigError::Missing {
                    protocol: "SASL",
                    what: "a password (kafka.sasl_password or PURSER_KAFKA_SASL_PASSWORD)",
                });
            }
        }
        if self.security_protocol == SecurityProtocol::Ssl
            && (self.ssl_certificate_location.is_some() != self.ssl_key_location.is_some())
        {
            return Err(ConfigError::Missing {
                protocol: "SSL client authentication",
                what: "both ssl_certificate_location and ssl_key_location",
            });
        }
        for (what, path) in [
            ("CA", &self.ssl_ca_location),
            ("client certificate", &self.ssl_certificate_location),
            ("client key", &self.ssl_key_location),
        ] {
            if let Some(p) = path {
                std::fs::File::open(p).map_err(|e| ConfigError::Unreadable {
                    what,
                    path: p.clone(),
                    reason: e.to_string(),
                })?;
            }
        }
        Ok(())
    }

    /// The librdkafka settings common to every client of the till.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", self.bootstrap_servers.trim());
        c.set("security.protocol", self.security_protocol.librdkafka());
        if matches!(
            self.security_protocol,
            SecurityProtocol::SaslSsl | SecurityProtocol::SaslPlaintext
        ) {
            c.set(
                "sasl.mechanism",
                self.sasl_mechanism.as_deref().unwrap_or("SCRAM-SHA-512"),
            );
            c.set("sasl.username", self.sasl_username.as_deref().unwrap_or(""));
            c.set("sasl.password", self.sasl_password.as_deref().unwrap_or(""));
        }
        let paths = [
            ("ssl.ca.location", &self.ssl_ca_location),
            ("ssl.certificate.location", &self.ssl_certificate_location),
            ("ssl.key.location", &self.ssl_key_location),
        ];
        for (key, path) in paths {
            if let Some(p) = path {
                c.set(key, p.to_string_lossy().as_ref());
            }
        }
        if let Some(pw) = &self.ssl_key_password {
            c.set("ssl.key.password", pw);
        }
        for (k, v) in &self.extra {
            c.set(k, v);
        }
        // librdkafka's own debug contexts (e.g. `broker,fetch,msg`), logged at debug level
        // with PURSER_LOG=librdkafka=debug.
        if let Some(contexts) = std::env::var("PURSER_RDKAFKA_DEBUG")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            c.set("debug", contexts);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_security_settings() {
        let mut k = KafkaConfig {
            bootstrap_servers: "kafka-1:9092,kafka-2:9092".into(),
            ..Default::default()
        };
        assert_eq!(k.validate(), Ok(()));
        k.bootstrap_servers = "kafka-1".into();
        assert!(matches!(k.validate(), Err(ConfigError::BadBootstrap(_))));
        k.bootstrap_servers = "kafka-1:9093".into();
        k.security_protocol = SecurityProtocol::SaslSsl;
        assert!(matches!(k.validate(), Err(ConfigError::Missing { .. })));
        k.sasl_username = Some("till-t1".into());
        k.sasl_password = Some("secret".into());
        assert_eq!(k.validate(), Ok(()));
        k.sasl_mechanism = Some("GSSAPI".into());
        assert!(matches!(k.validate(), Err(ConfigError::BadMechanism(_))));
        let c = KafkaConfig {
            bootstrap_servers: "k:9093".into(),
            security_protocol: SecurityProtocol::Ssl,
            ssl_certificate_location: Some("/nonexistent/cert.pem".into()),
            ssl_key_location: Some("/nonexistent/key.pem".into()),
            ..Default::default()
        };
        assert!(matches!(c.validate(), Err(ConfigError::Unreadable { .. })));
        assert_eq!(
            KafkaConfig::default().validate(),
            Err(ConfigError::NoBootstrap)
        );
    }

    #[test]
    fn settings_that_break_per_till_order_are_refused() {
        let with = |k: &str, v: &str| KafkaConfig {
            bootstrap_servers: "k:9092".into(),
            extra: [(k.to_string(), v.to_string())].into_iter().collect(),
            ..Default::default()
        };
        for (k, v) in [
            ("message.timeout.ms", "30000"),
            ("delivery.timeout.ms", "120000"),
            ("partitioner", "consistent_random"),
            ("partitioner", "random"),
            ("partitioner", "fnv1a"),
            ("enable.idempotence", "false"),
            ("acks", "1"),
            ("transactional.id", "t1"),
        ] {
            let err = with(k, v).validate().unwrap_err();
            assert!(
                matches!(&err, ConfigError::OrderBreaking { key, .. } if key == k),
                "{k}={v}: {err:?}"
            );
            assert!(err.to_string().contains(k), "{err}");
        }
        for (k, v) in [
            ("message.timeout.ms", "0"),
            ("delivery.timeout.ms", "0"),
            ("partitioner", "murmur2_random"),
            ("partitioner", "murmur2"),
            ("linger.ms", "20"),
            ("message.max.bytes", "2000000"),
        ] {
            assert_eq!(with(k, v).validate(), Ok(()), "{k}={v}");
        }
        assert!(matches!(
            with("message.max.bytes", "12").validate(),
            Err(ConfigError::BadMaxBytes(_))
        ));
        assert_eq!(with("message.max.bytes", "5000").max_message_bytes(), 5000);
        assert_eq!(
            KafkaConfig::default().max_message_bytes(),
            DEFAULT_MAX_MESSAGE_BYTES
        );
    }

    #[test]
    fn scram_reaches_librdkafka() {
        let k = KafkaConfig {
            bootstrap_servers: "k:9093".into(),
            security_protocol: SecurityProtocol::SaslSsl,
            sasl_mechanism: Some("SCRAM-SHA-256".into()),
            sasl_username: Some("u".into()),
            sasl_password: Some("p".into()),
            ..Default::default()
        };
        let c = k.client_config();
        assert_eq!(c.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(c.get("sasl.mechanism"), Some("SCRAM-SHA-256"));
        // The ssl feature is compiled in: creating a SASL_SSL producer must not fail on
        // "unsupported security protocol".
        let p: Result<rdkafka::producer::BaseProducer, _> = c.create();
        assert!(p.is_ok(), "{:?}", p.err());
    }
}
