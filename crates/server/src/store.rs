//! Storage behind the [`Store`] trait. [`SqliteStore`] is the embedded default (one file, WAL);
//! another backend implements the same trait and passes the same conformance tests.
//!
//! Each method is one transaction: a message, its sequence, its inbox rows and the conversation
//! updates commit together or not at all, so a crash never leaves half a send behind.

use pigeon_proto::model::{Group, Message};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::path::Path;
use std::sync::Mutex;

/// Storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// Stored JSON did not parse (a bug or a hand-edited file).
    #[error("stored data is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A message ID already used by another sender.
    #[error("message ID {0} is already used by another sender")]
    IdConflict(String),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who sees a stored message and how it counts for them.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// The user.
    pub user_id: String,
    /// Their conversation ID for it (`C2Cpeer`, `GROUPid`).
    pub conv_id: String,
    /// Whether it raises their unread count.
    pub counts_unread: bool,
    /// Whether it becomes their conversation's last message.
    pub sets_last: bool,
}

/// What storing a message did.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The message as stored (server time and sequence filled in).
    pub message: Message,
    /// False when the ID was already stored: nothing new was written.
    pub is_new: bool,
    /// Inbox sequence per recipient (empty for a duplicate).
    pub inbox: Vec<(String, u64)>,
}

/// A user's state for one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvRow {
    /// Their conversation ID.
    pub conv_id: String,
    /// Storage key of the conversation.
    pub conv_key: String,
    /// Unread messages.
    pub unread: u64,
    /// The last message, if it still exists.
    pub last_message: Option<Message>,
}

/// A group row with its viewer-independent fields; membership comes separately.
#[derive(Debug, Clone)]
pub struct GroupRow {
    /// The group (selfInfo, lastMessage empty).
    pub group: Group,
    /// Whether it was dismissed.
    pub dismissed: bool,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    /// The member.
    pub user_id: String,
    /// `Owner`, `Admin` or `Member`.
    pub role: String,
    /// Joined at (unix seconds).
    pub join_time: u64,
    /// Name card.
    pub name_card: String,
}

/// What the server keeps. One implementation per backend.
pub trait Store: Send + Sync + 'static {
    /// Stores `message` in `conv_key` with the next sequence and `time`, and adds it to every
    /// recipient's inbox and conversation; a second call with the same ID stores nothing and
    /// returns the first copy.
    fn store_message(
        &self,
        conv_key: &str,
        message: &Message,
        time: u64,
        recipients: &[Recipient],
    ) -> Result<Stored>;
    /// A message by ID.
    fn message(&self, id: &str) -> Result<Option<(String, Message)>>;
    /// Up to `limit` messages of `conv_key` with a sequence below `before` (all when none),
    /// newest first.
    fn messages_before(
        &self,
        conv_key: &str,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Message>>;
    /// A user's inbox after `after`, oldest first, at most `limit`.
    fn inbox_after(&self, user_id: &str, after: u64, limit: u32) -> Result<Vec<(u64, Message)>>;
    /// A user's conversations.
    fn conversations(&self, user_id: &str) -> Result<Vec<ConvRow>>;
    /// One of a user's conversations.
    fn conversation(&self, user_id: &str, conv_id: &str) -> Result<Option<ConvRow>>;
    /// Creates an empty conversation row if there is none (e.g. on joining a group).
    fn ensure_conversation(&self, user_id: &str, conv_id: &str, conv_key: &str) -> Result<()>;
    /// Sets a conversation's unread count to zero; false when there is no such conversation.
    fn mark_read(&self, user_id: &str, conv_id: &str) -> Result<bool>;
    /// Creates a group with its first members; false when the ID is taken.
    fn create_group(&self, group: &Group, members: &[MemberRow]) -> Result<bool>;
    /// A group by ID, dismissed or not.
    fn group(&self, group_id: &str) -> Result<Option<GroupRow>>;
    /// Members of a group.
    fn members(&self, group_id: &str) -> Result<Vec<MemberRow>>;
    /// One member.
    fn member(&self, group_id: &str, user_id: &str) -> Result<Option<MemberRow>>;
    /// Adds a member; false when already one.
    fn add_member(&self, group_id: &str, member: &MemberRow) -> Result<bool>;
    /// Removes a member; false when not one.
    fn remove_member(&self, group_id: &str, user_id: &str) -> Result<bool>;
    /// Marks a group dismissed and removes its members.
    fn dismiss_group(&self, group_id: &str) -> Result<()>;
    /// IDs of the live groups a user is in.
    fn groups_of(&self, user_id: &str) -> Result<Vec<String>>;
    /// Records an application to join.
    fn add_application(
        &self,
        group_id: &str,
        user_id: &str,
        message: &str,
        time: u64,
    ) -> Result<()>;
    /// The last sequence handed out in a conversation.
    fn last_seq(&self, conv_key: &str) -> Result<u64>;
    /// The newest inbox sequence of a user (0 when empty).
    fn inbox_head(&self, user_id: &str) -> Result<u64>;
    /// Sets a group's owner ('' for none) and bumps its profile version.
    fn set_group_owner(&self, group_id: &str, owner_id: &str, time: u64) -> Result<()>;
}

const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_init.sql")];

/// The embedded store: one SQLite file in WAL mode.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// An in-memory store, for unit tests.
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        // WAL + NORMAL: a commit is in the OS before the ack, so it survives the process being
        // killed; FULL would also survive power loss at one fsync per send.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tx = conn.transaction()?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
        }
        tx.commit()?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // A poisoned lock only means another thread panicked mid-call; SQLite rolled that
        // transaction back, so the connection is still sound.
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

fn parse_message(body: String) -> Result<Message> {
    Ok(serde_json::from_str(&body)?)
}

fn next_seq(tx: &Transaction<'_>, table: &str, key_col: &str, key: &str) -> Result<u64> {
    let sql = format!(
        "INSERT INTO {table} ({key_col}, last_seq) VALUES (?1, 1)
         ON CONFLICT({key_col}) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq"
    );
    Ok(tx.query_row(&sql, [key], |r| r.get(0))?)
}

fn conv_row(conn: &Connection, row: (String, String, u64, String)) -> Result<ConvRow> {
    let (conv_id, conv_key, unread, last_id) = row;
    let last_message = if last_id.is_empty() {
        None
    } else {
        conn.query_row("SELECT body FROM messages WHERE id = ?1", [&last_id], |r| {
            r.get(0)
        })
        .optional()?
        .map(parse_message)
        .transpose()?
    };
    Ok(ConvRow {
        conv_id,
        conv_key,
        unread,
        last_message,
    })
}

fn member_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MemberRow> {
    Ok(MemberRow {
        user_id: r.get(0)?,
        role: r.get(1)?,
        join_time: r.get(2)?,
        name_card: r.get(3)?,
    })
}

fn group_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Group, bool, String)> {
    let g = Group {
        group_id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        owner_id: r.get(3)?,
        introduction: r.get(4)?,
        notification: r.get(5)?,
        avatar: r.get(6)?,
        max_member_count: r.get(7)?,
        join_option: r.get(8)?,
        invite_option: r.get(9)?,
        is_support_topic: r.get(11)?,
        create_time: r.get(12)?,
        info_sequence: r.get(13)?,
        last_info_time: r.get(14)?,
        ..Default::default()
    };
    Ok((g, r.get(15)?, r.get(10)?))
}

impl Store for SqliteStore {
    fn store_message(
        &self,
        conv_key: &str,
        message: &Message,
        time: u64,
        recipients: &[Recipient],
    ) -> Result<Stored> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let existing: Option<(String, String)> = tx
                .query_row("SELECT sender, body FROM messages WHERE id = ?1", [&message.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((sender, body)) = existing {
                if sender != message.from {
                    return Err(StoreError::IdConflict(message.id.clone()));
                }
                return Ok(Stored { message: parse_message(body)?, is_new: false, inbox: vec![] });
            }
            let seq = next_seq(&tx, "conv_seq", "conv_key", conv_key)?;
            let mut stored = message.clone();
            stored.sequence = seq;
            stored.time = time;
            tx.execute(
                "INSERT INTO messages (id, conv_key, seq, sender, time, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![stored.id, conv_key, seq, stored.from, time, serde_json::to_string(&stored)?],
            )?;
            let mut inbox = Vec::with_capacity(recipients.len());
            for r in recipients {
                let n = next_seq(&tx, "inbox_seq", "user_id", &r.user_id)?;
                tx.execute(
                    "INSERT INTO inbox (user_id, inbox_seq, message_id) VALUES (?1, ?2, ?3)",
                    params![r.user_id, n, stored.id],
                )?;
                tx.execute(
                    "INSERT INTO conversations (user_id, conv_id, conv_key, unread, last_message_id, last_time)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(user_id, conv_id) DO UPDATE SET
                       unread = unread + excluded.unread,
                       last_message_id = CASE WHEN ?7 THEN excluded.last_message_id ELSE last_message_id END,
                       last_time = CASE WHEN ?7 THEN excluded.last_time ELSE last_time END",
                    params![
                        r.user_id,
                        r.conv_id,
                        conv_key,
                        u64::from(r.counts_unread),
                        if r.sets_last { stored.id.as_str() } else { "" },
                        if r.sets_last { time } else { 0 },
                        r.sets_last
                    ],
                )?;
                inbox.push((r.user_id.clone(), n));
            }
            tx.commit()?;
            Ok(Stored { message: stored, is_new: true, inbox })
        })
    }

    fn message(&self, id: &str) -> Result<Option<(String, Message)>> {
        self.with(|conn| {
            let row: Option<(String, String)> = conn
                .query_row(
                    "SELECT conv_key, body FROM messages WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            row.map(|(k, b)| Ok((k, parse_message(b)?))).transpose()
        })
    }

    fn messages_before(
        &self,
        conv_key: &str,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM messages WHERE conv_key = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
            )?;
            let before = before.unwrap_or(i64::MAX as u64);
            let rows = stmt.query_map(params![conv_key, before, limit], |r| r.get::<_, String>(0))?;
            rows.map(|b| parse_message(b?)).collect()
        })
    }

    fn inbox_after(&self, user_id: &str, after: u64, limit: u32) -> Result<Vec<(u64, Message)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT i.inbox_seq, m.body FROM inbox i JOIN messages m ON m.id = i.message_id
                 WHERE i.user_id = ?1 AND i.inbox_seq > ?2 ORDER BY i.inbox_seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![user_id, after, limit], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
            })?;
            rows.map(|row| {
                let (n, b) = row?;
                Ok((n, parse_message(b)?))
            })
            .collect()
        })
    }

    fn conversations(&self, user_id: &str) -> Result<Vec<ConvRow>> {
        self.with(|conn| {
            let rows: Vec<(String, String, u64, String)> = conn
                .prepare_cached(
                    "SELECT conv_id, conv_key, unread, last_message_id FROM conversations
                     WHERE user_id = ?1 ORDER BY last_time DESC",
                )?
                .query_map([user_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            rows.into_iter().map(|row| conv_row(conn, row)).collect()
        })
    }

    fn conversation(&self, user_id: &str, conv_id: &str) -> Result<Option<ConvRow>> {
        self.with(|conn| {
            let row = conn
                .query_row(
                    "SELECT conv_id, conv_key, unread, last_message_id FROM conversations
                     WHERE user_id = ?1 AND conv_id = ?2",
                    [user_id, conv_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            row.map(|row| conv_row(conn, row)).transpose()
        })
    }

    fn ensure_conversation(&self, user_id: &str, conv_id: &str, conv_key: &str) -> Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT OR IGNORE INTO conversations (user_id, conv_id, conv_key) VALUES (?1, ?2, ?3)",
                [user_id, conv_id, conv_key],
            )?;
            Ok(())
        })
    }

    fn mark_read(&self, user_id: &str, conv_id: &str) -> Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE conversations SET unread = 0 WHERE user_id = ?1 AND conv_id = ?2",
                [user_id, conv_id],
            )?;
            Ok(n > 0)
        })
    }

    fn create_group(&self, g: &Group, members: &[MemberRow]) -> Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let n = tx.execute(
                "INSERT OR IGNORE INTO groups (group_id, kind, name, owner_id, introduction,
                   notification, avatar, max_members, join_option, invite_option, custom_fields,
                   is_support_topic, create_time, info_seq, last_info_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![
                    g.group_id,
                    g.kind,
                    g.name,
                    g.owner_id,
                    g.introduction,
                    g.notification,
                    g.avatar,
                    g.max_member_count,
                    g.join_option,
                    g.invite_option,
                    serde_json::to_string(&g.group_custom_field)?,
                    g.is_support_topic,
                    g.create_time,
                    g.info_sequence,
                    g.last_info_time
                ],
            )?;
            if n == 0 {
                return Ok(false);
            }
            for m in members {
                tx.execute(
                    "INSERT OR IGNORE INTO group_members (group_id, user_id, role, join_time, name_card)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![g.group_id, m.user_id, m.role, m.join_time, m.name_card],
                )?;
            }
            tx.commit()?;
            Ok(true)
        })
    }

    fn group(&self, group_id: &str) -> Result<Option<GroupRow>> {
        self.with(|conn| {
            let row = conn
                .query_row(
                    "SELECT group_id, kind, name, owner_id, introduction, notification, avatar,
                       max_members, join_option, invite_option, custom_fields, is_support_topic,
                       create_time, info_seq, last_info_time, dismissed
                     FROM groups WHERE group_id = ?1",
                    [group_id],
                    group_from_row,
                )
                .optional()?;
            let Some((mut group, dismissed, fields)) = row else {
                return Ok(None);
            };
            group.group_custom_field = serde_json::from_str(&fields)?;
            group.member_count = conn.query_row(
                "SELECT COUNT(*) FROM group_members WHERE group_id = ?1",
                [group_id],
                |r| r.get(0),
            )?;
            let conv_key = format!("group\u{1f}{group_id}");
            group.next_message_seq = conn
                .query_row(
                    "SELECT last_seq FROM conv_seq WHERE conv_key = ?1",
                    [&conv_key],
                    |r| r.get::<_, u64>(0),
                )
                .optional()?
                .unwrap_or(0)
                + 1;
            Ok(Some(GroupRow { group, dismissed }))
        })
    }

    fn members(&self, group_id: &str) -> Result<Vec<MemberRow>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user_id, role, join_time, name_card FROM group_members
                 WHERE group_id = ?1 ORDER BY join_time, user_id",
            )?;
            let rows = stmt.query_map([group_id], member_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn member(&self, group_id: &str, user_id: &str) -> Result<Option<MemberRow>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT user_id, role, join_time, name_card FROM group_members
                     WHERE group_id = ?1 AND user_id = ?2",
                    [group_id, user_id],
                    member_from_row,
                )
                .optional()?)
        })
    }

    fn add_member(&self, group_id: &str, m: &MemberRow) -> Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "INSERT OR IGNORE INTO group_members (group_id, user_id, role, join_time, name_card)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![group_id, m.user_id, m.role, m.join_time, m.name_card],
            )?;
            Ok(n > 0)
        })
    }

    fn remove_member(&self, group_id: &str, user_id: &str) -> Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                [group_id, user_id],
            )?;
            Ok(n > 0)
        })
    }

    fn dismiss_group(&self, group_id: &str) -> Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE groups SET dismissed = 1 WHERE group_id = ?1",
                [group_id],
            )?;
            tx.execute("DELETE FROM group_members WHERE group_id = ?1", [group_id])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn groups_of(&self, user_id: &str) -> Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT m.group_id FROM group_members m JOIN groups g ON g.group_id = m.group_id
                 WHERE m.user_id = ?1 AND g.dismissed = 0 ORDER BY m.join_time, m.group_id",
            )?;
            let rows = stmt.query_map([user_id], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn add_application(
        &self,
        group_id: &str,
        user_id: &str,
        message: &str,
        time: u64,
    ) -> Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO group_applications (group_id, user_id, message, time)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(group_id, user_id) DO UPDATE SET message = excluded.message, time = excluded.time",
                params![group_id, user_id, message, time],
            )?;
            Ok(())
        })
    }

    fn last_seq(&self, conv_key: &str) -> Result<u64> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT last_seq FROM conv_seq WHERE conv_key = ?1",
                    [conv_key],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
    }

    fn inbox_head(&self, user_id: &str) -> Result<u64> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT last_seq FROM inbox_seq WHERE user_id = ?1",
                    [user_id],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
    }

    fn set_group_owner(&self, group_id: &str, owner_id: &str, time: u64) -> Result<()> {
        self.with(|conn| {
            conn.execute(
                "UPDATE groups SET owner_id = ?2, info_seq = info_seq + 1, last_info_time = ?3
                 WHERE group_id = ?1",
                params![group_id, owner_id, time],
            )?;
            Ok(())
        })
    }
}

/// One conformance suite every [`Store`] backend must pass.
#[cfg(test)]
pub(crate) mod conformance {
    use super::*;
    use serde_json::json;

    fn msg(id: &str, from: &str, to: &str) -> Message {
        Message {
            id: id.into(),
            from: from.into(),
            to: to.into(),
            kind: "TIMTextElem".into(),
            conversation_type: "C2C".into(),
            payload: json!({"text": id}),
            ..Default::default()
        }
    }

    fn recips(from: &str, to: &str) -> Vec<Recipient> {
        vec![
            Recipient {
                user_id: from.into(),
                conv_id: format!("C2C{to}"),
                counts_unread: false,
                sets_last: true,
            },
            Recipient {
                user_id: to.into(),
                conv_id: format!("C2C{from}"),
                counts_unread: true,
                sets_last: true,
            },
        ]
    }

    /// Runs every check against `s`.
    pub fn run(s: &dyn Store) {
        sequences_inbox_and_unread(s);
        idempotent_by_id(s);
        groups(s);
    }

    fn sequences_inbox_and_unread(s: &dyn Store) {
        let key = "c2c\u{1f}a\u{1f}b";
        for i in 1..=3u64 {
            let st = s
                .store_message(
                    key,
                    &msg(&format!("m{i}"), "a", "b"),
                    100 + i,
                    &recips("a", "b"),
                )
                .expect("store");
            assert!(st.is_new);
            assert_eq!(st.message.sequence, i);
            assert_eq!(st.message.time, 100 + i);
            assert_eq!(st.inbox, vec![("a".to_string(), i), ("b".to_string(), i)]);
        }
        let page = s.messages_before(key, None, 2).expect("page");
        assert_eq!(
            page.iter().map(|m| m.sequence).collect::<Vec<_>>(),
            vec![3, 2]
        );
        let older = s.messages_before(key, Some(2), 10).expect("older");
        assert_eq!(older.len(), 1);
        let inbox = s.inbox_after("b", 1, 10).expect("inbox");
        assert_eq!(
            inbox.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert_eq!(s.inbox_head("b").expect("head"), 3);
        let conv = s.conversation("b", "C2Ca").expect("conv").expect("exists");
        assert_eq!(conv.unread, 3);
        assert_eq!(conv.last_message.expect("last").id, "m3");
        assert_eq!(
            s.conversation("a", "C2Cb")
                .expect("conv")
                .expect("exists")
                .unread,
            0
        );
        assert!(s.mark_read("b", "C2Ca").expect("read"));
        assert!(!s.mark_read("b", "C2Cnobody").expect("read"));
        assert_eq!(
            s.conversation("b", "C2Ca")
                .expect("conv")
                .expect("exists")
                .unread,
            0
        );
        // Excluded from last message and unread.
        let quiet = [Recipient {
            user_id: "b".into(),
            conv_id: "C2Ca".into(),
            counts_unread: false,
            sets_last: false,
        }];
        s.store_message(key, &msg("m4", "a", "b"), 200, &quiet)
            .expect("store");
        let conv = s.conversation("b", "C2Ca").expect("conv").expect("exists");
        assert_eq!(
            (conv.unread, conv.last_message.expect("last").id.as_str()),
            (0, "m3")
        );
        assert_eq!(s.conversations("b").expect("list").len(), 1);
    }

    fn idempotent_by_id(s: &dyn Store) {
        let key = "c2c\u{1f}x\u{1f}y";
        let first = s
            .store_message(key, &msg("dup", "x", "y"), 1, &recips("x", "y"))
            .expect("store");
        let again = s
            .store_message(key, &msg("dup", "x", "y"), 2, &recips("x", "y"))
            .expect("store");
        assert!(!again.is_new);
        assert!(again.inbox.is_empty());
        assert_eq!(again.message.sequence, first.message.sequence);
        assert_eq!(s.messages_before(key, None, 10).expect("page").len(), 1);
        assert_eq!(s.inbox_head("y").expect("head"), 1);
        let other = s.store_message(key, &msg("dup", "y", "x"), 3, &recips("y", "x"));
        assert!(matches!(other, Err(StoreError::IdConflict(_))));
    }

    fn groups(s: &dyn Store) {
        let g = Group {
            group_id: "g1".into(),
            kind: "Public".into(),
            name: "g".into(),
            owner_id: "o".into(),
            max_member_count: 10,
            create_time: 5,
            last_info_time: 5,
            info_sequence: 1,
            ..Default::default()
        };
        let owner = MemberRow {
            user_id: "o".into(),
            role: "Owner".into(),
            join_time: 5,
            name_card: String::new(),
        };
        assert!(s
            .create_group(&g, std::slice::from_ref(&owner))
            .expect("create"));
        assert!(!s.create_group(&g, &[owner]).expect("create twice"));
        let m = MemberRow {
            user_id: "m".into(),
            role: "Member".into(),
            join_time: 6,
            name_card: String::new(),
        };
        assert!(s.add_member("g1", &m).expect("add"));
        assert!(!s.add_member("g1", &m).expect("add twice"));
        let row = s.group("g1").expect("group").expect("exists");
        assert_eq!(row.group.member_count, 2);
        assert_eq!(row.group.next_message_seq, 1);
        assert_eq!(s.groups_of("m").expect("groups"), vec!["g1".to_string()]);
        assert!(s.remove_member("g1", "m").expect("remove"));
        assert!(s.groups_of("m").expect("groups").is_empty());
        s.set_group_owner("g1", "", 9).expect("owner");
        assert_eq!(
            s.group("g1")
                .expect("group")
                .expect("exists")
                .group
                .owner_id,
            ""
        );
        s.dismiss_group("g1").expect("dismiss");
        assert!(s.group("g1").expect("group").expect("exists").dismissed);
        assert!(s.groups_of("o").expect("groups").is_empty());
        s.add_application("g1", "z", "hi", 7).expect("apply");
    }

    #[test]
    fn sqlite_in_memory() {
        run(&SqliteStore::in_memory().expect("open"));
    }

    #[test]
    fn sqlite_file_survives_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.sqlite3");
        run(&SqliteStore::open(&path).expect("open"));
        let again = SqliteStore::open(&path).expect("reopen");
        assert_eq!(again.inbox_head("b").expect("head"), 4);
    }
}
