//! Media: the file service (upload, download, Range) and image, audio, video and file messages (issue 3).

use crate::{AppState, Caller};
use pigeon_proto::ImError;
use serde_json::Value;

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(
    _st: &AppState,
    _c: &Caller,
    _op: &str,
    _data: &Value,
) -> Option<Result<Value, ImError>> {
    None
}

/// Checks the payload of a media message kind (image, audio, video, file); None for kinds
/// that are not media.
pub fn check_payload(_m: &pigeon_proto::model::Message) -> Option<Result<(), ImError>> {
    None
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait FileStore {}

impl FileStore for crate::store::SqliteStore {}

/// The HTTP routes of the file service, merged into the gateway's router.
pub fn router() -> axum::Router<std::sync::Arc<AppState>> {
    axum::Router::new()
}
