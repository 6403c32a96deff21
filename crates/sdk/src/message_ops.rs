//! Message operations: revoke, delete, modify, forward, merger, hopping (issue 3).

use crate::Chat;
use pigeon_proto::Result;
use serde_json::Value;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[];

impl Chat {
    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_message_ops(
        &self,
        _method: &str,
        _args: &mut [Value],
    ) -> Option<Result<Value>> {
        None
    }
}
