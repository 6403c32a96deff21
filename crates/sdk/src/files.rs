//! Media: the file service (upload, download, Range) and image, audio, video and file messages (issue 3).

use crate::Chat;
use pigeon_proto::Result;
use serde_json::Value;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[];

impl Chat {
    /// Uploads the local files of a media message before it is sent and puts their URLs in
    /// the payload; nothing for other kinds.
    pub(crate) async fn prepare_outgoing(
        &self,
        _m: &mut pigeon_proto::model::Message,
    ) -> Result<()> {
        Ok(())
    }

    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_files(
        &self,
        _method: &str,
        _args: &mut [Value],
    ) -> Option<Result<Value>> {
        None
    }
}
