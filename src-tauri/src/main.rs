//! The Pigeon desktop messenger.
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    pigeon_desktop::run();
}
