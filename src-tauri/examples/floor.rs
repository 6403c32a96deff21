//! The floor for the desktop benchmarks (docs/benchmarks-desktop.md): the smallest Tauri v2
//! app this workspace can build, one window of the messenger's size showing a static page,
//! no commands, no tray, no SDK. Whatever Pigeon's window costs above this is Pigeon's.
//!
//! `CARGO_TARGET_DIR=/work/target-desktop cargo build --release --features custom-protocol
//! --example floor` (without custom-protocol it would load the dev server URL instead of the
//! embedded page).

fn main() {
    if let Err(e) =
        tauri::Builder::default().run(tauri::generate_context!("examples/floor/tauri.conf.json"))
    {
        eprintln!("floor: {e}");
        std::process::exit(1);
    }
}
