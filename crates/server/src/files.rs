//! Media: the file service (upload, download, Range) and image, audio, video and file messages (issue 3).
//!
//! - `POST|PUT /files/{SDKAppID}/{kind}` (kind: image, audio, video, file) stores the body.
//!   The uploader authenticates with an upload ticket (`X-Pigeon-Ticket`, from the `uploadTicket`
//!   op of a logged-in session) or with `X-Pigeon-User` + `X-Pigeon-UserSig`. The body streams
//!   to a staging file while it is hashed; over the kind's limit the upload stops with the
//!   kind's SIZE_LIMIT code. Images and videos must look like one (magic bytes).
//! - `GET /files/{SDKAppID}/{sha256}` serves a stored file to anyone holding its URL, with
//!   single Range requests (206/416). Another app's ID or anything that is not a hash is 404.
//!
//! Content is addressed by its SHA-256: the same bytes are stored once, and a retried upload
//! stores nothing new. Blobs sit behind [`BlobStore`]: on the local disk with SQLite
//! ([`DiskBlobs`]), in the database with PostgreSQL ([`DbBlobs`], so every node of a cluster
//! serves every file); their metadata rows behind [`FileStore`]. A blob is only served once its
//! row exists, and the row is written after the blob is in place, so a failed upload leaves
//! nothing visible.

use crate::db::{params, Dialect, Exec, OptionalExtension};
use crate::store::Store;
use crate::{AppState, Caller};
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt as _;
use hmac::{Hmac, Mac};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::files::{
    code as fcode, is_sha256_hex, parse_file_url, FileKind, UploadReply, UploadTicket,
    UploadTicketReply, FILES_PATH, TICKET_HEADER, USERSIG_HEADER, USER_HEADER,
};
use pigeon_proto::model::Message;
use pigeon_proto::wire::Op;
use pigeon_proto::ImError;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long an upload ticket is accepted.
const TICKET_TTL_SECS: u64 = 600;

/// Bytes read per chunk when serving a file.
const READ_CHUNK: usize = 256 * 1024;

/// Bytes kept from the start of an upload to detect its type.
const SNIFF_BYTES: usize = 8 * 1024;

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(
    st: &AppState,
    c: &Caller,
    op: &str,
    data: &Value,
) -> Option<Result<Value, ImError>> {
    match op {
        UploadTicket::NAME => Some(UploadTicket::parse(data.clone()).and_then(|_| {
            let expires_at = crate::now() + TICKET_TTL_SECS;
            let reply = UploadTicketReply {
                ticket: make_ticket(st, &c.user_id, expires_at)?,
                expires_at,
            };
            serde_json::to_value(reply)
                .map_err(|e| ImError::new(code::SERVER_INTERNAL, e.to_string()))
        })),
        _ => None,
    }
}

fn mac(st: &AppState, user: &str, expires_at: u64) -> Result<Hmac<Sha256>, ImError> {
    // HMAC takes keys of any length, so this error is not expected.
    let mut m = Hmac::<Sha256>::new_from_slice(st.creds.secret_key.as_bytes())
        .map_err(|e| ImError::new(code::SERVER_INTERNAL, e.to_string()))?;
    m.update(
        format!(
            "pigeon-upload\n{}\n{user}\n{expires_at}",
            st.creds.sdk_app_id
        )
        .as_bytes(),
    );
    Ok(m)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// `<expires_at>.<hex userID>.<hex HMAC>`: the user is inside, so the upload needs nothing else.
fn make_ticket(st: &AppState, user: &str, expires_at: u64) -> Result<String, ImError> {
    let sig = mac(st, user, expires_at)?.finalize().into_bytes();
    Ok(format!(
        "{expires_at}.{}.{}",
        hex(user.as_bytes()),
        hex(&sig)
    ))
}

/// Splits an upload ticket into its expiry, userID and MAC; None when it is not one.
pub fn parse_ticket(ticket: &str) -> Option<(u64, String, Vec<u8>)> {
    let mut parts = ticket.split('.');
    let (Some(exp), Some(user), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let exp: u64 = exp.parse().ok()?;
    let user = unhex(user).and_then(|b| String::from_utf8(b).ok())?;
    let sig = unhex(sig)?;
    Some((exp, user, sig))
}

fn check_ticket(st: &AppState, ticket: &str) -> Result<String, ImError> {
    let bad = || ImError::new(code::USERSIG_MALFORMED, "upload ticket is malformed");
    let (exp, user, sig) = parse_ticket(ticket).ok_or_else(bad)?;
    mac(st, &user, exp)?.verify_slice(&sig).map_err(|_| {
        ImError::new(
            code::USERSIG_BAD_SIGNATURE,
            "upload ticket signature is wrong",
        )
    })?;
    if exp < crate::now() {
        return Err(ImError::new(
            code::USERSIG_EXPIRED,
            "upload ticket has expired",
        ));
    }
    Ok(user)
}

/// Who is uploading: a ticket, or a userID with its UserSig.
fn authenticate(st: &AppState, headers: &HeaderMap) -> Result<String, ImError> {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(t) = h(TICKET_HEADER) {
        return check_ticket(st, t);
    }
    match (h(USER_HEADER), h(USERSIG_HEADER)) {
        (Some(user), Some(sig)) => {
            crate::usersig::verify(
                sig,
                st.creds.sdk_app_id,
                &st.creds.secret_key,
                user,
                crate::now(),
            )
            .map_err(|e| ImError::new(e.code(), format!("UserSig refused: {e}")))?;
            Ok(user.to_owned())
        }
        _ => Err(ImError::new(
            code::NO_USERSIG,
            format!("uploads need {TICKET_HEADER}, or {USER_HEADER} and {USERSIG_HEADER}"),
        )),
    }
}

fn nonempty_str(p: &Value, key: &str) -> bool {
    p.get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
}

fn is_num(p: &Value, key: &str) -> bool {
    p.get(key)
        .is_some_and(|v| v.as_f64().is_some_and(|n| n >= 0.0))
}

fn file_url(p: &Value, key: &str) -> Result<(), ImError> {
    let url = p.get(key).and_then(Value::as_str).unwrap_or("");
    if parse_file_url(url).is_none() {
        return Err(ImError::new(
            fcode::MSG_F_URL_IS_EMPTY,
            format!("payload.{key} must be a file URL of this server (got {url:?}); upload the file first"),
        ));
    }
    Ok(())
}

fn bad_payload(kind: &str, what: &str) -> ImError {
    ImError::new(
        code::SERVER_INVALID_PARAM,
        format!("{kind} payload: {what}"),
    )
}

/// Checks the payload of a media message kind (image, audio, video, file); None for kinds
/// that are not media.
pub fn check_payload(m: &Message) -> Option<Result<(), ImError>> {
    let p = &m.payload;
    let kind = m.kind.as_str();
    if ![
        types::MSG_IMAGE,
        types::MSG_AUDIO,
        types::MSG_VIDEO,
        types::MSG_FILE,
    ]
    .contains(&kind)
    {
        return None;
    }
    Some((|| {
        if !p.is_object() {
            return Err(bad_payload(kind, "must be an object"));
        }
        if p.get("localFile").is_some() {
            // A local path must never reach other users: the SDK uploads and drops it first.
            return Err(bad_payload(
                kind,
                "still carries a local file; it was not uploaded",
            ));
        }
        match kind {
            types::MSG_IMAGE => {
                let list = p
                    .get("imageInfoArray")
                    .and_then(Value::as_array)
                    .filter(|l| !l.is_empty() && l.len() <= 3)
                    .ok_or_else(|| bad_payload(kind, "imageInfoArray must hold 1 to 3 entries"))?;
                for info in list {
                    file_url(info, "url")?;
                    let ty = info.get("type").and_then(Value::as_u64);
                    if !(is_num(info, "width")
                        && is_num(info, "height")
                        && is_num(info, "size")
                        && ty.is_some_and(|t| t <= 2))
                    {
                        return Err(bad_payload(
                            kind,
                            "each imageInfoArray entry needs url, width, height, size and type 0..2",
                        ));
                    }
                }
            }
            types::MSG_AUDIO => {
                file_url(p, "url")?;
                if !(is_num(p, "second") && is_num(p, "size")) {
                    return Err(bad_payload(kind, "second and size must be numbers"));
                }
            }
            types::MSG_VIDEO => {
                file_url(p, "videoUrl")?;
                if nonempty_str(p, "thumbUrl") {
                    file_url(p, "thumbUrl")?;
                }
                if !(is_num(p, "videoSecond") && is_num(p, "videoSize")) {
                    return Err(bad_payload(
                        kind,
                        "videoSecond and videoSize must be numbers",
                    ));
                }
            }
            _ => {
                file_url(p, "fileUrl")?;
                if !(nonempty_str(p, "fileName") && is_num(p, "fileSize")) {
                    return Err(bad_payload(kind, "fileName and fileSize are required"));
                }
            }
        }
        Ok(())
    })())
}

/// What is known about a stored file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileMeta {
    /// Bytes.
    pub size: u64,
    /// Detected MIME type.
    pub mime: String,
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait FileStore {
    /// Records a stored blob (once per app and hash; later uploads of the same bytes keep the
    /// first row).
    #[allow(clippy::too_many_arguments)]
    fn record_file(
        &self,
        app_id: u64,
        sha256: &str,
        kind: &str,
        size: u64,
        mime: &str,
        uploader: &str,
        time: u64,
    ) -> crate::store::Result<()>;

    /// The metadata of a stored blob, if it was recorded.
    fn file_meta(&self, app_id: u64, sha256: &str) -> crate::store::Result<Option<FileMeta>>;

    /// The engine underneath: it decides where blobs live ([`blob_store`]).
    fn file_dialect(&self) -> Dialect;

    /// Stores the content of `staged` as blob chunks of [`BLOB_CHUNK`] bytes, all in one
    /// transaction, so a reader sees the whole blob or none of it. A blob already stored is
    /// kept; returns whether this one was new.
    fn put_blob(&self, app_id: u64, sha256: &str, staged: &Path) -> crate::store::Result<bool>;

    /// Up to `len` bytes of chunk `index` of a stored blob from byte `offset` within it; None
    /// when there is no such chunk.
    fn blob_piece(
        &self,
        app_id: u64,
        sha256: &str,
        index: u64,
        offset: usize,
        len: usize,
    ) -> crate::store::Result<Option<Vec<u8>>>;
}

impl FileStore for crate::store::SqliteStore {
    fn record_file(
        &self,
        app_id: u64,
        sha256: &str,
        kind: &str,
        size: u64,
        mime: &str,
        uploader: &str,
        time: u64,
    ) -> crate::store::Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT OR IGNORE INTO files (app_id, sha256, kind, size, mime, uploader, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    app_id as i64,
                    sha256,
                    kind,
                    size as i64,
                    mime,
                    uploader,
                    time as i64
                ],
            )?;
            Ok(())
        })
    }

    fn file_meta(&self, app_id: u64, sha256: &str) -> crate::store::Result<Option<FileMeta>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT size, mime FROM files WHERE app_id = ?1 AND sha256 = ?2",
                    params![app_id as i64, sha256],
                    |r| {
                        Ok(FileMeta {
                            size: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                            mime: r.get(1)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn file_dialect(&self) -> Dialect {
        self.dialect()
    }

    fn put_blob(&self, app_id: u64, sha256: &str, staged: &Path) -> crate::store::Result<bool> {
        let io = |e: std::io::Error| {
            crate::db::Error::Other(format!("reading {}: {e}", staged.display()))
        };
        let app = i64::try_from(app_id).map_err(|e| crate::db::Error::Other(e.to_string()))?;
        self.with(|conn| {
            let tx = conn.transaction()?;
            // Chunk 0 exists only in a committed, hence complete, blob.
            let stored = tx
                .prepare_cached(
                    "SELECT 1 FROM blob_chunks WHERE app_id = ?1 AND sha256 = ?2 AND idx = 0",
                )?
                .exists(params![app, sha256])?;
            if stored {
                return Ok(false);
            }
            // Read afresh on every run: a transaction that lost a race runs again from here.
            let mut file = std::fs::File::open(staged).map_err(io)?;
            let mut buf = vec![0u8; BLOB_CHUNK];
            let mut index: i64 = 0;
            loop {
                let n = read_full(&mut file, &mut buf).map_err(io)?;
                if n == 0 {
                    break;
                }
                // A concurrent upload of the same bytes blocks here on the key until the first
                // commits, then skips: both leave one whole blob.
                tx.execute(
                    "INSERT OR IGNORE INTO blob_chunks (app_id, sha256, idx, data)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![app, sha256, index, &buf[..n]],
                )?;
                index += 1;
                if n < BLOB_CHUNK {
                    break;
                }
            }
            tx.commit()?;
            Ok(true)
        })
    }

    fn blob_piece(
        &self,
        app_id: u64,
        sha256: &str,
        index: u64,
        offset: usize,
        len: usize,
    ) -> crate::store::Result<Option<Vec<u8>>> {
        let int = |v: u64| i64::try_from(v).map_err(|e| crate::db::Error::Other(e.to_string()));
        let (app, index) = (int(app_id)?, int(index)?);
        // substr() counts bytes of a blob from 1 in both engines; on PostgreSQL (EXTERNAL
        // storage) it fetches only the slice asked for.
        let (from, len) = (int(offset as u64 + 1)?, int(len as u64)?);
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT substr(data, ?4, ?5) FROM blob_chunks
                     WHERE app_id = ?1 AND sha256 = ?2 AND idx = ?3",
                    params![app, sha256, index, from, len],
                    |r| r.get::<_, Vec<u8>>(0),
                )
                .optional()?)
        })
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read as _;
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A stored blob's bytes (or part of them), streamed to a response body.
pub type BlobStream = futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>;

/// Where blobs live. Keys come only from an app ID number and a validated hash, so nothing a
/// client sends can point outside the store. The methods block (disk or database I/O): call
/// them off the async workers.
pub trait BlobStore: Send + Sync {
    /// A new, empty staging file for an upload in progress (always on the local disk).
    fn staging_path(&self) -> std::io::Result<PathBuf>;
    /// Takes a complete staged file in under its hash; a blob already there is kept and the
    /// staged copy dropped.
    fn commit(&self, app_id: u64, sha256: &str, staged: &Path) -> std::io::Result<()>;
    /// Bytes `start..start + len` of a stored blob as a stream; None when it is not stored.
    fn open(
        &self,
        app_id: u64,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> std::io::Result<Option<BlobStream>>;
}

/// The blob store of this server: in the database when it is PostgreSQL (every node of a
/// cluster then serves every file), else on the local disk under the data dir.
pub fn blob_store(store: &Arc<dyn Store>, data_dir: &Path) -> Arc<dyn BlobStore> {
    let files = data_dir.join("files");
    match store.file_dialect() {
        Dialect::Sqlite => Arc::new(DiskBlobs::new(files)),
        Dialect::Postgres => Arc::new(DbBlobs::new(store.clone(), files)),
    }
}

fn short_blob() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "blob shorter than recorded",
    )
}

fn new_staging_path(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join("tmp");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join(format!("{:032x}.part", rand::random::<u128>())))
}

/// Blobs on the local disk: `<root>/<SDKAppID>/<hash[..2]>/<hash>`, staging in `<root>/tmp`.
pub struct DiskBlobs {
    root: PathBuf,
}

impl DiskBlobs {
    /// Blobs under `root`.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, app_id: u64, sha256: &str) -> Option<PathBuf> {
        if !is_sha256_hex(sha256) {
            return None;
        }
        Some(
            self.root
                .join(app_id.to_string())
                .join(&sha256[..2])
                .join(sha256),
        )
    }
}

impl BlobStore for DiskBlobs {
    fn staging_path(&self) -> std::io::Result<PathBuf> {
        new_staging_path(&self.root)
    }

    fn commit(&self, app_id: u64, sha256: &str, staged: &Path) -> std::io::Result<()> {
        let dest = self
            .path(app_id, sha256)
            .ok_or_else(|| std::io::Error::other("not a sha256 hash"))?;
        if dest.exists() {
            let _ = std::fs::remove_file(staged);
            return Ok(());
        }
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Same filesystem, so the rename is atomic: readers see all of the blob or none.
        std::fs::rename(staged, &dest)
    }

    fn open(
        &self,
        app_id: u64,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> std::io::Result<Option<BlobStream>> {
        let Some(path) = self.path(app_id, sha256).filter(|p| p.is_file()) else {
            return Ok(None);
        };
        let mut file = std::fs::File::open(&path)?;
        if start > 0 {
            std::io::Seek::seek(&mut file, SeekFrom::Start(start))?;
        }
        let file = tokio::fs::File::from_std(file);
        let stream = futures_util::stream::unfold((file, len), |(mut file, left)| async move {
            if left == 0 {
                return None;
            }
            let want = usize::try_from(left).unwrap_or(READ_CHUNK).min(READ_CHUNK);
            let mut buf = vec![0u8; want];
            match file.read(&mut buf).await {
                Ok(0) => Some((Err(short_blob()), (file, 0))),
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), (file, left - n as u64)))
                }
                Err(e) => Some((Err(e), (file, 0))),
            }
        });
        Ok(Some(stream.boxed()))
    }
}

/// Bytes per stored chunk of a blob in the database. Never change it: stored blobs are
/// addressed by it (chunk `i` holds bytes `i * BLOB_CHUNK ..`).
pub const BLOB_CHUNK: usize = 1024 * 1024;

/// Blobs in the store's database (`blob_chunks`, [`BLOB_CHUNK`] bytes a row), shared by every
/// node on the same PostgreSQL; uploads are staged in `<root>/tmp` on the local disk first.
/// A download holds one chunk in memory at a time, and a Range read fetches only its chunks.
pub struct DbBlobs {
    store: Arc<dyn Store>,
    root: PathBuf,
}

impl DbBlobs {
    /// Blobs in `store`, staging under `root`.
    pub fn new(store: Arc<dyn Store>, root: PathBuf) -> Self {
        Self { store, root }
    }
}

/// Reads the piece of a blob in the database that starts at byte `pos`: up to the end of its
/// chunk, at most `left` bytes. An error when the chunk is missing or short.
fn db_piece(
    store: &dyn Store,
    app_id: u64,
    sha256: &str,
    pos: u64,
    left: u64,
) -> std::io::Result<Bytes> {
    let chunk = BLOB_CHUNK as u64;
    let (index, offset) = (pos / chunk, pos % chunk);
    let want = left.min(chunk - offset);
    let piece = store
        .blob_piece(app_id, sha256, index, offset as usize, want as usize)
        .map_err(std::io::Error::other)?
        .ok_or_else(short_blob)?;
    if piece.len() as u64 != want {
        return Err(short_blob());
    }
    Ok(Bytes::from(piece))
}

impl BlobStore for DbBlobs {
    fn staging_path(&self) -> std::io::Result<PathBuf> {
        new_staging_path(&self.root)
    }

    fn commit(&self, app_id: u64, sha256: &str, staged: &Path) -> std::io::Result<()> {
        if !is_sha256_hex(sha256) {
            return Err(std::io::Error::other("not a sha256 hash"));
        }
        self.store
            .put_blob(app_id, sha256, staged)
            .map_err(std::io::Error::other)?;
        let _ = std::fs::remove_file(staged);
        Ok(())
    }

    fn open(
        &self,
        app_id: u64,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> std::io::Result<Option<BlobStream>> {
        if !is_sha256_hex(sha256) {
            return Ok(None);
        }
        if len == 0 {
            return Ok(Some(futures_util::stream::empty().boxed()));
        }
        // The first piece now: it tells a stored blob from a missing one before any header is
        // sent, and it is needed anyway.
        let first = match db_piece(self.store.as_ref(), app_id, sha256, start, len) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        };
        let next = start + first.len() as u64;
        let left = len - first.len() as u64;
        let (store, sha) = (self.store.clone(), sha256.to_owned());
        let rest = futures_util::stream::unfold(
            (store, sha, next, left),
            move |(store, sha, pos, left)| async move {
                if left == 0 {
                    return None;
                }
                // One chunk per step, fetched off the async workers; the next is asked for
                // only once the body has taken this one.
                let (s, h) = (store.clone(), sha.clone());
                let piece = tokio::task::spawn_blocking(move || {
                    db_piece(s.as_ref(), app_id, &h, pos, left)
                })
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r);
                match piece {
                    Ok(p) => {
                        let n = p.len() as u64;
                        Some((Ok(p), (store, sha, pos + n, left - n)))
                    }
                    Err(e) => Some((Err(e), (store, sha, pos, 0))),
                }
            },
        );
        Ok(Some(
            futures_util::stream::once(async move { Ok(first) })
                .chain(rest)
                .boxed(),
        ))
    }
}

/// Removes the staging files a killed process left behind (an upload cut off by SIGKILL or a
/// power loss never reaches its cleanup). Call at startup, before any upload can be staging;
/// returns how many were removed.
pub fn clear_staging(data_dir: &Path) -> usize {
    let dir = data_dir.join("files").join("tmp");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "part"))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

fn blobs(st: &AppState) -> Arc<dyn BlobStore> {
    blob_store(&st.store, &st.config.data_dir)
}

/// The HTTP routes of the file service, merged into the gateway's router.
pub fn router() -> axum::Router<Arc<AppState>> {
    axum::Router::new().route(
        &format!("{FILES_PATH}/{{app}}/{{name}}"),
        get(download).post(upload).put(upload),
    )
}

fn http_error(status: StatusCode, e: ImError) -> Response {
    (
        status,
        axum::Json(json!({ "code": e.code, "message": e.message })),
    )
        .into_response()
}

fn not_found() -> Response {
    http_error(
        StatusCode::NOT_FOUND,
        ImError::new(code::SERVER_INVALID_PARAM, "no such file"),
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "file service failure");
    http_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        ImError::new(code::SERVER_INTERNAL, "internal file storage error"),
    )
}

fn detect_mime(head: &[u8]) -> &'static str {
    infer::get(head).map_or("application/octet-stream", |t| t.mime_type())
}

/// Whether the content fits the kind: images must be png/jpeg/gif/webp/bmp (what the SDK and
/// browsers render), videos a recognised container.
fn check_type(kind: FileKind, head: &[u8]) -> Result<(), ImError> {
    match kind {
        FileKind::Image => {
            let mime = detect_mime(head);
            if [
                "image/png",
                "image/jpeg",
                "image/gif",
                "image/webp",
                "image/bmp",
            ]
            .contains(&mime)
            {
                Ok(())
            } else {
                Err(ImError::new(
                    fcode::MSG_I_TYPES_LIMIT,
                    format!("not a supported image (detected {mime}); send png, jpeg, gif or webp"),
                ))
            }
        }
        FileKind::Video => {
            if infer::get(head).is_some_and(|t| t.matcher_type() == infer::MatcherType::Video) {
                Ok(())
            } else {
                Err(ImError::new(
                    fcode::MSG_V_TYPES_LIMIT,
                    format!("not a recognised video (detected {})", detect_mime(head)),
                ))
            }
        }
        FileKind::Audio | FileKind::File => Ok(()),
    }
}

/// The largest upload of `kind`: its own cap, lowered by `[limits] max_upload_bytes`.
pub fn upload_limit(kind: FileKind, limits: &crate::limits::LimitsConfig) -> u64 {
    kind.max_bytes().min(limits.max_upload_bytes)
}

fn too_large(kind: FileKind, limit: u64) -> Response {
    let shown = if limit >= 1024 * 1024 {
        format!("{} MB", limit / (1024 * 1024))
    } else {
        format!("{limit} bytes")
    };
    http_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        ImError::new(
            kind.size_limit_code(),
            format!("{} uploads are limited to {shown}", kind.as_str()),
        ),
    )
}

/// What an upload URL's `{app}/{name}` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadPath {
    /// An upload of this kind to this app.
    Kind(FileKind),
    /// Another app's ID (or none): 404, as if nothing were there.
    OtherApp,
    /// This app, but not one of the four kinds: 400.
    UnknownKind,
}

/// Parses an upload URL's path segments against this server's SDKAppID.
pub fn parse_upload_path(app: &str, name: &str, our_app: u64) -> UploadPath {
    if app != our_app.to_string() {
        return UploadPath::OtherApp;
    }
    match FileKind::parse(name) {
        Some(k) => UploadPath::Kind(k),
        None => UploadPath::UnknownKind,
    }
}

/// Whether a download URL's `{app}/{name}` may name a stored file of this app.
pub fn parse_download_path(app: &str, name: &str, our_app: u64) -> bool {
    app == our_app.to_string() && is_sha256_hex(name)
}

/// A `Content-Length` header's value, when it is a plain number.
pub fn declared_length(value: Option<&[u8]>) -> Option<u64> {
    value
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse::<u64>().ok())
}

async fn upload(
    State(st): State<Arc<AppState>>,
    UrlPath((app, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let kind = match parse_upload_path(&app, &name, st.creds.sdk_app_id) {
        UploadPath::Kind(k) => k,
        UploadPath::OtherApp => return not_found(),
        UploadPath::UnknownKind => {
            return http_error(
                StatusCode::BAD_REQUEST,
                ImError::new(
                    code::SERVER_INVALID_PARAM,
                    format!("unknown upload kind {name:?}: image, audio, video or file"),
                ),
            )
        }
    };
    let user = match authenticate(&st, &headers) {
        Ok(u) => u,
        Err(e) => return http_error(StatusCode::UNAUTHORIZED, e),
    };
    let limit = upload_limit(kind, &st.config.limits);
    let declared = declared_length(headers.get(header::CONTENT_LENGTH).map(|v| v.as_bytes()));
    if declared.is_some_and(|n| n > limit) {
        return too_large(kind, limit);
    }
    let store = blobs(&st);
    let staged = match store.staging_path() {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let result = receive(&st, kind, &user, &headers, body, store, &staged).await;
    // Whatever happened, no staging file outlives the request (commit moved it if it succeeded).
    let _ = tokio::fs::remove_file(&staged).await;
    result
}

async fn receive(
    st: &AppState,
    kind: FileKind,
    user: &str,
    headers: &HeaderMap,
    body: Body,
    store: Arc<dyn BlobStore>,
    staged: &Path,
) -> Response {
    let mut file = match tokio::fs::File::create(staged).await {
        Ok(f) => f,
        Err(e) => return internal(e),
    };
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut size: u64 = 0;
    let mut stream = body.into_data_stream();
    let limit = upload_limit(kind, &st.config.limits);
    let idle = std::time::Duration::from_secs(st.config.limits.upload_idle_timeout_secs.max(1));
    loop {
        // A body that stalls (slowloris) is ended, so it holds no connection and no staging
        // file for long.
        let chunk = match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => {
                return http_error(
                    StatusCode::REQUEST_TIMEOUT,
                    ImError::new(
                        kind.upload_fail_code(),
                        format!("upload stalled: nothing received for {} s", idle.as_secs()),
                    ),
                )
            }
        };
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                return http_error(
                    StatusCode::BAD_REQUEST,
                    ImError::new(kind.upload_fail_code(), format!("upload interrupted: {e}")),
                )
            }
        };
        size += chunk.len() as u64;
        if size > limit {
            return too_large(kind, limit);
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        if let Err(e) = file.write_all(&chunk).await {
            return internal(e);
        }
    }
    if let Err(e) = file.flush().await {
        return internal(e);
    }
    drop(file);
    if size == 0 {
        return http_error(
            StatusCode::BAD_REQUEST,
            ImError::new(fcode::MSG_F_IS_EMPTY, "the uploaded file is empty"),
        );
    }
    if let Err(e) = check_type(kind, &head) {
        return http_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, e);
    }
    let sha = hex(&hasher.finalize());
    let app = st.creds.sdk_app_id;
    let commit = {
        let (staged, sha) = (staged.to_path_buf(), sha.clone());
        tokio::task::spawn_blocking(move || store.commit(app, &sha, &staged)).await
    };
    match commit {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    }
    let mime = detect_mime(&head);
    if let Err(e) =
        st.db(|s| s.record_file(app, &sha, kind.as_str(), size, mime, user, crate::now()))
    {
        return http_error(StatusCode::INTERNAL_SERVER_ERROR, e);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .unwrap_or(st.config.listen.as_str());
    // The listener serves https:// whenever TLS is configured.
    let scheme = if st.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let reply = UploadReply {
        url: format!("{scheme}://{host}{FILES_PATH}/{app}/{sha}"),
        sha256: sha,
        size,
        content_type: mime.to_owned(),
    };
    (StatusCode::CREATED, axum::Json(reply)).into_response()
}

/// A single `bytes=` range resolved against `size`: `Ok(None)` for no (or an ignored) Range
/// header, `Err(())` when unsatisfiable.
#[allow(clippy::result_unit_err)]
pub fn parse_range(h: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = h.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        // Multipart ranges are not served; the whole file is a valid answer (RFC 9110).
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 || size == 0 {
            return Err(());
        }
        (size.saturating_sub(n), size - 1)
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>()
                .map_err(|_| ())?
                .min(size.saturating_sub(1))
        };
        if start >= size || end < start {
            return Err(());
        }
        (start, end)
    };
    Ok(Some(range))
}

async fn download(
    State(st): State<Arc<AppState>>,
    UrlPath((app, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let app_id = st.creds.sdk_app_id;
    if !parse_download_path(&app, &name, app_id) {
        return not_found();
    }
    let meta = match st.db(|s| s.file_meta(app_id, &name)) {
        Ok(Some(m)) => m,
        Ok(None) => return not_found(),
        Err(e) => return http_error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let size = meta.size;
    let range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        size,
    );
    let (status, start, end) = match range {
        Ok(None) => (StatusCode::OK, 0, size.saturating_sub(1)),
        Ok(Some((a, b))) => (StatusCode::PARTIAL_CONTENT, a, b),
        Err(()) => {
            let mut r = http_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                ImError::new(code::SERVER_INVALID_PARAM, "range not satisfiable"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    let len = if size == 0 { 0 } else { end - start + 1 };
    let store = blobs(&st);
    let sha = name.clone();
    let stream =
        match tokio::task::spawn_blocking(move || store.open(app_id, &sha, start, len)).await {
            Ok(Ok(Some(s))) => s,
            Ok(Ok(None)) => return not_found(),
            Ok(Err(e)) => return internal(e),
            Err(e) => return internal(e),
        };
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let mut set = |k: header::HeaderName, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set(header::CONTENT_TYPE, meta.mime);
    set(header::CONTENT_LENGTH, len.to_string());
    set(header::ACCEPT_RANGES, "bytes".into());
    set(header::ETAG, format!("\"{name}\""));
    // Content-addressed: the bytes behind a URL never change.
    set(
        header::CACHE_CONTROL,
        "public, max-age=31536000, immutable".into(),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        set(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Ok(Some((0, 3))));
        assert_eq!(parse_range(Some("bytes=5-"), 10), Ok(Some((5, 9))));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Ok(Some((7, 9))));
        assert_eq!(parse_range(Some("bytes=8-100"), 10), Ok(Some((8, 9))));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=4-2"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=0-1,4-5"), 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=x-"), 10), Err(()));
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    async fn read_all(b: &dyn BlobStore, sha: &str, start: u64, len: u64) -> Option<Vec<u8>> {
        let mut s = b.open(7, sha, start, len).expect("open")?;
        let mut out = Vec::new();
        while let Some(piece) = s.next().await {
            let piece = piece.expect("piece");
            // One chunk at most per step: a download never holds the whole blob.
            assert!(piece.len() <= BLOB_CHUNK);
            out.extend_from_slice(&piece);
        }
        Some(out)
    }

    /// The database blob store (here on SQLite, the same SQL as on PostgreSQL): chunks, ranges
    /// across chunk boundaries, a second commit of the same bytes, a missing blob.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blobs_in_the_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sql = Arc::new(crate::store::SqlStore::in_memory().expect("store"));
        let store: Arc<dyn Store> = sql.clone();
        let blobs = DbBlobs::new(store.clone(), dir.path().join("files"));
        let data = noise(2 * BLOB_CHUNK + 12_345);
        let sha = hex(&Sha256::digest(&data));
        for _ in 0..2 {
            let staged = blobs.staging_path().expect("staging");
            std::fs::write(&staged, &data).expect("stage");
            blobs.commit(7, &sha, &staged).expect("commit");
            assert!(!staged.exists(), "the staged copy is dropped");
        }
        let rows: i64 = sql
            .with(|c| {
                Ok(c.query_row("SELECT COUNT(*) FROM blob_chunks", [], |r| {
                    r.get::<_, i64>(0)
                })?)
            })
            .expect("count");
        assert_eq!(rows, 3, "two whole chunks and a short one, stored once");
        let n = data.len() as u64;
        assert_eq!(
            read_all(&blobs, &sha, 0, n).await.as_deref(),
            Some(&data[..])
        );
        let c = BLOB_CHUNK as u64;
        for (a, b) in [
            (0, 0),
            (5, 99),
            (c - 3, c + 2),
            (c, 2 * c - 1),
            (c - 1, n - 1),
            (n - 1, n - 1),
            (2 * c, n - 1),
        ] {
            let got = read_all(&blobs, &sha, a, b - a + 1).await;
            assert_eq!(
                got.as_deref(),
                Some(&data[a as usize..=b as usize]),
                "range {a}-{b}"
            );
        }
        assert_eq!(read_all(&blobs, &"0".repeat(64), 0, 10).await, None);
        assert_eq!(read_all(&blobs, "../x", 0, 10).await, None);
        // Another app's namespace holds nothing.
        assert!(blobs.open(8, &sha, 0, 10).expect("open").is_none());
    }

    #[test]
    fn disk_paths_only_from_hashes() {
        let d = DiskBlobs::new(PathBuf::from("/x"));
        assert!(d.path(1, "../../etc/passwd").is_none());
        assert!(d.path(1, &"A".repeat(64)).is_none());
        assert!(d.path(1, &"a".repeat(64)).is_some());
    }
}
