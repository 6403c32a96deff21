//! Files on this machine: the file picker, facts and thumbnails for files about to be sent
//! (drag-and-drop and the picker hand paths to the SDK), downloads with progress, and
//! opening the folder a file is in.

use crate::{code, err, IpcError, EVENT_DOWNLOAD_PROGRESS};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use tauri::{AppHandle, Emitter, Manager};
use tokio::io::AsyncWriteExt;

/// Longest side of a composer thumbnail, in pixels.
const THUMB_SIDE: u32 = 240;

/// What the composer shows for a file before it is sent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    /// The absolute path, as the SDK takes it (`payload.file`).
    pub path: String,
    /// The file name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// `image`, `video`, `audio` or `file`: which create*Message sends it.
    pub kind: &'static str,
    /// A PNG data URL for images, else None.
    pub thumbnail: Option<String>,
}

/// Which kind of message a file goes out as: images are those the `image` crate can decode
/// (as the SDK probes them), audio and video by extension.
pub fn kind_of(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // The extension alone is not enough: the header must parse, as the SDK probes it.
    let decodable = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .ok()
        .filter(|r| {
            r.format().is_some_and(|f| {
                matches!(
                    f,
                    image::ImageFormat::Png
                        | image::ImageFormat::Jpeg
                        | image::ImageFormat::Gif
                        | image::ImageFormat::WebP
                )
            })
        })
        .is_some_and(|r| r.into_dimensions().is_ok());
    if decodable {
        "image"
    } else if ["mp4", "webm", "mov", "mkv", "m4v"].contains(&ext.as_str()) {
        "video"
    } else if ["mp3", "ogg", "oga", "wav", "m4a", "aac", "opus", "flac"].contains(&ext.as_str()) {
        "audio"
    } else {
        "file"
    }
}

/// A PNG data URL of `path` scaled to fit `side`×`side`.
pub fn thumbnail(path: &Path, side: u32) -> Result<String, IpcError> {
    let img = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| err(code::LOCAL_FILE, format!("{}: {e}", path.display())))?
        .decode()
        .map_err(|e| err(code::LOCAL_FILE, format!("{}: {e}", path.display())))?;
    let thumb = img.thumbnail(side, side);
    let mut out = std::io::Cursor::new(Vec::new());
    thumb
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| err(code::LOCAL_FILE, format!("thumbnail: {e}")))?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(out.into_inner())
    ))
}

/// Facts about one local file.
pub fn file_info(path: &str) -> Result<FileInfo, IpcError> {
    let p = Path::new(path);
    let meta = std::fs::metadata(p).map_err(|e| err(code::LOCAL_FILE, format!("{path}: {e}")))?;
    if !meta.is_file() {
        return Err(err(
            code::LOCAL_FILE,
            format!("{path} is not a file (folders cannot be sent)"),
        ));
    }
    let kind = kind_of(p);
    let thumbnail = if kind == "image" {
        thumbnail(p, THUMB_SIDE).ok()
    } else {
        None
    };
    Ok(FileInfo {
        path: path.to_owned(),
        name: p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        size: meta.len(),
        kind,
        thumbnail,
    })
}

/// The native file picker; the chosen paths (empty when cancelled).
#[tauri::command]
pub async fn app_pick_files() -> Vec<String> {
    rfd::AsyncFileDialog::new()
        .set_title("Send files")
        .pick_files()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.path().to_string_lossy().into_owned())
        .collect()
}

/// Facts and a thumbnail for each path (a drop or the picker), in order.
#[tauri::command]
pub async fn app_file_info(paths: Vec<String>) -> Result<Vec<FileInfo>, IpcError> {
    tokio::task::spawn_blocking(move || paths.iter().map(|p| file_info(p)).collect())
        .await
        .map_err(|e| err(code::LOCAL_FILE, e.to_string()))?
}

/// A PNG data URL thumbnail of a local image.
#[tauri::command]
pub async fn app_thumbnail(path: String, side: Option<u32>) -> Result<String, IpcError> {
    let side = side.unwrap_or(THUMB_SIDE).clamp(16, 2048);
    tokio::task::spawn_blocking(move || thumbnail(Path::new(&path), side))
        .await
        .map_err(|e| err(code::LOCAL_FILE, e.to_string()))?
}

/// `http://host:port` of a `ws://host:port[/path]` server address.
pub fn http_base(server: &str) -> Result<String, IpcError> {
    let (scheme, rest) = if let Some(r) = server.strip_prefix("ws://") {
        ("http", r)
    } else if let Some(r) = server.strip_prefix("wss://") {
        ("https", r)
    } else {
        return Err(err(
            code::INVALID,
            format!("server must be ws://HOST:PORT, not {server:?}"),
        ));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(err(code::INVALID, format!("no host in {server:?}")));
    }
    Ok(format!("{scheme}://{authority}"))
}

/// Percent-encodes a query value.
pub fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Opens an HTTP/1.1 connection for `url` (https:// verified as the SDK does, with
/// `PIGEON_CA_FILE` as the only root when set) and sends a GET; the response.
async fn get(url: &str) -> Result<hyper::Response<hyper::body::Incoming>, IpcError> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| err(code::INVALID, format!("bad URL {url:?}: {e}")))?;
    let tls = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => {
            return Err(err(
                code::INVALID,
                format!("only http:// and https:// URLs can be downloaded, not {url:?}"),
            ))
        }
    };
    let host = uri.host().unwrap_or_default().to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| {
            err(
                code::UNREACHABLE,
                format!("cannot reach {host}:{port}: {e}"),
            )
        })?;
    let req = hyper::Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| err(code::INVALID, e.to_string()))?;
    if tls {
        let config = pigeon_sdk::tls::client_config(pigeon_sdk::tls::ca_file_from_env().as_deref())
            .map_err(|e| err(e.code, e.message))?;
        let name = rustls_pki_types::ServerName::try_from(host.clone())
            .map_err(|e| err(code::INVALID, format!("bad host {host:?}: {e}")))?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, stream)
            .await
            .map_err(|e| err(code::UNREACHABLE, format!("TLS with {host}:{port}: {e}")))?;
        send(hyper_util::rt::TokioIo::new(stream), req, url).await
    } else {
        send(hyper_util::rt::TokioIo::new(stream), req, url).await
    }
}

/// Sends `req` over one HTTP/1.1 connection on `io`.
async fn send<T>(
    io: hyper_util::rt::TokioIo<T>,
    req: hyper::Request<http_body_util::Empty<bytes::Bytes>>,
    url: &str,
) -> Result<hyper::Response<hyper::body::Incoming>, IpcError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| err(code::UNREACHABLE, format!("{url}: {e}")))?;
    tokio::spawn(conn);
    sender
        .send_request(req)
        .await
        .map_err(|e| err(code::UNREACHABLE, format!("{url}: {e}")))
}

/// GET `url`; its status and whole body (for small replies).
pub async fn http_get(url: &str) -> Result<(u16, Vec<u8>), IpcError> {
    let resp = get(url).await?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| err(code::UNREACHABLE, format!("{url}: {e}")))?
        .to_bytes();
    Ok((status, body.to_vec()))
}

/// A name that does not clobber an existing file: `a.txt`, `a (1).txt`, ...
fn unique_path(dir: &Path, name: &str) -> PathBuf {
    let clean: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == '\0' {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = if clean.trim_matches('.').is_empty() {
        "download".to_owned()
    } else {
        clean
    };
    let first = dir.join(&clean);
    if !first.exists() {
        return first;
    }
    let p = Path::new(&clean);
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = p
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (1..)
        .map(|i| dir.join(format!("{stem} ({i}){ext}")))
        .find(|c| !c.exists())
        .unwrap_or(first)
}

/// Downloads a file message's URL into the Downloads folder with progress events
/// (`pigeon:download-progress` `{url, percent}`); the saved path.
#[tauri::command]
pub async fn app_download(
    app: AppHandle,
    url: String,
    file_name: String,
) -> Result<String, IpcError> {
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| err(code::LOCAL_FILE, format!("no download folder: {e}")))?;
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| err(code::LOCAL_FILE, format!("{}: {e}", dir.display())))?;
    let resp = get(&url).await?;
    if !resp.status().is_success() {
        return Err(err(
            code::REFUSED,
            format!("download failed: {} for {url}", resp.status()),
        ));
    }
    let total = resp
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let path = unique_path(&dir, &file_name);
    let part = path.with_extension("part");
    let mut out = tokio::fs::File::create(&part)
        .await
        .map_err(|e| err(code::LOCAL_FILE, format!("{}: {e}", part.display())))?;
    let mut body = resp.into_body();
    let (mut done, mut last_percent) = (0u64, 0u64);
    let _ = app.emit(EVENT_DOWNLOAD_PROGRESS, json!({ "url": url, "percent": 0 }));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| err(code::UNREACHABLE, format!("{url}: {e}")))?;
        if let Some(data) = frame.data_ref() {
            out.write_all(data)
                .await
                .map_err(|e| err(code::LOCAL_FILE, format!("{}: {e}", part.display())))?;
            done += data.len() as u64;
            if let Some(t) = total.filter(|t| *t > 0) {
                let percent = (done * 100 / t).min(99);
                if percent > last_percent {
                    last_percent = percent;
                    let _ = app.emit(
                        EVENT_DOWNLOAD_PROGRESS,
                        json!({ "url": url, "percent": percent }),
                    );
                }
            }
        }
    }
    out.flush()
        .await
        .map_err(|e| err(code::LOCAL_FILE, e.to_string()))?;
    drop(out);
    tokio::fs::rename(&part, &path)
        .await
        .map_err(|e| err(code::LOCAL_FILE, format!("{}: {e}", path.display())))?;
    let _ = app.emit(
        EVENT_DOWNLOAD_PROGRESS,
        json!({ "url": url, "percent": 100 }),
    );
    Ok(path.to_string_lossy().into_owned())
}

/// Opens the folder holding `path` in the desktop's file manager.
#[tauri::command]
pub fn app_open_folder(path: String) -> Result<(), IpcError> {
    let p = Path::new(&path);
    let dir = if p.is_dir() {
        p
    } else {
        p.parent().unwrap_or(Path::new("/"))
    };
    std::process::Command::new("xdg-open")
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| {
            err(
                code::LOCAL_FILE,
                format!("cannot open {}: {e}", dir.display()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_thumbnails_and_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let png = dir.path().join("pic.png");
        image::RgbaImage::from_pixel(800, 400, image::Rgba([10, 20, 30, 255]))
            .save(&png)
            .expect("png");
        let info = file_info(png.to_str().expect("utf8")).expect("info");
        assert_eq!(info.kind, "image");
        assert!(info
            .thumbnail
            .as_deref()
            .is_some_and(|t| t.starts_with("data:image/png;base64,")));
        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, b"hello").expect("txt");
        let info = file_info(txt.to_str().expect("utf8")).expect("info");
        assert_eq!((info.kind, info.size), ("file", 5));
        // A file named .png that is not an image goes as a file, as the SDK would refuse it.
        let fake = dir.path().join("fake.png");
        std::fs::write(&fake, b"nope").expect("fake");
        assert_eq!(kind_of(&fake), "file");
        assert_eq!(kind_of(Path::new("/x/a.MP4")), "video");
        assert!(file_info(dir.path().to_str().expect("utf8")).is_err());
        assert_eq!(
            unique_path(dir.path(), "notes.txt"),
            dir.path().join("notes (1).txt")
        );
        assert_eq!(unique_path(dir.path(), "../x"), dir.path().join(".._x"));
    }

    #[test]
    fn server_addresses() {
        assert_eq!(
            http_base("ws://127.0.0.1:8080").expect("ok"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            http_base("wss://chat.example/ws").expect("ok"),
            "https://chat.example"
        );
        assert!(http_base("http://x").is_err());
        assert_eq!(encode_query("a b&c"), "a%20b%26c");
    }
}
