//! Property tests: the store's sequence assignment under concurrent sends. Whatever the
//! interleaving of several threads sending (and resending) messages to shared conversations
//! through one `SqliteStore`, every conversation's sequences are exactly 1..=n, every user's
//! inbox is exactly 1..=m, every message is stored and delivered once, and a resend returns
//! the first copy.

use pigeon_proto::model::Message;
use pigeon_server::conversations::{c2c_key, group_key};
use pigeon_server::store::{Recipient, SqliteStore, Store};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// How many random send plans the property tries.
const CASES: u32 = 48;

const USERS: [&str; 4] = ["u0", "u1", "u2", "u3"];

/// One send: the sender, the target (0..3: C2C to the next user, 3: the group), and whether
/// it is sent twice (a resend after a lost ack).
#[derive(Debug, Clone)]
struct Send {
    from: usize,
    target: u8,
    resend: bool,
}

fn send_strategy() -> impl Strategy<Value = Send> {
    (0..USERS.len(), 0u8..4, proptest::bool::weighted(0.25)).prop_map(|(from, target, resend)| {
        Send {
            from,
            target,
            resend,
        }
    })
}

/// The conversation key, the message's `to`, its type and recipients.
fn route(s: &Send) -> (String, String, &'static str, Vec<Recipient>) {
    let me = USERS[s.from];
    let rec = |user: &str, conv_id: String| Recipient {
        user_id: user.to_owned(),
        conv_id,
        counts_unread: user != me,
        sets_last: true,
        at_type: 0,
    };
    if s.target == 3 {
        let recips = USERS.iter().map(|u| rec(u, "GROUPg".to_owned())).collect();
        return (group_key("g"), "g".into(), "GROUP", recips);
    }
    let peer = USERS[(s.from + 1 + s.target as usize) % USERS.len()];
    let recips = vec![rec(me, format!("C2C{peer}")), rec(peer, format!("C2C{me}"))];
    (c2c_key(me, peer), peer.into(), "C2C", recips)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn concurrent_sends_get_gap_free_unique_sequences(
        plans in proptest::collection::vec(proptest::collection::vec(send_strategy(), 1..25), 2..5)
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(&dir.path().join("db.sqlite3")).expect("open"));
        // Each thread sends its plan; every reply is kept for the checks.
        let results: Vec<Vec<(String, String, u64, bool)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .iter()
                .enumerate()
                .map(|(t, plan)| {
                    let store = store.clone();
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        for (i, s) in plan.iter().enumerate() {
                            let (key, to, kind, recips) = route(s);
                            let m = Message {
                                id: format!("t{t}-m{i}"),
                                kind: "TIMTextElem".into(),
                                conversation_type: kind.into(),
                                to,
                                from: USERS[s.from].into(),
                                ..Default::default()
                            };
                            for _ in 0..if s.resend { 2 } else { 1 } {
                                let stored = store.store_message(&key, &m, 1, &recips).expect("store");
                                out.push((key.clone(), m.id.clone(), stored.message.sequence, stored.is_new));
                                // Let other threads in between, for more interleavings.
                                std::thread::yield_now();
                            }
                        }
                        out
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread")).collect()
        });

        // Every message is new exactly once, and a resend returns the first sequence.
        let mut first: HashMap<String, (String, u64)> = HashMap::new();
        for (key, id, seq, is_new) in results.iter().flatten() {
            match first.get(id) {
                None => {
                    prop_assert!(*is_new, "{} first stored as new", id);
                    first.insert(id.clone(), (key.clone(), *seq));
                }
                Some((_, s)) => {
                    prop_assert!(!*is_new, "{} stored once", id);
                    prop_assert_eq!(s, seq, "a resend returns the first copy");
                }
            }
        }
        // Per conversation: the assigned sequences are exactly 1..=n, and the store agrees.
        let mut by_conv: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for (key, seq) in first.values() {
            by_conv.entry(key.clone()).or_default().push(*seq);
        }
        for (key, mut seqs) in by_conv {
            seqs.sort_unstable();
            let n = seqs.len() as u64;
            prop_assert_eq!(&seqs, &(1..=n).collect::<Vec<u64>>(), "{:?}", key);
            prop_assert_eq!(store.last_seq(&key).expect("last_seq"), n);
            let stored: Vec<u64> = store
                .messages_before(&key, None, 0, 10_000)
                .expect("messages_before")
                .iter()
                .rev()
                .map(|m| m.sequence)
                .collect();
            prop_assert_eq!(stored, (1..=n).collect::<Vec<u64>>());
        }
        // Per user: the inbox is exactly 1..=m, each message once, and holds every message
        // of the user's conversations.
        for (u, user) in USERS.iter().enumerate() {
            let inbox = store.inbox_after(user, 0, 10_000).expect("inbox_after");
            let seqs: Vec<u64> = inbox.iter().map(|(n, _)| *n).collect();
            prop_assert_eq!(&seqs, &(1..=inbox.len() as u64).collect::<Vec<u64>>());
            let ids: HashSet<String> = inbox
                .iter()
                .map(|(_, m)| m.as_ref().map(|m| m.id.clone()).unwrap_or_default())
                .collect();
            prop_assert_eq!(ids.len(), inbox.len(), "no message twice in {}'s inbox", user);
            let expected: HashSet<String> = plans
                .iter()
                .enumerate()
                .flat_map(|(t, plan)| plan.iter().enumerate().map(move |(i, s)| (t, i, s)))
                .filter(|(_, _, s)| {
                    route(s).3.iter().any(|r| r.user_id == USERS[u])
                })
                .map(|(t, i, _)| format!("t{t}-m{i}"))
                .collect();
            prop_assert_eq!(ids, expected);
        }
    }
}
