//! The local cache: one SQLite file per user, so the app shows its last conversations and
//! messages at once, and without a network.

use pigeon_proto::model::{status, Conversation, Group, Message};
use pigeon_proto::ImError;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

const SCHEMA: &[&str] = &[
    "
CREATE TABLE kv (k TEXT NOT NULL PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE conversations (conv_id TEXT NOT NULL PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE messages (
    id      TEXT    NOT NULL PRIMARY KEY,
    conv_id TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    time    INTEGER NOT NULL,
    body    TEXT    NOT NULL
);
CREATE INDEX messages_by_conv ON messages (conv_id, seq, time);
CREATE TABLE groups (group_id TEXT NOT NULL PRIMARY KEY, body TEXT NOT NULL);
",
    "
-- 1 for messages this instance sent (they never come back as received, even when their ack
-- was lost), 0 for messages that only came in or were read from history. Rows cached before
-- the column existed keep the old meaning: cached means not new.
ALTER TABLE messages ADD COLUMN sent_here INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET sent_here = 1;
",
];

fn err(e: impl std::fmt::Display) -> ImError {
    ImError::internal(format!("local cache: {e}"))
}

/// One user's cache.
pub struct Cache {
    conn: Connection,
}

impl Cache {
    /// Opens (creating) the cache file.
    pub fn open(path: &Path) -> Result<Self, ImError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        let tx = conn.transaction().map_err(err)?;
        for (i, sql) in SCHEMA.iter().enumerate().skip(version) {
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", i + 1).map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(Self { conn })
    }

    /// A stored value.
    pub fn get(&self, key: &str) -> Result<Option<String>, ImError> {
        self.conn
            .query_row("SELECT v FROM kv WHERE k = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(err)
    }

    /// Stores a value.
    pub fn set(&self, key: &str, value: &str) -> Result<(), ImError> {
        self.conn
            .execute(
                "INSERT INTO kv (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                [key, value],
            )
            .map(|_| ())
            .map_err(err)
    }

    /// Whether a message is cached.
    pub fn has_message(&self, id: &str) -> Result<bool, ImError> {
        self.conn
            .query_row("SELECT 1 FROM messages WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
            .map_err(err)
    }

    /// Whether this instance sent the message (cached it before the server had it), so it
    /// must not be reported as received when its inbox entry comes back.
    pub fn sent_here(&self, id: &str) -> Result<bool, ImError> {
        self.conn
            .query_row("SELECT sent_here FROM messages WHERE id = ?1", [id], |r| {
                r.get::<_, bool>(0)
            })
            .optional()
            .map(|o| o.unwrap_or(false))
            .map_err(err)
    }

    /// Stores or replaces messages. A message not yet acked by the server (status other than
    /// `success`: the SDK caches outgoing messages before sending them) is marked as sent
    /// here; the mark survives later copies (ack, history pages).
    pub fn put_messages(&mut self, messages: &[Message]) -> Result<(), ImError> {
        let tx = self.conn.transaction().map_err(err)?;
        for m in messages {
            let body = serde_json::to_string(m).map_err(err)?;
            let sent_here = m.status != status::SUCCESS;
            tx.execute(
                "INSERT INTO messages (id, conv_id, seq, time, body, sent_here)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET conv_id = excluded.conv_id, seq = excluded.seq,
                   time = excluded.time, body = excluded.body,
                   sent_here = MAX(sent_here, excluded.sent_here)",
                params![m.id, m.conversation_id, m.sequence, m.time, body, sent_here],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// A cached message.
    pub fn message(&self, id: &str) -> Result<Option<Message>, ImError> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err)?;
        body.map(|b| serde_json::from_str(&b).map_err(err))
            .transpose()
    }

    /// Up to `limit` cached messages of a conversation older than `before` (a message ID),
    /// newest first.
    pub fn messages_before(
        &self,
        conv_id: &str,
        before: Option<&Message>,
        limit: u32,
    ) -> Result<Vec<Message>, ImError> {
        let seq = before.map(|m| m.sequence).unwrap_or(i64::MAX as u64);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT body FROM messages WHERE conv_id = ?1 AND seq < ?2 AND seq > 0
                 ORDER BY seq DESC LIMIT ?3",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![conv_id, seq, limit], |r| r.get::<_, String>(0))
            .map_err(err)?;
        rows.map(|b| serde_json::from_str(&b.map_err(err)?).map_err(err))
            .collect()
    }

    /// Replaces the cached conversation list.
    pub fn put_conversations(
        &mut self,
        list: &[Conversation],
        replace_all: bool,
    ) -> Result<(), ImError> {
        let tx = self.conn.transaction().map_err(err)?;
        if replace_all {
            tx.execute("DELETE FROM conversations", []).map_err(err)?;
        }
        for c in list {
            let body = serde_json::to_string(c).map_err(err)?;
            tx.execute(
                "INSERT INTO conversations (conv_id, body) VALUES (?1, ?2)
                 ON CONFLICT(conv_id) DO UPDATE SET body = excluded.body",
                params![c.conversation_id, body],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// The cached conversations.
    pub fn conversations(&self) -> Result<Vec<Conversation>, ImError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM conversations")
            .map_err(err)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
        rows.map(|b| serde_json::from_str(&b.map_err(err)?).map_err(err))
            .collect()
    }

    /// Replaces the cached group list.
    pub fn put_groups(&mut self, list: &[Group]) -> Result<(), ImError> {
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM groups", []).map_err(err)?;
        for g in list {
            let body = serde_json::to_string(g).map_err(err)?;
            tx.execute(
                "INSERT INTO groups (group_id, body) VALUES (?1, ?2)",
                params![g.group_id, body],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Forgets a cached conversation.
    pub fn delete_conversation(&self, conv_id: &str) -> Result<(), ImError> {
        self.conn
            .execute("DELETE FROM conversations WHERE conv_id = ?1", [conv_id])
            .map(|_| ())
            .map_err(err)
    }

    /// Forgets the cached messages of a conversation (its history was cleared).
    pub fn delete_messages_of(&self, conv_id: &str) -> Result<(), ImError> {
        self.conn
            .execute("DELETE FROM messages WHERE conv_id = ?1", [conv_id])
            .map(|_| ())
            .map_err(err)
    }

    /// The cached groups.
    pub fn groups(&self) -> Result<Vec<Group>, ImError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM groups ORDER BY group_id")
            .map_err(err)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
        rows.map(|b| serde_json::from_str(&b.map_err(err)?).map_err(err))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("u/cache.sqlite3");
        {
            let mut c = Cache::open(&path).expect("open");
            c.set("cursor", "7").expect("set");
            let m = Message {
                id: "m1".into(),
                conversation_id: "C2Cbob".into(),
                sequence: 3,
                ..Default::default()
            };
            c.put_messages(&[m]).expect("put");
            let conv = Conversation {
                conversation_id: "C2Cbob".into(),
                ..Default::default()
            };
            c.put_conversations(&[conv], true).expect("put");
        }
        let c = Cache::open(&path).expect("reopen");
        assert_eq!(c.get("cursor").expect("get").as_deref(), Some("7"));
        assert!(c.has_message("m1").expect("has"));
        assert_eq!(
            c.messages_before("C2Cbob", None, 15).expect("list").len(),
            1
        );
        assert_eq!(c.conversations().expect("convs").len(), 1);
    }

    #[test]
    fn only_unacked_messages_count_as_sent_here() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = Cache::open(&dir.path().join("cache.sqlite3")).expect("open");
        let msg = |id: &str, st: &str| Message {
            id: id.into(),
            conversation_id: "C2Cbob".into(),
            status: st.into(),
            ..Default::default()
        };
        // Sent here: cached before the send, then the acked copy, then a history copy.
        c.put_messages(&[msg("mine", status::UNSEND)]).expect("put");
        c.put_messages(&[msg("mine", status::SUCCESS)])
            .expect("put");
        c.put_messages(&[msg("mine", status::SUCCESS)])
            .expect("put");
        assert!(c.sent_here("mine").expect("query"));
        // Read from history before its push arrived: still new when it does.
        c.put_messages(&[msg("theirs", status::SUCCESS)])
            .expect("put");
        assert!(c.has_message("theirs").expect("query"));
        assert!(!c.sent_here("theirs").expect("query"));
        assert!(!c.sent_here("unknown").expect("query"));
    }
}
