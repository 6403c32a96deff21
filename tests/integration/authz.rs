//! The authorization matrix: every operation that reads or changes data, tried by the wrong
//! party over the raw protocol (so no SDK check stands in front of the server), must be
//! refused with the right code (or, for the operations whose IDs are relative to the caller,
//! answer with the caller's own empty data), leak none of the victims' data, and change
//! nothing the owners can read back. One table; each row is checked against a snapshot of the
//! owners' view taken before it.

use futures_util::{SinkExt, StreamExt};
use pigeon_tests::{Client, Server, WAIT};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Marks every victim text, so a leak is a substring search.
const SECRET: &str = "s3cr3t";

/// A raw protocol client (requests answered in order; pushes skipped).
pub(crate) struct Raw {
    ws: Ws,
    next: u64,
}

impl Raw {
    /// Connects to `url` and sends a login frame; returns the client and the login reply.
    pub(crate) async fn connect(url: &str, login: Value) -> (Raw, Value) {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect raw client");
        let mut r = Raw { ws, next: 1 };
        let reply = r.call("login", login).await;
        (r, reply)
    }

    /// A raw client logged in as `user` (the login must succeed).
    pub(crate) async fn login(server: &Server, user: &str) -> Raw {
        let (r, reply) = Raw::connect(
            &server.url(),
            json!({"userID": user, "userSig": server.sig(user), "SDKAppID": server.app_id,
                   "instanceID": format!("raw-{user}"), "platform": "raw"}),
        )
        .await;
        assert_eq!(reply["code"], 0, "raw login of {user}: {reply}");
        r
    }

    /// Sends `op` and returns its whole reply `{id, code, message?, data?}`.
    pub(crate) async fn call(&mut self, op: &str, data: Value) -> Value {
        loop {
            let reply = self.call_once(op, data.clone()).await;
            // Over the request-rate limit: wait as long as the server says, then again.
            if reply["code"] == 2996 {
                let ms = reply["data"]["retryAfterMs"].as_u64().unwrap_or(10);
                tokio::time::sleep(std::time::Duration::from_millis(ms + 1)).await;
                continue;
            }
            return reply;
        }
    }

    async fn call_once(&mut self, op: &str, data: Value) -> Value {
        let id = self.next;
        self.next += 1;
        let frame = json!({"id": id, "op": op, "data": data}).to_string();
        self.ws
            .send(Frame::text(frame))
            .await
            .expect("send raw frame");
        loop {
            let f = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no reply to {op} within {WAIT:?}"))
                .expect("connection open")
                .expect("a frame");
            let Frame::Text(t) = f else { continue };
            let v: Value = serde_json::from_str(t.as_str()).expect("JSON frame");
            if v.get("push").is_none() && v["id"] == id {
                return v;
            }
        }
    }
}

/// A raw HTTP/1.1 exchange (Connection: close): status and body.
async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.expect("send");
    s.write_all(body).await.expect("send body");
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut raw))
        .await
        .expect("HTTP reply in time")
        .expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header block");
    let status = String::from_utf8_lossy(&raw[..split])
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    (status, raw[split + 4..].to_vec())
}

/// An HTTP row: what, method, path, headers, body, expected HTTP status, expected code.
type HttpRow = (
    &'static str,
    &'static str,
    String,
    Vec<(&'static str, String)>,
    Vec<u8>,
    u16,
    u64,
);

/// What a row expects of the server.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Refused with this code.
    Code(u32),
    /// The IDs are relative to the caller: served, but as the caller's own (empty) data.
    Own,
}

/// Who attacks.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// A stranger to every victim.
    Mallory,
    /// Kicked out of the private group.
    Kicked,
    /// Muted in the private group.
    Muted,
    /// On bob's blacklist.
    Blocked,
}

/// One row: the seed method, what it is tried on, the attacker, the raw op and data, the
/// expectation, and which owner view must not change (checked against the snapshot).
struct Row {
    method: &'static str,
    setup: &'static str,
    who: Who,
    op: &'static str,
    data: Value,
    expect: Expect,
    post: &'static str,
}

fn row(
    method: &'static str,
    setup: &'static str,
    who: Who,
    op: &'static str,
    data: Value,
    expect: Expect,
    post: &'static str,
) -> Row {
    Row {
        method,
        setup,
        who,
        op,
        data,
        expect,
        post,
    }
}

/// What the setup made.
struct Cx {
    group: String,
    community: String,
    topic: String,
    c2c_msg: Value,
    group_msg: Value,
    kicked_msg: Value,
    merger_key: String,
    invite_id: String,
    mallory_group_msg: Value,
    kicked_group_msg: Value,
    muted_group_msg: Value,
    blocked_c2c_msg: Value,
}

/// The owners' view of everything the matrix attacks, read over the raw protocol.
async fn snapshot(alice: &mut Raw, bob: &mut Raw, cx: &Cx) -> Vec<(&'static str, Value)> {
    let g = cx.group.as_str();
    let m1 = cx.c2c_msg["ID"].as_str().unwrap_or_default();
    let g1 = cx.group_msg["ID"].as_str().unwrap_or_default();
    let reads: Vec<(&'static str, bool, &'static str, Value)> = vec![
        (
            "c2c history",
            true,
            "getMessageList",
            json!({"conversationID": "C2Cbob", "count": 50}),
        ),
        (
            "group history",
            true,
            "getMessageList",
            json!({"conversationID": format!("GROUP{g}"), "count": 50}),
        ),
        (
            "muted group history",
            true,
            "getMessageList",
            json!({"conversationID": "GROUPloud", "count": 50}),
        ),
        (
            "topic history",
            true,
            "getMessageList",
            json!({"conversationID": format!("GROUP{}", cx.topic), "count": 50}),
        ),
        (
            "group profile",
            true,
            "getGroupProfile",
            json!({"groupID": g}),
        ),
        (
            "members",
            true,
            "getGroupMemberList",
            json!({"groupID": g, "count": 100, "offset": 0}),
        ),
        (
            "attributes",
            true,
            "getGroupAttributes",
            json!({"groupID": g, "keyList": []}),
        ),
        (
            "counters",
            true,
            "getGroupCounters",
            json!({"groupID": g, "keyList": []}),
        ),
        (
            "extensions",
            true,
            "getMessageExtensions",
            json!({"messageID": m1}),
        ),
        (
            "reactions",
            true,
            "getMessageReactions",
            json!({"messageIDList": [m1, g1], "maxUserCountPerReaction": 10}),
        ),
        (
            "receipts",
            true,
            "getMessageReadReceiptList",
            json!({"messageIDList": [g1]}),
        ),
        (
            "topics",
            true,
            "getTopicList",
            json!({"groupID": cx.community, "topicIDList": []}),
        ),
        ("invitations", false, "getPendingInvitations", json!({})),
        (
            "bob's c2c",
            false,
            "getMessageList",
            json!({"conversationID": "C2Calice", "count": 50}),
        ),
        ("blacklist", false, "getBlacklist", json!({})),
    ];
    let mut out = Vec::new();
    for (name, as_alice, op, data) in reads {
        let who = if as_alice { &mut *alice } else { &mut *bob };
        let mut r = who.call(op, data).await;
        r.as_object_mut().map(|o| o.remove("id"));
        // Presence and read state move on their own (the attacker's logins); not data.
        strip_volatile(&mut r);
        out.push((name, r));
    }
    out
}

/// Drops fields that legitimately change between reads (online counts, times of now).
fn strip_volatile(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for k in ["onlineMemberCount", "serverTime", "lastTime", "isPeerRead"] {
                o.remove(k);
            }
            o.values_mut().for_each(strip_volatile);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_volatile),
        _ => {}
    }
}

async fn text_msg(c: &Client, to: &str, ty: &str, text: &str) -> Value {
    let args = vec![json!({"to": to, "conversationType": ty, "payload": {"text": text}})];
    c.ok("createTextMessage", args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix() {
    // The matrix reads the owners' whole view after every row: lift the request-rate limit
    // (its own tests cover it) so the run stays short.
    let conf = tempfile::tempdir().expect("tempdir");
    let conf_path = conf.path().join("pigeon.toml");
    std::fs::write(
        &conf_path,
        "[limits]\nrequests_per_sec = 100000\nrequest_burst = 100000\n",
    )
    .expect("write config");
    let server = Server::start_with(&["--config", &conf_path.to_string_lossy()]);
    // Victims (SDK clients for the setup) and the attackers' SDK clients (only to create
    // message objects locally; every attack goes over a raw connection).
    let alice = Client::login(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await; // will be kicked
    let dave = Client::login(&server, "dave").await; // will be muted
    let eve = Client::login(&server, "eve").await; // bob blocks her
    let mallory = Client::login(&server, "mallory").await;

    // C2C alice <-> bob, a merged-forward of it, extensions and a reaction on it.
    let m = alice
        .ok(
            "createTextMessage",
            vec![
                json!({"to": "bob", "conversationType": "C2C", "isSupportExtension": true,
                "payload": {"text": format!("{SECRET} c2c 1")}}),
            ],
        )
        .await;
    let c2c_msg = alice.ok("sendMessage", vec![m]).await["message"].clone();
    bob.send_text("alice", "C2C", &format!("{SECRET} c2c 2"))
        .await;
    let m1 = c2c_msg["ID"].as_str().expect("ID").to_owned();

    // A private (Work) group: alice owns it, bob, carol and dave are members.
    let g = alice
        .ok(
            "createGroup",
            vec![
                json!({"name": format!("{SECRET} group"), "type": "Private", "groupID": "priv",
                "memberList": [{"userID": "bob"}, {"userID": "carol"}, {"userID": "dave"}],
                "notification": format!("{SECRET} notice")}),
            ],
        )
        .await;
    let group = g["group"]["groupID"].as_str().expect("groupID").to_owned();
    let kicked_msg = carol
        .send_text(&group, "GROUP", &format!("{SECRET} by carol"))
        .await;
    let group_msg = alice
        .send_text(&group, "GROUP", &format!("{SECRET} group 1"))
        .await;
    let g1 = group_msg["ID"].as_str().expect("ID").to_owned();
    alice
        .ok(
            "setGroupAttributes",
            vec![json!({"groupID": group, "groupAttributes": {"k": SECRET}})],
        )
        .await;
    alice
        .ok(
            "setGroupCounters",
            vec![json!({"groupID": group, "counters": {"c": 7}})],
        )
        .await;
    alice
        .ok(
            "setMessageExtensions",
            vec![c2c_msg.clone(), json!([{"key": "k", "value": SECRET}])],
        )
        .await;
    alice
        .ok("addMessageReaction", vec![c2c_msg.clone(), json!("like")])
        .await;
    // carol is removed; what is said after that is not hers to read.
    alice
        .ok(
            "deleteGroupMember",
            vec![json!({"groupID": group, "userIDList": ["carol"]})],
        )
        .await;
    alice
        .send_text(&group, "GROUP", &format!("{SECRET} after carol left"))
        .await;
    // dave is muted for an hour in a Public group (Work groups have no muting).
    alice
        .ok(
            "createGroup",
            vec![json!({"name": "loud", "type": "Public", "groupID": "loud",
                "memberList": [{"userID": "dave"}]})],
        )
        .await;
    alice
        .ok(
            "setGroupMemberMuteTime",
            vec![json!({"groupID": "loud", "userID": "dave", "muteTime": 3600})],
        )
        .await;
    // bob blocks eve.
    bob.ok("addToBlacklist", vec![json!({"userIDList": ["eve"]})])
        .await;

    // A community with a topic.
    let comm = alice
        .ok(
            "createGroup",
            vec![
                json!({"name": "comm", "type": "Community", "isSupportTopic": true,
                "memberList": [{"userID": "bob"}]}),
            ],
        )
        .await;
    let community = comm["group"]["groupID"]
        .as_str()
        .expect("community ID")
        .to_owned();
    let topic = alice
        .ok(
            "createTopicInCommunity",
            vec![json!({"groupID": community, "topicName": format!("{SECRET} topic")})],
        )
        .await;
    let topic = topic["topicID"].as_str().expect("topicID").to_owned();
    alice
        .send_text(&topic, "GROUP", &format!("{SECRET} in topic"))
        .await;

    // Raw connections: the owners (for snapshots and raw setup) and the attackers.
    let mut ra = Raw::login(&server, "alice").await;
    let mut rb = Raw::login(&server, "bob").await;
    let merger = ra
        .call(
            "putMergerMessages",
            json!({"downloadKey": "", "messageList": [c2c_msg], "complete": true}),
        )
        .await;
    let merger_key = merger["data"]["downloadKey"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!merger_key.is_empty(), "putMergerMessages: {merger}");
    let inv = ra
        .call(
            "invite",
            json!({"userID": "bob", "inviteeList": ["bob"], "data": SECRET, "timeout": 600}),
        )
        .await;
    let invite_id = inv["data"]["inviteID"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!invite_id.is_empty(), "invite: {inv}");

    let cx = Cx {
        mallory_group_msg: text_msg(&mallory, &group, "GROUP", "hello?").await,
        kicked_group_msg: text_msg(&carol, &group, "GROUP", "still here?").await,
        muted_group_msg: text_msg(&dave, "loud", "GROUP", "let me speak").await,
        blocked_c2c_msg: text_msg(&eve, "bob", "C2C", "hi bob").await,
        group,
        community,
        topic,
        c2c_msg: c2c_msg.clone(),
        group_msg: group_msg.clone(),
        kicked_msg,
        merger_key,
        invite_id,
    };
    let mut modified = c2c_msg.clone();
    modified["payload"]["text"] = json!("rewritten by mallory");
    let mut modified_by_kicked = cx.kicked_msg.clone();
    modified_by_kicked["payload"]["text"] = json!("rewritten after removal");

    use Expect::{Code, Own};
    use Who::{Blocked, Kicked, Mallory, Muted};
    const NOT_FOUND: u32 = 20026; // someone else's message looks like a missing one
    const NO_PERM: u32 = 10007;
    const INVALID: u32 = 10004;
    // Conversation IDs are the caller's: they have no such conversation.
    const NO_CONV: u32 = 2500;
    let (gid, comm, tid) = (cx.group.as_str(), cx.community.as_str(), cx.topic.as_str());
    let gconv = format!("GROUP{gid}");
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        // --- another user's C2C history and messages, by ID ---
        row("getMessageList", "alice<->bob C2C", Mallory, "getMessageList", json!({"conversationID": "C2Calice", "count": 50}), Own, "c2c history"),
        row("getMessageList", "alice<->bob C2C", Mallory, "getMessageList", json!({"conversationID": "C2Calice", "nextReqMessageID": m1, "count": 50}), Code(INVALID), "c2c history"),
        row("getMessageListHopping", "alice<->bob C2C", Mallory, "getMessageListHopping", json!({"conversationID": "C2Calice", "sequence": 1, "direction": 1, "count": 10}), Own, "c2c history"),
        row("revokeMessage", "alice's C2C message", Mallory, "revokeMessage", json!({"messageID": m1}), Code(NOT_FOUND), "c2c history"),
        row("deleteMessage", "alice's C2C message", Mallory, "deleteMessages", json!({"conversationID": "C2Calice", "messageIDList": [m1]}), Code(NOT_FOUND), "c2c history"),
        row("modifyMessage", "alice's C2C message", Mallory, "modifyMessage", json!({"message": modified, "version": 0}), Code(NOT_FOUND), "c2c history"),
        row("setMessageExtensions", "alice's C2C message", Mallory, "setMessageExtensions", json!({"messageID": m1, "extensions": [{"key": "k", "value": "x"}]}), Code(NOT_FOUND), "extensions"),
        row("getMessageExtensions", "alice's C2C message", Mallory, "getMessageExtensions", json!({"messageID": m1}), Code(NOT_FOUND), "extensions"),
        row("deleteMessageExtensions", "alice's C2C message", Mallory, "deleteMessageExtensions", json!({"messageID": m1}), Code(NOT_FOUND), "extensions"),
        row("addMessageReaction", "alice's C2C message", Mallory, "addMessageReaction", json!({"messageID": m1, "reactionID": "like"}), Code(NOT_FOUND), "reactions"),
        row("removeMessageReaction", "alice's C2C message", Mallory, "removeMessageReaction", json!({"messageID": m1, "reactionID": "like"}), Code(NOT_FOUND), "reactions"),
        row("getMessageReactions", "alice's C2C message", Mallory, "getMessageReactions", json!({"messageIDList": [m1], "maxUserCountPerReaction": 10}), Code(NOT_FOUND), "reactions"),
        row("getAllUserListOfMessageReaction", "alice's C2C message", Mallory, "getAllUserListOfMessageReaction", json!({"messageID": m1, "reactionID": "like", "nextSeq": 0, "count": 10}), Code(NOT_FOUND), "reactions"),
        row("sendMessageReadReceipt", "alice's C2C message", Mallory, "sendMessageReadReceipt", json!({"messageIDList": [m1]}), Code(NOT_FOUND), "c2c history"),
        row("getMessageReadReceiptList", "alice's C2C message", Mallory, "getMessageReadReceiptList", json!({"messageIDList": [m1]}), Code(NOT_FOUND), "receipts"),
        row("convertVoiceToText", "alice's C2C message", Mallory, "convertVoiceToText", json!({"messageID": m1, "language": "en"}), Code(NOT_FOUND), "c2c history"),
        row("downloadMergerMessage", "alice's merged C2C history", Mallory, "downloadMergerMessage", json!({"downloadKey": cx.merger_key}), Code(2451), "c2c history"),
        row("searchCloudMessages", "alice<->bob C2C", Mallory, "searchCloudMessages", json!({"keywordList": [SECRET], "keywordListMatchType": "or", "senderUserIDList": [], "messageTypeList": [], "timePosition": 0, "timePeriod": 0}), Own, "c2c history"),
        row("getConversationProfile", "alice<->bob C2C", Mallory, "getConversationProfile", json!({"conversationID": "C2Calice"}), Code(NO_CONV), "c2c history"),
        row("setMessageRead", "alice<->bob C2C", Mallory, "setMessageRead", json!({"conversationID": "C2Calice"}), Code(NO_CONV), "c2c history"),
        row("clearHistoryMessage", "alice<->bob C2C", Mallory, "clearHistoryMessage", json!({"conversationID": "C2Calice"}), Code(NO_CONV), "c2c history"),
        row("deleteConversation", "alice<->bob C2C", Mallory, "deleteConversation", json!({"conversationIDList": ["C2Calice"], "clearHistoryMessage": true}), Code(NO_CONV), "c2c history"),
        row("pinConversation", "alice<->bob C2C", Mallory, "pinConversation", json!({"conversationID": "C2Calice", "isPinned": true}), Code(NO_CONV), "c2c history"),
        // --- a private group one is not in ---
        row("getMessageList", "private group", Mallory, "getMessageList", json!({"conversationID": gconv, "count": 50}), Code(NO_PERM), "group history"),
        row("getMessageListHopping", "private group", Mallory, "getMessageListHopping", json!({"conversationID": gconv, "sequence": 1, "direction": 1, "count": 10}), Code(NO_PERM), "group history"),
        row("getGroupProfile", "private group", Mallory, "getGroupProfile", json!({"groupID": gid}), Code(NO_PERM), "group profile"),
        row("getGroupMemberList", "private group", Mallory, "getGroupMemberList", json!({"groupID": gid, "count": 100, "offset": 0}), Code(NO_PERM), "members"),
        row("getGroupMemberProfile", "private group", Mallory, "getGroupMemberProfile", json!({"groupID": gid, "userIDList": ["alice"]}), Code(NO_PERM), "members"),
        row("getGroupOnlineMemberCount", "private group", Mallory, "getGroupOnlineMemberCount", json!({"groupID": gid}), Code(NO_PERM), "members"),
        row("sendMessage", "private group", Mallory, "sendMessage", json!({"message": cx.mallory_group_msg}), Code(NO_PERM), "group history"),
        row("getGroupAttributes", "private group", Mallory, "getGroupAttributes", json!({"groupID": gid, "keyList": []}), Code(NO_PERM), "attributes"),
        row("initGroupAttributes", "private group", Mallory, "initGroupAttributes", json!({"groupID": gid, "groupAttributes": {"k": "x"}}), Code(NO_PERM), "attributes"),
        row("setGroupAttributes", "private group", Mallory, "setGroupAttributes", json!({"groupID": gid, "groupAttributes": {"k": "x"}}), Code(NO_PERM), "attributes"),
        row("deleteGroupAttributes", "private group", Mallory, "deleteGroupAttributes", json!({"groupID": gid, "keyList": ["k"]}), Code(NO_PERM), "attributes"),
        row("getGroupCounters", "private group", Mallory, "getGroupCounters", json!({"groupID": gid, "keyList": []}), Code(NO_PERM), "counters"),
        row("setGroupCounters", "private group", Mallory, "setGroupCounters", json!({"groupID": gid, "counters": {"c": 1}}), Code(NO_PERM), "counters"),
        row("increaseGroupCounter", "private group", Mallory, "increaseGroupCounter", json!({"groupID": gid, "key": "c", "value": 1}), Code(NO_PERM), "counters"),
        row("decreaseGroupCounter", "private group", Mallory, "decreaseGroupCounter", json!({"groupID": gid, "key": "c", "value": 1}), Code(NO_PERM), "counters"),
        row("updateGroupProfile", "private group", Mallory, "updateGroupProfile", json!({"groupID": gid, "name": "pwned"}), Code(NO_PERM), "group profile"),
        row("addGroupMember", "private group", Mallory, "addGroupMember", json!({"groupID": gid, "userIDList": ["mallory"]}), Code(NO_PERM), "members"),
        row("deleteGroupMember", "private group", Mallory, "deleteGroupMember", json!({"groupID": gid, "userIDList": ["bob"], "reason": ""}), Code(NO_PERM), "members"),
        row("setGroupMemberMuteTime", "private group", Mallory, "setGroupMemberMuteTime", json!({"groupID": gid, "userID": "bob", "muteTime": 600}), Code(NO_PERM), "members"),
        row("setGroupMemberRole", "public group", Mallory, "setGroupMemberRole", json!({"groupID": "loud", "userID": "dave", "role": "Admin"}), Code(NO_PERM), "muted group history"),
        row("setGroupMemberNameCard", "private group", Mallory, "setGroupMemberNameCard", json!({"groupID": gid, "userID": "bob", "nameCard": "pwned"}), Code(NO_PERM), "members"),
        row("setGroupMemberCustomField", "private group", Mallory, "setGroupMemberCustomField", json!({"groupID": gid, "userID": "bob", "memberCustomField": [{"key": "k", "value": "v"}]}), Code(NO_PERM), "members"),
        row("markGroupMemberList", "private group", Mallory, "markGroupMemberList", json!({"groupID": gid, "userIDList": ["bob"], "markType": 1000, "enableMark": true}), Code(NO_PERM), "members"),
        row("changeGroupOwner", "private group", Mallory, "changeGroupOwner", json!({"groupID": gid, "newOwnerID": "mallory"}), Code(NO_PERM), "group profile"),
        row("dismissGroup", "private group", Mallory, "dismissGroup", json!({"groupID": gid}), Code(NO_PERM), "group profile"),
        row("joinGroup", "private group (invite only)", Mallory, "joinGroup", json!({"groupID": gid}), Code(NO_PERM), "members"),
        row("handleGroupApplication", "private group", Mallory, "handleGroupApplication", json!({"handleAction": "Agree", "groupID": gid, "applicant": "mallory"}), Code(NO_PERM), "members"),
        row("getGroupMessageReadMemberList", "a group message", Mallory, "getGroupMessageReadMemberList", json!({"messageID": g1, "cursor": "", "filter": 0, "count": 10}), Code(NOT_FOUND), "receipts"),
        row("sendMessageReadReceipt", "a group message", Mallory, "sendMessageReadReceipt", json!({"messageIDList": [g1]}), Code(NOT_FOUND), "receipts"),
        row("addMessageReaction", "a group message", Mallory, "addMessageReaction", json!({"messageID": g1, "reactionID": "like"}), Code(NOT_FOUND), "reactions"),
        row("revokeMessage", "a group message", Mallory, "revokeMessage", json!({"messageID": g1}), Code(NOT_FOUND), "group history"),
        row("setMessageRead", "private group", Mallory, "setMessageRead", json!({"conversationID": gconv}), Code(NO_CONV), "group history"),
        row("getConversationProfile", "private group", Mallory, "getConversationProfile", json!({"conversationID": gconv}), Code(NO_CONV), "group history"),
        // --- topics of a community one is not in ---
        row("getTopicList", "community", Mallory, "getTopicList", json!({"groupID": comm, "topicIDList": []}), Code(NO_PERM), "topics"),
        row("createTopicInCommunity", "community", Mallory, "createTopicInCommunity", json!({"groupID": comm, "topicName": "pwned"}), Code(NO_PERM), "topics"),
        row("updateTopicProfile", "community", Mallory, "updateTopicProfile", json!({"groupID": comm, "topicID": tid, "topicName": "pwned"}), Code(NO_PERM), "topics"),
        row("deleteTopicFromCommunity", "community", Mallory, "deleteTopicFromCommunity", json!({"groupID": comm, "topicIDList": [tid]}), Code(NO_PERM), "topics"),
        row("getMessageList", "community topic", Mallory, "getMessageList", json!({"conversationID": format!("GROUP{tid}"), "count": 50}), Code(NO_PERM), "topic history"),
        // --- a removed (kicked) member ---
        row("getMessageList", "after removal", Kicked, "getMessageList", json!({"conversationID": gconv, "count": 50}), Own, "group history"),
        row("sendMessage", "after removal", Kicked, "sendMessage", json!({"message": cx.kicked_group_msg}), Code(NO_PERM), "group history"),
        row("getGroupMemberList", "after removal", Kicked, "getGroupMemberList", json!({"groupID": gid, "count": 100, "offset": 0}), Code(NO_PERM), "members"),
        row("getGroupAttributes", "after removal", Kicked, "getGroupAttributes", json!({"groupID": gid, "keyList": []}), Code(NO_PERM), "attributes"),
        row("getMessageExtensions", "after removal", Kicked, "getMessageExtensions", json!({"messageID": g1}), Code(NOT_FOUND), "extensions"),
        row("modifyMessage", "own message, after removal", Kicked, "modifyMessage", json!({"message": modified_by_kicked, "version": 0}), Code(NO_PERM), "group history"),
        row("revokeMessage", "own message, after removal", Kicked, "revokeMessage", json!({"messageID": cx.kicked_msg["ID"]}), Code(NO_PERM), "group history"),
        // --- a muted member ---
        row("sendMessage", "muted for an hour", Muted, "sendMessage", json!({"message": cx.muted_group_msg}), Code(10017), "muted group history"),
        // --- a blacklisted sender ---
        row("sendMessage", "bob blocked eve", Blocked, "sendMessage", json!({"message": cx.blocked_c2c_msg}), Code(20007), "bob's c2c"),
        // --- someone else's signaling invitation ---
        row("cancel", "alice invited bob", Mallory, "cancel", json!({"inviteID": cx.invite_id, "data": ""}), Code(8011), "invitations"),
        row("accept", "alice invited bob", Mallory, "accept", json!({"inviteID": cx.invite_id, "data": ""}), Code(8011), "invitations"),
        row("reject", "alice invited bob", Mallory, "reject", json!({"inviteID": cx.invite_id, "data": ""}), Code(8011), "invitations"),
        row("modifyInvitation", "alice invited bob", Mallory, "modifyInvitation", json!({"inviteID": cx.invite_id, "data": "pwned"}), Code(8011), "invitations"),
    ];

    let mut attackers = [
        Raw::login(&server, "mallory").await,
        Raw::login(&server, "carol").await,
        Raw::login(&server, "dave").await,
        Raw::login(&server, "eve").await,
    ];
    let mut failures = Vec::new();
    let mut before = snapshot(&mut ra, &mut rb, &cx).await;
    for r in &rows {
        let who = match r.who {
            Mallory => &mut attackers[0],
            Kicked => &mut attackers[1],
            Muted => &mut attackers[2],
            Blocked => &mut attackers[3],
        };
        let reply = who.call(r.op, r.data.clone()).await;
        let code = reply["code"].as_u64().unwrap_or(u64::MAX);
        let text = reply.to_string();
        let what = format!("{} on {} as {:?}", r.method, r.setup, r.who);
        match r.expect {
            Code(c) if c != 0 && code != u64::from(c) => {
                failures.push(format!("{what}: expected code {c}, got {reply}"))
            }
            Own if code != 0 => failures.push(format!(
                "{what}: expected the caller's own data, got {reply}"
            )),
            _ => {}
        }
        // A refusal carries no data; a served reply carries nothing of the victims'.
        // A removed member saw what was said before her removal; only the later text is not hers.
        let markers: &[&str] = match r.who {
            Kicked => &["after carol left"],
            _ => &[SECRET, "after carol left"],
        };
        if markers.iter().any(|m| text.contains(m)) {
            failures.push(format!("{what}: leaked victim data: {text}"));
        }
        let after = snapshot(&mut ra, &mut rb, &cx).await;
        for ((name, b), (_, a)) in before.iter().zip(&after) {
            if b != a {
                failures.push(format!(
                    "{what}: changed {name} (row checks {}): {b} -> {a}",
                    r.post
                ));
            }
        }
        before = after;
    }

    // --- the HTTP surface and login: files, REST, another SDKAppID ---
    let app = server.app_id;
    let other_app = app + 1;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let foreign_sig =
        |user: &str| pigeon_server::usersig::generate(other_app, &server.key, user, 86_400, now);
    let ticket = ra.call("uploadTicket", json!({})).await["data"]["ticket"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let path = format!("/files/{app}/file");
    let up = http(
        &server.addr,
        "POST",
        &path,
        &[("X-Pigeon-Ticket", &ticket)],
        b"alice's",
    )
    .await;
    let sha = serde_json::from_slice::<Value>(&up.1).expect("upload reply")["sha256"]
        .as_str()
        .expect("sha256")
        .to_owned();
    let (alice_sig, admin_sig) = (server.sig("alice"), server.sig("administrator"));
    let rest = |app: u64, id: &str, sig: &str| {
        format!("/v4/group_open_http_svc/get_group_info?sdkappid={app}&identifier={id}&usersig={sig}&random=1&contenttype=json")
    };
    let rest_body = json!({"GroupIdList": [gid]}).to_string().into_bytes();
    let forged = format!("{}.6d616c6c6f7279.{}", now + 600, "00".repeat(32));
    // (what, method, path, headers, body, expected HTTP status, expected code in the body)
    #[rustfmt::skip]
    let http_rows: Vec<HttpRow> = vec![
        ("upload without credentials", "POST", path.clone(), vec![], b"x".to_vec(), 401, 2003),
        ("upload with a forged ticket", "POST", path.clone(), vec![("X-Pigeon-Ticket", forged)], b"x".to_vec(), 401, 70009),
        ("upload as alice with mallory's UserSig", "POST", path.clone(), vec![("X-Pigeon-User", "alice".into()), ("X-Pigeon-UserSig", server.sig("mallory"))], b"x".to_vec(), 401, 70013),
        ("upload with another app's UserSig", "POST", path.clone(), vec![("X-Pigeon-User", "mallory".into()), ("X-Pigeon-UserSig", foreign_sig("mallory"))], b"x".to_vec(), 401, 70014),
        ("alice's ticket on another app's path", "POST", format!("/files/{other_app}/file"), vec![("X-Pigeon-Ticket", ticket.clone())], b"x".to_vec(), 404, 10004),
        ("download through another app's path", "GET", format!("/files/{other_app}/{sha}"), vec![], vec![], 404, 10004),
        ("REST without identifier and usersig", "POST", format!("/v4/group_open_http_svc/get_group_info?sdkappid={app}&random=1"), vec![], rest_body.clone(), 200, 60004),
        ("REST for another sdkappid", "POST", rest(other_app, "administrator", &foreign_sig("administrator")), vec![], rest_body.clone(), 200, 70014),
        ("REST as a user (not the admin)", "POST", rest(app, "alice", &alice_sig), vec![], rest_body.clone(), 200, 60010),
        ("REST as admin with a user's sig", "POST", rest(app, "administrator", &alice_sig), vec![], rest_body.clone(), 200, 70013),
        ("REST as admin with another app's sig", "POST", rest(app, "administrator", &foreign_sig("administrator")), vec![], rest_body.clone(), 200, 70014),
    ];
    for (what, method, path, headers, body, status, code) in &http_rows {
        let hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (got_status, got_body) = http(&server.addr, method, path, &hs, body).await;
        let text = String::from_utf8_lossy(&got_body);
        let v: Value = serde_json::from_slice(&got_body).unwrap_or(Value::Null);
        let got_code = v
            .get("code")
            .or_else(|| v.get("ErrorCode"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if got_status != *status || got_code != *code {
            failures.push(format!(
                "{what}: expected HTTP {status} code {code}, got HTTP {got_status} {text}"
            ));
        }
        if text.contains(SECRET) {
            failures.push(format!("{what}: leaked group data: {text}"));
        }
    }
    // The admin's own call works: the refusals above are about the credentials.
    let (_, ok) = http(
        &server.addr,
        "POST",
        &rest(app, "administrator", &admin_sig),
        &[],
        &rest_body,
    )
    .await;
    let ok = String::from_utf8_lossy(&ok);
    assert!(ok.contains("\"ErrorCode\":0"), "{ok}");

    // Logins with credentials of another SDKAppID, or of another user.
    #[rustfmt::skip]
    let login_rows: Vec<(&str, Value, u64)> = vec![
        ("another app's UserSig and SDKAppID", json!({"userID": "mallory", "userSig": foreign_sig("mallory"), "SDKAppID": other_app}), 70014),
        ("another app's UserSig with this SDKAppID", json!({"userID": "mallory", "userSig": foreign_sig("mallory"), "SDKAppID": app}), 70014),
        ("alice's UserSig for mallory", json!({"userID": "mallory", "userSig": alice_sig, "SDKAppID": app}), 70013),
    ];
    for (what, login, code) in &login_rows {
        let (_, reply) = Raw::connect(&server.url(), login.clone()).await;
        if reply["code"] != *code || reply.get("data").is_some() {
            failures.push(format!(
                "login with {what}: expected code {code}, got {reply}"
            ));
        }
    }
    let total = rows.len() + http_rows.len() + login_rows.len();
    println!(
        "authorization matrix: {total} rows ({} protocol, {} HTTP, {} login)",
        rows.len(),
        http_rows.len(),
        login_rows.len()
    );

    assert!(
        failures.is_empty(),
        "{} failures over {total} rows:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
