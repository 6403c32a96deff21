//! Native notifications for new messages: raised when the window is not focused, the user
//! has them on, and the SDK says the conversation wants them (remind type, @mentions, the
//! do-not-disturb window). Clicking one opens that conversation.

use crate::{show_main, Desktop, EVENT_OPEN_CONVERSATION};
use pigeon_sdk::Chat;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use tauri::{AppHandle, Emitter, Manager};

/// The SDK's "@everyone" marker in atUserList.
const AT_ALL: &str = "__kImSDK_MesssageAtALL__";
/// Notifications whose click we still wait for; beyond this, new ones are shown without it,
/// so a burst cannot pile up threads.
const MAX_WAITING: usize = 16;

static WAITING: AtomicUsize = AtomicUsize::new(0);

/// A one-line preview of a message, as a notification or list shows it.
pub fn preview(m: &Value) -> String {
    let p = &m["payload"];
    let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
    match m["type"].as_str().unwrap_or_default() {
        "TIMTextElem" => s("text"),
        "TIMImageElem" => "[Image]".into(),
        "TIMSoundElem" => "[Voice message]".into(),
        "TIMVideoFileElem" => "[Video]".into(),
        "TIMFileElem" => format!("[File] {}", s("fileName")),
        "TIMFaceElem" => "[Sticker]".into(),
        "TIMLocationElem" => format!("[Location] {}", s("description")),
        "TIMRelayElem" => "[Chat history]".into(),
        "TIMCustomElem" => {
            let d = s("description");
            if d.is_empty() {
                "[Custom message]".into()
            } else {
                d
            }
        }
        _ => "[Message]".into(),
    }
}

/// Whether `m` mentions `me` (or everyone).
fn mentions(m: &Value, me: &str) -> bool {
    m["atUserList"]
        .as_array()
        .is_some_and(|l| l.iter().any(|u| u == me || u == AT_ALL))
}

/// Handles the messages of one MESSAGE_RECEIVED event.
pub fn on_messages(app: &AppHandle, chat: &Chat, data: &Value) {
    let state = app.state::<Desktop>();
    let settings = state.settings.get();
    if !settings.notifications {
        return;
    }
    let focused = app
        .get_webview_window("main")
        .is_some_and(|w| w.is_visible().unwrap_or(false) && w.is_focused().unwrap_or(false));
    tracing::debug!(focused, "new messages");
    if focused {
        return;
    }
    let me = chat.get_login_user();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for m in data.as_array().into_iter().flatten() {
        if m["flow"] != "in" || m["from"] == me.as_str() {
            continue;
        }
        let conv = m["conversationID"].as_str().unwrap_or_default().to_owned();
        if conv.is_empty() || conv == "@TIM#SYSTEM" {
            continue;
        }
        if !chat.should_notify(&conv, mentions(m, &me), now) {
            tracing::debug!(conversation = %conv, "muted: no notification");
            continue;
        }
        let from = m["nick"]
            .as_str()
            .filter(|n| !n.is_empty())
            .or_else(|| m["from"].as_str())
            .unwrap_or_default()
            .to_owned();
        let title = if m["conversationType"] == "GROUP" {
            format!("{from} in {}", m["to"].as_str().unwrap_or_default())
        } else {
            from
        };
        let body = if settings.notification_previews {
            preview(m)
        } else {
            "New message".into()
        };
        show(app.clone(), title, body, conv);
    }
}

fn show(app: AppHandle, title: String, body: String, conversation_id: String) {
    let shown = notify_rust::Notification::new()
        .appname("Pigeon")
        .summary(&title)
        .body(&body)
        .icon("mail-message-new")
        .action("default", "Open")
        .show();
    let handle = match shown {
        Ok(h) => h,
        Err(e) => {
            tracing::debug!("no notification server: {e}");
            return;
        }
    };
    app.state::<Desktop>().tray.note_notification();
    if WAITING.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::SeqCst);
        return;
    }
    // wait_for_action blocks until the notification is clicked or closed.
    std::thread::spawn(move || {
        handle.wait_for_action(|action| {
            if action == "default" {
                show_main(&app);
                let _ = app.emit(
                    EVENT_OPEN_CONVERSATION,
                    json!({ "conversationID": conversation_id }),
                );
            }
        });
        WAITING.fetch_sub(1, Ordering::SeqCst);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_and_mentions() {
        let m = json!({"type": "TIMTextElem", "payload": {"text": "hi"}, "atUserList": ["bob"]});
        assert_eq!(preview(&m), "hi");
        assert!(mentions(&m, "bob"));
        assert!(!mentions(&m, "carol"));
        let all = json!({"atUserList": [AT_ALL]});
        assert!(mentions(&all, "carol"));
        let f = json!({"type": "TIMFileElem", "payload": {"fileName": "a.pdf"}});
        assert_eq!(preview(&f), "[File] a.pdf");
    }
}
