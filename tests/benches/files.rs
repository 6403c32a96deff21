//! File service throughput: a 100 MB file uploaded and downloaded over loopback through the real
//! server (release binary), next to the floor: `curl` PUT to a bare axum handler that only
//! writes the body to disk, and `curl` GET from `python3 -m http.server`.
//!
//! `cargo build --release --bins && cargo bench -p pigeon-tests --bench files`
//! (PIGEON_BENCH_MB sets the size, default 100).

use futures_util::StreamExt as _;
use pigeon_tests::{free_port, Client, Server};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt as _;

fn mb_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / d.as_secs_f64()
}

fn curl(args: &[&str]) -> Duration {
    let t = Instant::now();
    let st = Command::new("curl")
        .args(["-sS", "--fail"])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("run curl");
    assert!(st.success(), "curl {args:?} failed");
    t.elapsed()
}

/// The PUT floor: stream the body into a file, nothing else.
async fn put_floor(dir: PathBuf) -> String {
    let app = axum::Router::new().route(
        "/{name}",
        axum::routing::put(move |body: axum::body::Body| {
            let dir = dir.clone();
            async move {
                let mut f = tokio::fs::File::create(dir.join("put.bin"))
                    .await
                    .expect("create");
                let mut s = body.into_data_stream();
                while let Some(c) = s.next().await {
                    f.write_all(&c.expect("body chunk")).await.expect("write");
                }
                f.flush().await.expect("flush");
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn wait_port(addr: &str) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{addr} never accepted");
}

fn same_file(a: &Path, b: &Path) -> bool {
    std::fs::read(a).expect("read a") == std::fs::read(b).expect("read b")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mb: u64 = std::env::var("PIGEON_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let size = mb * 1024 * 1024;
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = tmp.path().join("big.bin");
    {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut data = Vec::with_capacity(usize::try_from(size).expect("size"));
        while (data.len() as u64) < size {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.extend_from_slice(&x.to_le_bytes());
        }
        data.truncate(usize::try_from(size).expect("size"));
        std::fs::write(&src, &data).expect("write source");
    }
    let src_s = src.to_string_lossy().into_owned();
    eprintln!("file: {mb} MB");

    // Pigeon: SDK upload (createFileMessage + sendMessage: read, stream, hash, store, send).
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let _bob = Client::login(&server, "bob").await;
    let m = alice
        .ok(
            "createFileMessage",
            vec![json!({"to": "bob", "conversationType": "C2C", "payload": {"file": src_s}})],
        )
        .await;
    let t = Instant::now();
    let sent = alice.ok("sendMessage", vec![m]).await["message"].clone();
    let up = t.elapsed();
    let url = sent["payload"]["fileUrl"]
        .as_str()
        .expect("fileUrl")
        .to_owned();

    // Pigeon upload with curl (the server side alone), same file, different bytes would dedupe:
    // the content is already stored, so this measures receive + hash + compare, not a rename.
    let sig = server.sig("alice");
    let curl_up = curl(&[
        "-T",
        &src_s,
        "-H",
        "X-Pigeon-User: alice",
        "-H",
        &format!("X-Pigeon-UserSig: {sig}"),
        &format!("http://{}/files/{}/file", server.addr, server.app_id),
    ]);

    // Pigeon download with curl.
    let got = tmp.path().join("got.bin");
    let got_s = got.to_string_lossy().into_owned();
    let down = curl(&["-o", &got_s, &url]);
    assert!(same_file(&src, &got), "pigeon download differs");

    // Floor: curl PUT to the bare handler, curl GET from python's static server.
    let put_dir = tempfile::tempdir().expect("tempdir");
    let floor_addr = put_floor(put_dir.path().to_path_buf()).await;
    let floor_up = curl(&["-T", &src_s, &format!("http://{floor_addr}/big.bin")]);
    let port = free_port();
    let mut py = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m http.server");
    let py_addr = format!("127.0.0.1:{port}");
    wait_port(&py_addr);
    let got2 = tmp.path().join("got2.bin");
    let floor_down = curl(&[
        "-o",
        &got2.to_string_lossy(),
        &format!("http://{py_addr}/big.bin"),
    ]);
    let _ = py.kill();
    let _ = py.wait();
    assert!(same_file(&src, &got2), "floor download differs");

    let row = |label: &str, d: Duration| {
        println!(
            "{label:<44} {:>8.1} MB/s  ({:.2} s)",
            mb_per_s(size, d),
            d.as_secs_f64()
        );
    };
    println!("{mb} MB over loopback");
    row("pigeon upload: SDK sendMessage (file)", up);
    row("pigeon upload: curl PUT with UserSig", curl_up);
    row("floor upload: curl PUT to a bare axum handler", floor_up);
    row("pigeon download: curl GET", down);
    row("floor download: curl GET python3 http.server", floor_down);
    println!(
        "ratio pigeon/floor: upload (SDK) {:.2}, upload (curl) {:.2}, download {:.2}",
        floor_up.as_secs_f64() / up.as_secs_f64(),
        floor_up.as_secs_f64() / curl_up.as_secs_f64(),
        floor_down.as_secs_f64() / down.as_secs_f64(),
    );
}
