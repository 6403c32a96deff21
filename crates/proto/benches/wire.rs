//! The JSON of the two frames every message crosses: the sender's `sendMessage` request and
//! the `message` push each receiving session gets.
//!
//! The gateway parses every request frame on the connection's task, and the SDK parses every
//! push on its reader task, so their cost is paid per message per session; the server builds
//! a push once per distinct view of a message and shares it (see `messages::push_live`).
//!
//! - `wire/parse_request_frame`: text → [`Request`], what `gateway::decode_request` does.
//! - `wire/parse_send_message`: text → [`Request`] → [`SendMessage`], the whole parse
//!   before `messages::send`.
//! - `wire/serialize_push_message`: [`Push::Message`] with a text message and the receiver's
//!   conversation → text.
//! - `wire/parse_push_message`: that text → [`Push`], as the SDK reads it.

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pigeon_proto::consts::types;
use pigeon_proto::model::{status, Conversation, LastMessage, Message, UserProfile};
use pigeon_proto::wire::{Op, Push, Request, SendMessage};
use std::hint::black_box;
use std::time::Duration;

const TIME: u64 = 1_700_000_000;

/// A text message as `createTextMessage` makes it on alice's side.
fn created() -> Message {
    Message {
        id: "4398046511104-1700000000-2718281828".into(),
        kind: types::MSG_TEXT.into(),
        payload: serde_json::json!({"text": "See you at the station at seven, platform 4."}),
        conversation_id: "C2Cbob".into(),
        conversation_type: types::CONV_C2C.into(),
        to: "bob".into(),
        from: "alice".into(),
        flow: "out".into(),
        time: TIME,
        status: status::UNSEND.into(),
        priority: types::MSG_PRIORITY_NORMAL.into(),
        read_receipt_info: serde_json::json!({}),
        random: 2_718_281_828,
        client_time: TIME,
        ..Default::default()
    }
}

/// The `sendMessage` frame as the SDK writes it (every field of the message, as serde makes it).
fn request_frame() -> String {
    let send = SendMessage {
        message: created(),
        ..Default::default()
    };
    serde_json::to_string(&Request {
        id: 42,
        op: SendMessage::NAME.into(),
        data: serde_json::to_value(send).expect("sendMessage data"),
    })
    .expect("request frame")
}

/// The push bob's sessions get: the stored message from his side and his conversation.
fn push() -> Push {
    let mut m = created().view_as("bob");
    m.status = status::SUCCESS.into();
    m.time = TIME + 1;
    m.sequence = 1_234;
    m.nick = "Alice".into();
    m.avatar = "https://example.com/avatars/alice.png".into();
    let conversation = Conversation {
        conversation_id: m.conversation_id.clone(),
        kind: types::CONV_C2C.into(),
        unread_count: 3,
        last_message: LastMessage::from_message(&m),
        user_profile: Some(UserProfile {
            user_id: "alice".into(),
            nick: m.nick.clone(),
            avatar: m.avatar.clone(),
        }),
        ..Default::default()
    };
    Push::Message {
        inbox_seq: Some(4_242),
        message: m,
        conversation: Some(conversation),
    }
}

fn wire(c: &mut Criterion) {
    let mut g = c.benchmark_group("wire");

    let frame = request_frame();
    g.throughput(Throughput::Bytes(frame.len() as u64));
    g.bench_function("parse_request_frame", |b| {
        b.iter(|| serde_json::from_slice::<Request>(black_box(frame.as_bytes())).expect("request"));
    });
    g.bench_function("parse_send_message", |b| {
        b.iter(|| {
            let req: Request =
                serde_json::from_slice(black_box(frame.as_bytes())).expect("request");
            SendMessage::parse(req.data).expect("sendMessage")
        });
    });

    let push = push();
    let text = serde_json::to_string(&push).expect("push");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("serialize_push_message", |b| {
        b.iter(|| serde_json::to_string(black_box(&push)).expect("push"));
    });
    g.bench_function("parse_push_message", |b| {
        b.iter(|| serde_json::from_str::<Push>(black_box(&text)).expect("push"));
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = wire
}
criterion_main!(benches);
