//! Conversations end to end: every conversation setting (pin, custom data, marks, remind types,
//! global do-not-disturb, drafts, clearing, deleting, conversation groups) is seen by the calling
//! instance as soon as the call resolves, reaches the same user's other instance as events, and
//! is stored on the server (a brand-new device sees it) — except drafts, which stay on the
//! instance that wrote them. Plus unread arithmetic, @-mention info and bad input.
//!
//! alice is logged in twice ("web" and "desktop" platforms); bob and carol are her peers and
//! share the group `team` with her.

use pigeon_tests::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};

const STAR: u64 = 1;
const UNREAD: u64 = 2;
const FOLD: u64 = 4;
const HIDE: u64 = 8;
const AT_ALL: &str = "__kImSDK_MesssageAtALL__";
const GID: &str = "team";
const GROUP: &str = "GROUPteam";

// ---------------------------------------------------------------------------------------------
// Helpers

async fn login_on(server: &Server, user: &str, platform: &str) -> Client {
    let opts = ClientOpts {
        url: server.url(),
        data_dir: None,
        platform: platform.into(),
    };
    let mut c = Client::with(server, user, opts);
    c.login_ready(server).await;
    c
}

/// A brand-new device of alice: empty cache, and a platform of its own so no instance is
/// kicked. What it knows after SDK_READY came from the server.
async fn fresh_alice(server: &Server) -> Client {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    login_on(server, "alice", &format!("fresh-device-{n}")).await
}

async fn bye(c: Client) {
    c.ok("logout", vec![]).await;
}

/// The conversations of a getConversationList reply or of an onConversationListUpdated event.
fn items(list: &Value) -> &[Value] {
    list.get("conversationList")
        .unwrap_or(list)
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn find<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    items(list)
        .iter()
        .find(|c| c["conversationID"] == json!(id))
}

fn conv<'a>(list: &'a Value, id: &str) -> &'a Value {
    find(list, id).unwrap_or_else(|| panic!("no conversation {id} in {list}"))
}

/// `key` of conversation `id`, Null when there is no such conversation.
fn field(list: &Value, id: &str, key: &str) -> Value {
    find(list, id)
        .map(|c| c[key].clone())
        .unwrap_or(Value::Null)
}

fn last_text(list: &Value, id: &str) -> Value {
    field(list, id, "lastMessage")["messageForShow"].clone()
}

fn ids(list: &Value) -> Vec<String> {
    items(list)
        .iter()
        .map(|c| c["conversationID"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn names(v: &[&str]) -> Vec<String> {
    sorted(v.iter().map(|s| (*s).to_owned()).collect())
}

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|m| m["payload"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// getConversationList() as the app sees it (hidden conversations left out).
async fn list(c: &Client) -> Value {
    c.ok("getConversationList", vec![]).await
}

/// IDs of user conversations getConversationList returns for a filter, sorted. The system
/// conversation (group system notices, e.g. "group created") is left out: these tests are
/// about C2C and group conversations.
async fn filter(c: &Client, f: Value) -> Vec<String> {
    let mut list = sorted(ids(&c.ok("getConversationList", vec![f]).await));
    list.retain(|id| id != "@TIM#SYSTEM");
    list
}

/// Every conversation `c` has, hidden ones too.
async fn everything(c: &Client) -> Value {
    let mut all = items(&list(c).await).to_vec();
    let hidden = c
        .ok("getConversationList", vec![json!({ "markType": HIDE })])
        .await;
    all.extend(items(&hidden).iter().cloned());
    Value::Array(all)
}

async fn total(c: &Client) -> u64 {
    c.ok("getTotalUnreadMessageCount", vec![])
        .await
        .as_u64()
        .expect("getTotalUnreadMessageCount returns a number")
}

/// Waits for an onConversationListUpdated of `c` whose list (hidden conversations included)
/// satisfies `pred`; then getConversationList must agree. Callers clear `c` before the action,
/// so no earlier event can count.
async fn settle(c: &mut Client, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    c.wait_for("onConversationListUpdated", &pred).await;
    let now = everything(c).await;
    assert!(
        pred(&now),
        "{}: {what}: getConversationList disagrees with the event: {now}",
        c.user
    );
    now
}

/// The calling instance emitted onConversationListUpdated for its own change too.
async fn caller_event(c: &mut Client, pred: impl Fn(&Value) -> bool) {
    c.wait_for("onConversationListUpdated", pred).await;
}

/// Waits until `c`'s total unread count is `n` (already, or at an update event).
async fn settle_total(c: &mut Client, n: u64) {
    if total(c).await != n {
        c.wait_for("onTotalUnreadMessageCountUpdated", |v| *v == json!(n))
            .await;
    }
    assert_eq!(total(c).await, n, "{}: total unread", c.user);
}

/// Waits for the onMessageReceived batch holding `text`; returns the texts of that batch.
async fn wait_text(c: &mut Client, text: &str) -> Vec<String> {
    let batch = c
        .wait_for("onMessageReceived", |d| texts(d).iter().any(|t| t == text))
        .await;
    texts(&batch)
}

/// Texts of every onMessageReceived still recorded.
fn received(c: &mut Client) -> Vec<String> {
    c.events_named("onMessageReceived")
        .iter()
        .flat_map(texts)
        .collect()
}

async fn history(c: &Client, conv_id: &str) -> Vec<String> {
    let page = c
        .ok("getMessageList", vec![json!({ "conversationID": conv_id })])
        .await;
    texts(&page["messageList"])
}

/// The code a call that must fail fails with.
async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    match c.call(method, args).await {
        Ok(v) => panic!("{} {method} must fail, returned {v}", c.user),
        Err(e) => e.code,
    }
}

async fn send_at(c: &Client, text: &str, at: &[&str]) -> Value {
    let m = c
        .ok(
            "createTextAtMessage",
            vec![json!({"to": GID, "conversationType": "GROUP",
                "payload": {"text": text, "atUserList": at}})],
        )
        .await;
    c.ok("sendMessage", vec![m]).await["message"].clone()
}

/// The failure entries of a batch reply as (conversationID, code).
fn failures(reply: &Value) -> Vec<(String, u64)> {
    reply["failureConversationIDList"]
        .as_array()
        .expect("failureConversationIDList")
        .iter()
        .map(|f| {
            assert!(
                f["message"].as_str().is_some_and(|m| !m.is_empty()),
                "a failure says why: {f}"
            );
            (
                f["conversationID"].as_str().unwrap_or_default().to_owned(),
                f["code"].as_u64().expect("code"),
            )
        })
        .collect()
}

fn successes(reply: &Value) -> Vec<String> {
    reply["successConversationIDList"]
        .as_array()
        .expect("successConversationIDList")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn check_mark_filters(c: &Client, custom_lo: u64, custom_hi: u64) {
    assert_eq!(
        filter(c, json!({"markType": STAR})).await,
        names(&["C2Cbob", GROUP])
    );
    assert_eq!(
        filter(c, json!({"markType": STAR, "type": "C2C"})).await,
        names(&["C2Cbob"])
    );
    assert_eq!(
        filter(c, json!({"markType": FOLD, "type": "GROUP"})).await,
        names(&[GROUP])
    );
    assert_eq!(
        filter(c, json!({"markType": custom_hi})).await,
        names(&["C2Cbob"])
    );
    assert_eq!(
        filter(c, json!({"markType": custom_lo})).await,
        names(&["C2Ccarol"])
    );
    assert!(filter(c, json!({"markType": 0})).await.is_empty());
}

/// C2Ccarol (marked `custom_lo` too) is hidden.
async fn check_hidden(c: &Client, custom_lo: u64) {
    assert!(
        find(&list(c).await, "C2Ccarol").is_none(),
        "{}: hidden",
        c.user
    );
    assert_eq!(
        filter(c, json!({"markType": HIDE})).await,
        names(&["C2Ccarol"])
    );
    assert_eq!(filter(c, json!({"type": "C2C"})).await, names(&["C2Cbob"]));
    assert!(filter(c, json!({"markType": custom_lo})).await.is_empty());
}

async fn receive_opt(c: &Client) -> Value {
    c.ok("getAllReceiveMessageOpt", vec![]).await
}

async fn group_names(c: &Client) -> Vec<String> {
    let v = c.ok("getConversationGroupList", vec![]).await;
    sorted(
        v.as_array()
            .expect("an array of names")
            .iter()
            .map(|n| n.as_str().expect("a name").to_owned())
            .collect(),
    )
}

/// C2Cbob and the group are in "Work", C2Ccarol in no group.
async fn check_work(c: &Client) {
    assert_eq!(group_names(c).await, names(&["Work"]));
    assert_eq!(
        filter(c, json!({"groupName": "Work"})).await,
        names(&["C2Cbob", GROUP])
    );
    assert_eq!(
        filter(c, json!({"groupName": ""})).await,
        names(&["C2Ccarol"])
    );
    assert_eq!(
        filter(c, json!({"groupName": "Work", "type": "C2C"})).await,
        names(&["C2Cbob"])
    );
}

async fn check_at_filters(c: &Client) {
    assert_eq!(
        filter(c, json!({"hasGroupAtInfo": true})).await,
        names(&[GROUP])
    );
    assert_eq!(
        filter(c, json!({"hasGroupAtInfo": false})).await,
        names(&["C2Cbob", "C2Ccarol"])
    );
}

struct World {
    server: Server,
    web: Client,
    desk: Client,
    bob: Client,
    carol: Client,
}

impl World {
    fn clear(&mut self) {
        for c in [
            &mut self.web,
            &mut self.desk,
            &mut self.bob,
            &mut self.carol,
        ] {
            c.clear();
        }
    }
}

/// alice on "web" and on "desktop", bob and carol; group `team` of all three (made by alice).
/// With `greet`, bob and carol each send alice one C2C message and carol one group message,
/// and both of alice's instances have them (unread 1 each, total 3).
async fn world(greet: bool) -> World {
    let server = Server::start();
    let url = server.url();
    world_with(server, url, greet).await
}

/// [`world`] with alice's desktop instance connecting to `desk_url` (a proxy, to cut it off).
async fn world_with(server: Server, desk_url: String, greet: bool) -> World {
    let mut web = login_on(&server, "alice", "web").await;
    let mut desk = Client::with(
        &server,
        "alice",
        ClientOpts {
            url: desk_url,
            data_dir: None,
            platform: "desktop".into(),
        },
    );
    desk.login_ready(&server).await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;
    web.ok(
        "createGroup",
        vec![json!({"groupID": GID, "name": "team", "type": "Public",
            "memberList": [{"userID": "bob"}, {"userID": "carol"}]})],
    )
    .await;
    for c in [&mut bob, &mut carol] {
        c.wait_for("onGroupListUpdated", |g| {
            g.as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    }
    if greet {
        bob.send_text("alice", "C2C", "from bob").await;
        carol.send_text("alice", "C2C", "from carol").await;
        carol.send_text(GID, "GROUP", "hello team").await;
    }
    for c in [&mut web, &mut desk] {
        settle(c, "the group and greetings", |l| {
            find(l, GROUP).is_some()
                && (!greet
                    || (last_text(l, "C2Cbob") == "from bob"
                        && last_text(l, "C2Ccarol") == "from carol"
                        && last_text(l, GROUP) == "hello team"))
        })
        .await;
        settle_total(c, if greet { 3 } else { 0 }).await;
    }
    let mut w = World {
        server,
        web,
        desk,
        bob,
        carol,
    };
    w.clear();
    w
}

// ---------------------------------------------------------------------------------------------
// pinConversation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_reaches_the_other_instance_and_the_server() {
    let mut w = world(true).await;
    let pinned = |on: bool| move |l: &Value| field(l, "C2Ccarol", "isPinned") == json!(on);

    // C2Ccarol is the oldest conversation; pinned, it goes on top.
    assert_ne!(ids(&list(&w.web).await)[0], "C2Ccarol");
    let r = w
        .web
        .ok(
            "pinConversation",
            vec![json!({"conversationID": "C2Ccarol", "isPinned": true})],
        )
        .await;
    assert_eq!(r, json!({"conversationID": "C2Ccarol"}));
    let l = list(&w.web).await;
    assert_eq!(conv(&l, "C2Ccarol")["isPinned"], true);
    assert_eq!(ids(&l)[0], "C2Ccarol", "pinned first: {l}");
    caller_event(&mut w.web, pinned(true)).await;
    settle(&mut w.desk, "C2Ccarol pinned", pinned(true)).await;
    assert_eq!(ids(&list(&w.desk).await)[0], "C2Ccarol");
    let fresh = fresh_alice(&w.server).await;
    let l = list(&fresh).await;
    assert_eq!(conv(&l, "C2Ccarol")["isPinned"], true);
    assert_eq!(ids(&l)[0], "C2Ccarol");
    let p = fresh
        .ok("getConversationProfile", vec![json!("C2Ccarol")])
        .await;
    assert_eq!(p["conversation"]["isPinned"], true);
    bye(fresh).await;

    // A newer message elsewhere does not push the pinned conversation down.
    w.bob.send_text("alice", "C2C", "newer").await;
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "bob's newer message", |l| {
            last_text(l, "C2Cbob") == "newer"
        })
        .await;
        assert_eq!(ids(&list(c).await)[0], "C2Ccarol");
    }

    w.clear();
    let r = w
        .web
        .ok(
            "pinConversation",
            vec![json!({"conversationID": "C2Ccarol", "isPinned": false})],
        )
        .await;
    assert_eq!(r, json!({"conversationID": "C2Ccarol"}));
    let l = list(&w.web).await;
    assert_eq!(conv(&l, "C2Ccarol")["isPinned"], false);
    assert_ne!(ids(&l)[0], "C2Ccarol", "unpinned, it sorts by time again");
    caller_event(&mut w.web, pinned(false)).await;
    settle(&mut w.desk, "C2Ccarol unpinned", pinned(false)).await;
    assert_ne!(ids(&list(&w.desk).await)[0], "C2Ccarol");
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(conv(&list(&fresh).await, "C2Ccarol")["isPinned"], false);
    bye(fresh).await;

    // Bad input changes nothing.
    let pin = |id: &str| json!({"conversationID": id, "isPinned": true});
    assert_eq!(
        code_of(&w.web, "pinConversation", vec![pin("C2Cnobody")]).await,
        2500
    );
    assert_eq!(
        code_of(&w.web, "pinConversation", vec![pin("carol")]).await,
        2503
    );
    assert_eq!(
        code_of(&w.web, "pinConversation", vec![json!("C2Ccarol")]).await,
        2905
    );
    assert_eq!(
        code_of(
            &w.web,
            "pinConversation",
            vec![json!({"conversationID": "C2Ccarol", "isPinned": "yes"})]
        )
        .await,
        2905
    );
    let fresh = fresh_alice(&w.server).await;
    let l = list(&fresh).await;
    assert!(
        items(&l).iter().all(|c| c["isPinned"] == false),
        "nothing pinned: {l}"
    );
    assert!(find(&l, "C2Cnobody").is_none());
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// setConversationCustomData

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_data_reaches_the_other_instance_and_the_server() {
    let mut w = world(true).await;
    let r = w
        .web
        .ok(
            "setConversationCustomData",
            vec![
                json!({"conversationIDList": ["C2Cbob", GROUP, "C2Cnobody", "GROUPnogroup", "bob"],
                "customData": "blue"}),
            ],
        )
        .await;
    assert_eq!(successes(&r), vec!["C2Cbob", GROUP]);
    assert_eq!(
        failures(&r),
        vec![
            ("C2Cnobody".to_owned(), 2500),
            ("GROUPnogroup".to_owned(), 2500),
            ("bob".to_owned(), 2503),
        ]
    );
    let check = |l: &Value| {
        field(l, "C2Cbob", "customData") == "blue"
            && field(l, GROUP, "customData") == "blue"
            && field(l, "C2Ccarol", "customData") == ""
            && find(l, "C2Cnobody").is_none()
            && find(l, "GROUPnogroup").is_none()
    };
    let l = list(&w.web).await;
    assert!(check(&l), "web right after the call: {l}");
    caller_event(&mut w.web, check).await;
    settle(&mut w.desk, "custom data blue", check).await;
    let fresh = fresh_alice(&w.server).await;
    let l = list(&fresh).await;
    assert!(check(&l), "fresh device: {l}");
    let p = fresh
        .ok("getConversationProfile", vec![json!("C2Cbob")])
        .await;
    assert_eq!(p["conversation"]["customData"], "blue");
    bye(fresh).await;

    // 256 bytes (multi-byte characters) fit; 257 do not, and change nothing.
    w.clear();
    let max = "é".repeat(128);
    assert_eq!(max.len(), 256);
    let r = w
        .web
        .ok(
            "setConversationCustomData",
            vec![json!({"conversationIDList": ["C2Cbob"], "customData": max})],
        )
        .await;
    assert_eq!(successes(&r), vec!["C2Cbob"]);
    assert!(failures(&r).is_empty());
    assert_eq!(
        conv(&list(&w.web).await, "C2Cbob")["customData"],
        json!(max)
    );
    settle(&mut w.desk, "custom data at the limit", |l| {
        field(l, "C2Cbob", "customData") == json!(max)
    })
    .await;
    let over = format!("{max}x");
    assert_eq!(
        code_of(
            &w.web,
            "setConversationCustomData",
            vec![json!({"conversationIDList": ["C2Cbob", GROUP], "customData": over})]
        )
        .await,
        10004
    );
    // Missing customData is a bad argument, not a silent clear.
    assert_eq!(
        code_of(
            &w.web,
            "setConversationCustomData",
            vec![json!({"conversationIDList": ["C2Cbob"]})]
        )
        .await,
        2905
    );
    assert_eq!(
        code_of(
            &w.web,
            "setConversationCustomData",
            vec![json!({"conversationIDList": ["C2Cbob"], "customData": 5})]
        )
        .await,
        2905
    );
    let l = list(&w.web).await;
    assert_eq!(conv(&l, "C2Cbob")["customData"], json!(max));
    assert_eq!(conv(&l, GROUP)["customData"], "blue");

    // '' clears.
    w.clear();
    w.web
        .ok(
            "setConversationCustomData",
            vec![json!({"conversationIDList": [GROUP], "customData": ""})],
        )
        .await;
    assert_eq!(conv(&list(&w.web).await, GROUP)["customData"], "");
    settle(&mut w.desk, "group custom data cleared", |l| {
        field(l, GROUP, "customData") == ""
    })
    .await;
    let fresh = fresh_alice(&w.server).await;
    let l = list(&fresh).await;
    assert_eq!(conv(&l, "C2Cbob")["customData"], json!(max));
    assert_eq!(conv(&l, GROUP)["customData"], "");
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// markConversation and the markType filter

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_filter_hide_and_reach_the_other_instance_and_the_server() {
    let mut w = world(true).await;
    let custom_lo: u64 = 1 << 32;
    let custom_hi: u64 = 1 << 63;
    let mark = |ids: &[&str], mark_type: u64, on: bool| json!({"conversationIDList": ids, "markType": mark_type, "enableMark": on});

    let r = w
        .web
        .ok(
            "markConversation",
            vec![mark(&["C2Cbob", GROUP, "C2Cnobody"], STAR, true)],
        )
        .await;
    assert_eq!(successes(&r), vec!["C2Cbob", GROUP]);
    assert_eq!(failures(&r), vec![("C2Cnobody".to_owned(), 2500)]);
    w.web
        .ok("markConversation", vec![mark(&["C2Cbob"], custom_hi, true)])
        .await;
    w.web
        .ok(
            "markConversation",
            vec![mark(&["C2Ccarol"], custom_lo, true)],
        )
        .await;
    w.web
        .ok("markConversation", vec![mark(&[GROUP], FOLD, true)])
        .await;

    let marks_now = |l: &Value| {
        field(l, "C2Cbob", "markList") == json!([STAR, custom_hi])
            && field(l, "C2Ccarol", "markList") == json!([custom_lo])
            && field(l, GROUP, "markList") == json!([STAR, FOLD])
    };
    let l = list(&w.web).await;
    assert!(marks_now(&l), "web right after the calls: {l}");
    caller_event(&mut w.web, marks_now).await;
    check_mark_filters(&w.web, custom_lo, custom_hi).await;
    settle(&mut w.desk, "marks", marks_now).await;
    check_mark_filters(&w.desk, custom_lo, custom_hi).await;
    let fresh = fresh_alice(&w.server).await;
    let l = list(&fresh).await;
    assert!(marks_now(&l), "fresh device: {l}");
    check_mark_filters(&fresh, custom_lo, custom_hi).await;
    bye(fresh).await;

    // Unmarking.
    w.clear();
    let r = w
        .web
        .ok(
            "markConversation",
            vec![mark(&["C2Cbob", GROUP], STAR, false)],
        )
        .await;
    assert_eq!(successes(&r), vec!["C2Cbob", GROUP]);
    let unstarred = |l: &Value| {
        field(l, "C2Cbob", "markList") == json!([custom_hi])
            && field(l, GROUP, "markList") == json!([FOLD])
    };
    assert!(unstarred(&list(&w.web).await));
    assert!(filter(&w.web, json!({"markType": STAR})).await.is_empty());
    settle(&mut w.desk, "stars removed", unstarred).await;
    let fresh = fresh_alice(&w.server).await;
    assert!(unstarred(&list(&fresh).await));
    bye(fresh).await;

    // Invalid mark types are refused and change nothing.
    let before = list(&w.web).await;
    for bad in [0u64, 3, 16, 1 << 31, (1 << 32) | 1, 6] {
        assert_eq!(
            code_of(
                &w.web,
                "markConversation",
                vec![mark(&["C2Cbob"], bad, true)]
            )
            .await,
            10004,
            "markType {bad}"
        );
    }
    for bad in [
        json!(-1),
        json!(1.5),
        json!("1"),
        json!(18_446_744_073_709_551_616.0),
    ] {
        let arg = json!({"conversationIDList": ["C2Cbob"], "markType": bad, "enableMark": true});
        assert_eq!(
            code_of(&w.web, "markConversation", vec![arg]).await,
            2905,
            "markType {bad}"
        );
    }
    // Missing enableMark is a bad argument, not a silent unmark.
    assert_eq!(
        code_of(
            &w.web,
            "markConversation",
            vec![json!({"conversationIDList": ["C2Cbob"], "markType": custom_hi})]
        )
        .await,
        2905
    );
    assert_eq!(list(&w.web).await, before);
    let fresh = fresh_alice(&w.server).await;
    assert!(unstarred(&list(&fresh).await));
    bye(fresh).await;

    // Hidden conversations leave the list (unless asked for by that mark)...
    w.clear();
    w.web
        .ok("markConversation", vec![mark(&["C2Ccarol"], HIDE, true)])
        .await;
    let hidden = |l: &Value| field(l, "C2Ccarol", "markList") == json!([HIDE, custom_lo]);
    assert!(hidden(&everything(&w.web).await));
    caller_event(&mut w.web, hidden).await;
    check_hidden(&w.web, custom_lo).await;
    settle(&mut w.desk, "C2Ccarol hidden", hidden).await;
    check_hidden(&w.desk, custom_lo).await;
    let fresh = fresh_alice(&w.server).await;
    check_hidden(&fresh, custom_lo).await;
    bye(fresh).await;

    // ...and a new message brings them back, other marks kept.
    w.clear();
    w.carol.send_text("alice", "C2C", "still here?").await;
    let back = |l: &Value| {
        last_text(l, "C2Ccarol") == "still here?"
            && field(l, "C2Ccarol", "markList") == json!([custom_lo])
    };
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "C2Ccarol back", back).await;
        assert!(find(&list(c).await, "C2Ccarol").is_some());
    }
    let fresh = fresh_alice(&w.server).await;
    assert!(back(&list(&fresh).await));
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// setMessageRemindType

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remind_types_reach_the_other_instance_and_shape_delivery() {
    let mut w = world(true).await;
    let now = unix_now();
    let remind =
        |id: &'static str, t: &'static str| move |l: &Value| field(l, id, "messageRemindType") == t;
    for c in [&w.web, &w.desk] {
        assert!(c.chat.should_notify("C2Cbob", false, now));
    }

    // Do not disturb for bob: received and counted in the conversation, not in the total.
    let r = w
        .web
        .ok(
            "setMessageRemindType",
            vec![json!({"userIDList": ["bob"], "messageRemindType": "AcceptNotNotify"})],
        )
        .await;
    assert_eq!(
        r,
        json!({"successUserIDList": [{"userID": "bob"}], "failureUserIDList": []})
    );
    let l = list(&w.web).await;
    assert_eq!(conv(&l, "C2Cbob")["messageRemindType"], "AcceptNotNotify");
    assert_eq!(conv(&l, "C2Ccarol")["messageRemindType"], "AcceptAndNotify");
    assert_eq!(total(&w.web).await, 2);
    caller_event(&mut w.web, remind("C2Cbob", "AcceptNotNotify")).await;
    w.web
        .wait_for("onTotalUnreadMessageCountUpdated", |v| *v == json!(2))
        .await;
    settle(
        &mut w.desk,
        "bob muted",
        remind("C2Cbob", "AcceptNotNotify"),
    )
    .await;
    settle_total(&mut w.desk, 2).await;
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(
        conv(&list(&fresh).await, "C2Cbob")["messageRemindType"],
        "AcceptNotNotify"
    );
    assert_eq!(total(&fresh).await, 2);
    for c in [&w.web, &w.desk, &fresh] {
        assert!(!c.chat.should_notify("C2Cbob", false, now), "{}", c.user);
        assert!(!c.chat.should_notify("C2Cbob", true, now));
        assert!(c.chat.should_notify("C2Ccarol", false, now));
    }
    bye(fresh).await;
    w.clear();
    w.bob.send_text("alice", "C2C", "muted but here").await;
    for c in [&mut w.web, &mut w.desk] {
        wait_text(c, "muted but here").await;
        settle(c, "muted message counted in its conversation", |l| {
            field(l, "C2Cbob", "unreadCount") == 2
        })
        .await;
        assert_eq!(total(c).await, 2, "{}: not in the total", c.user);
    }

    // Discard: nothing arrives and nothing counts, yet history has it.
    w.clear();
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"userIDList": ["bob"], "messageRemindType": "Discard"})],
        )
        .await;
    assert_eq!(
        conv(&list(&w.web).await, "C2Cbob")["messageRemindType"],
        "Discard"
    );
    settle(&mut w.desk, "bob discarded", remind("C2Cbob", "Discard")).await;
    w.bob.send_text("alice", "C2C", "dropped").await;
    // Carol's message goes out after bob's was handled: once it is in, bob's would be too.
    w.carol.send_text("alice", "C2C", "barrier").await;
    for c in [&mut w.web, &mut w.desk] {
        let mut got = wait_text(c, "barrier").await;
        got.extend(received(c));
        assert!(
            !got.iter().any(|t| t == "dropped"),
            "{}: discarded message delivered: {got:?}",
            c.user
        );
        let l = list(c).await;
        assert_eq!(conv(&l, "C2Cbob")["unreadCount"], 2);
        assert_eq!(last_text(&l, "C2Cbob"), "muted but here");
        assert_eq!(
            history(c, "C2Cbob").await,
            vec!["from bob", "muted but here", "dropped"]
        );
    }
    assert_eq!(total(&w.web).await, 3, "carol's two and the group's one");

    // A group receiving only @-mentions.
    w.clear();
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"groupID": GID, "messageRemindType": "NotReceiveMsgExceptAt"})],
        )
        .await;
    let group_mode = |t: &'static str| {
        move |l: &Value| {
            field(l, GROUP, "messageRemindType") == t
                && field(l, GROUP, "groupProfile")["selfInfo"]["messageRemindType"] == t
        }
    };
    assert!(group_mode("NotReceiveMsgExceptAt")(&list(&w.web).await));
    settle(
        &mut w.desk,
        "group at-only",
        group_mode("NotReceiveMsgExceptAt"),
    )
    .await;
    let fresh = fresh_alice(&w.server).await;
    assert!(group_mode("NotReceiveMsgExceptAt")(&list(&fresh).await));
    bye(fresh).await;
    w.carol.send_text(GID, "GROUP", "plain").await;
    send_at(&w.carol, "@alice look", &["alice"]).await;
    for c in [&mut w.web, &mut w.desk] {
        let mut got = wait_text(c, "@alice look").await;
        got.extend(received(c));
        assert!(!got.iter().any(|t| t == "plain"), "{}: {got:?}", c.user);
        settle(c, "the mention counted", |l| {
            field(l, GROUP, "unreadCount") == 2
        })
        .await;
        assert_eq!(
            history(c, GROUP).await[1..],
            ["hello team", "plain", "@alice look"]
        );
        assert!(c.chat.should_notify(GROUP, true, now));
        assert!(!c.chat.should_notify(GROUP, false, now));
        assert_eq!(total(c).await, 2, "{}: the group is not counted", c.user);
    }

    // Receive everything, notify only for mentions.
    w.clear();
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"groupID": GID, "messageRemindType": "AcceptNotNotifyExceptAt"})],
        )
        .await;
    settle(
        &mut w.desk,
        "group notify on mentions",
        group_mode("AcceptNotNotifyExceptAt"),
    )
    .await;
    for c in [&w.web, &w.desk] {
        assert!(c.chat.should_notify(GROUP, true, now));
        assert!(!c.chat.should_notify(GROUP, false, now));
    }

    // Back to normal: counted and notified again.
    w.clear();
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"groupID": GID, "messageRemindType": "AcceptAndNotify"})],
        )
        .await;
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"userIDList": ["bob"], "messageRemindType": "AcceptAndNotify"})],
        )
        .await;
    assert_eq!(total(&w.web).await, 6);
    settle(&mut w.desk, "group normal", group_mode("AcceptAndNotify")).await;
    settle(
        &mut w.desk,
        "bob normal",
        remind("C2Cbob", "AcceptAndNotify"),
    )
    .await;
    settle_total(&mut w.desk, 6).await;
    for c in [&w.web, &w.desk] {
        assert!(c.chat.should_notify(GROUP, false, now));
        assert!(c.chat.should_notify("C2Cbob", false, now));
    }

    // Bad input.
    let set = |o: Value| vec![o];
    let many: Vec<String> = (0..31).map(|i| format!("user{i}")).collect();
    for (what, arg, want) in [
        (
            "31 users",
            json!({"userIDList": many, "messageRemindType": "Discard"}),
            10004,
        ),
        (
            "no users",
            json!({"userIDList": [], "messageRemindType": "Discard"}),
            10004,
        ),
        ("neither", json!({"messageRemindType": "Discard"}), 10004),
        (
            "both",
            json!({"groupID": GID, "userIDList": ["bob"], "messageRemindType": "Discard"}),
            10004,
        ),
        (
            "unknown type",
            json!({"userIDList": ["bob"], "messageRemindType": "Loud"}),
            10004,
        ),
        (
            "no such group",
            json!({"groupID": "nogroup", "messageRemindType": "Discard"}),
            10010,
        ),
        (
            "userIDList not an array",
            json!({"userIDList": "bob", "messageRemindType": "Discard"}),
            2905,
        ),
    ] {
        assert_eq!(
            code_of(&w.web, "setMessageRemindType", set(arg)).await,
            want,
            "{what}"
        );
    }
    w.bob
        .ok(
            "createGroup",
            vec![json!({"groupID": "bobs", "name": "bobs", "type": "Public"})],
        )
        .await;
    assert_eq!(
        code_of(
            &w.web,
            "setMessageRemindType",
            set(json!({"groupID": "bobs", "messageRemindType": "Discard"}))
        )
        .await,
        10007,
        "not a member"
    );
    let r = w
        .web
        .ok(
            "setMessageRemindType",
            set(json!({"userIDList": ["bob", ""], "messageRemindType": "AcceptAndNotify"})),
        )
        .await;
    assert_eq!(r["successUserIDList"], json!([{"userID": "bob"}]));
    assert_eq!(r["failureUserIDList"][0]["userID"], "");
    assert_eq!(r["failureUserIDList"][0]["code"], 10004);
    let fresh = fresh_alice(&w.server).await;
    let l = list(&fresh).await;
    assert_eq!(conv(&l, "C2Cbob")["messageRemindType"], "AcceptAndNotify");
    assert_eq!(conv(&l, GROUP)["messageRemindType"], "AcceptAndNotify");
    assert_eq!(total(&fresh).await, 6);
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// setAllReceiveMessageOpt / getAllReceiveMessageOpt

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_do_not_disturb_reaches_the_other_instance_and_the_server() {
    let mut w = world(true).await;
    assert_eq!(
        receive_opt(&w.web).await["messageRemindType"],
        "AcceptAndNotify"
    );

    // Daily, 22:30:15 for 12 hours.
    w.web
        .ok(
            "setAllReceiveMessageOpt",
            vec![
                json!({"messageRemindType": "AcceptNotNotify", "startHour": 22,
                "startMinute": 30, "startSecond": 15, "duration": 12 * 3600, "isRepeated": true}),
            ],
        )
        .await;
    let opt = receive_opt(&w.web).await;
    assert_eq!(opt["messageRemindType"], "AcceptNotNotify");
    assert_eq!(opt["isRepeated"], true);
    let start = opt["startTime"].as_u64().expect("startTime");
    let end = opt["endTime"].as_u64().expect("endTime");
    assert_eq!(start % 86_400, 22 * 3600 + 30 * 60 + 15, "UTC time of day");
    assert_eq!(end - start, 12 * 3600);
    let pushed = w
        .desk
        .wait_for("onAllReceiveMessageOptUpdated", |o| *o == opt)
        .await;
    assert_eq!(pushed, opt);
    assert_eq!(receive_opt(&w.desk).await, opt);
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(receive_opt(&fresh).await, opt);
    for c in [&w.web, &w.desk, &fresh] {
        let who = &c.user;
        assert!(!c.chat.should_notify("C2Cbob", false, start + 1), "{who}");
        assert!(
            !c.chat.should_notify("C2Cbob", true, start + 1),
            "global wins over mentions"
        );
        assert!(c.chat.should_notify("C2Cbob", false, start - 1), "before");
        assert!(c.chat.should_notify("C2Cbob", false, end), "after");
        assert!(
            !c.chat.should_notify("C2Cbob", false, start + 86_400 + 60),
            "the next night"
        );
        assert!(c.chat.should_notify("C2Cbob", false, end + 86_400));
    }
    bye(fresh).await;

    // Once, 01:00 for an hour.
    w.clear();
    w.web
        .ok(
            "setAllReceiveMessageOpt",
            vec![
                json!({"messageRemindType": "AcceptNotNotify", "startHour": 1,
                "duration": 3600, "isRepeated": false}),
            ],
        )
        .await;
    let once = receive_opt(&w.web).await;
    assert_eq!(once["isRepeated"], false);
    let s = once["startTime"].as_u64().expect("startTime");
    assert_eq!(s % 86_400, 3600);
    assert_eq!(once["endTime"].as_u64().expect("endTime") - s, 3600);
    w.desk
        .wait_for("onAllReceiveMessageOptUpdated", |o| *o == once)
        .await;
    for c in [&w.web, &w.desk] {
        assert!(!c.chat.should_notify("C2Cbob", false, s + 10));
        assert!(
            c.chat.should_notify("C2Cbob", false, s + 86_400 + 10),
            "not repeated"
        );
    }

    // A day or longer, repeated: from then on, for good.
    w.clear();
    w.web
        .ok(
            "setAllReceiveMessageOpt",
            vec![json!({"messageRemindType": "AcceptNotNotify", "duration": 86_400})],
        )
        .await;
    let forever = receive_opt(&w.web).await;
    assert_eq!(forever["isRepeated"], true, "isRepeated defaults to true");
    let s = forever["startTime"].as_u64().expect("startTime");
    assert_eq!(s % 86_400, 0);
    w.desk
        .wait_for("onAllReceiveMessageOptUpdated", |o| *o == forever)
        .await;
    for c in [&w.web, &w.desk] {
        assert!(!c.chat.should_notify("C2Cbob", false, s + 5 * 86_400 + 7));
    }

    // Cancelled.
    w.clear();
    w.web
        .ok(
            "setAllReceiveMessageOpt",
            vec![json!({"messageRemindType": "AcceptAndNotify"})],
        )
        .await;
    let off = receive_opt(&w.web).await;
    assert_eq!(off["messageRemindType"], "AcceptAndNotify");
    w.desk
        .wait_for("onAllReceiveMessageOptUpdated", |o| {
            o["messageRemindType"] == "AcceptAndNotify"
        })
        .await;
    assert_eq!(receive_opt(&w.desk).await, off);
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(receive_opt(&fresh).await, off);
    for c in [&w.web, &w.desk, &fresh] {
        assert!(c.chat.should_notify("C2Cbob", false, s + 5 * 86_400 + 7));
    }
    bye(fresh).await;

    // Bad input changes nothing.
    for (arg, want) in [
        (
            json!({"messageRemindType": "AcceptNotNotify", "startHour": 24}),
            10004,
        ),
        (
            json!({"messageRemindType": "AcceptNotNotify", "startMinute": 60}),
            10004,
        ),
        (
            json!({"messageRemindType": "AcceptNotNotify", "startSecond": 60}),
            10004,
        ),
        (json!({"messageRemindType": "Discard"}), 10004),
        (
            json!({"messageRemindType": "AcceptNotNotify", "startHour": "x"}),
            2905,
        ),
        (
            json!({"messageRemindType": "AcceptNotNotify", "duration": -1}),
            2905,
        ),
        (
            json!({"messageRemindType": "AcceptNotNotify", "isRepeated": "yes"}),
            2905,
        ),
        (json!("AcceptNotNotify"), 2905),
    ] {
        assert_eq!(
            code_of(&w.web, "setAllReceiveMessageOpt", vec![arg.clone()]).await,
            want,
            "{arg}"
        );
    }
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(receive_opt(&fresh).await, off);
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// setConversationDraft

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_stay_on_the_instance_that_wrote_them() {
    let mut w = world(true).await;
    let draft = |id: &str, text: &str| json!({"conversationID": id, "draftText": text});

    w.web
        .ok(
            "setConversationDraft",
            vec![draft("C2Cbob", "half a thought")],
        )
        .await;
    assert_eq!(
        conv(&list(&w.web).await, "C2Cbob")["draftText"],
        "half a thought"
    );
    let p = w
        .web
        .ok("getConversationProfile", vec![json!("C2Cbob")])
        .await;
    assert_eq!(
        p["conversation"]["draftText"], "half a thought",
        "the profile on the same instance shows its draft"
    );

    // A synced change made after the draft reaches desktop; the draft does not.
    w.web
        .ok(
            "pinConversation",
            vec![json!({"conversationID": "C2Cbob", "isPinned": true})],
        )
        .await;
    settle(&mut w.desk, "C2Cbob pinned", |l| {
        field(l, "C2Cbob", "isPinned") == true
    })
    .await;
    assert_eq!(conv(&list(&w.desk).await, "C2Cbob")["draftText"], "");
    for e in w.desk.events_named("onConversationListUpdated") {
        assert_eq!(field(&e, "C2Cbob", "draftText"), "", "desktop event: {e}");
    }
    let p = w
        .desk
        .ok("getConversationProfile", vec![json!("C2Cbob")])
        .await;
    assert_eq!(p["conversation"]["draftText"], "");
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(conv(&list(&fresh).await, "C2Cbob")["draftText"], "");
    bye(fresh).await;

    // Server updates of the conversation keep the local draft.
    w.clear();
    w.bob.send_text("alice", "C2C", "more").await;
    settle(&mut w.web, "bob's new message with the draft kept", |l| {
        last_text(l, "C2Cbob") == "more" && field(l, "C2Cbob", "draftText") == "half a thought"
    })
    .await;

    // Desktop's own draft stays on desktop.
    w.clear();
    w.desk
        .ok("setConversationDraft", vec![draft("C2Cbob", "desk words")])
        .await;
    assert_eq!(
        conv(&list(&w.desk).await, "C2Cbob")["draftText"],
        "desk words"
    );
    w.desk
        .ok(
            "pinConversation",
            vec![json!({"conversationID": "C2Cbob", "isPinned": false})],
        )
        .await;
    settle(&mut w.web, "C2Cbob unpinned by desktop", |l| {
        field(l, "C2Cbob", "isPinned") == false
    })
    .await;
    assert_eq!(
        conv(&list(&w.web).await, "C2Cbob")["draftText"],
        "half a thought"
    );

    // '' cancels.
    w.web
        .ok("setConversationDraft", vec![draft("C2Cbob", "")])
        .await;
    assert_eq!(conv(&list(&w.web).await, "C2Cbob")["draftText"], "");
    assert_eq!(
        conv(&list(&w.desk).await, "C2Cbob")["draftText"],
        "desk words"
    );

    // Bad input.
    assert_eq!(
        code_of(
            &w.web,
            "setConversationDraft",
            vec![draft("C2Cnobody", "x")]
        )
        .await,
        2500
    );
    assert_eq!(
        code_of(&w.web, "setConversationDraft", vec![draft("bob", "x")]).await,
        2503
    );
    assert_eq!(
        code_of(
            &w.web,
            "setConversationDraft",
            vec![json!({"conversationID": "C2Cbob", "draftText": 5})]
        )
        .await,
        2905
    );
    assert_eq!(
        code_of(
            &w.web,
            "setConversationDraft",
            vec![json!({"conversationID": "C2Cbob"})]
        )
        .await,
        2905
    );
    assert!(find(&list(&w.web).await, "C2Cnobody").is_none());
}

// ---------------------------------------------------------------------------------------------
// clearHistoryMessage and deleteConversation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_and_deleting_reach_the_other_instance_and_the_server() {
    let mut w = world(true).await;
    w.bob.send_text("alice", "C2C", "second").await;
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "bob's second", |l| {
            field(l, "C2Cbob", "unreadCount") == 2
        })
        .await;
    }

    // Clearing: the conversation stays, empty.
    w.clear();
    w.web.ok("clearHistoryMessage", vec![json!("C2Cbob")]).await;
    let cleared = |l: &Value| {
        field(l, "C2Cbob", "unreadCount") == 0 && field(l, "C2Cbob", "lastMessage")["ID"] == ""
    };
    assert!(cleared(&list(&w.web).await), "web right after the call");
    caller_event(&mut w.web, cleared).await;
    assert_eq!(total(&w.web).await, 2);
    assert!(history(&w.web, "C2Cbob").await.is_empty());
    settle(&mut w.desk, "C2Cbob cleared", cleared).await;
    settle_total(&mut w.desk, 2).await;
    assert!(history(&w.desk, "C2Cbob").await.is_empty());
    let fresh = fresh_alice(&w.server).await;
    assert!(cleared(&list(&fresh).await));
    assert!(history(&fresh, "C2Cbob").await.is_empty());
    bye(fresh).await;
    assert_eq!(
        history(&w.bob, "C2Calice").await,
        vec!["from bob", "second"],
        "bob's side is untouched"
    );
    w.bob.send_text("alice", "C2C", "after clear").await;
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "message after the clear", |l| {
            last_text(l, "C2Cbob") == "after clear" && field(l, "C2Cbob", "unreadCount") == 1
        })
        .await;
        assert_eq!(history(c, "C2Cbob").await, vec!["after clear"]);
    }

    // Deleting by ID string: history goes too.
    w.clear();
    let r = w.web.ok("deleteConversation", vec![json!("C2Cbob")]).await;
    assert_eq!(r, json!({"conversationID": "C2Cbob"}));
    let gone = |id: &'static str| move |l: &Value| find(l, id).is_none();
    assert!(gone("C2Cbob")(&everything(&w.web).await));
    assert_eq!(total(&w.web).await, 2);
    caller_event(&mut w.web, gone("C2Cbob")).await;
    assert_eq!(
        code_of(&w.web, "getConversationProfile", vec![json!("C2Cbob")]).await,
        2500
    );
    settle(&mut w.desk, "C2Cbob deleted", gone("C2Cbob")).await;
    settle_total(&mut w.desk, 2).await;
    let fresh = fresh_alice(&w.server).await;
    assert!(gone("C2Cbob")(&everything(&fresh).await));
    bye(fresh).await;
    w.bob.send_text("alice", "C2C", "back").await;
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "C2Cbob back", |l| {
            last_text(l, "C2Cbob") == "back" && field(l, "C2Cbob", "unreadCount") == 1
        })
        .await;
        assert_eq!(history(c, "C2Cbob").await, vec!["back"]);
    }

    // Deleting with clearHistoryMessage false keeps history.
    w.clear();
    let r = w
        .web
        .ok(
            "deleteConversation",
            vec![json!({"conversationIDList": ["C2Ccarol"], "clearHistoryMessage": false})],
        )
        .await;
    assert_eq!(r, json!({"conversationIDList": ["C2Ccarol"]}));
    assert!(gone("C2Ccarol")(&everything(&w.web).await));
    settle(&mut w.desk, "C2Ccarol deleted", gone("C2Ccarol")).await;
    let fresh = fresh_alice(&w.server).await;
    assert!(gone("C2Ccarol")(&everything(&fresh).await));
    bye(fresh).await;
    w.carol.send_text("alice", "C2C", "again").await;
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "C2Ccarol back", |l| {
            last_text(l, "C2Ccarol") == "again" && field(l, "C2Ccarol", "unreadCount") == 1
        })
        .await;
        assert_eq!(history(c, "C2Ccarol").await, vec!["from carol", "again"]);
    }

    // The list form clears history by default, and takes several IDs.
    w.clear();
    let r = w
        .web
        .ok(
            "deleteConversation",
            vec![json!({"conversationIDList": [GROUP, "C2Ccarol"]})],
        )
        .await;
    assert_eq!(r, json!({"conversationIDList": [GROUP, "C2Ccarol"]}));
    let both_gone = |l: &Value| find(l, GROUP).is_none() && find(l, "C2Ccarol").is_none();
    assert!(both_gone(&everything(&w.web).await));
    assert_eq!(total(&w.web).await, 1);
    settle(&mut w.desk, "group and carol deleted", both_gone).await;
    settle_total(&mut w.desk, 1).await;
    let fresh = fresh_alice(&w.server).await;
    assert!(both_gone(&everything(&fresh).await));
    bye(fresh).await;
    w.carol.send_text(GID, "GROUP", "new era").await;
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "the group back", |l| last_text(l, GROUP) == "new era").await;
        assert_eq!(history(c, GROUP).await, vec!["new era"]);
    }

    // Bad input deletes nothing: one unknown ID fails the whole call.
    assert_eq!(
        code_of(
            &w.web,
            "deleteConversation",
            vec![json!({"conversationIDList": ["C2Cbob", "C2Cnobody"]})]
        )
        .await,
        2500
    );
    assert_eq!(
        code_of(&w.web, "deleteConversation", vec![json!("C2Cnobody")]).await,
        2500
    );
    assert_eq!(
        code_of(&w.web, "deleteConversation", vec![json!("bob")]).await,
        2503
    );
    assert_eq!(
        code_of(&w.web, "deleteConversation", vec![json!(5)]).await,
        2905
    );
    assert_eq!(
        code_of(
            &w.web,
            "deleteConversation",
            vec![json!({"conversationIDList": "C2Cbob"})]
        )
        .await,
        2905
    );
    assert_eq!(
        code_of(
            &w.web,
            "deleteConversation",
            vec![json!({"conversationIDList": ["C2Cbob"], "clearHistoryMessage": "no"})]
        )
        .await,
        2905
    );
    for (arg, want) in [
        (json!("C2Cnobody"), 2500),
        (json!("bob"), 2503),
        (json!(5), 2905),
    ] {
        assert_eq!(
            code_of(&w.web, "clearHistoryMessage", vec![arg.clone()]).await,
            want,
            "clearHistoryMessage {arg}"
        );
    }
    let fresh = fresh_alice(&w.server).await;
    let l = list(&fresh).await;
    assert_eq!(last_text(&l, "C2Cbob"), "back", "still there: {l}");
    assert_eq!(history(&fresh, "C2Cbob").await, vec!["back"]);
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// Conversation groups

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversation_groups_reach_the_other_instance_and_the_server() {
    let mut w = world(true).await;
    let in_groups = |l: &Value, id: &str| -> Vec<String> {
        sorted(
            field(l, id, "conversationGroupList")
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| n.as_str().unwrap_or_default().to_owned())
                .collect(),
        )
    };
    let name_list = |v: &Value| -> Vec<String> {
        sorted(
            v.as_array()
                .into_iter()
                .flatten()
                .map(|n| n.as_str().unwrap_or_default().to_owned())
                .collect(),
        )
    };
    assert!(group_names(&w.web).await.is_empty());

    // Create.
    let r = w
        .web
        .ok(
            "createConversationGroup",
            vec![
                json!({"conversationIDList": ["C2Cbob", GROUP, "C2Cnobody"], "groupName": "Work"}),
            ],
        )
        .await;
    assert_eq!(successes(&r), vec!["C2Cbob", GROUP]);
    assert_eq!(failures(&r), vec![("C2Cnobody".to_owned(), 2500)]);
    let work = |l: &Value| {
        in_groups(l, "C2Cbob") == names(&["Work"])
            && in_groups(l, GROUP) == names(&["Work"])
            && in_groups(l, "C2Ccarol").is_empty()
    };
    assert!(work(&list(&w.web).await));
    check_work(&w.web).await;
    caller_event(&mut w.web, work).await;
    w.web
        .wait_for("onConversationGroupListUpdated", |d| {
            name_list(d) == names(&["Work"])
        })
        .await;
    w.desk
        .wait_for("onConversationGroupListUpdated", |d| {
            name_list(d) == names(&["Work"])
        })
        .await;
    settle(&mut w.desk, "in Work", work).await;
    check_work(&w.desk).await;
    let fresh = fresh_alice(&w.server).await;
    assert!(work(&list(&fresh).await));
    check_work(&fresh).await;
    bye(fresh).await;

    // Names: unique, 1 to 32 bytes.
    let create =
        |ids: &[&str], name: &str| vec![json!({"conversationIDList": ids, "groupName": name})];
    assert_eq!(
        code_of(
            &w.web,
            "createConversationGroup",
            create(&["C2Ccarol"], "Work")
        )
        .await,
        51008
    );
    let long = "x".repeat(33);
    assert_eq!(
        code_of(
            &w.web,
            "createConversationGroup",
            create(&["C2Ccarol"], &long)
        )
        .await,
        10004
    );
    assert_eq!(
        code_of(&w.web, "createConversationGroup", create(&["C2Ccarol"], "")).await,
        10004
    );
    assert_eq!(
        code_of(
            &w.web,
            "createConversationGroup",
            vec![json!({"conversationIDList": ["C2Ccarol"], "groupName": 5})]
        )
        .await,
        2905
    );
    let max = "y".repeat(32);
    w.clear();
    w.web
        .ok("createConversationGroup", create(&["C2Ccarol"], &max))
        .await;
    let two = names(&["Work", max.as_str()]);
    assert_eq!(group_names(&w.web).await, two);
    w.desk
        .wait_for("onConversationGroupListUpdated", |d| name_list(d) == two)
        .await;

    // Add.
    w.clear();
    let r = w
        .web
        .ok(
            "addConversationsToGroup",
            vec![json!({"conversationIDList": ["C2Ccarol", "C2Cnobody"], "groupName": "Work"})],
        )
        .await;
    assert_eq!(successes(&r), vec!["C2Ccarol"]);
    assert_eq!(failures(&r), vec![("C2Cnobody".to_owned(), 2500)]);
    let all3 = names(&["C2Cbob", "C2Ccarol", GROUP]);
    assert_eq!(filter(&w.web, json!({"groupName": "Work"})).await, all3);
    assert_eq!(
        in_groups(&list(&w.web).await, "C2Ccarol"),
        names(&["Work", max.as_str()])
    );
    for c in [&mut w.web, &mut w.desk] {
        let e = c
            .wait_for("onConversationInGroupUpdated", |d| {
                d["groupName"] == "Work" && sorted(ids(&d["conversationList"])) == all3
            })
            .await;
        assert!(items(&e["conversationList"])
            .iter()
            .all(|c| c["conversationGroupList"]
                .as_array()
                .is_some_and(|g| g.contains(&json!("Work")))));
    }
    settle(&mut w.desk, "carol in Work", |l| {
        in_groups(l, "C2Ccarol") == names(&["Work", max.as_str()])
    })
    .await;
    assert_eq!(filter(&w.desk, json!({"groupName": "Work"})).await, all3);
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(filter(&fresh, json!({"groupName": "Work"})).await, all3);
    bye(fresh).await;

    // Remove.
    w.clear();
    let r = w
        .web
        .ok(
            "deleteConversationsFromGroup",
            vec![json!({"conversationIDList": ["C2Cbob", "C2Cnobody"], "groupName": "Work"})],
        )
        .await;
    assert_eq!(successes(&r), vec!["C2Cbob"]);
    assert_eq!(failures(&r), vec![("C2Cnobody".to_owned(), 2500)]);
    let two_left = names(&["C2Ccarol", GROUP]);
    assert_eq!(filter(&w.web, json!({"groupName": "Work"})).await, two_left);
    assert!(in_groups(&list(&w.web).await, "C2Cbob").is_empty());
    for c in [&mut w.web, &mut w.desk] {
        c.wait_for("onConversationInGroupUpdated", |d| {
            d["groupName"] == "Work" && sorted(ids(&d["conversationList"])) == two_left
        })
        .await;
    }
    settle(&mut w.desk, "bob out of Work", |l| {
        in_groups(l, "C2Cbob").is_empty()
    })
    .await;
    assert_eq!(
        filter(&w.desk, json!({"groupName": ""})).await,
        names(&["C2Cbob"])
    );
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(filter(&fresh, json!({"groupName": "Work"})).await, two_left);
    bye(fresh).await;
    for method in ["addConversationsToGroup", "deleteConversationsFromGroup"] {
        assert_eq!(
            code_of(
                &w.web,
                method,
                vec![json!({"conversationIDList": ["C2Cbob"], "groupName": "Nope"})]
            )
            .await,
            51009,
            "{method}"
        );
        assert_eq!(
            code_of(
                &w.web,
                method,
                vec![json!({"conversationIDList": "C2Cbob", "groupName": "Work"})]
            )
            .await,
            2905,
            "{method}"
        );
    }

    // Rename.
    w.clear();
    w.web
        .ok(
            "renameConversationGroup",
            vec![json!({"oldName": "Work", "newName": "Jobs"})],
        )
        .await;
    let renamed = names(&["Jobs", max.as_str()]);
    assert_eq!(group_names(&w.web).await, renamed);
    assert_eq!(filter(&w.web, json!({"groupName": "Jobs"})).await, two_left);
    assert!(filter(&w.web, json!({"groupName": "Work"}))
        .await
        .is_empty());
    let jobs = |l: &Value| {
        in_groups(l, GROUP) == names(&["Jobs"])
            && in_groups(l, "C2Ccarol") == names(&["Jobs", max.as_str()])
    };
    assert!(jobs(&list(&w.web).await));
    caller_event(&mut w.web, jobs).await;
    w.web
        .wait_for("onConversationGroupListUpdated", |d| {
            name_list(d) == renamed
        })
        .await;
    w.desk
        .wait_for("onConversationGroupListUpdated", |d| {
            name_list(d) == renamed
        })
        .await;
    settle(&mut w.desk, "Work renamed Jobs", jobs).await;
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(group_names(&fresh).await, renamed);
    assert!(jobs(&list(&fresh).await));
    bye(fresh).await;
    let rename = |old: &str, new: &str| vec![json!({"oldName": old, "newName": new})];
    assert_eq!(
        code_of(&w.web, "renameConversationGroup", rename("Work", "Other")).await,
        51009
    );
    assert_eq!(
        code_of(&w.web, "renameConversationGroup", rename("Jobs", &max)).await,
        51008
    );
    assert_eq!(
        code_of(&w.web, "renameConversationGroup", rename("Jobs", &long)).await,
        10004
    );
    assert_eq!(
        code_of(
            &w.web,
            "renameConversationGroup",
            vec![json!({"oldName": 5, "newName": "x"})]
        )
        .await,
        2905
    );
    assert_eq!(group_names(&w.web).await, renamed);

    // Delete.
    w.clear();
    w.web
        .ok("deleteConversationGroup", vec![json!("Jobs")])
        .await;
    let one = names(&[max.as_str()]);
    assert_eq!(group_names(&w.web).await, one);
    let no_jobs = |l: &Value| {
        in_groups(l, GROUP).is_empty() && in_groups(l, "C2Ccarol") == names(&[max.as_str()])
    };
    assert!(no_jobs(&list(&w.web).await));
    caller_event(&mut w.web, no_jobs).await;
    w.web
        .wait_for("onConversationGroupListUpdated", |d| name_list(d) == one)
        .await;
    assert!(filter(&w.web, json!({"groupName": "Jobs"}))
        .await
        .is_empty());
    w.desk
        .wait_for("onConversationGroupListUpdated", |d| name_list(d) == one)
        .await;
    settle(&mut w.desk, "Jobs deleted", no_jobs).await;
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(group_names(&fresh).await, one);
    assert!(no_jobs(&list(&fresh).await));
    bye(fresh).await;
    assert_eq!(
        code_of(&w.web, "deleteConversationGroup", vec![json!("Jobs")]).await,
        51009
    );
    assert_eq!(
        code_of(&w.web, "deleteConversationGroup", vec![json!(5)]).await,
        2905
    );

    // At most 20 groups.
    w.clear();
    let mut want = one.clone();
    for i in 1..20 {
        let name = format!("g{i}");
        w.web
            .ok("createConversationGroup", create(&["C2Cbob"], &name))
            .await;
        want.push(name);
    }
    let want = sorted(want);
    assert_eq!(want.len(), 20);
    assert_eq!(
        code_of(
            &w.web,
            "createConversationGroup",
            create(&["C2Cbob"], "g20")
        )
        .await,
        10004
    );
    assert_eq!(group_names(&w.web).await, want);
    w.desk
        .wait_for("onConversationGroupListUpdated", |d| name_list(d) == want)
        .await;
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(group_names(&fresh).await, want);
    assert_eq!(in_groups(&list(&fresh).await, "C2Cbob").len(), 19);
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// Group @-mention info

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_at_info_is_kept_filtered_and_cleared_by_reading() {
    let mut w = world(true).await;
    let me = send_at(&w.carol, "@alice", &["alice"]).await;
    let all = send_at(&w.carol, "@all", &[AT_ALL]).await;
    let both = send_at(&w.carol, "@alice @all", &["alice", AT_ALL]).await;
    send_at(&w.carol, "@bob", &["bob"]).await;
    let want = json!([
        {"messageSequence": me["sequence"], "atType": 1},
        {"messageSequence": all["sequence"], "atType": 2},
        {"messageSequence": both["sequence"], "atType": 3},
    ]);
    let has_info =
        |l: &Value| field(l, GROUP, "groupAtInfoList") == want && last_text(l, GROUP) == "@bob";
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "the mentions", has_info).await;
        check_at_filters(c).await;
    }
    let fresh = fresh_alice(&w.server).await;
    assert!(has_info(&list(&fresh).await));
    check_at_filters(&fresh).await;
    bye(fresh).await;

    // Reading clears them, everywhere.
    w.clear();
    w.web
        .ok("setMessageRead", vec![json!({"conversationID": GROUP})])
        .await;
    let read = |l: &Value| {
        field(l, GROUP, "groupAtInfoList") == json!([]) && field(l, GROUP, "unreadCount") == 0
    };
    assert!(read(&list(&w.web).await));
    assert!(filter(&w.web, json!({"hasGroupAtInfo": true}))
        .await
        .is_empty());
    settle(&mut w.desk, "mentions read", read).await;
    assert!(filter(&w.desk, json!({"hasGroupAtInfo": true}))
        .await
        .is_empty());
    let fresh = fresh_alice(&w.server).await;
    assert!(read(&list(&fresh).await));
    bye(fresh).await;

    // So does reading everything.
    send_at(&w.carol, "@alice again", &["alice"]).await;
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "a new mention", |l| {
            field(l, GROUP, "groupAtInfoList")
                .as_array()
                .is_some_and(|a| a.len() == 1 && a[0]["atType"] == 1)
        })
        .await;
    }
    w.clear();
    w.desk.ok("setAllMessageRead", vec![]).await;
    assert!(read(&list(&w.desk).await));
    settle(&mut w.web, "read everywhere", read).await;
}

// ---------------------------------------------------------------------------------------------
// Unread arithmetic

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_counts_follow_reads_mutes_marks_clears_and_deletes() {
    let mut w = world(false).await;
    for i in 1..=3 {
        w.bob.send_text("alice", "C2C", &format!("b{i}")).await;
    }
    for i in 1..=2 {
        w.carol.send_text(GID, "GROUP", &format!("g{i}")).await;
    }
    // Every step: what web shows right after its call, then desktop once its events are in.
    let counts = |bob: u64, group: u64| {
        move |l: &Value| {
            field(l, "C2Cbob", "unreadCount") == bob && field(l, GROUP, "unreadCount") == group
        }
    };
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "3 + 2", counts(3, 2)).await;
        settle_total(c, 5).await;
    }
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(total(&fresh).await, 5);
    bye(fresh).await;

    // Marks change no count.
    w.clear();
    w.web
        .ok(
            "markConversation",
            vec![json!({"conversationIDList": ["C2Cbob"], "markType": UNREAD, "enableMark": true})],
        )
        .await;
    w.web
        .ok(
            "markConversation",
            vec![json!({"conversationIDList": [GROUP], "markType": STAR, "enableMark": true})],
        )
        .await;
    let marked = |l: &Value| {
        field(l, "C2Cbob", "markList") == json!([UNREAD])
            && field(l, GROUP, "markList") == json!([STAR])
    };
    assert!(marked(&list(&w.web).await));
    assert!(counts(3, 2)(&list(&w.web).await));
    assert_eq!(total(&w.web).await, 5);
    settle(&mut w.desk, "marked", marked).await;
    assert!(counts(3, 2)(&list(&w.desk).await));
    assert_eq!(total(&w.desk).await, 5);

    // Reading one conversation (which also drops its unread mark).
    w.clear();
    w.web
        .ok("setMessageRead", vec![json!({"conversationID": "C2Cbob"})])
        .await;
    let read_bob = |l: &Value| counts(0, 2)(l) && field(l, "C2Cbob", "markList") == json!([]);
    assert!(read_bob(&list(&w.web).await));
    assert_eq!(total(&w.web).await, 2);
    settle(&mut w.desk, "bob read", read_bob).await;
    settle_total(&mut w.desk, 2).await;
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(total(&fresh).await, 2);
    bye(fresh).await;

    w.clear();
    w.bob.send_text("alice", "C2C", "b4").await;
    for c in [&mut w.web, &mut w.desk] {
        settle_total(c, 3).await;
    }

    // Read all group conversations.
    w.clear();
    w.web
        .ok(
            "setAllMessageRead",
            vec![json!({"scope": "readAllGroupMessage"})],
        )
        .await;
    assert!(counts(1, 0)(&list(&w.web).await));
    assert_eq!(total(&w.web).await, 1);
    caller_event(&mut w.web, counts(1, 0)).await;
    settle(&mut w.desk, "groups read", counts(1, 0)).await;
    settle_total(&mut w.desk, 1).await;

    w.clear();
    w.carol.send_text(GID, "GROUP", "g3").await;
    for c in [&mut w.web, &mut w.desk] {
        settle_total(c, 2).await;
    }

    // Read all C2C conversations.
    w.clear();
    w.web
        .ok(
            "setAllMessageRead",
            vec![json!({"scope": "readAllC2CMessage"})],
        )
        .await;
    assert!(counts(0, 1)(&list(&w.web).await));
    assert_eq!(total(&w.web).await, 1);
    settle(&mut w.desk, "C2C read", counts(0, 1)).await;
    settle_total(&mut w.desk, 1).await;

    w.clear();
    w.bob.send_text("alice", "C2C", "b5").await;
    for c in [&mut w.web, &mut w.desk] {
        settle_total(c, 2).await;
    }

    // Read everything.
    w.clear();
    w.web
        .ok(
            "setAllMessageRead",
            vec![json!({"scope": "readAllMessage"})],
        )
        .await;
    assert!(counts(0, 0)(&list(&w.web).await));
    assert_eq!(total(&w.web).await, 0);
    settle(&mut w.desk, "all read", counts(0, 0)).await;
    settle_total(&mut w.desk, 0).await;
    w.web.ok("setAllMessageRead", vec![]).await;
    assert_eq!(total(&w.web).await, 0);
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(total(&fresh).await, 0);
    bye(fresh).await;

    // A muted group counts in the conversation, not in the total.
    w.clear();
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"groupID": GID, "messageRemindType": "AcceptNotNotify"})],
        )
        .await;
    settle(&mut w.desk, "group muted", |l| {
        field(l, GROUP, "messageRemindType") == "AcceptNotNotify"
    })
    .await;
    w.carol.send_text(GID, "GROUP", "g4").await;
    w.carol.send_text(GID, "GROUP", "g5").await;
    for c in [&mut w.web, &mut w.desk] {
        settle(c, "muted group unread", counts(0, 2)).await;
        assert_eq!(total(c).await, 0, "{}", c.user);
    }
    w.bob.send_text("alice", "C2C", "b6").await;
    for c in [&mut w.web, &mut w.desk] {
        settle_total(c, 1).await;
        assert!(counts(1, 2)(&list(c).await));
    }
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(total(&fresh).await, 1);
    assert!(counts(1, 2)(&list(&fresh).await));
    bye(fresh).await;

    // Unmuted, it counts again.
    w.clear();
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"groupID": GID, "messageRemindType": "AcceptAndNotify"})],
        )
        .await;
    assert_eq!(total(&w.web).await, 3);
    settle_total(&mut w.desk, 3).await;

    // A message excluded from unread counts arrives but counts nowhere.
    w.clear();
    let m = w
        .bob
        .ok(
            "createTextMessage",
            vec![json!({"to": "alice", "conversationType": "C2C", "payload": {"text": "quiet"}})],
        )
        .await;
    w.bob
        .ok(
            "sendMessage",
            vec![
                m,
                json!({"messageControlInfo": {"excludedFromUnreadCount": true}}),
            ],
        )
        .await;
    for c in [&mut w.web, &mut w.desk] {
        wait_text(c, "quiet").await;
        settle(c, "quiet is last", |l| last_text(l, "C2Cbob") == "quiet").await;
        assert!(counts(1, 2)(&list(c).await));
        assert_eq!(total(c).await, 3);
    }

    // Deleting without clearing: gone, uncounted; a new message brings back all history.
    w.clear();
    w.web
        .ok(
            "deleteConversation",
            vec![json!({"conversationIDList": ["C2Cbob"], "clearHistoryMessage": false})],
        )
        .await;
    assert!(find(&everything(&w.web).await, "C2Cbob").is_none());
    assert_eq!(total(&w.web).await, 2);
    settle(&mut w.desk, "bob deleted", |l| find(l, "C2Cbob").is_none()).await;
    settle_total(&mut w.desk, 2).await;
    w.bob.send_text("alice", "C2C", "b7").await;
    for c in [&mut w.web, &mut w.desk] {
        settle_total(c, 3).await;
        assert!(counts(1, 2)(&list(c).await));
        assert_eq!(
            history(c, "C2Cbob").await,
            vec!["b1", "b2", "b3", "b4", "b5", "b6", "quiet", "b7"]
        );
    }

    // Clearing history: unread 0, no last message.
    w.clear();
    w.web.ok("clearHistoryMessage", vec![json!("C2Cbob")]).await;
    let cleared = |l: &Value| counts(0, 2)(l) && field(l, "C2Cbob", "lastMessage")["ID"] == "";
    assert!(cleared(&list(&w.web).await));
    assert_eq!(total(&w.web).await, 2);
    settle(&mut w.desk, "bob cleared", cleared).await;
    settle_total(&mut w.desk, 2).await;

    // Deleting (history cleared by default): a new message brings back only itself.
    w.clear();
    let r = w.web.ok("deleteConversation", vec![json!(GROUP)]).await;
    assert_eq!(r, json!({"conversationID": GROUP}));
    assert!(find(&everything(&w.web).await, GROUP).is_none());
    assert_eq!(total(&w.web).await, 0);
    settle(&mut w.desk, "group deleted", |l| find(l, GROUP).is_none()).await;
    settle_total(&mut w.desk, 0).await;
    w.carol.send_text(GID, "GROUP", "g6").await;
    for c in [&mut w.web, &mut w.desk] {
        settle_total(c, 1).await;
        assert!(counts(0, 1)(&list(c).await));
        assert_eq!(history(c, GROUP).await, vec!["g6"]);
    }
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(total(&fresh).await, 1);
    let l = list(&fresh).await;
    assert!(counts(0, 1)(&l), "{l}");
    assert_eq!(conv(&l, "C2Cbob")["lastMessage"]["ID"], "");
    assert_eq!(history(&fresh, "C2Cbob").await, Vec::<String>::new());
    assert_eq!(history(&fresh, GROUP).await, vec!["g6"]);
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// Batch limits and argument checking

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_take_one_to_a_hundred_ids_and_bad_arguments_change_nothing() {
    let mut w = world(true).await;
    w.web
        .ok(
            "createConversationGroup",
            vec![json!({"conversationIDList": ["C2Cbob"], "groupName": "Work"})],
        )
        .await;
    w.desk
        .wait_for("onConversationGroupListUpdated", |d| *d == json!(["Work"]))
        .await;
    let fresh = fresh_alice(&w.server).await;
    let before = everything(&fresh).await;
    bye(fresh).await;
    let web_before = everything(&w.web).await;

    let too_many: Vec<String> = (0..101).map(|i| format!("C2Cuser{i}")).collect();
    let batch = |ids: &[String]| -> Vec<(&'static str, Value)> {
        vec![
            (
                "setConversationCustomData",
                json!({"conversationIDList": ids, "customData": "x"}),
            ),
            (
                "markConversation",
                json!({"conversationIDList": ids, "markType": STAR, "enableMark": true}),
            ),
            ("deleteConversation", json!({"conversationIDList": ids})),
            (
                "createConversationGroup",
                json!({"conversationIDList": ids, "groupName": "New"}),
            ),
            (
                "addConversationsToGroup",
                json!({"conversationIDList": ids, "groupName": "Work"}),
            ),
            (
                "deleteConversationsFromGroup",
                json!({"conversationIDList": ids, "groupName": "Work"}),
            ),
        ]
    };
    for (method, arg) in batch(&too_many).into_iter().chain(batch(&[])) {
        assert_eq!(
            code_of(&w.web, method, vec![arg.clone()]).await,
            10004,
            "{method} with {} IDs",
            arg["conversationIDList"].as_array().map_or(0, Vec::len)
        );
    }

    // Exactly 100 is fine: the known ones succeed, the others fail one by one.
    let mut hundred: Vec<String> = (0..99).map(|i| format!("C2Cuser{i}")).collect();
    hundred.insert(50, "C2Ccarol".to_owned());
    let r = w
        .web
        .ok(
            "markConversation",
            vec![json!({"conversationIDList": hundred, "markType": FOLD, "enableMark": true})],
        )
        .await;
    assert_eq!(successes(&r), vec!["C2Ccarol"]);
    let f = failures(&r);
    assert_eq!(f.len(), 99);
    assert!(f
        .iter()
        .all(|(id, code)| id.starts_with("C2Cuser") && *code == 2500));
    assert_eq!(
        conv(&list(&w.web).await, "C2Ccarol")["markList"],
        json!([FOLD])
    );
    w.web
        .ok(
            "markConversation",
            vec![
                json!({"conversationIDList": ["C2Ccarol"], "markType": FOLD, "enableMark": false}),
            ],
        )
        .await;

    // Arguments of the wrong type or shape.
    for (method, arg, want) in [
        ("getConversationList", json!("C2Cbob"), 2905),
        ("getConversationList", json!([1]), 2905),
        ("getConversationList", json!({"markType": "1"}), 2905),
        ("getConversationList", json!({"type": 5}), 2905),
        ("getConversationProfile", json!(5), 2905),
        ("getConversationProfile", json!("bob"), 2503),
        ("getConversationProfile", json!("C2Cnobody"), 2500),
        ("getConversationProfile", json!("GROUPnogroup"), 2500),
        ("setAllMessageRead", json!({"scope": 5}), 2905),
        ("setAllMessageRead", json!("readAllMessage"), 2905),
        (
            "setAllMessageRead",
            json!({"scope": "readSomeMessage"}),
            10004,
        ),
        (
            "setConversationCustomData",
            json!({"conversationIDList": "C2Cbob", "customData": "x"}),
            2905,
        ),
        (
            "markConversation",
            json!({"conversationIDList": ["C2Cbob"], "markType": STAR, "enableMark": "yes"}),
            2905,
        ),
        ("pinConversation", json!({"conversationID": "C2Cbob"}), 2905),
        (
            "pinConversation",
            json!({"conversationID": 5, "isPinned": true}),
            2905,
        ),
        (
            "deleteConversationGroup",
            json!({"groupName": "Work"}),
            2905,
        ),
        ("renameConversationGroup", json!("Work"), 2905),
        ("createConversationGroup", json!("Work"), 2905),
    ] {
        assert_eq!(
            code_of(&w.web, method, vec![arg.clone()]).await,
            want,
            "{method}({arg})"
        );
    }
    // Malformed IDs inside a batch fail one by one.
    let r = w
        .web
        .ok(
            "setConversationCustomData",
            vec![json!({"conversationIDList": ["bob", "C2C", "GROUP"], "customData": "x"})],
        )
        .await;
    assert!(successes(&r).is_empty());
    assert_eq!(
        failures(&r),
        vec![
            ("bob".to_owned(), 2503),
            ("C2C".to_owned(), 2503),
            ("GROUP".to_owned(), 2503),
        ]
    );

    assert_eq!(everything(&w.web).await, web_before, "web unchanged");
    assert_eq!(
        w.web.ok("getConversationGroupList", vec![]).await,
        json!(["Work"])
    );
    let fresh = fresh_alice(&w.server).await;
    assert_eq!(everything(&fresh).await, before, "server unchanged");
    assert_eq!(
        fresh.ok("getConversationGroupList", vec![]).await,
        json!(["Work"])
    );
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// Durability

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_survive_a_server_restart() {
    let mut w = world(true).await;
    w.web
        .ok(
            "pinConversation",
            vec![json!({"conversationID": GROUP, "isPinned": true})],
        )
        .await;
    w.web
        .ok(
            "setConversationCustomData",
            vec![json!({"conversationIDList": ["C2Cbob"], "customData": "kept"})],
        )
        .await;
    w.web
        .ok(
            "markConversation",
            vec![json!({"conversationIDList": ["C2Cbob"], "markType": 1u64 << 40, "enableMark": true})],
        )
        .await;
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"userIDList": ["carol"], "messageRemindType": "AcceptNotNotify"})],
        )
        .await;
    w.web
        .ok(
            "createConversationGroup",
            vec![json!({"conversationIDList": ["C2Ccarol"], "groupName": "Friends"})],
        )
        .await;
    w.web
        .ok(
            "setAllReceiveMessageOpt",
            vec![
                json!({"messageRemindType": "AcceptNotNotify", "startHour": 23, "duration": 3600}),
            ],
        )
        .await;
    w.web
        .ok(
            "setConversationDraft",
            vec![json!({"conversationID": "C2Cbob", "draftText": "local"})],
        )
        .await;
    let opt = w.web.ok("getAllReceiveMessageOpt", vec![]).await;
    let check = |l: &Value| {
        ids(l)[0] == GROUP
            && field(l, GROUP, "isPinned") == true
            && field(l, "C2Cbob", "customData") == "kept"
            && field(l, "C2Cbob", "markList") == json!([1u64 << 40])
            && field(l, "C2Cbob", "draftText") == ""
            && field(l, "C2Ccarol", "messageRemindType") == "AcceptNotNotify"
            && field(l, "C2Ccarol", "conversationGroupList") == json!(["Friends"])
    };

    w.server.restart();
    let fresh = fresh_alice(&w.server).await;
    let l = list(&fresh).await;
    assert!(check(&l), "after a restart: {l}");
    assert_eq!(total(&fresh).await, 2, "carol's is muted");
    assert_eq!(fresh.ok("getAllReceiveMessageOpt", vec![]).await, opt);
    assert_eq!(
        fresh.ok("getConversationGroupList", vec![]).await,
        json!(["Friends"])
    );
    bye(fresh).await;
}

// ---------------------------------------------------------------------------------------------
// An instance that was offline

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_was_offline_catches_up_on_every_setting() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr).await;
    let mut w = world_with(server, proxy.url.clone(), true).await;
    w.desk
        .ok(
            "setConversationDraft",
            vec![json!({"conversationID": "C2Cbob", "draftText": "desk only"})],
        )
        .await;

    proxy.cut();
    w.desk
        .wait_for("netStateChange", |d| d["state"] == "connecting")
        .await;
    w.web
        .ok(
            "pinConversation",
            vec![json!({"conversationID": "C2Ccarol", "isPinned": true})],
        )
        .await;
    w.web
        .ok(
            "setConversationCustomData",
            vec![json!({"conversationIDList": ["C2Cbob"], "customData": "while away"})],
        )
        .await;
    w.web
        .ok(
            "markConversation",
            vec![json!({"conversationIDList": ["C2Cbob"], "markType": STAR, "enableMark": true})],
        )
        .await;
    w.web
        .ok(
            "setMessageRemindType",
            vec![json!({"userIDList": ["bob"], "messageRemindType": "AcceptNotNotify"})],
        )
        .await;
    w.web
        .ok(
            "createConversationGroup",
            vec![json!({"conversationIDList": ["C2Cbob"], "groupName": "Work"})],
        )
        .await;
    w.web
        .ok(
            "setAllReceiveMessageOpt",
            vec![
                json!({"messageRemindType": "AcceptNotNotify", "startHour": 20, "duration": 7200}),
            ],
        )
        .await;
    w.web.ok("deleteConversation", vec![json!(GROUP)]).await;
    let opt = receive_opt(&w.web).await;
    let caught_up = |l: &Value| {
        ids(l).first().map(String::as_str) == Some("C2Ccarol")
            && field(l, "C2Ccarol", "isPinned") == true
            && field(l, "C2Cbob", "customData") == "while away"
            && field(l, "C2Cbob", "markList") == json!([STAR])
            && field(l, "C2Cbob", "messageRemindType") == "AcceptNotNotify"
            && field(l, "C2Cbob", "conversationGroupList") == json!(["Work"])
            && find(l, GROUP).is_none()
    };
    assert!(caught_up(&list(&w.web).await));

    proxy.restore();
    w.desk
        .wait_for("netStateChange", |d| d["state"] == "connected")
        .await;
    let l = settle(&mut w.desk, "settings made while offline", caught_up).await;
    assert_eq!(
        field(&l, "C2Cbob", "draftText"),
        "desk only",
        "the local draft survives the resync"
    );
    w.desk
        .wait_for("onConversationGroupListUpdated", |d| *d == json!(["Work"]))
        .await;
    w.desk
        .wait_for("onAllReceiveMessageOptUpdated", |o| *o == opt)
        .await;
    settle_total(&mut w.desk, 1).await;
    assert_eq!(
        w.desk.ok("getConversationGroupList", vec![]).await,
        json!(["Work"])
    );
    let s = opt["startTime"].as_u64().expect("startTime");
    assert!(!w.desk.chat.should_notify("C2Ccarol", false, s + 60));
    assert!(w.desk.chat.should_notify("C2Ccarol", false, s + 7200));
    assert!(!w.desk.chat.should_notify("C2Cbob", false, s + 7200));
}
