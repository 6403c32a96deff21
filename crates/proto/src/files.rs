//! Media: the file service (upload, download, Range) and image, audio, video and file messages (issue 3). Wire types.
//!
//! Files travel over plain HTTP on the server's listener, not over the WebSocket:
//! `POST /files/{SDKAppID}/{kind}` uploads (authenticated), `GET /files/{SDKAppID}/{sha256}`
//! downloads (with Range). The one WebSocket op here hands a logged-in session an upload
//! ticket, so the SDK never needs to keep the UserSig around.

use serde::{Deserialize, Serialize};

/// Path prefix of the file service.
pub const FILES_PATH: &str = "/files";

/// Header carrying an upload ticket from [`UploadTicket`].
pub const TICKET_HEADER: &str = "x-pigeon-ticket";
/// Header carrying the uploader's userID (with [`USERSIG_HEADER`]).
pub const USER_HEADER: &str = "x-pigeon-user";
/// Header carrying the uploader's UserSig (with [`USER_HEADER`]).
pub const USERSIG_HEADER: &str = "x-pigeon-usersig";

/// SDK event emitted while a media message's files upload: `{messageID, percent}`, rising to 100.
pub const EVENT_UPLOAD_PROGRESS: &str = "onMessageUploadProgress";

/// Largest image (original) accepted: 20 MB.
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;
/// Largest audio file accepted: 20 MB.
pub const MAX_AUDIO_BYTES: u64 = 20 * 1024 * 1024;
/// Largest video file accepted: 100 MB.
pub const MAX_VIDEO_BYTES: u64 = 100 * 1024 * 1024;
/// Largest plain file accepted: 100 MB.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// Longest side of the "big" image rendition.
pub const BIG_IMAGE_SIDE: u32 = 720;
/// Longest side of the thumbnail image rendition.
pub const SMALL_IMAGE_SIDE: u32 = 198;

/// `imageInfoArray[].type` of the original image.
pub const IMAGE_TYPE_ORIGINAL: u32 = 0;
/// `imageInfoArray[].type` of the big (720 px) rendition.
pub const IMAGE_TYPE_BIG: u32 = 1;
/// `imageInfoArray[].type` of the thumbnail (198 px) rendition.
pub const IMAGE_TYPE_SMALL: u32 = 2;

/// What an upload is for; decides its size limit and content check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// An image or one of its renditions, or a video poster.
    Image,
    /// A voice message.
    Audio,
    /// A video.
    Video,
    /// Any file.
    File,
}

impl FileKind {
    /// The kind named in an upload URL.
    pub fn parse(s: &str) -> Option<FileKind> {
        match s {
            "image" => Some(FileKind::Image),
            "audio" => Some(FileKind::Audio),
            "video" => Some(FileKind::Video),
            "file" => Some(FileKind::File),
            _ => None,
        }
    }

    /// The name used in upload URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Image => "image",
            FileKind::Audio => "audio",
            FileKind::Video => "video",
            FileKind::File => "file",
        }
    }

    /// Largest accepted size in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            FileKind::Image => MAX_IMAGE_BYTES,
            FileKind::Audio => MAX_AUDIO_BYTES,
            FileKind::Video => MAX_VIDEO_BYTES,
            FileKind::File => MAX_FILE_BYTES,
        }
    }

    /// The SDK error code for "too large" (the shipped SDK's MSG_*_SIZE_LIMIT).
    pub fn size_limit_code(self) -> u32 {
        match self {
            FileKind::Image => 2253,
            FileKind::Audio => 2301,
            FileKind::Video => 2351,
            FileKind::File => 2402,
        }
    }

    /// The SDK error code for a failed upload (MSG_A/V/F_UPLOAD_FAIL; images share the file one).
    pub fn upload_fail_code(self) -> u32 {
        match self {
            FileKind::Image => 2400,
            FileKind::Audio => 2300,
            FileKind::Video => 2350,
            FileKind::File => 2400,
        }
    }
}

/// SDK-side codes of the media messages (the shipped SDK's numbers).
pub mod code {
    /// MSG_F_IS_EMPTY: an audio or video message without a readable file.
    pub const MSG_F_IS_EMPTY: u32 = 2108;
    /// MSG_I_SELECT_F_FIRST: an image message without a readable file.
    pub const MSG_I_SELECT_F_FIRST: u32 = 2251;
    /// MSG_I_TYPES_LIMIT: the image file is not a supported image (png, jpeg, gif, webp).
    pub const MSG_I_TYPES_LIMIT: u32 = 2252;
    /// MSG_I_SIZE_LIMIT: the image is over 20 MB.
    pub const MSG_I_SIZE_LIMIT: u32 = 2253;
    /// MSG_A_UPLOAD_FAIL: the audio upload failed.
    pub const MSG_A_UPLOAD_FAIL: u32 = 2300;
    /// MSG_A_SIZE_LIMIT: the audio is over 20 MB.
    pub const MSG_A_SIZE_LIMIT: u32 = 2301;
    /// MSG_V_UPLOAD_FAIL: the video upload failed.
    pub const MSG_V_UPLOAD_FAIL: u32 = 2350;
    /// MSG_V_SIZE_LIMIT: the video is over 100 MB.
    pub const MSG_V_SIZE_LIMIT: u32 = 2351;
    /// MSG_V_TYPES_LIMIT: the video file is not a recognised video container.
    pub const MSG_V_TYPES_LIMIT: u32 = 2352;
    /// MSG_F_UPLOAD_FAIL: a file (or image) upload failed.
    pub const MSG_F_UPLOAD_FAIL: u32 = 2400;
    /// MSG_F_SELECT_F_FIRST: a file message without a readable file.
    pub const MSG_F_SELECT_F_FIRST: u32 = 2401;
    /// MSG_F_SIZE_LIMIT: the file is over 100 MB.
    pub const MSG_F_SIZE_LIMIT: u32 = 2402;
    /// MSG_F_URL_IS_EMPTY: a media message reached the server without a file URL of this server.
    pub const MSG_F_URL_IS_EMPTY: u32 = 2403;
}

/// Asks for a short-lived upload ticket for the logged-in user (op `uploadTicket`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UploadTicket {}

/// Reply to [`UploadTicket`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicketReply {
    /// Goes in the [`TICKET_HEADER`] header of uploads.
    pub ticket: String,
    /// Unix seconds after which the ticket is refused.
    pub expires_at: u64,
}

impl crate::wire::Op for UploadTicket {
    const NAME: &'static str = "uploadTicket";
    type Reply = UploadTicketReply;
}

/// Body of a successful upload (HTTP 200/201, JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReply {
    /// Absolute download URL.
    pub url: String,
    /// Hex SHA-256 of the content (its storage key).
    pub sha256: String,
    /// Bytes stored.
    pub size: u64,
    /// Detected MIME type (`application/octet-stream` when unknown).
    pub content_type: String,
}

/// Whether `url` is a download URL of a Pigeon file service:
/// `http(s)://host/files/<digits>/<64 hex>`; returns the SDKAppID and hash.
pub fn parse_file_url(url: &str) -> Option<(u64, &str)> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let slash = rest.find('/')?;
    let (host, path) = rest.split_at(slash);
    if host.is_empty() {
        return None;
    }
    let path = path.strip_prefix(FILES_PATH)?.strip_prefix('/')?;
    let (app, sha) = path.split_once('/')?;
    if app.is_empty() || !app.bytes().all(|b| b.is_ascii_digit()) || !is_sha256_hex(sha) {
        return None;
    }
    Some((app.parse().ok()?, sha))
}

/// Whether `s` is 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls() {
        let sha = "a".repeat(64);
        assert_eq!(
            parse_file_url(&format!("http://h:1/files/140/{sha}")),
            Some((140, sha.as_str()))
        );
        assert!(parse_file_url(&format!("http://h/files/140/../{sha}")).is_none());
        assert!(parse_file_url(&format!("ftp://h/files/140/{sha}")).is_none());
        assert!(parse_file_url("http://h/files/140/abc").is_none());
        assert!(parse_file_url(&format!("http:///files/140/{sha}")).is_none());
    }
}
