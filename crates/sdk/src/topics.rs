//! Communities and topics (issue 6).

use crate::Chat;
use pigeon_proto::Result;
use serde_json::Value;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[];

impl Chat {
    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_topics(
        &self,
        _method: &str,
        _args: &mut [Value],
    ) -> Option<Result<Value>> {
        None
    }
}
