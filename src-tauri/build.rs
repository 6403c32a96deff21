//! Generates the IPC command table from the seed's method list (crates/proto/data/methods.txt),
//! so every SDK operation has exactly one Tauri command and one ACL permission.

use std::fmt::Write as _;

/// Seed methods that take a JS handler: the facade keeps those listeners itself.
const LISTENER_METHODS: &[&str] = &[
    "on",
    "off",
    "addSignalingListener",
    "removeSignalingListener",
];

/// Desktop commands that are not SDK operations (sign-in, files, tray, notifications).
const APP_COMMANDS: &[&str] = &[
    "app_create",
    "app_dev_sign_in",
    "app_pick_files",
    "app_file_info",
    "app_thumbnail",
    "app_download",
    "app_open_folder",
    "app_tray_state",
    "app_settings",
    "app_set_settings",
    "app_focus",
];

fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn main() {
    let methods_path = "../crates/proto/data/methods.txt";
    println!("cargo:rerun-if-changed={methods_path}");
    let text = std::fs::read_to_string(methods_path).expect("methods.txt is in the repo");
    let methods: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !LISTENER_METHODS.contains(l))
        .collect();
    let mut table = String::from("sdk_commands! {\n");
    for m in &methods {
        writeln!(table, "    ({}, {:?}),", snake(m), m).expect("write to a String");
    }
    table.push_str("}\n");
    table.push_str("\n/// The app's own commands (not SDK operations), as build.rs lists them.\n");
    table.push_str(&format!(
        "pub const APP_COMMANDS: &[&str] = &{APP_COMMANDS:?};\n"
    ));
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("commands.rs"), table).expect("write the command table");

    let mut commands: Vec<String> = methods.iter().map(|m| snake(m)).collect();
    commands.extend(APP_COMMANDS.iter().map(|c| c.to_string()));
    let commands: &'static [&'static str] = Box::leak(
        commands
            .into_iter()
            .map(|c| &*Box::leak(c.into_boxed_str()))
            .collect::<Vec<&'static str>>()
            .into_boxed_slice(),
    );
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build step");
}
