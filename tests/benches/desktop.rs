//! The desktop app's start-up time and memory, next to a minimal Tauri window (the floor).
//!
//! - Cold start: from the app process's launch until the first conversation rows are in the
//!   DOM, and until a scroll of the list moves them (the list responds), with the SDK cache
//!   already holding 10,000 conversations from a previous run.
//! - Memory: PSS (`/proc/PID/smaps_rollup`) summed over the app process and every process under
//!   it (WebKitWebProcess, WebKitNetworkProcess), after opening a conversation with 100,000
//!   cached messages and scrolling up through 50 pages of its history; online (history pages
//!   from the server, as the SDK reads them when connected) and offline (server stopped:
//!   history from the local cache).
//! - The floor: `src-tauri/examples/floor.rs`, one window of the same size with a static page:
//!   launch to page loaded, and PSS when idle.
//!
//! The server's store is written directly (as `conversation_list` does), the SDK cache is
//! filled by the SDK itself (a headless `Chat` on the app's cache dir syncing the inbox), the
//! app's settings name the account so it signs in again on start, and the app is driven over
//! WebDriver (tauri-driver + WebKitWebDriver). Launch time is stamped by a wrapper script that
//! `exec`s the binary, so the page's `Date.now()` and the stamp share one clock.
//!
//! `scripts/bench-desktop.sh` builds everything and runs this under Xvfb; by hand:
//! `xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- cargo bench -p pigeon-tests
//! --bench desktop`. Knobs: PIGEON_BENCH_CONVERSATIONS (10000), PIGEON_BENCH_MESSAGES (100000),
//! PIGEON_BENCH_RUNS (5), PIGEON_BENCH_MEM_RUNS (3), PIGEON_BENCH_PAGES (50),
//! PIGEON_DESKTOP_BIN, PIGEON_FLOOR_BIN, PIGEON_BENCH_JSON (a file for the raw results),
//! PIGEON_BENCH_APP_ENV ("K=V ..." for the app and the floor).

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use pigeon_proto::model::Message;
use pigeon_sdk::cache::Cache;
use pigeon_sdk::{Chat, ChatOptions};
use pigeon_server::store::{Recipient, SqliteStore, Store};
use pigeon_tests::{bin, free_port, Server};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long one step (a launch, a page of history) may take before the bench gives up.
const STEP: Duration = Duration::from_secs(90);
/// Quiet time before memory is read, so start-up and scrolling work has settled.
const SETTLE: Duration = Duration::from_secs(3);
/// The conversation with the long history.
const BIG: &str = "bob";
const ME: &str = "alice";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(*x), hi.max(*x))
        })
}

fn find_cache(dir: &Path) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(found) = find_cache(&p) {
                return Some(found);
            }
        } else if p.file_name().is_some_and(|n| n == "cache.sqlite3") {
            return Some(p);
        }
    }
    None
}

// ------------------------------------------------------------------------ data

/// Some words, so message texts vary in length like real ones.
const WORDS: &[&str] = &[
    "sure", "see", "you", "at", "the", "station", "tomorrow", "did", "anyone", "read", "report",
    "lunch", "meeting", "moved", "to", "three", "thanks", "sounds", "good", "I'll", "send", "it",
    "tonight", "can", "we", "talk", "later", "about", "budget", "photos", "from", "trip",
];

fn text(i: usize) -> String {
    let n = 2 + (i * 7919) % 24;
    let mut s = format!("#{i}");
    for k in 0..n {
        s.push(' ');
        s.push_str(WORDS[(i * 31 + k * 17) % WORDS.len()]);
    }
    s
}

fn store_c2c(store: &SqliteStore, id: String, from: &str, to: &str, body: String, time: u64) {
    let m = Message {
        id,
        kind: "TIMTextElem".into(),
        payload: json!({ "text": body }),
        conversation_type: "C2C".into(),
        from: from.into(),
        to: to.into(),
        status: "success".into(),
        priority: "Normal".into(),
        ..Default::default()
    };
    let recips = [
        Recipient {
            user_id: from.into(),
            conv_id: format!("C2C{to}"),
            counts_unread: false,
            sets_last: true,
            at_type: 0,
        },
        Recipient {
            user_id: to.into(),
            conv_id: format!("C2C{from}"),
            counts_unread: true,
            sets_last: true,
            at_type: 0,
        },
    ];
    let key = pigeon_server::conversations::c2c_key(from, to);
    store.store_message(&key, &m, time, &recips).expect("store");
}

/// Alice gets `convs` conversations: one message from each of `convs - 1` peers, then `msgs`
/// messages with bob (one in three hers), newest last so bob's chat tops the list.
fn populate(server: &Server, convs: usize, msgs: usize) {
    let t = Instant::now();
    let store = SqliteStore::open(&server.dir.join("pigeon.sqlite3")).expect("open store");
    let peers = convs.saturating_sub(1);
    let base = now_secs() - (peers + msgs) as u64 - 3_600;
    for i in 0..peers {
        let peer = format!("peer{i:05}");
        store_c2c(
            &store,
            format!("seed-{i}"),
            &peer,
            ME,
            text(i),
            base + i as u64,
        );
        if (i + 1) % 2_500 == 0 {
            eprintln!("  server store: {} conversations", i + 1);
        }
    }
    // In batches of 10,000, reporting progress; one transaction each, as the server stores.
    for i in 0..msgs {
        let (from, to) = if i % 3 == 0 { (ME, BIG) } else { (BIG, ME) };
        let time = base + (peers + i) as u64;
        store_c2c(&store, format!("seed-{BIG}-{i}"), from, to, text(i), time);
        if (i + 1) % 10_000 == 0 {
            eprintln!("  server store: {} messages with {BIG}", i + 1);
        }
    }
    eprintln!(
        "  server store: seeded in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn sdk(server: &Server, cache_dir: &Path) -> Chat {
    Chat::create(ChatOptions {
        server_url: server.url(),
        sdk_app_id: server.app_id,
        data_dir: cache_dir.to_path_buf(),
        platform: "bench-seed".into(),
    })
}

async fn sdk_session(server: &Server, cache_dir: &Path, what: &str) {
    let t = Instant::now();
    let chat = sdk(server, cache_dir);
    chat.login(ME, &server.sig(ME)).await.expect("sdk login");
    let mut last = Instant::now();
    while !chat.is_ready() {
        assert!(
            t.elapsed() < Duration::from_secs(1_800),
            "{what}: no SDK_READY"
        );
        if last.elapsed() > Duration::from_secs(10) {
            eprintln!("  {what}: {:.0} s…", t.elapsed().as_secs_f64());
            last = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    chat.logout().await.expect("sdk logout");
    chat.destroy().await.ok();
    eprintln!("  {what}: {:.1} s", t.elapsed().as_secs_f64());
}

/// The app's data dir as a previous run leaves it: the SDK cache synced by the SDK itself (a
/// first login sets the inbox cursor, the seeded history then arrives as inbox entries), and
/// settings naming the last account.
async fn prepare(server: &Server, data: &Path, convs: usize, msgs: usize) {
    let cache_dir = data.join("cache");
    sdk_session(server, &cache_dir, "SDK first login").await;
    populate(server, convs, msgs);
    sdk_session(server, &cache_dir, "SDK sync into the app's cache").await;
    let path = find_cache(&cache_dir).expect("cache file");
    let cache = Cache::open(&path).expect("open cache");
    let conversations = cache.conversations().expect("cached conversations").len();
    let messages = cache
        .messages_before(&format!("C2C{BIG}"), None, (msgs + 10) as u32)
        .expect("cached messages")
        .len();
    drop(cache);
    eprintln!(
        "  cache: {conversations} conversations, {messages} messages with {BIG} ({:.0} MB)",
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6
    );
    assert_eq!(conversations, convs, "cached conversations");
    assert_eq!(messages, msgs, "cached messages");
    let settings = json!({
        "notifications": true,
        "notificationPreviews": true,
        "lastAccount": {
            "server": server.url(),
            "SDKAppID": server.app_id,
            "userID": ME,
            "userSig": server.sig(ME),
        }
    });
    std::fs::write(
        data.join("settings.json"),
        serde_json::to_vec_pretty(&settings).expect("json"),
    )
    .expect("settings.json");
}

// ------------------------------------------------------------------------ processes

/// Parent PID of every process.
fn parents() -> HashMap<u32, u32> {
    let mut out = HashMap::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            out.insert(pid, ppid);
        }
    }
    out
}

/// `root` and every process under it.
fn tree(root: u32) -> Vec<u32> {
    let parents = parents();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

fn proc_name(pid: u32) -> String {
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let first = cmd.split(|b| *b == 0).next().unwrap_or_default();
    let name = String::from_utf8_lossy(first);
    match name.rsplit('/').next() {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// PSS in kB from smaps_rollup.
fn pss_kb(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines()
        .find(|l| l.starts_with("Pss:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// PSS of the process tree under `root`, in MB, and per process name.
fn tree_pss(root: u32) -> (f64, Vec<(String, f64)>) {
    let mut total = 0u64;
    let mut parts = Vec::new();
    for pid in tree(root) {
        if let Some(kb) = pss_kb(pid) {
            total += kb;
            parts.push((proc_name(pid), kb as f64 / 1024.0));
        }
    }
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    (total as f64 / 1024.0, parts)
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
}

/// A running tauri-driver; SIGTERM on drop, so it takes WebKitWebDriver with it.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(home: &Path) -> Driver {
        let port = free_port();
        let native = free_port();
        let child = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("PIGEON_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver on PATH (cargo install tauri-driver --locked)");
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A shell script that records its PID (kept by `exec`) and the launch time in ns, sets the
/// environment, and execs `binary`: what WebKitWebDriver launches.
fn wrapper(dir: &Path, name: &str, binary: &Path, env: &[(&str, &Path)]) -> (PathBuf, PathBuf) {
    let script = dir.join(format!("{name}.sh"));
    let stamp = dir.join(format!("{name}.stamp"));
    let mut s = String::from("#!/bin/sh\n");
    for (k, v) in env {
        s.push_str(&format!("export {k}='{}'\n", v.display()));
    }
    s.push_str(&format!(
        "echo \"$$ $(date +%s%N)\" > '{}'\nexec '{}' \"$@\"\n",
        stamp.display(),
        binary.display()
    ));
    std::fs::write(&script, s).expect("write wrapper");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (script, stamp)
}

/// The launched process: its PID and launch time (ms since the epoch).
struct Launched {
    pid: u32,
    at_ms: f64,
}

fn read_stamp(stamp: &Path) -> Launched {
    let text = std::fs::read_to_string(stamp).expect("launch stamp");
    let mut it = text.split_whitespace();
    let pid = it.next().and_then(|p| p.parse().ok()).expect("pid");
    let ns: f64 = it.next().and_then(|p| p.parse().ok()).expect("time");
    Launched {
        pid,
        at_ms: ns / 1e6,
    }
}

/// A WebDriver session on a fresh launch of `script`.
async fn launch(driver: &Driver, script: &Path, stamp: &Path) -> (Client, Launched) {
    let _ = std::fs::remove_file(stamp);
    let mut caps = serde_json::Map::new();
    caps.insert("tauri:options".into(), json!({ "application": script }));
    caps.insert("browserName".into(), json!("wry"));
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = Instant::now() + STEP;
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no WebDriver session from tauri-driver: {e}"),
        }
    };
    client
        .update_timeouts(TimeoutConfiguration::new(
            Some(STEP),
            Some(STEP),
            Some(Duration::ZERO),
        ))
        .await
        .expect("timeouts");
    let launched = read_stamp(stamp);
    (client, launched)
}

/// Ends the session (WebKitWebDriver closes the app) and waits for the app to go.
async fn quit(client: Client, pid: u32) {
    let _ = client.close().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if alive(pid) {
        eprintln!("  app {pid} still running after the session ended: SIGKILL");
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    // Let the WebKit helpers exit too before the next launch.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn script(c: &Client, js: &str, args: Vec<Value>) -> Value {
    let v = c
        .execute_async(js, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}"));
    if let Some(err) = v.get("error") {
        panic!("in the page: {err}: {v}");
    }
    v
}

// ------------------------------------------------------------------------ in-page scripts

/// Waits for the first conversation rows, then scrolls the list by 20 rows and waits until the
/// rendered rows change. Times are the page's `Date.now()`; navigation timing gives the load.
const COLD_START_JS: &str = r#"
const done = arguments[arguments.length - 1];
const scroll = arguments[0];
const rows = () => document.querySelectorAll('[data-testid=conv-item]');
const res = { firstScriptAt: Date.now(), already: rows().length > 0 };
const fail = setTimeout(() => done({ error: 'timeout', body: document.body.innerText.slice(0, 300) }), 60000);
const finish = () => {
  clearTimeout(fail);
  const t = performance.timing;
  res.navigationStart = t.navigationStart;
  res.domContentLoaded = t.domContentLoadedEventEnd;
  res.loadEnd = t.loadEventEnd;
  done(res);
};
const onRows = () => {
  res.rowsAt = Date.now();
  res.rowCount = rows().length;
  requestAnimationFrame(() => {
    res.frameAt = Date.now();
    if (!scroll) return finish();
    const list = document.querySelector('[data-testid=conv-list]');
    const first = rows()[0].getAttribute('data-conversation-id');
    res.scrollAt = Date.now();
    list.scrollTop += 20 * 72;
    const check = () => {
      const r = rows();
      const f = r.length ? r[0].getAttribute('data-conversation-id') : first;
      if (f !== first) {
        res.scrolledAt = Date.now();
        res.rowsAfterScroll = r.length;
        res.listRows = Math.round(list.scrollHeight / 72);
        finish();
      } else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
};
if (rows().length) onRows();
else {
  const mo = new MutationObserver(() => { if (rows().length) { mo.disconnect(); onRows(); } });
  mo.observe(document.documentElement, { childList: true, subtree: true });
}
"#;

/// Waits for the page to finish loading; navigation timing of the floor page.
const LOADED_JS: &str = r#"
const done = arguments[arguments.length - 1];
const t0 = Date.now();
const check = () => {
  const t = performance.timing;
  if (document.readyState === 'complete' && t.loadEventEnd > 0)
    done({ navigationStart: t.navigationStart, domContentLoaded: t.domContentLoadedEventEnd, loadEnd: t.loadEventEnd, firstScriptAt: t0 });
  else setTimeout(check, 5);
};
check();
"#;

/// Counts completed history loads (the "Loading earlier messages…" line going away).
const WATCH_LOADS_JS: &str = r#"
const done = arguments[arguments.length - 1];
const h = document.querySelector('[data-testid=chat-view] .history');
if (!h) { done({ error: 'no history element' }); }
else {
  window.__bench = { loads: 0 };
  new MutationObserver((ms) => {
    for (const m of ms) for (const n of m.removedNodes)
      if (n.nodeType === 1 && n.classList.contains('loading-older')) window.__bench.loads++;
  }).observe(h, { childList: true });
  done({ ok: true });
}
"#;

/// One step up through the history: a viewport's height, then two frames.
const SCROLL_STEP_JS: &str = r#"
const done = arguments[arguments.length - 1];
const el = document.querySelector('[data-testid=chat-view] .vlist');
if (!el) { done({ error: 'no message list' }); }
else {
  const loading = !!document.querySelector('.loading-older');
  // At the very top with nothing loading, no scroll event would fire: step down first.
  if (el.scrollTop === 0 && !loading) el.scrollTop = Math.min(el.clientHeight, el.scrollHeight);
  else el.scrollTop = Math.max(0, el.scrollTop - el.clientHeight);
  requestAnimationFrame(() => requestAnimationFrame(() => done({
    loads: window.__bench.loads,
    top: el.scrollTop,
    height: el.scrollHeight,
    loading: !!document.querySelector('.loading-older'),
    rendered: document.querySelectorAll('[data-testid=message]').length,
  })));
}
"#;

// ------------------------------------------------------------------------ scenarios

struct ColdStart {
    loaded_ms: f64,
    rows_ms: f64,
    responds_ms: f64,
    already: bool,
}

async fn cold_start(driver: &Driver, app: &(PathBuf, PathBuf), run: &str) -> ColdStart {
    let (c, l) = launch(driver, &app.0, &app.1).await;
    let v = script(&c, COLD_START_JS, vec![json!(true)]).await;
    let ms = |k: &str| v[k].as_f64().unwrap_or(f64::NAN) - l.at_ms;
    let r = ColdStart {
        loaded_ms: ms("loadEnd"),
        rows_ms: ms("rowsAt"),
        responds_ms: ms("scrolledAt"),
        already: v["already"].as_bool().unwrap_or(false),
    };
    eprintln!(
        "  {run}: page loaded {:.0} ms, rows {:.0} ms ({} rendered of ~{}), list responds {:.0} ms{} [session up at {:.0} ms]",
        r.loaded_ms,
        r.rows_ms,
        v["rowCount"],
        v["listRows"],
        r.responds_ms,
        if r.already { " (rows already there at the first script: an upper bound)" } else { "" },
        ms("firstScriptAt"),
    );
    quit(c, l.pid).await;
    r
}

struct Memory {
    idle_mb: f64,
    scrolled_mb: f64,
    parts: Vec<(String, f64)>,
    loads: u64,
    messages: u64,
    scroll_s: f64,
}

async fn memory(driver: &Driver, app: &(PathBuf, PathBuf), pages: u64, run: &str) -> Memory {
    let (c, l) = launch(driver, &app.0, &app.1).await;
    script(&c, COLD_START_JS, vec![json!(false)]).await;
    tokio::time::sleep(SETTLE).await;
    let (idle_mb, _) = tree_pss(l.pid);

    let row = format!("[data-testid=conv-item][data-conversation-id=C2C{BIG}]");
    c.wait()
        .at_most(STEP)
        .for_element(Locator::Css(&row))
        .await
        .expect("the big conversation's row")
        .click()
        .await
        .expect("open the big conversation");
    let first =
        format!("[data-testid=chat-view][data-conversation-id=C2C{BIG}] [data-testid=message]");
    c.wait()
        .at_most(STEP)
        .for_element(Locator::Css(&first))
        .await
        .expect("the first page of messages");
    script(&c, WATCH_LOADS_JS, vec![]).await;

    let t = Instant::now();
    let mut loads = 0;
    let mut last_progress = Instant::now();
    let mut reported = 0;
    while loads < pages {
        let v = script(&c, SCROLL_STEP_JS, vec![]).await;
        let now = v["loads"].as_u64().unwrap_or(0);
        if now > loads {
            loads = now;
            last_progress = Instant::now();
        }
        if loads >= reported + 10 {
            reported = loads;
            eprintln!(
                "  {run}: {loads} pages of history loaded, {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
        if last_progress.elapsed() > Duration::from_secs(20) {
            eprintln!("  {run}: no new page for 20 s (at {v}); stopping at {loads} pages");
            break;
        }
    }
    let scroll_s = t.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;
    let (scrolled_mb, parts) = tree_pss(l.pid);
    // Read after the measurement: the snapshot itself allocates.
    let messages = script(
        &c,
        "const done = arguments[arguments.length - 1];\
         const h = window.pigeonTest.state().histories[arguments[0]];\
         done({ n: h ? h.list.length : 0 });",
        vec![json!(format!("C2C{BIG}"))],
    )
    .await["n"]
        .as_u64()
        .unwrap_or(0);
    eprintln!(
        "  {run}: PSS {idle_mb:.0} MB idle with the list, {scrolled_mb:.0} MB after {loads} pages ({messages} messages in the view's history) in {scroll_s:.1} s: {}",
        parts
            .iter()
            .map(|(n, mb)| format!("{n} {mb:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quit(c, l.pid).await;
    Memory {
        idle_mb,
        scrolled_mb,
        parts,
        loads,
        messages,
        scroll_s,
    }
}

struct Floor {
    loaded_ms: f64,
    pss_mb: f64,
    parts: Vec<(String, f64)>,
}

async fn floor(driver: &Driver, app: &(PathBuf, PathBuf), run: &str) -> Floor {
    let (c, l) = launch(driver, &app.0, &app.1).await;
    let v = script(&c, LOADED_JS, vec![]).await;
    let loaded_ms = v["loadEnd"].as_f64().unwrap_or(f64::NAN) - l.at_ms;
    tokio::time::sleep(SETTLE).await;
    let (pss_mb, parts) = tree_pss(l.pid);
    eprintln!(
        "  {run}: page loaded {loaded_ms:.0} ms, PSS {pss_mb:.0} MB: {}",
        parts
            .iter()
            .map(|(n, mb)| format!("{n} {mb:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quit(c, l.pid).await;
    Floor {
        loaded_ms,
        pss_mb,
        parts,
    }
}

// ------------------------------------------------------------------------ main

/// The desktop build's binaries: `$PIGEON_DESKTOP_BIN` / `$PIGEON_FLOOR_BIN`, else the release
/// build in `<this target dir>-desktop` (CARGO_TARGET_DIR=/work/target → /work/target-desktop),
/// else src-tauri/target.
fn desktop_bin(var: &str, rel: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        return PathBuf::from(p);
    }
    let server = bin("pigeon-server");
    let target = server
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf();
    let mut sibling = target.clone().into_os_string();
    sibling.push("-desktop");
    let candidates = [
        PathBuf::from(sibling).join("release").join(rel),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../src-tauri/target/release")
            .join(rel),
    ];
    for c in &candidates {
        if c.exists() {
            return c.clone();
        }
    }
    panic!(
        "{rel} is missing: build it with scripts/bench-desktop.sh, or set {var} (looked at {candidates:?})"
    );
}

fn stats(name: &str, unit: &str, v: &[f64]) -> String {
    let (lo, hi) = min_max(v);
    format!(
        "{name:<58} {:>8.0} {unit}  (min {lo:.0}, max {hi:.0}, n={})",
        median(v.to_vec()),
        v.len()
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!(
            "desktop bench: no DISPLAY. Run scripts/bench-desktop.sh, or wrap the bench in \
             xvfb-run -a -s \"-screen 0 1280x800x24\" dbus-run-session --"
        );
        std::process::exit(2);
    }
    let convs = env_usize("PIGEON_BENCH_CONVERSATIONS", 10_000);
    let msgs = env_usize("PIGEON_BENCH_MESSAGES", 100_000);
    let runs = env_usize("PIGEON_BENCH_RUNS", 5);
    let mem_runs = env_usize("PIGEON_BENCH_MEM_RUNS", 3);
    let pages = env_usize("PIGEON_BENCH_PAGES", 50) as u64;
    let app_bin = desktop_bin("PIGEON_DESKTOP_BIN", "pigeon-desktop");
    let floor_bin = desktop_bin("PIGEON_FLOOR_BIN", "examples/floor");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    rt.block_on(async {
        eprintln!(
            "desktop bench: {convs} conversations, {msgs} messages in one; {runs} cold starts, \
             {mem_runs}+{mem_runs} memory runs of {pages} pages, {runs} floor runs"
        );
        eprintln!("  app: {}\n  floor: {}", app_bin.display(), floor_bin.display());
        let work = tempfile::tempdir().expect("tempdir");
        let data = work.path().join("app-data");
        std::fs::create_dir_all(&data).expect("data dir");
        let mut server = Server::start_with(&["--dev-sign-in"]);
        eprintln!("== preparing: server store, then the app's SDK cache");
        prepare(&server, &data, convs, msgs).await;

        let driver = Driver::start(&work.path().join("home"));
        // PIGEON_BENCH_APP_ENV="K=V ..." goes to both (e.g. MALLOC_ARENA_MAX=2 to see what
        // glibc's per-thread arenas hold).
        let extra: Vec<(String, PathBuf)> = std::env::var("PIGEON_BENCH_APP_ENV")
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), PathBuf::from(v)))
            .collect();
        let mut app_env: Vec<(&str, &Path)> = vec![("PIGEON_DESKTOP_DATA_DIR", &data)];
        app_env.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_path())));
        let floor_env: Vec<(&str, &Path)> =
            extra.iter().map(|(k, v)| (k.as_str(), v.as_path())).collect();
        let app = wrapper(work.path(), "app", &app_bin, &app_env);
        let floor_app = wrapper(work.path(), "floor", &floor_bin, &floor_env);

        eprintln!("== warm-up launch (untimed): the app signs in from its settings and syncs");
        cold_start(&driver, &app, "warm-up").await;

        floor(&driver, &floor_app, "floor warm-up").await;

        // App and floor launches alternate, so both meet the same machine load.
        eprintln!("== (a) cold start to an interactive list of {convs} cached conversations, and (c) the floor (a minimal Tauri window with a static page)");
        let mut cold = Vec::new();
        let mut floors = Vec::new();
        for i in 0..runs {
            cold.push(cold_start(&driver, &app, &format!("app run {}/{runs}", i + 1)).await);
            floors.push(floor(&driver, &floor_app, &format!("floor run {}/{runs}", i + 1)).await);
        }

        eprintln!("== (b) memory after opening {BIG}'s {msgs} messages and scrolling {pages} pages (online)");
        let mut online = Vec::new();
        for i in 0..mem_runs {
            online.push(memory(&driver, &app, pages, &format!("online {}/{mem_runs}", i + 1)).await);
        }
        eprintln!("== (b) the same offline: the server stopped, history from the local cache");
        server.kill9();
        let mut offline = Vec::new();
        for i in 0..mem_runs {
            offline.push(memory(&driver, &app, pages, &format!("offline {}/{mem_runs}", i + 1)).await);
        }

        drop(driver);

        let col = |v: &[ColdStart], f: fn(&ColdStart) -> f64| v.iter().map(f).collect::<Vec<_>>();
        let mcol = |v: &[Memory], f: fn(&Memory) -> f64| v.iter().map(f).collect::<Vec<_>>();
        let fcol = |v: &[Floor], f: fn(&Floor) -> f64| v.iter().map(f).collect::<Vec<_>>();
        println!();
        println!("desktop bench ({convs} conversations, {msgs} messages; medians)");
        println!("{}", stats("app: launch → page loaded", "ms", &col(&cold, |c| c.loaded_ms)));
        println!("{}", stats("app: launch → first conversation rows in the DOM", "ms", &col(&cold, |c| c.rows_ms)));
        println!("{}", stats("app: launch → list scrolled (interactive)", "ms", &col(&cold, |c| c.responds_ms)));
        println!("{}", stats("floor: launch → page loaded", "ms", &fcol(&floors, |f| f.loaded_ms)));
        println!("{}", stats("app: PSS idle with the list", "MB", &mcol(&online, |m| m.idle_mb)));
        println!("{}", stats("app: PSS after opening + scrolling (online)", "MB", &mcol(&online, |m| m.scrolled_mb)));
        println!("{}", stats("app: PSS after opening + scrolling (offline, cache)", "MB", &mcol(&offline, |m| m.scrolled_mb)));
        println!("{}", stats("floor: PSS idle", "MB", &fcol(&floors, |f| f.pss_mb)));
        if cold.iter().any(|c| c.already) {
            println!("note: in some runs the rows were there before the first script ran (upper bounds)");
        }
        let result = json!({
            "conversations": convs,
            "messages": msgs,
            "pages": pages,
            "cold_start": cold.iter().map(|c| json!({"loaded_ms": c.loaded_ms, "rows_ms": c.rows_ms, "responds_ms": c.responds_ms, "already": c.already})).collect::<Vec<_>>(),
            "memory_online": online.iter().map(|m| json!({"idle_mb": m.idle_mb, "scrolled_mb": m.scrolled_mb, "parts": m.parts, "loads": m.loads, "messages": m.messages, "scroll_s": m.scroll_s})).collect::<Vec<_>>(),
            "memory_offline": offline.iter().map(|m| json!({"idle_mb": m.idle_mb, "scrolled_mb": m.scrolled_mb, "parts": m.parts, "loads": m.loads, "messages": m.messages, "scroll_s": m.scroll_s})).collect::<Vec<_>>(),
            "floor": floors.iter().map(|f| json!({"loaded_ms": f.loaded_ms, "pss_mb": f.pss_mb, "parts": f.parts})).collect::<Vec<_>>(),
        });
        if let Some(path) = std::env::var_os("PIGEON_BENCH_JSON") {
            std::fs::write(&path, serde_json::to_vec_pretty(&result).expect("json")).expect("write results");
        }
    });
    eprintln!(
        "desktop bench: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
