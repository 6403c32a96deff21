//! Media: the file service over HTTP (auth, limits, types, Range, app isolation) and the image,
//! audio, video and file messages end to end with upload progress.

use base64::Engine as _;
use pigeon_tests::{Client, Server};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PROGRESS: &str = "onMessageUploadProgress";

/// A raw HTTP/1.1 exchange (Connection: close): status, lowercase headers, body.
async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the server");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method != "GET" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.expect("send request");
    s.write_all(body).await.expect("send body");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response has a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let hs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    (status, hs, raw[split + 4..].to_vec())
}

fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The path part of an absolute file URL.
fn path_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("http URL");
    rest[rest.find('/').expect("path")..].to_owned()
}

async fn get(server: &Server, url: &str) -> Vec<u8> {
    let (status, _, body) = http(&server.addr, "GET", &path_of(url), &[], b"").await;
    assert_eq!(status, 200, "download {url}");
    body
}

/// Pseudo-random bytes (xorshift), so the content is not compressible or repetitive.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write test file");
    p
}

/// Progress events of one message: they rise and end at 100.
fn assert_progress(c: &mut Client, id: &str) {
    let pcts: Vec<u64> = c
        .events_named(PROGRESS)
        .into_iter()
        .filter(|e| e["messageID"] == id)
        .map(|e| e["percent"].as_u64().expect("percent"))
        .collect();
    assert!(pcts.len() >= 2, "progress events: {pcts:?}");
    assert!(pcts.windows(2).all(|w| w[0] < w[1]), "rising: {pcts:?}");
    assert_eq!(pcts.last(), Some(&100), "ends at 100: {pcts:?}");
}

async fn received(c: &mut Client, id: &str) -> Value {
    let want = id.to_owned();
    let ev = c
        .wait_for("onMessageReceived", move |d| {
            d.as_array()
                .is_some_and(|l| l.iter().any(|m| m["ID"] == want.as_str()))
        })
        .await;
    ev.as_array()
        .and_then(|l| l.iter().find(|m| m["ID"] == id).cloned())
        .expect("the message")
}

fn opts(to: &str, payload: Value) -> Value {
    json!({"to": to, "conversationType": "C2C", "payload": payload})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_message_with_renditions() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let original = png(1000, 800);
    let path = write(tmp.path(), "photo.png", &original);

    let m = alice
        .ok(
            "createImageMessage",
            vec![opts("bob", json!({"file": path.to_string_lossy()}))],
        )
        .await;
    assert_eq!(m["type"], "TIMImageElem");
    assert_eq!(m["status"], "unSend");
    assert_eq!(
        m["payload"]["localFile"]["path"],
        path.to_string_lossy().as_ref()
    );
    assert_eq!(m["payload"]["imageFormat"], 3);
    let id = m["ID"].as_str().expect("id").to_owned();
    let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
    assert_eq!(sent["status"], "success");
    assert!(sent["payload"].get("localFile").is_none());
    let infos = sent["payload"]["imageInfoArray"]
        .as_array()
        .expect("imageInfoArray")
        .clone();
    assert_eq!(infos.len(), 3);
    let dims: Vec<(u64, u64, u64)> = infos
        .iter()
        .map(|i| {
            (
                i["type"].as_u64().expect("type"),
                i["width"].as_u64().expect("w"),
                i["height"].as_u64().expect("h"),
            )
        })
        .collect();
    assert_eq!(dims, vec![(0, 1000, 800), (1, 720, 576), (2, 198, 158)]);
    assert_progress(&mut alice, &id);

    // The receiver gets the same payload and can fetch every rendition.
    let got = received(&mut bob, &id).await;
    assert_eq!(got["payload"], sent["payload"]);
    let orig = get(&server, infos[0]["url"].as_str().expect("url")).await;
    assert_eq!(orig, original, "original byte-identical");
    assert_eq!(infos[0]["size"], original.len());
    for (info, (w, h)) in infos[1..].iter().zip([(720, 576), (198, 158)]) {
        let bytes = get(&server, info["url"].as_str().expect("url")).await;
        assert_eq!(info["size"], bytes.len());
        let img = image::load_from_memory(&bytes).expect("rendition decodes");
        assert_eq!((img.width(), img.height()), (w, h));
    }
    let (_, hs, _) = http(
        &server.addr,
        "GET",
        &path_of(infos[0]["url"].as_str().expect("url")),
        &[],
        b"",
    )
    .await;
    assert_eq!(header(&hs, "content-type"), Some("image/png"));

    // A small image is its own big and small rendition.
    let tiny = write(tmp.path(), "tiny.png", &png(64, 32));
    let m = alice
        .ok(
            "createImageMessage",
            vec![opts(
                "bob",
                json!({"file": {"path": tiny.to_string_lossy()}}),
            )],
        )
        .await;
    let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
    let infos = sent["payload"]["imageInfoArray"]
        .as_array()
        .expect("infos")
        .clone();
    assert!(infos
        .iter()
        .all(|i| i["width"] == 64 && i["url"] == infos[0]["url"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_megabyte_file_download_and_ranges() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let content = noise(6 * 1024 * 1024 + 123, 7);
    let path = write(tmp.path(), "report.bin", &content);

    let m = alice
        .ok(
            "createFileMessage",
            vec![opts("bob", json!({"file": path.to_string_lossy()}))],
        )
        .await;
    assert_eq!(m["type"], "TIMFileElem");
    assert_eq!(m["payload"]["fileName"], "report.bin");
    assert_eq!(m["payload"]["fileSize"], content.len());
    let id = m["ID"].as_str().expect("id").to_owned();
    let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
    assert_progress(&mut alice, &id);
    let url = sent["payload"]["fileUrl"]
        .as_str()
        .expect("fileUrl")
        .to_owned();
    assert_eq!(sent["payload"]["fileSize"], content.len());
    let got = received(&mut bob, &id).await;
    assert_eq!(got["payload"]["fileUrl"], url.as_str());
    assert_eq!(got["payload"]["fileName"], "report.bin");
    assert_eq!(get(&server, &url).await, content, "byte-identical download");

    // Range: a middle slice, an open end, a suffix, and an unsatisfiable one.
    let p = path_of(&url);
    let len = content.len();
    let (st, hs, body) = http(
        &server.addr,
        "GET",
        &p,
        &[("Range", "bytes=1000-1999".into())],
        b"",
    )
    .await;
    assert_eq!(st, 206);
    assert_eq!(body, content[1000..2000]);
    assert_eq!(
        header(&hs, "content-range"),
        Some(format!("bytes 1000-1999/{len}").as_str())
    );
    assert_eq!(header(&hs, "accept-ranges"), Some("bytes"));
    let (st, _, body) = http(
        &server.addr,
        "GET",
        &p,
        &[("Range", format!("bytes={}-", len - 10))],
        b"",
    )
    .await;
    assert_eq!((st, body.as_slice()), (206, &content[len - 10..]));
    let (st, _, body) = http(
        &server.addr,
        "GET",
        &p,
        &[("Range", "bytes=-5".into())],
        b"",
    )
    .await;
    assert_eq!((st, body.as_slice()), (206, &content[len - 5..]));
    let (st, hs, _) = http(
        &server.addr,
        "GET",
        &p,
        &[("Range", format!("bytes={len}-"))],
        b"",
    )
    .await;
    assert_eq!(st, 416);
    assert_eq!(
        header(&hs, "content-range"),
        Some(format!("bytes */{len}").as_str())
    );

    // Another app's URL, traversal and unknown hashes are all 404.
    let sha = p.rsplit('/').next().expect("sha").to_owned();
    for bad in [
        format!("/files/{}/{sha}", server.app_id + 1),
        format!("/files/{}/..%2F..%2Fcredentials.json", server.app_id),
        format!("/files/{}/../../credentials.json", server.app_id),
        format!("/files/{}/{}", server.app_id, "0".repeat(64)),
        format!("/files/{}/{}", server.app_id, sha.to_uppercase()),
    ] {
        let (st, _, body) = http(&server.addr, "GET", &bad, &[], b"").await;
        assert_eq!(st, 404, "{bad}: {}", String::from_utf8_lossy(&body));
    }

    // Bytes given as base64 work the same; the same content is stored once (same URL).
    let small = noise(300_000, 9);
    let m = carol
        .ok(
            "createFileMessage",
            vec![opts("bob", json!({"file": {"base64": base64::engine::general_purpose::STANDARD.encode(&small), "name": "notes.txt"}}))],
        )
        .await;
    assert_eq!(m["payload"]["fileName"], "notes.txt");
    let cid = m["ID"].as_str().expect("id").to_owned();
    let sent = carol.ok("sendMessage", vec![m]).await["message"].clone();
    assert_progress(&mut carol, &cid);
    let got = received(&mut bob, &cid).await;
    assert_eq!(
        get(&server, got["payload"]["fileUrl"].as_str().expect("url")).await,
        small
    );
    let again = carol
        .ok(
            "createFileMessage",
            vec![opts("alice", json!({"file": {"base64": base64::engine::general_purpose::STANDARD.encode(&small), "name": "n2.txt"}}))],
        )
        .await;
    let again = carol.ok("sendMessage", vec![again]).await["message"].clone();
    assert_eq!(again["payload"]["fileUrl"], sent["payload"]["fileUrl"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_and_video_messages() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    let tmp = tempfile::tempdir().expect("tempdir");

    let audio = noise(200_000, 3);
    let apath = write(tmp.path(), "voice.aac", &audio);
    let m = alice
        .ok(
            "createAudioMessage",
            vec![opts(
                "bob",
                json!({"file": {"path": apath.to_string_lossy(), "duration": 3500}}),
            )],
        )
        .await;
    assert_eq!(m["type"], "TIMSoundElem");
    assert_eq!(m["payload"]["second"], 4);
    let aid = m["ID"].as_str().expect("id").to_owned();
    let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
    assert_progress(&mut alice, &aid);
    assert_eq!(sent["payload"]["second"], 4);
    assert_eq!(sent["payload"]["size"], audio.len());
    let got = received(&mut bob, &aid).await;
    assert_eq!(
        get(&server, got["payload"]["url"].as_str().expect("url")).await,
        audio
    );

    // An MP4 (ftyp box) with a poster; seeking works with Range.
    let mut video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    video.extend(noise(2 * 1024 * 1024, 5));
    let vpath = write(tmp.path(), "clip.mp4", &video);
    let poster = write(tmp.path(), "poster.png", &png(320, 180));
    let m = alice
        .ok(
            "createVideoMessage",
            vec![opts("carol", json!({"file": {"path": vpath.to_string_lossy(), "duration": 12, "poster": poster.to_string_lossy()}}))],
        )
        .await;
    assert_eq!(m["type"], "TIMVideoFileElem");
    let vid = m["ID"].as_str().expect("id").to_owned();
    let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
    assert_progress(&mut alice, &vid);
    let p = &sent["payload"];
    assert_eq!(p["videoSecond"], 12);
    assert_eq!(p["videoSize"], video.len());
    assert_eq!(p["videoFormat"], "mp4");
    assert_eq!(
        (p["thumbWidth"].clone(), p["thumbHeight"].clone()),
        (json!(320), json!(180))
    );
    let got = received(&mut carol, &vid).await;
    let vurl = got["payload"]["videoUrl"]
        .as_str()
        .expect("videoUrl")
        .to_owned();
    assert_eq!(get(&server, &vurl).await, video);
    let (st, hs, body) = http(
        &server.addr,
        "GET",
        &path_of(&vurl),
        &[("Range", "bytes=1048576-1048675".into())],
        b"",
    )
    .await;
    assert_eq!(st, 206);
    assert_eq!(body, video[1_048_576..1_048_676]);
    assert_eq!(header(&hs, "content-type"), Some("video/mp4"));
    let thumb = get(
        &server,
        got["payload"]["thumbUrl"].as_str().expect("thumbUrl"),
    )
    .await;
    assert_eq!(thumb, std::fs::read(&poster).expect("poster"));

    // A video without poster or duration.
    let m = alice
        .ok(
            "createVideoMessage",
            vec![opts("bob", json!({"file": vpath.to_string_lossy()}))],
        )
        .await;
    let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
    assert_eq!(sent["payload"]["videoSecond"], 0);
    assert_eq!(sent["payload"]["thumbUrl"], "");
}

async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    match c.call(method, args).await {
        Ok(v) => panic!("{method} should fail, got {v}"),
        Err(e) => e.code,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_media_input_and_failed_upload_resend() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("nope.png").to_string_lossy().into_owned();

    // Missing or absent files.
    assert_eq!(
        code_of(
            &alice,
            "createImageMessage",
            vec![opts("bob", json!({"file": missing}))]
        )
        .await,
        2251
    );
    assert_eq!(
        code_of(
            &alice,
            "createFileMessage",
            vec![opts("bob", json!({"file": missing}))]
        )
        .await,
        2401
    );
    assert_eq!(
        code_of(
            &alice,
            "createAudioMessage",
            vec![opts("bob", json!({"file": missing}))]
        )
        .await,
        2108
    );
    assert_eq!(
        code_of(&alice, "createVideoMessage", vec![opts("bob", json!({}))]).await,
        2108
    );
    assert_eq!(
        code_of(
            &alice,
            "createFileMessage",
            vec![opts("bob", json!({"file": 42}))]
        )
        .await,
        2401
    );
    assert_eq!(
        code_of(
            &alice,
            "createFileMessage",
            vec![opts("bob", json!({"file": {"base64": "***"}}))]
        )
        .await,
        2401
    );
    let empty = write(tmp.path(), "empty.txt", b"");
    assert_eq!(
        code_of(
            &alice,
            "createFileMessage",
            vec![opts("bob", json!({"file": empty.to_string_lossy()}))]
        )
        .await,
        2108
    );

    // Not an image; not a video.
    let text = write(tmp.path(), "fake.png", b"this is plain text, not a picture");
    assert_eq!(
        code_of(
            &alice,
            "createImageMessage",
            vec![opts("bob", json!({"file": text.to_string_lossy()}))]
        )
        .await,
        2252
    );
    let m = carol
        .ok(
            "createVideoMessage",
            vec![opts("bob", json!({"file": text.to_string_lossy()}))],
        )
        .await;
    let e = carol
        .call("sendMessage", vec![m])
        .await
        .expect_err("not a video");
    assert_eq!(e.code, 2352);
    assert_eq!(e.data.as_ref().expect("data")["message"]["status"], "fail");

    // Over the limits (sparse files: no disk cost).
    let big = tmp.path().join("huge.png");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(20 * 1024 * 1024 + 1))
        .expect("sparse");
    assert_eq!(
        code_of(
            &alice,
            "createImageMessage",
            vec![opts("bob", json!({"file": big.to_string_lossy()}))]
        )
        .await,
        2253
    );
    assert_eq!(
        code_of(
            &alice,
            "createAudioMessage",
            vec![opts("bob", json!({"file": big.to_string_lossy()}))]
        )
        .await,
        2301
    );
    let huge = tmp.path().join("huge.bin");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(100 * 1024 * 1024 + 1))
        .expect("sparse");
    assert_eq!(
        code_of(
            &alice,
            "createVideoMessage",
            vec![opts("bob", json!({"file": huge.to_string_lossy()}))]
        )
        .await,
        2351
    );
    assert_eq!(
        code_of(
            &alice,
            "createFileMessage",
            vec![opts("bob", json!({"file": huge.to_string_lossy()}))]
        )
        .await,
        2402
    );

    // The upload fails (the file vanished): the message is `fail`, nothing is sent; once the
    // file is back, resendMessage uploads and sends it.
    let doc = write(tmp.path(), "doc.bin", &noise(500_000, 11));
    let m = alice
        .ok(
            "createFileMessage",
            vec![opts("bob", json!({"file": doc.to_string_lossy()}))],
        )
        .await;
    let id = m["ID"].as_str().expect("id").to_owned();
    std::fs::rename(&doc, tmp.path().join("moved.bin")).expect("move away");
    let e = alice
        .call("sendMessage", vec![m])
        .await
        .expect_err("file gone");
    assert_eq!(e.code, 2401);
    let failed = e.data.expect("data")["message"].clone();
    assert_eq!(failed["status"], "fail");
    assert_eq!(failed["ID"], id.as_str());
    std::fs::rename(tmp.path().join("moved.bin"), &doc).expect("move back");
    let sent = alice.ok("resendMessage", vec![failed]).await["message"].clone();
    assert_eq!(sent["status"], "success");
    let got = received(&mut bob, &id).await;
    assert_eq!(
        get(&server, got["payload"]["fileUrl"].as_str().expect("url")).await,
        std::fs::read(&doc).expect("doc")
    );
    assert_progress(&mut alice, &id);

    // The server refuses media payloads whose URLs are not its file URLs, and local paths.
    for payload in [
        json!({"uuid": "x", "fileName": "a", "fileSize": 1, "fileUrl": "http://evil.example/x"}),
        json!({"uuid": "x", "fileName": "a", "fileSize": 1, "fileUrl": ""}),
    ] {
        let mut m = alice
            .ok("createTextMessage", vec![opts("bob", json!({"text": "x"}))])
            .await;
        m["type"] = json!("TIMFileElem");
        m["payload"] = payload;
        assert_eq!(code_of(&alice, "sendMessage", vec![m]).await, 2403);
    }
    let mut m = alice
        .ok("createTextMessage", vec![opts("bob", json!({"text": "x"}))])
        .await;
    m["type"] = json!("TIMImageElem");
    m["payload"] = json!({"imageInfoArray": [{"type": 7, "url": format!("http://{}/files/{}/{}", server.addr, server.app_id, "a".repeat(64)), "width": 1, "height": 1, "size": 1}]});
    assert_eq!(code_of(&alice, "sendMessage", vec![m]).await, 10004);
    bob.clear();
    alice.clear();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_upload_auth_limits_and_types() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let _ = &alice;
    let app = server.app_id;
    let png_bytes = png(10, 10);
    let auth = vec![
        ("X-Pigeon-User", "dave".to_owned()),
        ("X-Pigeon-UserSig", server.sig("dave")),
    ];

    // No credentials, a sig of another user, a forged ticket.
    let (st, _, body) = http(
        &server.addr,
        "POST",
        &format!("/files/{app}/image"),
        &[],
        &png_bytes,
    )
    .await;
    assert_eq!(st, 401);
    let e: Value = serde_json::from_slice(&body).expect("json error");
    assert_eq!(e["code"], 2003);
    let wrong = vec![
        ("X-Pigeon-User", "dave".to_owned()),
        ("X-Pigeon-UserSig", server.sig("erin")),
    ];
    let (st, _, _) = http(
        &server.addr,
        "POST",
        &format!("/files/{app}/image"),
        &wrong,
        &png_bytes,
    )
    .await;
    assert_eq!(st, 401);
    let forged = vec![(
        "X-Pigeon-Ticket",
        format!("99999999999.{}.{}", "64617665", "00".repeat(32)),
    )];
    let (st, _, body) = http(
        &server.addr,
        "POST",
        &format!("/files/{app}/file"),
        &forged,
        b"abc",
    )
    .await;
    assert_eq!(st, 401, "{}", String::from_utf8_lossy(&body));

    // With a UserSig (curl-style clients): upload, then the reply's URL serves it.
    let (st, _, body) = http(
        &server.addr,
        "PUT",
        &format!("/files/{app}/image"),
        &auth,
        &png_bytes,
    )
    .await;
    assert_eq!(st, 201, "{}", String::from_utf8_lossy(&body));
    let r: Value = serde_json::from_slice(&body).expect("upload reply");
    assert_eq!(r["contentType"], "image/png");
    assert_eq!(r["size"], png_bytes.len());
    assert_eq!(
        get(&server, r["url"].as_str().expect("url")).await,
        png_bytes
    );

    // Wrong app, unknown kind, wrong type, empty, declared size over the limit.
    let (st, _, _) = http(
        &server.addr,
        "POST",
        &format!("/files/{}/file", app + 1),
        &auth,
        b"abc",
    )
    .await;
    assert_eq!(st, 404);
    let (st, _, _) = http(
        &server.addr,
        "POST",
        &format!("/files/{app}/exe"),
        &auth,
        b"abc",
    )
    .await;
    assert_eq!(st, 400);
    let (st, _, body) = http(
        &server.addr,
        "POST",
        &format!("/files/{app}/image"),
        &auth,
        b"plain words, no picture",
    )
    .await;
    assert_eq!(st, 415);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("json")["code"],
        2252
    );
    let (st, _, body) = http(
        &server.addr,
        "POST",
        &format!("/files/{app}/file"),
        &auth,
        b"",
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("json")["code"],
        2108
    );
    let mut s = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connect");
    let req = format!(
        "POST /files/{app}/image HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pigeon-User: dave\r\nX-Pigeon-UserSig: {}\r\nContent-Length: {}\r\n\r\n",
        server.sig("dave"),
        20 * 1024 * 1024 + 1
    );
    s.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("2253"), "{text}");

    // A body that grows past the limit without declaring it (chunked) stops at the limit.
    let mut s = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connect");
    let req = format!(
        "POST /files/{app}/audio HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pigeon-User: dave\r\nX-Pigeon-UserSig: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.sig("dave")
    );
    s.write_all(req.as_bytes()).await.expect("send");
    let chunk = vec![b'a'; 1024 * 1024];
    for _ in 0..21 {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if s.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("2301"), "{text}");
    // Nothing half-stored: no staging file is left behind.
    let staging = server.dir.join("files/tmp");
    let left: Vec<_> = std::fs::read_dir(&staging)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staging files left: {left:?}");
}

/// A second `pigeon-server` on the same PostgreSQL database as `first`, with a data dir of its
/// own (holding a copy of the first's credentials.json); killed when dropped.
struct SecondNode {
    child: std::process::Child,
    addr: String,
    dir: tempfile::TempDir,
}

impl SecondNode {
    fn start(first: &Server, pg_url: &str) -> SecondNode {
        use std::io::BufRead as _;
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(
            first.dir.join("credentials.json"),
            dir.path().join("credentials.json"),
        )
        .expect("copy the credentials");
        let addr = format!("127.0.0.1:{}", pigeon_tests::free_port());
        let mut child = std::process::Command::new(pigeon_tests::bin("pigeon-server"))
            .arg("serve")
            .arg("--listen")
            .arg(&addr)
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--postgres-url")
            .arg(pg_url)
            .env("PIGEON_LOG", "warn")
            .env_remove("PIGEON_SDK_APP_ID")
            .env_remove("PIGEON_SECRET_KEY")
            .env_remove("PIGEON_NATS_URL")
            .env_remove("PIGEON_POSTGRES_URL")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn the second pigeon-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.starts_with("listening on ws://"));
        assert!(ready, "the second pigeon-server exited before listening");
        std::thread::spawn(move || for _ in lines {});
        SecondNode { child, addr, dir }
    }
}

impl Drop for SecondNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Scale-out on PostgreSQL: blobs live in the database, so a file uploaded through one node
/// downloads (whole and by range) through another node that has a different data dir. On
/// SQLite there is no shared store to test, so it returns at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_uploaded_on_one_node_downloads_on_another() {
    if pigeon_tests::test_postgres().is_none() {
        return;
    }
    let a = Server::start();
    let pg_url = a.pg_url.clone().expect("node A runs on PostgreSQL");
    let b = SecondNode::start(&a, &pg_url);
    let app = a.app_id;
    // Over three 1 MiB chunks, ending in a short one.
    let content = noise(3 * 1024 * 1024 + 777, 11);
    let sha = upload_file(&a.addr, "POST", app, "dave", &a.sig("dave"), &content).await;
    let p = format!("/files/{app}/{sha}");

    // Whole, through B (and A), byte for byte.
    let (st, hs, got) = http(&b.addr, "GET", &p, &[], b"").await;
    assert_eq!(st, 200);
    assert_eq!(
        header(&hs, "content-length"),
        Some(content.len().to_string().as_str())
    );
    assert!(got == content, "node B serves the bytes uploaded on node A");
    let (st, _, got) = http(&a.addr, "GET", &p, &[], b"").await;
    assert!(st == 200 && got == content, "node A serves them too");

    // Ranges through B: inside a chunk, across a chunk boundary, an open end, a suffix, and
    // one past the end.
    let len = content.len();
    let mib = 1024 * 1024;
    for (range, from, to) in [
        ("bytes=10-20".to_owned(), 10, 20),
        (
            format!("bytes={}-{}", mib - 5, 2 * mib + 4),
            mib - 5,
            2 * mib + 4,
        ),
        (format!("bytes={}-", 3 * mib - 1), 3 * mib - 1, len - 1),
        ("bytes=-100".to_owned(), len - 100, len - 1),
    ] {
        let (st, hs, got) = http(&b.addr, "GET", &p, &[("Range", range.clone())], b"").await;
        assert_eq!(st, 206, "{range}");
        assert!(got == content[from..=to], "{range}: wrong bytes");
        assert_eq!(
            header(&hs, "content-range"),
            Some(format!("bytes {from}-{to}/{len}").as_str()),
            "{range}"
        );
    }
    let (st, _, _) = http(
        &b.addr,
        "GET",
        &p,
        &[("Range", format!("bytes={len}-"))],
        b"",
    )
    .await;
    assert_eq!(st, 416);
    let (st, _, _) = http(
        &b.addr,
        "GET",
        &format!("/files/{app}/{}", "0".repeat(64)),
        &[],
        b"",
    )
    .await;
    assert_eq!(st, 404, "an unknown hash is 404 on B too");

    // The same bytes uploaded again, through B: the same URL, and B serves it still.
    let again = upload_file(&b.addr, "PUT", app, "erin", &a.sig("erin"), &content).await;
    assert_eq!(again, sha);
    let (st, _, got) = http(&b.addr, "GET", &p, &[("Range", "bytes=0-99".into())], b"").await;
    assert!(st == 206 && got == content[..100]);

    // No node kept the blob in its data dir: only staging lives there, and it is empty.
    for dir in [a.dir.as_path(), b.dir.path()] {
        let app_dir = dir.join("files").join(app.to_string());
        assert!(!app_dir.exists(), "{} holds blobs", app_dir.display());
        let left: Vec<_> = std::fs::read_dir(dir.join("files/tmp"))
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "staging files left: {left:?}");
    }
}

/// Uploads `content` as a file through `addr` as `user` and returns its sha256 (checking the
/// reply's size).
async fn upload_file(
    addr: &str,
    method: &str,
    app: u64,
    user: &str,
    sig: &str,
    content: &[u8],
) -> String {
    let auth = vec![
        ("X-Pigeon-User", user.to_owned()),
        ("X-Pigeon-UserSig", sig.to_owned()),
    ];
    let (st, _, body) = http(addr, method, &format!("/files/{app}/file"), &auth, content).await;
    assert_eq!(st, 201, "{}", String::from_utf8_lossy(&body));
    let r: Value = serde_json::from_slice(&body).expect("upload reply");
    assert_eq!(r["size"], content.len());
    r["sha256"].as_str().expect("sha256").to_owned()
}
