//! The store's hot paths on a SQLite file (WAL), the embedded default.
//!
//! Every stored send waits for [`Store::store_message`] before the sender is acked, so its
//! cost bounds sends per second and each sender's latency; the writer thread commits many
//! sends in one transaction, which is what the concurrent cases measure. `messages_before` is
//! `getMessageList` (one page of a long history) and `inbox_after` is the reconnect sync, the
//! two reads every client makes.
//!
//! - `store_message/c2c_one_sender`: one sender, one message after another (each waits for
//!   its commit, so a batch holds one message).
//! - `store_message/c2c_32_threads`: 32 senders on 32 threads at once, each waiting for its
//!   own message; an element is one message.
//! - `store_message/c2c_pipelined_32`: one thread submits 32 messages, then waits for each.
//! - `store_message/group_500`: a message to a 500-member group (500 inbox and conversation
//!   rows); an element is one delivery.
//! - `messages_before/newest_20_of_10000`, `inbox_after/...`: reads of a conversation (and
//!   its receiver's inbox) of 10,000 messages.

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pigeon_proto::consts::types;
use pigeon_proto::model::Message;
use pigeon_server::store::{PendingStore, Recipient, SqlStore, Store};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Senders of `c2c_32_threads`, about what the writer sees from a busy node's sessions.
const THREADS: usize = 32;
/// Members of the `group_500` group.
const GROUP_MEMBERS: usize = 500;
/// Messages in the conversation the read benchmarks page through.
const HISTORY: u64 = 10_000;
/// The server's largest sync page (`MAX_SYNC_PAGE`); it asks the store for one more.
const SYNC_PAGE: u32 = 200;
/// Any fixed server time: the store only records it.
const TIME: u64 = 1_700_000_000;

/// Message IDs are unique per store (a resend returns the stored copy and writes nothing), so
/// every message of a run gets the next number.
fn next_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("bench-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A typical text message as the send path stores it.
fn text(from: &str, to: &str, conversation_type: &str) -> Message {
    Message {
        id: next_id(),
        kind: types::MSG_TEXT.into(),
        payload: serde_json::json!({"text": "See you at the station at seven, platform 4."}),
        conversation_type: conversation_type.into(),
        from: from.into(),
        to: to.into(),
        status: "success".into(),
        priority: types::MSG_PRIORITY_NORMAL.into(),
        nick: from.into(),
        random: 12_345,
        client_time: TIME,
        ..Default::default()
    }
}

/// One C2C conversation between two users, as `messages::send` stores it: the storage key and
/// both sides as recipients (the receiver's unread count goes up, the sender's does not).
struct C2c {
    from: String,
    to: String,
    key: String,
    recipients: Vec<Recipient>,
}

impl C2c {
    fn new(from: &str, to: &str) -> Self {
        // The server's conversation key (`conversations::c2c_key`): the two IDs in order.
        let (x, y) = if from <= to { (from, to) } else { (to, from) };
        Self {
            from: from.into(),
            to: to.into(),
            key: format!("c2c\u{1f}{x}\u{1f}{y}"),
            recipients: vec![
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
            ],
        }
    }

    fn message(&self) -> Message {
        text(&self.from, &self.to, types::CONV_C2C)
    }

    fn store(&self, store: &SqlStore, m: &Message) {
        let stored = store
            .store_message(&self.key, m, TIME, &self.recipients)
            .expect("store_message");
        assert!(stored.is_new, "message IDs are unique");
    }

    fn submit(&self, store: &SqlStore, m: &Message) -> PendingStore {
        store.submit_message(&self.key, m, TIME, &self.recipients)
    }
}

/// A SQLite file store in a directory that goes with it.
struct Fixture {
    store: SqlStore,
    // Declared after the store, so the database is closed before its directory is removed.
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::open(&dir.path().join("pigeon.sqlite3")).expect("open store");
        Self { store, _dir: dir }
    }
}

fn store_message(c: &mut Criterion) {
    let fx = Fixture::new();
    let store = &fx.store;
    let mut g = c.benchmark_group("store_message");

    g.throughput(Throughput::Elements(1));
    let alice_bob = C2c::new("alice", "bob");
    g.bench_function("c2c_one_sender", |b| {
        b.iter_batched(
            || alice_bob.message(),
            |m| alice_bob.store(store, &m),
            BatchSize::SmallInput,
        );
    });

    // Each iteration is one message from each of the 32 senders; the threads live for a whole
    // sample, so starting them is not what is measured.
    g.throughput(Throughput::Elements(THREADS as u64));
    let pairs: Vec<C2c> = (0..THREADS)
        .map(|t| C2c::new(&format!("sender{t}"), &format!("receiver{t}")))
        .collect();
    g.bench_function("c2c_32_threads", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|s| {
                for pair in &pairs {
                    s.spawn(move || {
                        for _ in 0..iters {
                            pair.store(store, &pair.message());
                        }
                    });
                }
            });
            start.elapsed()
        });
    });

    // The async send path's shape without threads: all 32 queued before any is awaited.
    g.bench_function("c2c_pipelined_32", |b| {
        b.iter_batched(
            || pairs.iter().map(|p| (p, p.message())).collect::<Vec<_>>(),
            |batch| {
                let pending: Vec<PendingStore> =
                    batch.iter().map(|(p, m)| p.submit(store, m)).collect();
                for p in pending {
                    assert!(p.wait_blocking().expect("stored").is_new);
                }
            },
            BatchSize::SmallInput,
        );
    });

    g.throughput(Throughput::Elements(GROUP_MEMBERS as u64));
    let members: Vec<Recipient> = (0..GROUP_MEMBERS)
        .map(|i| Recipient {
            user_id: format!("member{i}"),
            conv_id: "GROUPg500".into(),
            counts_unread: i != 0,
            sets_last: true,
            at_type: 0,
        })
        .collect();
    g.bench_function("group_500", |b| {
        b.iter_batched(
            || text("member0", "g500", types::CONV_GROUP),
            |m| {
                let stored = store
                    .store_message("group\u{1f}g500", &m, TIME, &members)
                    .expect("store_message");
                assert_eq!(stored.inbox.len(), GROUP_MEMBERS);
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

/// A store whose one conversation (`reader` ↔ `writer`) has [`HISTORY`] messages, written in
/// the writer's largest batches so seeding takes seconds, not minutes.
fn seeded() -> (Fixture, C2c) {
    let fx = Fixture::new();
    let conv = C2c::new("writer", "reader");
    let mut left = HISTORY;
    while left > 0 {
        let n = left.min(128);
        let pending: Vec<PendingStore> = (0..n)
            .map(|_| conv.submit(&fx.store, &conv.message()))
            .collect();
        for p in pending {
            p.wait_blocking().expect("seed");
        }
        left -= n;
    }
    (fx, conv)
}

fn reads(c: &mut Criterion) {
    let (fx, conv) = seeded();
    let store = &fx.store;

    let mut g = c.benchmark_group("messages_before");
    g.bench_function("newest_20_of_10000", |b| {
        b.iter(|| {
            let page = store
                .messages_before(black_box(&conv.key), None, 0, 20)
                .expect("messages_before");
            assert_eq!(page.len(), 20);
            page
        });
    });
    g.finish();

    let mut g = c.benchmark_group("inbox_after");
    // A client back after missing a lot: the server's largest page (it asks for one more to
    // know whether there is another).
    g.bench_function("200_of_10000", |b| {
        b.iter(|| {
            let page = store
                .inbox_after(
                    black_box("reader"),
                    HISTORY - u64::from(SYNC_PAGE),
                    SYNC_PAGE + 1,
                )
                .expect("inbox_after");
            assert_eq!(page.len(), SYNC_PAGE as usize);
            page
        });
    });
    // The common reconnect: nothing missed.
    g.bench_function("nothing_new_of_10000", |b| {
        b.iter(|| {
            let page = store
                .inbox_after(black_box("reader"), HISTORY, SYNC_PAGE + 1)
                .expect("inbox_after");
            assert!(page.is_empty());
            page
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Short by default so `cargo bench -p pigeon-server` takes minutes; pass
    // `--measurement-time` / `--sample-size` for steadier figures.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = store_message, reads
}
criterion_main!(benches);
