//! Media: the file service (upload, download, Range) and image, audio, video and file messages (issue 3).
//!
//! `createImageMessage`, `createAudioMessage`, `createVideoMessage` and `createFileMessage`
//! take `payload.file` as one of:
//! - a local file path string (what the desktop app and the bridge pass);
//! - `{path, name?, duration?, poster?}`;
//! - `{base64, name?, duration?, poster?}`: the bytes, base64 (standard alphabet); they are
//!   written to `<data_dir>/outbox/<sha256>` and sent from there.
//!
//! `duration` is milliseconds for audio (as the seed's Web `File.duration`) and seconds for
//! video (as `chooseMedia`); `payload.duration` is read too. `poster` (video only) is an image
//! path (or `{path}` / `{base64}`) uploaded as the video's thumbnail.
//!
//! The message comes back `unSend` with its payload's `localFile` holding the path. In
//! `sendMessage` the files are uploaded over HTTP (with [`EVENT_UPLOAD_PROGRESS`] events
//! `{messageID, percent}` rising to 100), `localFile` is dropped and the seed's payload fields
//! (URLs, sizes, dimensions) are filled in. If an upload fails the message is `fail` (cached
//! so) and the error carries it; `resendMessage` uploads again (content-addressed, so nothing
//! is stored twice).

use crate::Chat;
use base64::Engine as _;
use http_body_util::BodyExt as _;
use pigeon_proto::consts::types;
use pigeon_proto::files::{
    code as fcode, FileKind, UploadReply, UploadTicket, BIG_IMAGE_SIDE, EVENT_UPLOAD_PROGRESS,
    FILES_PATH, IMAGE_TYPE_BIG, IMAGE_TYPE_ORIGINAL, IMAGE_TYPE_SMALL, SMALL_IMAGE_SIDE,
    TICKET_HEADER,
};
use pigeon_proto::model::{status, Message};
use pigeon_proto::{ImError, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::AsyncReadExt;

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "createImageMessage",
    "createAudioMessage",
    "createVideoMessage",
    "createFileMessage",
];

/// Bytes per chunk of an upload body (also the progress granularity).
const UPLOAD_CHUNK: usize = 256 * 1024;

/// A local file chosen for a message.
struct Source {
    path: PathBuf,
    name: String,
    duration: Option<f64>,
    poster: Option<Value>,
}

fn kind_of(method: &str) -> Option<(FileKind, &'static str)> {
    match method {
        "createImageMessage" => Some((FileKind::Image, types::MSG_IMAGE)),
        "createAudioMessage" => Some((FileKind::Audio, types::MSG_AUDIO)),
        "createVideoMessage" => Some((FileKind::Video, types::MSG_VIDEO)),
        "createFileMessage" => Some((FileKind::File, types::MSG_FILE)),
        _ => None,
    }
}

/// The "no usable file" code of a kind (the shipped SDK's SELECT_F_FIRST / F_IS_EMPTY).
fn missing_code(kind: FileKind) -> u32 {
    match kind {
        FileKind::Image => fcode::MSG_I_SELECT_F_FIRST,
        FileKind::File => fcode::MSG_F_SELECT_F_FIRST,
        FileKind::Audio | FileKind::Video => fcode::MSG_F_IS_EMPTY,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tencent's `imageFormat` numbers: JPG 1, GIF 2, PNG 3, BMP 4, other 255.
fn image_format_number(f: image::ImageFormat) -> u32 {
    match f {
        image::ImageFormat::Jpeg => 1,
        image::ImageFormat::Gif => 2,
        image::ImageFormat::Png => 3,
        image::ImageFormat::Bmp => 4,
        _ => 255,
    }
}

/// Format and dimensions of an image file, or MSG_I_TYPES_LIMIT.
fn probe_image(path: &Path) -> Result<(image::ImageFormat, u32, u32)> {
    let not_image = |why: String| {
        ImError::new(
            fcode::MSG_I_TYPES_LIMIT,
            format!(
                "{} is not a supported image (png, jpeg, gif, webp): {why}",
                path.display()
            ),
        )
    };
    let reader = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| not_image(e.to_string()))?;
    let format = reader
        .format()
        .ok_or_else(|| not_image("unknown format".into()))?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| not_image(e.to_string()))?;
    Ok((format, w, h))
}

/// Whether the file service is `https://` (a `wss://`/`https://` server URL), and the
/// `host:port` behind a `ws[s]://host:port[/path]` URL.
fn http_base(server_url: &str) -> Result<(bool, String)> {
    let (tls, rest) = if let Some(r) = server_url
        .strip_prefix("wss://")
        .or_else(|| server_url.strip_prefix("https://"))
    {
        (true, r)
    } else {
        let r = server_url
            .strip_prefix("ws://")
            .or_else(|| server_url.strip_prefix("http://"))
            .ok_or_else(|| {
                ImError::invalid(format!(
                    "uploads need a ws://, wss://, http:// or https:// server URL, not {server_url:?}"
                ))
            })?;
        (false, r)
    };
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err(ImError::invalid(format!(
            "server URL {server_url:?} has no host"
        )));
    }
    Ok((tls, authority.to_owned()))
}

/// The host part of `host:port` (IPv6 in brackets kept whole).
fn host_of(authority: &str) -> &str {
    match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => &authority[..i],
        _ => authority,
    }
}

/// Percent reporting shared by the uploads of one message.
struct Progress {
    chat: Chat,
    message_id: String,
    total: u64,
    state: Mutex<(u64, u32)>,
}

impl Progress {
    fn add(&self, n: u64) {
        let pct = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            s.0 += n;
            // 100 is said only once everything is stored on the server.
            let pct = (s.0.saturating_mul(100))
                .checked_div(self.total)
                .map_or(99, |p| u32::try_from(p.min(99)).unwrap_or(99));
            if pct <= s.1 {
                return;
            }
            s.1 = pct;
            pct
        };
        self.emit(pct);
    }

    fn emit(&self, percent: u32) {
        self.chat.inner().emit(
            EVENT_UPLOAD_PROGRESS,
            json!({ "messageID": self.message_id, "percent": percent }),
        );
    }

    fn done(&self) {
        self.emit(100);
    }
}

/// One file of a message to upload.
struct Part {
    kind: FileKind,
    body: PartBody,
}

enum PartBody {
    File(PathBuf, u64),
    Bytes(Vec<u8>),
}

impl PartBody {
    fn len(&self) -> u64 {
        match self {
            PartBody::File(_, n) => *n,
            PartBody::Bytes(b) => b.len() as u64,
        }
    }
}

/// Uploads one part; returns what the server stored.
async fn upload(
    tls: Option<Arc<rustls::ClientConfig>>,
    authority: &str,
    app_id: u64,
    ticket: &str,
    part: Part,
    progress: Arc<Progress>,
) -> Result<UploadReply> {
    let fail = |what: String| ImError::new(part.kind.upload_fail_code(), what);
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| fail(format!("cannot reach the file service at {authority}: {e}")))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, driver) = match tls {
        Some(cfg) => {
            let name = crate::tls::server_name(host_of(authority))?;
            let stream = tokio_rustls::TlsConnector::from(cfg)
                .connect(name, stream)
                .await
                .map_err(|e| {
                    crate::tls::verification_error(&e, authority)
                        .unwrap_or_else(|| fail(format!("TLS with the file service: {e}")))
                })?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|e| fail(format!("file service handshake: {e}")))?;
            (sender, tokio::spawn(conn))
        }
        None => {
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|e| fail(format!("file service handshake: {e}")))?;
            (sender, tokio::spawn(conn))
        }
    };
    let len = part.body.len();
    type Chunk = std::result::Result<hyper::body::Frame<bytes::Bytes>, std::io::Error>;
    let body: http_body_util::combinators::BoxBody<bytes::Bytes, std::io::Error> = match part.body {
        PartBody::Bytes(b) => {
            let p = progress.clone();
            let chunks: Vec<Chunk> = b
                .chunks(UPLOAD_CHUNK)
                .map(|c| Ok(hyper::body::Frame::data(bytes::Bytes::copy_from_slice(c))))
                .collect();
            let s = futures_util::StreamExt::map(futures_util::stream::iter(chunks), move |c| {
                if let Ok(f) = &c {
                    p.add(f.data_ref().map_or(0, |d| d.len() as u64));
                }
                c
            });
            http_body_util::StreamBody::new(s).boxed()
        }
        PartBody::File(path, _) => {
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
            let p = progress.clone();
            let s = futures_util::stream::unfold((file, p), |(mut file, p)| async move {
                let mut buf = vec![0u8; UPLOAD_CHUNK];
                match file.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        p.add(n as u64);
                        let frame: Chunk = Ok(hyper::body::Frame::data(bytes::Bytes::from(buf)));
                        Some((frame, (file, p)))
                    }
                    Err(e) => Some((Err(e), (file, p))),
                }
            });
            http_body_util::StreamBody::new(s).boxed()
        }
    };
    let req = hyper::Request::post(format!("{FILES_PATH}/{app_id}/{}", part.kind.as_str()))
        .header(hyper::header::HOST, authority)
        .header(TICKET_HEADER, ticket)
        .header(hyper::header::CONTENT_LENGTH, len)
        .body(body)
        .map_err(|e| fail(format!("bad upload request: {e}")))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| fail(format!("upload failed: {e}")))?;
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| fail(format!("upload reply: {e}")))?
        .to_bytes();
    driver.abort();
    if !status.is_success() {
        // The service answers errors as {code, message}; keep its code (size, type limits).
        let e: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let code = e
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(part.kind.upload_fail_code());
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("upload refused with HTTP {status}"));
        return Err(ImError::new(code, message));
    }
    serde_json::from_slice(&bytes).map_err(|e| fail(format!("bad upload reply: {e}")))
}

/// Encodes a rendition of `img` fitting in `side`×`side` as JPEG.
fn rendition(img: &image::DynamicImage, side: u32) -> Result<(Vec<u8>, u32, u32)> {
    let small = img.thumbnail(side, side).to_rgb8();
    let (w, h) = small.dimensions();
    let mut out = std::io::Cursor::new(Vec::new());
    small
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .map_err(|e| {
            ImError::new(
                fcode::MSG_I_TYPES_LIMIT,
                format!("cannot encode a rendition: {e}"),
            )
        })?;
    Ok((out.into_inner(), w, h))
}

/// The big and small renditions of an image file, each `(bytes or the original, width, height)`;
/// an image already small enough is its own rendition.
type Rendition = (Option<Vec<u8>>, u32, u32);

fn renditions(path: &Path, w: u32, h: u32) -> Result<(Rendition, Rendition)> {
    let img = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| ImError::new(fcode::MSG_I_TYPES_LIMIT, e.to_string()))?
        .decode()
        .map_err(|e| {
            ImError::new(
                fcode::MSG_I_TYPES_LIMIT,
                format!("{} cannot be decoded as an image: {e}", path.display()),
            )
        })?;
    let make = |side: u32| -> Result<Rendition> {
        if w.max(h) <= side {
            Ok((None, w, h))
        } else {
            let (b, rw, rh) = rendition(&img, side)?;
            Ok((Some(b), rw, rh))
        }
    };
    Ok((make(BIG_IMAGE_SIDE)?, make(SMALL_IMAGE_SIDE)?))
}

impl Chat {
    /// Turns `payload.file` (path, `{path}` or `{base64}`) into a local file.
    fn file_source(&self, kind: FileKind, method: &str, payload: &Value) -> Result<Source> {
        let missing = |why: &str| ImError::new(missing_code(kind), format!("{method}: {why}"));
        let file = payload.get("file").unwrap_or(&Value::Null);
        let field = |k: &str| file.get(k).or_else(|| payload.get(k));
        let duration = field("duration").and_then(Value::as_f64);
        let poster = field("poster").cloned().filter(|v| !v.is_null());
        let given_name = field("name")
            .or_else(|| field("fileName"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let path = match file {
            Value::String(p) if !p.is_empty() => PathBuf::from(p),
            Value::Object(o) => {
                if let Some(p) = o
                    .get("path")
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
                {
                    PathBuf::from(p)
                } else if let Some(b) = o.get("base64").and_then(Value::as_str) {
                    self.stash_bytes(kind, method, b)?
                } else {
                    return Err(missing("payload.file needs path or base64"));
                }
            }
            _ => {
                return Err(missing(
                    "payload.file must be a file path, {path} or {base64}",
                ))
            }
        };
        let name = given_name.unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into())
        });
        Ok(Source {
            path,
            name,
            duration,
            poster,
        })
    }

    /// Writes base64 bytes to `<data_dir>/outbox/<sha256>` so the message carries a path.
    fn stash_bytes(&self, kind: FileKind, method: &str, b64: &str) -> Result<PathBuf> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| {
                ImError::new(
                    missing_code(kind),
                    format!("{method}: payload.file.base64: {e}"),
                )
            })?;
        if bytes.len() as u64 > kind.max_bytes() {
            return Err(too_large(kind, bytes.len() as u64));
        }
        let dir = self.options().data_dir.join("outbox");
        let path = dir.join(hex(&Sha256::digest(&bytes)));
        std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&path, &bytes))
            .map_err(|e| ImError::internal(format!("cannot keep the file to send: {e}")))?;
        Ok(path)
    }

    /// Checks a local file for `kind`: readable, not empty, within the limit; its size.
    fn check_file(&self, kind: FileKind, method: &str, path: &Path) -> Result<u64> {
        let meta = std::fs::metadata(path).map_err(|e| {
            ImError::new(
                missing_code(kind),
                format!("{method}: cannot read {}: {e}", path.display()),
            )
        })?;
        if !meta.is_file() {
            return Err(ImError::new(
                missing_code(kind),
                format!("{method}: {} is not a file", path.display()),
            ));
        }
        if meta.len() == 0 {
            return Err(ImError::new(
                fcode::MSG_F_IS_EMPTY,
                format!("{method}: {} is empty", path.display()),
            ));
        }
        if meta.len() > kind.max_bytes() {
            return Err(too_large(kind, meta.len()));
        }
        Ok(meta.len())
    }

    /// Implements `createImageMessage`, `createAudioMessage`, `createVideoMessage` and
    /// `createFileMessage`: checks the file and returns an `unSend` message holding its path.
    pub fn create_media_message(&self, method: &str, options: Value) -> Result<Message> {
        let (kind, msg_type) = kind_of(method)
            .ok_or_else(|| ImError::invalid(format!("{method} is not a media method")))?;
        let mut options = options;
        let payload = options
            .get_mut("payload")
            .map(Value::take)
            .filter(Value::is_object)
            .ok_or_else(|| {
                ImError::new(
                    missing_code(kind),
                    format!("{method}: payload.file is required"),
                )
            })?;
        let src = self.file_source(kind, method, &payload)?;
        let size = self.check_file(kind, method, &src.path)?;
        let path = src.path.to_string_lossy().into_owned();
        let mut local = json!({ "path": path, "name": src.name, "size": size });
        let payload = match kind {
            FileKind::Image => {
                let (format, w, h) = probe_image(&src.path)?;
                local["width"] = json!(w);
                local["height"] = json!(h);
                json!({
                    "uuid": "",
                    "imageFormat": image_format_number(format),
                    "imageInfoArray": [],
                    "localFile": local,
                })
            }
            FileKind::Audio => {
                // The seed's Web File.duration is milliseconds.
                let second = src
                    .duration
                    .map_or(0, |ms| (ms / 1000.0).round().max(0.0) as u64);
                local["second"] = json!(second);
                json!({ "uuid": "", "url": "", "size": size, "second": second, "localFile": local })
            }
            FileKind::Video => {
                let second = src.duration.map_or(0, |s| s.round().max(0.0) as u64);
                local["second"] = json!(second);
                if let Some(p) = &src.poster {
                    let poster =
                        self.file_source(FileKind::Image, method, &json!({ "file": p }))?;
                    self.check_file(FileKind::Image, method, &poster.path)?;
                    probe_image(&poster.path)?;
                    local["poster"] = json!(poster.path.to_string_lossy());
                }
                let ext = src
                    .path
                    .extension()
                    .map(|e| e.to_string_lossy().to_lowercase())
                    .unwrap_or_else(|| "mp4".into());
                json!({
                    "videoFormat": ext, "videoSecond": second, "videoSize": size, "videoUrl": "",
                    "videoUUID": "", "thumbUrl": "", "localFile": local,
                })
            }
            FileKind::File => json!({
                "uuid": "", "fileName": src.name, "fileSize": size, "fileUrl": "", "localFile": local,
            }),
        };
        options["payload"] = json!({ "text": "" });
        let mut m = self.create_text_message(options)?;
        m.kind = msg_type.to_owned();
        m.payload = payload;
        Ok(m)
    }

    /// Uploads the local files of a media message before it is sent and puts their URLs in
    /// the payload; nothing for other kinds.
    pub(crate) async fn prepare_outgoing(&self, m: &mut Message) -> Result<()> {
        let Some(local) = m.payload.get("localFile").cloned() else {
            return Ok(());
        };
        let Some(kind) = [
            (types::MSG_IMAGE, FileKind::Image),
            (types::MSG_AUDIO, FileKind::Audio),
            (types::MSG_VIDEO, FileKind::Video),
            (types::MSG_FILE, FileKind::File),
        ]
        .iter()
        .find(|(t, _)| *t == m.kind)
        .map(|(_, k)| *k) else {
            return Ok(());
        };
        match self.upload_media(m, kind, &local).await {
            Ok(payload) => {
                m.payload = payload;
                Ok(())
            }
            Err(e) => {
                // Nothing went out: the message is `fail` with its local file, ready for resend.
                m.status = status::FAIL.to_owned();
                if let Some(c) = self.inner().lock_state().cache.as_mut() {
                    if let Err(ce) = c.put_messages(std::slice::from_ref(m)) {
                        tracing::warn!(error = %ce, "could not cache a failed media message");
                    }
                }
                Err(e.with_data(json!({ "message": m })))
            }
        }
    }

    async fn upload_media(&self, m: &Message, kind: FileKind, local: &Value) -> Result<Value> {
        let path = PathBuf::from(local.get("path").and_then(Value::as_str).unwrap_or(""));
        let size = self.check_file(kind, "sendMessage", &path)?;
        let name = local
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("file")
            .to_owned();
        let second = local.get("second").and_then(Value::as_u64).unwrap_or(0);
        // The node this session is connected to: with several addresses, the first one may be
        // the node that is down.
        let (https, authority) = http_base(self.inner().current_server_url())?;
        let tls = if https {
            Some(crate::tls::client_config(self.ca_file())?)
        } else {
            None
        };
        let app_id = self.options().sdk_app_id;

        // Work out every part first, so the percentages cover all of them.
        let mut parts: Vec<Part> = Vec::new();
        let mut image_dims = (0u32, 0u32, (0u32, 0u32), (0u32, 0u32));
        let mut poster_dims = None;
        match kind {
            FileKind::Image => {
                let (_, w, h) = probe_image(&path)?;
                let p = path.clone();
                let (big, small) = tokio::task::spawn_blocking(move || renditions(&p, w, h))
                    .await
                    .map_err(|e| ImError::internal(e.to_string()))??;
                image_dims = (w, h, (big.1, big.2), (small.1, small.2));
                parts.push(Part {
                    kind,
                    body: PartBody::File(path.clone(), size),
                });
                for r in [big, small] {
                    parts.push(Part {
                        kind,
                        body: match r.0 {
                            Some(b) => PartBody::Bytes(b),
                            None => PartBody::File(path.clone(), size),
                        },
                    });
                }
            }
            FileKind::Video => {
                parts.push(Part {
                    kind,
                    body: PartBody::File(path.clone(), size),
                });
                if let Some(poster) = local.get("poster").and_then(Value::as_str) {
                    let pp = PathBuf::from(poster);
                    let psize = self.check_file(FileKind::Image, "sendMessage", &pp)?;
                    let (fmt, w, h) = probe_image(&pp)?;
                    poster_dims = Some((fmt, w, h, psize));
                    parts.push(Part {
                        kind: FileKind::Image,
                        body: PartBody::File(pp, psize),
                    });
                }
            }
            FileKind::Audio | FileKind::File => {
                parts.push(Part {
                    kind,
                    body: PartBody::File(path.clone(), size),
                });
            }
        }

        let conn = self.inner().online()?;
        let ticket = conn.call(&UploadTicket {}).await?.ticket;
        let progress = Arc::new(Progress {
            chat: self.clone(),
            message_id: m.id.clone(),
            total: parts.iter().map(|p| p.body.len()).sum(),
            state: Mutex::new((0, 0)),
        });
        progress.emit(0);
        let mut stored = Vec::new();
        for part in parts {
            stored.push(
                upload(
                    tls.clone(),
                    &authority,
                    app_id,
                    &ticket,
                    part,
                    progress.clone(),
                )
                .await?,
            );
        }
        progress.done();

        let first = stored
            .first()
            .ok_or_else(|| ImError::internal("nothing was uploaded"))?;
        let payload = match kind {
            FileKind::Image => {
                let (w, h, big, small) = image_dims;
                let dims = [(w, h), big, small];
                let kinds = [IMAGE_TYPE_ORIGINAL, IMAGE_TYPE_BIG, IMAGE_TYPE_SMALL];
                let infos: Vec<Value> = stored
                    .iter()
                    .zip(dims.iter().zip(kinds))
                    .map(|(r, ((w, h), ty))| {
                        json!({ "type": ty, "url": r.url, "width": w, "height": h, "size": r.size })
                    })
                    .collect();
                json!({
                    "uuid": first.sha256,
                    "imageFormat": m.payload.get("imageFormat").cloned().unwrap_or(json!(255)),
                    "imageInfoArray": infos,
                })
            }
            FileKind::Audio => json!({
                "uuid": first.sha256, "url": first.url, "remoteAudioUrl": first.url,
                "size": first.size, "second": second, "downloadFlag": 2,
            }),
            FileKind::Video => {
                let mut p = json!({
                    "videoFormat": m.payload.get("videoFormat").cloned().unwrap_or(json!("mp4")),
                    "videoSecond": second, "videoSize": first.size, "videoUrl": first.url,
                    "remoteVideoUrl": first.url, "videoUUID": first.sha256, "videoDownloadFlag": 2,
                    "thumbUrl": "", "snapshotUrl": "", "thumbUUID": "", "thumbWidth": 0,
                    "thumbHeight": 0, "thumbSize": 0, "thumbFormat": "", "thumbDownloadFlag": 2,
                });
                if let (Some(t), Some((fmt, w, h, _))) = (stored.get(1), poster_dims) {
                    p["thumbUrl"] = json!(t.url);
                    p["snapshotUrl"] = json!(t.url);
                    p["thumbUUID"] = json!(t.sha256);
                    p["thumbWidth"] = json!(w);
                    p["thumbHeight"] = json!(h);
                    p["thumbSize"] = json!(t.size);
                    p["thumbFormat"] = json!(fmt.extensions_str().first().copied().unwrap_or(""));
                }
                p
            }
            FileKind::File => json!({
                "uuid": first.sha256, "fileName": name, "fileSize": first.size,
                "fileUrl": first.url, "downloadFlag": 2,
            }),
        };
        Ok(payload)
    }

    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_files(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        kind_of(method)?;
        let options = args.get_mut(0).map(Value::take).unwrap_or(Value::Null);
        Some(
            self.create_media_message(method, options).and_then(|m| {
                serde_json::to_value(m).map_err(|e| ImError::internal(e.to_string()))
            }),
        )
    }
}

fn too_large(kind: FileKind, size: u64) -> ImError {
    ImError::new(
        kind.size_limit_code(),
        format!(
            "{} is {size} bytes; {} files are limited to {} MB",
            kind.as_str(),
            kind.as_str(),
            kind.max_bytes() / (1024 * 1024)
        ),
    )
}
