//! The committed JSON Schemas and examples under `schemas/` must equal what the Rust types
//! generate, and every example must validate. Regenerate with
//! `PURSER_UPDATE_SCHEMAS=1 cargo test -p purser-core --test schemas`.

use std::path::{Path, PathBuf};

use purser_core::contract::{examples, schemas};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("serialisable");
    s.push('\n');
    s
}

fn check_or_write(path: &Path, want: &str, drift: &mut Vec<String>) {
    if std::env::var_os("PURSER_UPDATE_SCHEMAS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, want).expect("write");
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(have) if have == want => {}
        Ok(_) => drift.push(format!(
            "{} differs from what the Rust types generate",
            path.display()
        )),
        Err(_) => drift.push(format!("{} is missing", path.display())),
    }
}

#[test]
fn schemas_and_examples_match_the_rust_types() {
    let mut drift = Vec::new();
    for (file, schema) in schemas() {
        check_or_write(&root().join(&file), &pretty(&schema), &mut drift);
    }
    for (stem, name, value) in examples() {
        check_or_write(
            &root()
                .join("examples")
                .join(&stem)
                .join(format!("{name}.json")),
            &pretty(&value),
            &mut drift,
        );
    }
    assert!(
        drift.is_empty(),
        "schemas/ drifted from the Rust types (run PURSER_UPDATE_SCHEMAS=1 cargo test -p purser-core --test schemas and commit):\n{}",
        drift.join("\n")
    );
}

#[test]
fn every_committed_example_validates_against_its_schema() {
    let mut checked = 0;
    for (file, _) in schemas() {
        let stem = file.trim_end_matches(".schema.json");
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(&file)).expect("schema file"),
        )
        .expect("schema JSON");
        let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
        let dir = root().join("examples").join(stem);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{} has no examples", dir.display()))
            .collect();
        assert!(!entries.is_empty(), "{stem} has no examples");
        for entry in entries {
            let path = entry.expect("dir entry").path();
            let value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("example"))
                    .expect("example JSON");
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{} does not validate: {errors:?}",
                path.display()
            );
            checked += 1;
        }
        // A broken value must fail: the schema really constrains.
        let mut broken: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                std::fs::read_dir(&dir)
                    .expect("dir")
                    .next()
                    .expect("one")
                    .expect("entry")
                    .path(),
            )
            .expect("read"),
        )
        .expect("json");
        broken["till_seq"] = serde_json::json!("seven");
        assert!(
            !validator.is_valid(&broken),
            "{stem}: a string till_seq was accepted"
        );
        broken["till_seq"] = serde_json::json!(7);
        broken["event_type"] = serde_json::json!("something.else");
        assert!(
            !validator.is_valid(&broken),
            "{stem}: a wrong event_type was accepted"
        );
    }
    assert!(checked >= 9);
}
