//! The tray icon: total unread count in its tooltip and menu, show/hide, quit.

use crate::{show_main, Desktop};
use serde::Serialize;
use std::sync::Mutex;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, State, Wry};

/// The tray's id; on X11 it names the tray's window.
pub const TRAY_ID: &str = "pigeon-tray";

/// What the tray shows now (read back by the UI tests through `app_tray_state`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrayView {
    /// Total unread messages.
    pub unread: u64,
    /// The tooltip text.
    pub tooltip: String,
    /// The first menu line.
    pub menu_label: String,
    /// Notifications raised since start.
    pub notifications: u64,
}

/// The tray's view and its unread menu item.
#[derive(Default)]
pub struct TrayState {
    view: Mutex<TrayView>,
    unread_item: Mutex<Option<MenuItem<Wry>>>,
}

impl TrayState {
    /// Counts one notification raised.
    pub fn note_notification(&self) {
        self.view
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .notifications += 1;
    }
}

/// The texts for `n` unread messages.
pub fn labels(n: u64) -> (String, String) {
    match n {
        0 => ("Pigeon".into(), "No unread messages".into()),
        1 => (
            "Pigeon — 1 unread message".into(),
            "1 unread message".into(),
        ),
        n => (
            format!("Pigeon — {n} unread messages"),
            format!("{n} unread messages"),
        ),
    }
}

/// Builds the tray icon and its menu.
pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let (tooltip, label) = labels(0);
    let unread = MenuItem::with_id(app, "unread", &label, false, None::<&str>)?;
    let toggle = MenuItem::with_id(app, "toggle", "Show / hide Pigeon", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Pigeon", true, None::<&str>)?;
    let sep = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&unread, &sep, &toggle, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(&tooltip)
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "toggle" => toggle_main(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    let state = app.state::<Desktop>();
    *state
        .tray
        .unread_item
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(unread);
    let mut view = state.tray.view.lock().unwrap_or_else(|p| p.into_inner());
    view.tooltip = tooltip;
    view.menu_label = label;
    Ok(())
}

fn toggle_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        if w.is_visible().unwrap_or(false) {
            let _ = w.hide();
        } else {
            show_main(app);
        }
    }
}

/// Shows `n` unread messages in the tray.
pub fn set_unread(app: &AppHandle, n: u64) {
    let (tooltip, label) = labels(n);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(&tooltip));
    }
    let state = app.state::<Desktop>();
    if let Some(item) = state
        .tray
        .unread_item
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        let _ = item.set_text(&label);
    }
    let mut view = state.tray.view.lock().unwrap_or_else(|p| p.into_inner());
    view.unread = n;
    view.tooltip = tooltip;
    view.menu_label = label;
}

/// What the tray shows now.
#[tauri::command]
pub fn app_tray_state(state: State<'_, Desktop>) -> TrayView {
    state
        .tray
        .view
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

#[cfg(test)]
mod tests {
    use super::labels;

    #[test]
    fn labels_count_unread() {
        assert_eq!(labels(0).1, "No unread messages");
        assert_eq!(labels(1).0, "Pigeon — 1 unread message");
        assert_eq!(labels(12).1, "12 unread messages");
    }
}
