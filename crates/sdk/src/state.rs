//! What the SDK knows about the logged-in user, and the events its changes raise. Every update
//! returns the events to emit, so they go out after the lock is released.

use crate::cache::Cache;
use pigeon_proto::consts::{event, types};
use pigeon_proto::model::{Conversation, Group, Message};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// An event: the seed's event name and its `event.data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// `TencentCloudChat.EVENT.*` value.
    pub name: String,
    /// `event.data`.
    pub data: Value,
}

impl Event {
    /// An event.
    pub fn new(name: &str, data: Value) -> Self {
        Self {
            name: name.to_owned(),
            data,
        }
    }
}

/// An inbox entry waiting for the ones before it.
pub(crate) enum PendingEntry {
    /// Received: apply when its turn comes.
    Received(Box<Message>, Option<Box<Conversation>>),
    /// Sent by this instance: already applied, only the cursor moves.
    Own,
}

/// Session state.
#[derive(Default)]
pub(crate) struct State {
    /// Logged-in user, empty when logged out.
    pub user_id: String,
    /// SDK_READY was emitted for this login.
    pub ready: bool,
    /// Bumped by every login and logout, so tasks of an old session change nothing.
    pub generation: u64,
    /// `TYPES.NET_STATE_*` last reported.
    pub net_state: &'static str,
    pub cache: Option<Cache>,
    pub conversations: HashMap<String, Conversation>,
    pub groups: Vec<Group>,
    /// Last inbox sequence applied (contiguous); None for a device that never synced.
    pub cursor: Option<u64>,
    pub pending: BTreeMap<u64, PendingEntry>,
    pub total_unread: u64,
    /// Invitations already announced with NEW_INVITATION_RECEIVED in this session.
    pub seen_invites: std::collections::HashSet<String>,
    /// Drafts by conversation ID (local only, as the seed says).
    pub drafts: HashMap<String, String>,
    /// Names of the conversation groups (folders).
    pub conv_groups: Vec<String>,
    /// The global do-not-disturb setting, once known.
    pub receive_opt: Option<pigeon_proto::wire::ReceiveMessageOpt>,
    /// Tells the session task that received entries wait behind an applied own entry.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
}

impl State {
    /// Conversations, pinned first then newest first.
    pub fn sorted_conversations(&self) -> Vec<Conversation> {
        let mut list: Vec<Conversation> = self.conversations.values().cloned().collect();
        list.sort_by(|a, b| {
            b.sort_key()
                .cmp(&a.sort_key())
                .then_with(|| a.conversation_id.cmp(&b.conversation_id))
        });
        list
    }

    pub(crate) fn compute_total_unread(&self) -> u64 {
        self.conversations
            .values()
            .filter(|c| c.kind != types::CONV_SYSTEM)
            .filter(|c| {
                c.message_remind_type.is_empty()
                    || c.message_remind_type == types::MSG_REMIND_ACPT_AND_NOTE
            })
            .map(|c| c.unread_count)
            .sum()
    }

    /// CONVERSATION_LIST_UPDATED when the list `changed`, and TOTAL_UNREAD_MESSAGE_COUNT_UPDATED
    /// when the total moved.
    pub(crate) fn list_events(&mut self, changed: bool) -> Vec<Event> {
        let mut events = Vec::new();
        if changed {
            events.push(Event::new(
                event::CONVERSATION_LIST_UPDATED,
                json!(self.sorted_conversations()),
            ));
        }
        let total = self.compute_total_unread();
        if total != self.total_unread {
            self.total_unread = total;
            events.push(Event::new(
                event::TOTAL_UNREAD_MESSAGE_COUNT_UPDATED,
                json!(total),
            ));
        }
        events
    }

    /// Applies conversation changes (all of them when `replace_all`); returns the events.
    pub fn update_conversations(
        &mut self,
        list: Vec<Conversation>,
        replace_all: bool,
    ) -> Vec<Event> {
        // Drafts live on this device only; the server's copies carry none.
        let list: Vec<Conversation> = list
            .into_iter()
            .map(|mut c| {
                c.draft_text = self
                    .drafts
                    .get(&c.conversation_id)
                    .cloned()
                    .unwrap_or_default();
                c
            })
            .collect();
        let before = if replace_all {
            Some(self.conversations.clone())
        } else {
            None
        };
        let mut changed = false;
        if replace_all {
            self.conversations.clear();
        }
        for c in &list {
            let old = self
                .conversations
                .insert(c.conversation_id.clone(), c.clone());
            changed |= old.as_ref() != Some(c);
        }
        if let Some(before) = before {
            changed = before != self.conversations;
        }
        if let Some(cache) = self.cache.as_mut() {
            if let Err(e) = cache.put_conversations(&list, replace_all) {
                tracing::warn!(error = %e, "could not cache conversations");
            }
        }
        self.list_events(changed)
    }

    /// Replaces the group list; returns GROUP_LIST_UPDATED when it changed or `always`.
    pub fn update_groups(&mut self, list: Vec<Group>, always: bool) -> Vec<Event> {
        let changed = list != self.groups;
        self.groups = list;
        if let Some(cache) = self.cache.as_mut() {
            if let Err(e) = cache.put_groups(&self.groups) {
                tracing::warn!(error = %e, "could not cache groups");
            }
        }
        if changed || always {
            vec![Event::new(event::GROUP_LIST_UPDATED, json!(self.groups))]
        } else {
            vec![]
        }
    }

    /// Takes in inbox entry `n`, applies the entries now contiguous, and returns the events.
    /// Entries at or below the cursor are duplicates and change nothing.
    pub fn take_inbox(&mut self, n: u64, entry: PendingEntry) -> Vec<Event> {
        let cursor = self.cursor.unwrap_or(0);
        if n <= cursor {
            return vec![];
        }
        let own = matches!(entry, PendingEntry::Own);
        self.pending.entry(n).or_insert(entry);
        // The ack of a send (on the sending task) moves the cursor over own entries only;
        // received messages behind them are left to the session task, woken for them, so
        // two tasks never race to report messages out of inbox order.
        self.advance(own)
    }

    /// Applies every entry now contiguous with the cursor and returns the events (the
    /// session task, when [`State::wake`] rings).
    pub fn release(&mut self) -> Vec<Event> {
        self.advance(false)
    }

    fn advance(&mut self, own_only: bool) -> Vec<Event> {
        let cursor = self.cursor.unwrap_or(0);
        let mut next = cursor;
        let mut received = Vec::new();
        let mut convs = Vec::new();
        while let Some(e) = self.pending.remove(&(next + 1)) {
            if own_only && matches!(e, PendingEntry::Received(..)) {
                self.pending.insert(next + 1, e);
                self.wake.notify_one();
                break;
            }
            next += 1;
            if let PendingEntry::Received(m, c) = e {
                // Only this instance's own sends are already known to the app; a message
                // merely read from history (getMessageList) is still new when it arrives.
                let known = match self.cache.as_ref() {
                    Some(cache) => cache.sent_here(&m.id).unwrap_or(false),
                    None => false,
                };
                if !known {
                    received.push(*m);
                }
                convs.extend(c.map(|c| *c));
            }
        }
        if next == cursor {
            return vec![];
        }
        self.cursor = Some(next);
        if let Some(cache) = self.cache.as_mut() {
            let stored = cache
                .put_messages(&received)
                .and_then(|_| cache.set("cursor", &next.to_string()));
            if let Err(e) = stored {
                tracing::warn!(error = %e, "could not cache received messages");
            }
        }
        let mut events = Vec::new();
        if !received.is_empty() {
            events.push(Event::new(event::MESSAGE_RECEIVED, json!(received)));
        }
        events.extend(self.update_conversations(convs, false));
        events.extend(self.signaling_events(&received));
        events
    }

    /// Keeps cached copies current when another instance or user revoked, modified or read
    /// messages, so findMessage and offline history show the change.
    pub fn refresh_cached_messages(&mut self, event_name: &str, data: &Value) {
        let carries_messages = [
            event::MESSAGE_REVOKED,
            event::MESSAGE_MODIFIED,
            event::MESSAGE_READ_BY_PEER,
        ]
        .contains(&event_name);
        if !carries_messages {
            return;
        }
        let Ok(list) = serde_json::from_value::<Vec<Message>>(data.clone()) else {
            return;
        };
        let Some(cache) = self.cache.as_mut() else {
            return;
        };
        // Only messages this device already holds: the event is no reason to start caching.
        let known: Vec<Message> = list
            .into_iter()
            .filter(|m| cache.has_message(&m.id).unwrap_or(false))
            .collect();
        if let Err(e) = cache.put_messages(&known) {
            tracing::warn!(error = %e, "could not update cached messages");
        }
    }

    /// Whether inbox entries wait behind a gap.
    pub fn has_gap(&self) -> bool {
        !self.pending.is_empty()
    }
}

impl State {
    /// Forgets the session (logout, kick); bumps the generation so its tasks change nothing.
    pub fn clear_session(&mut self) {
        let generation = self.generation + 1;
        *self = State {
            generation,
            ..State::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str) -> Box<Message> {
        Box::new(Message {
            id: id.into(),
            conversation_id: "C2Ca".into(),
            ..Default::default()
        })
    }

    fn received(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter(|e| e.name == event::MESSAGE_RECEIVED)
            .flat_map(|e| e.data.as_array().cloned().unwrap_or_default())
            .map(|m| m["ID"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn inbox_entries_apply_in_order_once() {
        let mut st = State {
            cursor: Some(0),
            ..Default::default()
        };
        // 2 arrives before 1: held back, then both go out in order.
        assert!(received(&st.take_inbox(2, PendingEntry::Received(msg("b"), None))).is_empty());
        assert!(st.has_gap());
        assert_eq!(
            received(&st.take_inbox(1, PendingEntry::Received(msg("a"), None))),
            ["a", "b"]
        );
        assert!(!st.has_gap());
        // Duplicates change nothing.
        assert!(st
            .take_inbox(2, PendingEntry::Received(msg("b"), None))
            .is_empty());
        // The instance's own message moves the cursor without an event.
        assert!(received(&st.take_inbox(3, PendingEntry::Own)).is_empty());
        assert_eq!(st.cursor, Some(3));
        assert_eq!(
            received(&st.take_inbox(4, PendingEntry::Received(msg("d"), None))),
            ["d"]
        );
    }

    use proptest::prelude::*;

    /// How many random arrival orders the inbox property tries.
    const INBOX_CASES: u32 = 512;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(INBOX_CASES))]

        /// Whatever order inbox entries 1..=n arrive in, however often each is repeated, and
        /// whichever of them are this instance's own sends (acks on the sending task, which
        /// wake the session task): the received ones come out exactly once, in inbox order,
        /// every report is contiguous with the last, and the cursor ends at n with no gap.
        #[test]
        fn inbox_reorders_and_drops_duplicates(
            (n, arrivals, own) in (1u64..40).prop_flat_map(|n| {
                let order = proptest::strategy::Just((1..=n).collect::<Vec<u64>>()).prop_shuffle();
                let dups = proptest::collection::vec(1..=n, 0..(2 * n as usize));
                let own = proptest::collection::vec(proptest::bool::weighted(0.3), n as usize);
                (proptest::strategy::Just(n), (order, dups).prop_flat_map(|(o, d)| {
                    let mut all = o;
                    all.extend(d);
                    proptest::strategy::Just(all).prop_shuffle()
                }), own)
            })
        ) {
            let mut st = State { cursor: Some(0), ..Default::default() };
            let is_own = |k: u64| own[(k - 1) as usize];
            let mut got: Vec<String> = Vec::new();
            for k in arrivals {
                let entry = if is_own(k) {
                    PendingEntry::Own
                } else {
                    PendingEntry::Received(msg(&k.to_string()), None)
                };
                let before = st.cursor.unwrap_or(0);
                let mut events = st.take_inbox(k, entry);
                // The session task runs when an ack rings it.
                if futures_util::FutureExt::now_or_never(st.wake.notified()).is_some() {
                    events.extend(st.release());
                }
                let batch = received(&events);
                // Each report continues exactly where the cursor was.
                let expected_batch: Vec<String> = (before + 1..=st.cursor.unwrap_or(0))
                    .filter(|k| !is_own(*k))
                    .map(|k| k.to_string())
                    .collect();
                prop_assert_eq!(&batch, &expected_batch);
                got.extend(batch);
            }
            // Entries left behind only wait for the session task (never for a missing one).
            got.extend(received(&st.release()));
            let expected: Vec<String> =
                (1..=n).filter(|k| !is_own(*k)).map(|k| k.to_string()).collect();
            prop_assert_eq!(got, expected);
            prop_assert_eq!(st.cursor, Some(n));
            prop_assert!(!st.has_gap());
        }
    }

    #[test]
    fn unread_total_skips_system_and_emits_on_change() {
        let mut st = State::default();
        let conv = |id: &str, kind: &str, unread: u64| Conversation {
            conversation_id: id.into(),
            kind: kind.into(),
            unread_count: unread,
            ..Default::default()
        };
        let ev = st.update_conversations(
            vec![
                conv("C2Ca", "C2C", 2),
                conv("@TIM#SYSTEM", "@TIM#SYSTEM", 5),
            ],
            true,
        );
        assert!(ev
            .iter()
            .any(|e| e.name == event::TOTAL_UNREAD_MESSAGE_COUNT_UPDATED
                && e.data == serde_json::json!(2)));
        let ev = st.update_conversations(vec![conv("C2Ca", "C2C", 2)], false);
        assert!(ev.is_empty(), "no change, no event");
    }

    #[test]
    fn an_ack_leaves_received_entries_to_the_session_task() {
        let mut st = State {
            cursor: Some(0),
            ..Default::default()
        };
        // Pushed 2 arrives before the ack of own message 1.
        assert!(received(&st.take_inbox(2, PendingEntry::Received(msg("b"), None))).is_empty());
        let wake = st.wake.clone();
        // The ack moves the cursor over 1 only and rings the session task...
        assert!(received(&st.take_inbox(1, PendingEntry::Own)).is_empty());
        assert_eq!(st.cursor, Some(1));
        let rung = futures_util::FutureExt::now_or_never(wake.notified());
        assert!(rung.is_some(), "the session task is woken");
        // ...which reports 2.
        assert_eq!(received(&st.release()), ["b"]);
        assert_eq!(st.cursor, Some(2));
        assert!(!st.has_gap());
    }
}
