//! The file service's request parsing: Range headers (resolved ranges always lie inside the
//! file), upload and download path segments (only this app's hashes and kinds pass), upload
//! tickets, Content-Length values and file URLs in message payloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pigeon_server::files::{
    declared_length, parse_download_path, parse_range, parse_ticket, parse_upload_path, UploadPath,
};

const APP: u64 = 1_400_000_001;

fuzz_target!(|data: &[u8]| {
    let (size_bytes, rest) = data.split_at(data.len().min(8));
    let mut size = [0u8; 8];
    size[..size_bytes.len()].copy_from_slice(size_bytes);
    let size = u64::from_le_bytes(size);
    let text = String::from_utf8_lossy(rest);

    match parse_range(Some(text.as_ref()), size) {
        Ok(Some((a, b))) => assert!(a <= b && b < size, "{a}-{b} of {size}"),
        Ok(None) | Err(()) => {}
    }
    let _ = declared_length(Some(rest));

    let (app, name) = text.split_once('/').unwrap_or(("1400000001", &text));
    match parse_upload_path(app, name, APP) {
        UploadPath::Kind(k) => assert_eq!(k.as_str(), name),
        UploadPath::OtherApp => assert_ne!(app, APP.to_string()),
        UploadPath::UnknownKind => {}
    }
    if parse_download_path(app, name, APP) {
        assert!(name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!name.contains(".."));
    }
    if let Some((_exp, user, _sig)) = parse_ticket(text.as_ref()) {
        let _ = user.len();
    }
    let _ = pigeon_proto::files::parse_file_url(text.as_ref());
});
