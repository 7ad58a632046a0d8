//! The window's TypeScript bindings are generated from the Rust IPC types; this fails when
//! `ui/src/lib/bindings.ts` is stale. `PURSER_UPDATE_BINDINGS=1` rewrites it.

use std::path::PathBuf;

#[test]
fn typescript_bindings_match_the_rust_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
    let want = purser_window::ipc::typescript();
    if std::env::var_os("PURSER_UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `PURSER_UPDATE_BINDINGS=1 cargo test -p purser-window --test bindings` and commit it",
        path.display()
    );
}

#[test]
fn every_command_has_a_binding_and_no_bigint() {
    let ts = purser_window::ipc::typescript();
    for c in purser_window::ipc::COMMANDS {
        assert!(
            ts.contains(&format!("export const {c} = ")),
            "no binding for {c}"
        );
    }
    // Amounts are minor units well inside 2^53: they travel as plain numbers.
    assert!(!ts.contains("bigint"));
    assert!(ts.contains("export type ErrorCode"));
}
