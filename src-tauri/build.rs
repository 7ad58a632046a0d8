fn main() {
    // The window calls one command, `call`, which dispatches to the typed commands of
    // purser-app's IPC contract; declaring it here makes it a permission the capability
    // file must grant (nothing is allowed by default).
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["call"])),
    )
    .expect("failed to run the Tauri build script");
}
