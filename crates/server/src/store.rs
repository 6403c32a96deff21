//! Storage behind the [`Store`] trait. [`SqliteStore`] is the embedded default (one file, WAL);
//! another backend implements the same trait and passes the same conformance tests.
//!
//! Each method is one transaction: a message, its sequence, its inbox rows and the conversation
//! updates commit together or not at all, so a crash never leaves half a send behind.

use crate::db::{params, Connection, Exec, OptionalExtension, Transaction, TransactionBehavior};
use pigeon_proto::model::{Group, Message};
use pigeon_proto::wire::ReceiveMessageOpt;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Sql(#[from] crate::db::Error),
    /// Stored JSON did not parse (a bug or a hand-edited file).
    #[error("stored data is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A message ID already used by another sender.
    #[error("message ID {0} is already used by another sender")]
    IdConflict(String),
}

impl crate::db::Retryable for StoreError {
    /// Only the database's own races are worth another run; bad data or an ID conflict is not.
    fn retryable(&self) -> bool {
        match self {
            StoreError::Sql(e) => e.retryable(),
            _ => false,
        }
    }
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
    /// `TYPES.CONV_AT_*` when it mentions them, else 0.
    pub at_type: u32,
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
    /// Unread @-mentions: `[{messageSequence, atType}]`.
    pub at_info: Vec<serde_json::Value>,
    /// The user's settings for it.
    pub settings: ConvSettings,
    /// Conversation groups it is in.
    pub groups: Vec<String>,
}

/// A user's settings for one conversation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConvSettings {
    /// Pinned on top.
    pub pinned: bool,
    /// Custom data.
    pub custom_data: String,
    /// Mark bits.
    pub marks: u64,
    /// `TYPES.MSG_REMIND_*`, '' for the default.
    pub remind_type: String,
}

/// A signaling invitation as the server keeps it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Invitation {
    /// The invitation (action type INVITE, current data).
    pub signaling: pigeon_proto::model::Signaling,
    /// Sent with onlineUserOnly: nothing stored, no late delivery.
    pub online_only: bool,
    /// Kept out of unread counts and last messages (`excludeFromHistoryMessage`).
    pub excluded: bool,
    /// Offline push settings as given.
    pub offline_push_info: Option<serde_json::Value>,
    /// When it was sent (unix ms).
    pub created_ms: u64,
    /// When it times out (unix ms), 0 for never.
    pub deadline_ms: u64,
    /// Answers so far: invitee → `ACTION_TYPE_*` (accept, reject or timeout).
    pub answers: std::collections::BTreeMap<String, u32>,
    /// Cancelled, answered by everyone, or timed out.
    pub done: bool,
}

/// One setting change of [`Store::update_settings`].
#[derive(Debug, Clone, PartialEq)]
pub enum SettingChange {
    /// Pin or unpin.
    Pinned(bool),
    /// Replace the custom data.
    CustomData(String),
    /// Set (true) or clear mark bits.
    Mark(u64, bool),
    /// Set the remind type.
    RemindType(String),
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
pub trait Store:
    Send
    + Sync
    + 'static
    + crate::profiles::ProfileStore
    + crate::relations::RelationStore
    + crate::follows::FollowStore
    + crate::files::FileStore
    + crate::message_ops::MessageOpsStore
    + crate::message_extras::MessageExtrasStore
    + crate::group_members::GroupMemberStore
    + crate::group_admin::GroupAdminStore
    + crate::topics::TopicStore
    + crate::rest::RestStore
    + crate::presence::PresenceStore
{
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
    /// [`Store::store_message`] without waiting: the message is queued for the store's writer
    /// (which commits many at once) and the result comes on the returned handle.
    fn submit_message(
        &self,
        conv_key: &str,
        message: &Message,
        time: u64,
        recipients: &[Recipient],
    ) -> PendingStore {
        PendingStore::ready(self.store_message(conv_key, message, time, recipients))
    }
    /// Whether a call returns within microseconds (a local file, no network): such calls run
    /// on the async worker as they are, since handing the worker's other tasks to another
    /// thread (`block_in_place`) costs more than the call.
    fn quick(&self) -> bool {
        false
    }
    /// A message by ID.
    fn message(&self, id: &str) -> Result<Option<(String, Message)>>;
    /// Up to `limit` messages of `conv_key` with a sequence below `before` (all when none) and
    /// above `after`, newest first.
    fn messages_before(
        &self,
        conv_key: &str,
        before: Option<u64>,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Message>>;
    /// A user's inbox after `after`, oldest first, at most `limit`; None for an entry whose
    /// message the user has cleared since.
    fn inbox_after(
        &self,
        user_id: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<(u64, Option<Message>)>>;
    /// Up to `limit` of a user's conversations after conversationID `after`, in ID order.
    fn conversations(&self, user_id: &str, after: Option<&str>, limit: u32)
        -> Result<Vec<ConvRow>>;
    /// One of a user's conversations.
    fn conversation(&self, user_id: &str, conv_id: &str) -> Result<Option<ConvRow>>;
    /// Conversation `conv_id` of each of `user_ids` that has it, with its user, in one read
    /// (a group message's fan-out reads every member's row at once).
    fn conversations_of(
        &self,
        conv_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<(String, ConvRow)>>;
    /// The settings for `conv_id` of each of `user_ids` that made any (the others have the
    /// defaults), in one read.
    fn settings_of(
        &self,
        conv_id: &str,
        user_ids: &[String],
    ) -> Result<std::collections::HashMap<String, ConvSettings>>;
    /// Sets a conversation's unread count to zero, clears its @-mentions and its unread mark;
    /// false when there is no such conversation.
    fn mark_read(&self, user_id: &str, conv_id: &str) -> Result<bool>;
    /// Marks every conversation whose ID starts with `prefix` (all when None) read; returns the
    /// IDs that changed.
    fn mark_all_read(&self, user_id: &str, prefix: Option<&str>) -> Result<Vec<String>>;
    /// The last sequence of a one-to-one conversation `reader` had when they last marked it
    /// read (0 when never).
    fn c2c_read_seq(&self, reader: &str, conv_key: &str) -> Result<u64>;
    /// Applies a setting change to a conversation's settings.
    fn update_settings(
        &self,
        user_id: &str,
        conv_id: &str,
        change: &SettingChange,
        time: u64,
    ) -> Result<()>;
    /// A conversation's settings (defaults when none were made).
    fn settings(&self, user_id: &str, conv_id: &str) -> Result<ConvSettings>;
    /// Hides history up to the conversation's last sequence for this user, zeroes its unread
    /// count and last message; false when there is no such conversation.
    fn clear_history(&self, user_id: &str, conv_id: &str) -> Result<bool>;
    /// The sequence up to which this user cleared a conversation's history (0 when never).
    fn cleared_seq(&self, user_id: &str, conv_key: &str) -> Result<u64>;
    /// Removes a conversation from the user's list (and its pin, marks, custom data, folders);
    /// false when there was none.
    fn delete_conversation(&self, user_id: &str, conv_id: &str) -> Result<bool>;
    /// Names of the user's conversation groups, oldest first.
    fn conv_groups(&self, user_id: &str) -> Result<Vec<String>>;
    /// Creates a conversation group; false when the name is taken.
    fn create_conv_group(&self, user_id: &str, name: &str, time: u64) -> Result<bool>;
    /// Deletes a conversation group; false when there is none.
    fn delete_conv_group(&self, user_id: &str, name: &str) -> Result<bool>;
    /// Renames a conversation group; false when `old` is missing or `new` taken.
    fn rename_conv_group(&self, user_id: &str, old: &str, new: &str) -> Result<bool>;
    /// Puts a conversation into (true) or out of a conversation group; false when nothing
    /// changed.
    fn set_in_conv_group(
        &self,
        user_id: &str,
        name: &str,
        conv_id: &str,
        member: bool,
    ) -> Result<bool>;
    /// Conversation IDs in a conversation group.
    fn conv_group_members(&self, user_id: &str, name: &str) -> Result<Vec<String>>;
    /// The global do-not-disturb setting.
    fn receive_opt(&self, user_id: &str) -> Result<Option<ReceiveMessageOpt>>;
    /// Stores the global do-not-disturb setting.
    fn set_receive_opt(&self, user_id: &str, opt: &ReceiveMessageOpt) -> Result<()>;
    /// Stores (inserts or replaces) an invitation.
    fn put_invitation(&self, inv: &Invitation) -> Result<()>;
    /// Stores `inv` (now done) only if the stored copy is still open; false when another node
    /// (or an answer) closed it first, so a timeout is announced once across nodes.
    fn close_invitation(&self, inv: &Invitation) -> Result<bool>;
    /// An invitation by ID.
    fn invitation(&self, invite_id: &str) -> Result<Option<Invitation>>;
    /// Open invitations whose deadline is at or before `now_ms`.
    fn expired_invitations(&self, now_ms: u64) -> Result<Vec<Invitation>>;
    /// Open, stored invitations still waiting for `user_id`'s answer, oldest first.
    fn pending_invitations(&self, user_id: &str) -> Result<Vec<Invitation>>;
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

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_conversation_settings.sql"),
    include_str!("../migrations/0003_invitations.sql"),
    include_str!("../migrations/0004_profiles.sql"),
    include_str!("../migrations/0005_relations.sql"),
    include_str!("../migrations/0006_follows.sql"),
    include_str!("../migrations/0007_files.sql"),
    include_str!("../migrations/0008_message_ops.sql"),
    include_str!("../migrations/0009_message_extras.sql"),
    include_str!("../migrations/0010_group_members.sql"),
    include_str!("../migrations/0011_group_admin.sql"),
    include_str!("../migrations/0012_topics.sql"),
    include_str!("../migrations/0013_rest.sql"),
    include_str!("../migrations/0014_peer_read.sql"),
    include_str!("../migrations/0015_presence.sql"),
    include_str!("../migrations/0016_blobs.sql"),
    include_str!("../migrations/0017_send_path.sql"),
];

/// The same schema for PostgreSQL (crates/server/migrations/pg), one file per SQLite file.
const PG_MIGRATIONS: &[&str] = &[
    include_str!("../migrations/pg/0001_init.sql"),
    include_str!("../migrations/pg/0002_conversation_settings.sql"),
    include_str!("../migrations/pg/0003_invitations.sql"),
    include_str!("../migrations/pg/0004_profiles.sql"),
    include_str!("../migrations/pg/0005_relations.sql"),
    include_str!("../migrations/pg/0006_follows.sql"),
    include_str!("../migrations/pg/0007_files.sql"),
    include_str!("../migrations/pg/0008_message_ops.sql"),
    include_str!("../migrations/pg/0009_message_extras.sql"),
    include_str!("../migrations/pg/0010_group_members.sql"),
    include_str!("../migrations/pg/0011_group_admin.sql"),
    include_str!("../migrations/pg/0012_topics.sql"),
    include_str!("../migrations/pg/0013_rest.sql"),
    include_str!("../migrations/pg/0014_peer_read.sql"),
    include_str!("../migrations/pg/0015_presence.sql"),
    include_str!("../migrations/pg/0016_blobs.sql"),
    include_str!("../migrations/pg/0017_send_path.sql"),
];

/// Records how far `user_id` has read the one-to-one conversation matched by `conv_filter`
/// (`?2` is `conv_id`): its last sequence now. Group and system conversations are skipped.
fn record_c2c_read(
    tx: &crate::db::Transaction<'_>,
    user_id: &str,
    conv_filter: &str,
    conv_id: &str,
) -> crate::db::Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO c2c_read (user_id, conv_key, seq)
             SELECT c.user_id, c.conv_key, COALESCE(s.last_seq, 0)
             FROM conversations c LEFT JOIN conv_seq s ON s.conv_key = c.conv_key
             WHERE c.user_id = ?1 AND c.{conv_filter} AND c.conv_id LIKE 'C2C%'
             ON CONFLICT (user_id, conv_key) DO UPDATE SET
               seq = CASE WHEN excluded.seq > c2c_read.seq THEN excluded.seq ELSE c2c_read.seq END"
        ),
        [user_id, conv_id],
    )?;
    Ok(())
}

/// Columns of a conversation row joined with its last message, settings and folders.
macro_rules! conv_select {
    ($extra:literal) => {
        concat!(
            "
    SELECT c.conv_id, c.conv_key, c.unread, c.at_info, m.body,
           COALESCE(s.pinned, 0), COALESCE(s.custom_data, ''), COALESCE(s.marks, 0),
           COALESCE(s.remind_type, ''),
           (SELECT json_group_array(g.name) FROM conv_group_members g
             WHERE g.user_id = c.user_id AND g.conv_id = c.conv_id)",
            $extra,
            "
    FROM conversations c
    LEFT JOIN messages m ON c.last_message_id != '' AND m.id = c.last_message_id
    LEFT JOIN conv_settings s ON s.user_id = c.user_id AND s.conv_id = c.conv_id"
        )
    };
}
const CONV_SELECT: &str = conv_select!("");
/// [`CONV_SELECT`] with the row's user as an eleventh column.
const CONV_SELECT_WITH_USER: &str = conv_select!(", c.user_id");

/// The store over SQL: one SQLite file in WAL mode (the embedded default), or a PostgreSQL
/// database shared by several nodes. The store code is the same for both (see [`crate::db`]).
pub struct SqlStore {
    /// Sends are stored here, many to a transaction (see [`Writer`]). Declared (so dropped)
    /// first: its thread is joined before the store's own share of the backend goes.
    writer: Writer,
    /// Shared with the writer thread.
    backend: Arc<Backend>,
}

/// The name the store had while SQLite was its only engine.
pub type SqliteStore = SqlStore;

enum Backend {
    Sqlite(Mutex<Connection>),
    Postgres(crate::db::PgPool),
}

/// Guards schema migrations so nodes starting together migrate once (any constant will do).
const PG_MIGRATION_LOCK: i64 = 0x5049_4745_4f4e;

impl SqlStore {
    /// Opens (creating and migrating) the SQLite database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = rusqlite::Connection::open(path).map_err(crate::db::Error::from)?;
        Self::init(conn)
    }

    /// An in-memory SQLite store, for unit tests.
    pub fn in_memory() -> Result<Self> {
        Self::init(rusqlite::Connection::open_in_memory().map_err(crate::db::Error::from)?)
    }

    /// Connects to PostgreSQL at `url` with up to `pool_size` connections and brings its schema
    /// up to date (under an advisory lock, so concurrent starts migrate once).
    pub fn postgres(url: &str, pool_size: usize) -> Result<Self> {
        let pool = crate::db::PgPool::connect(url, pool_size)?;
        pool.with(|c| {
            let tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock(?1)", [PG_MIGRATION_LOCK])?;
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);
                 INSERT INTO schema_version (version)
                 SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version);",
            )?;
            let version: usize =
                tx.query_row("SELECT version FROM schema_version", [], |r| r.get(0))?;
            for (i, sql) in PG_MIGRATIONS.iter().enumerate().skip(version) {
                tx.execute_batch(sql)?;
                tx.execute("UPDATE schema_version SET version = ?1", [i + 1])?;
            }
            tx.commit()
        })?;
        Ok(Self::with_backend(Backend::Postgres(pool)))
    }

    fn init(mut conn: rusqlite::Connection) -> Result<Self> {
        let e = crate::db::Error::from;
        // WAL + NORMAL: a commit is in the OS before the ack, so it survives the process being
        // killed; FULL would also survive power loss at one fsync per send.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(e)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(e)?;
        // Statement journals and temporary b-trees in memory: they only matter within a
        // statement, so a file (and its writes) buys nothing.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(e)?;
        // Reads through a memory map instead of a pread (a system call) per page missed in
        // the page cache: most of a request's reads are a few pages of hot b-trees.
        conn.pragma_update(None, "mmap_size", 256i64 << 20)
            .map_err(e)?;
        // Replaces SQLite's automatic checkpoint (see on_wal_commit).
        conn.wal_hook(Some(on_wal_commit));
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(e)?;
        // Room for every statement of the hot paths (the default 16 would thrash).
        conn.set_prepared_statement_cache_capacity(256);
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(e)?;
        let tx = conn.transaction().map_err(e)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql).map_err(e)?;
            tx.pragma_update(None, "user_version", i + 1).map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(Self::with_backend(Backend::Sqlite(Mutex::new(
            Connection::sqlite(conn),
        ))))
    }

    fn with_backend(backend: Backend) -> Self {
        let backend = Arc::new(backend);
        Self {
            writer: Writer::start(backend.clone()),
            backend,
        }
    }

    /// Which engine this is.
    pub fn dialect(&self) -> crate::db::Dialect {
        match *self.backend {
            Backend::Sqlite(_) => crate::db::Dialect::Sqlite,
            Backend::Postgres(_) => crate::db::Dialect::Postgres,
        }
    }

    /// Runs `f` on a connection (for the domain modules' own store traits). On PostgreSQL a
    /// transaction that lost a race with another node is run again, so `f` may run twice.
    pub(crate) fn with<T>(&self, f: impl FnMut(&mut Connection) -> Result<T>) -> Result<T> {
        self.backend.with(f)
    }
}

impl Backend {
    /// [`SqlStore::with`], for the writer thread (which holds the backend, not the store).
    fn with<T>(&self, mut f: impl FnMut(&mut Connection) -> Result<T>) -> Result<T> {
        match self {
            Backend::Sqlite(m) => {
                // A poisoned lock only means another thread panicked mid-call; SQLite rolled
                // that transaction back, so the connection is still sound.
                let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut guard)
            }
            Backend::Postgres(pool) => pool.with(f),
        }
    }
}

fn parse_message(body: String) -> Result<Message> {
    Ok(serde_json::from_str(&body)?)
}

fn next_seq(tx: &Transaction<'_>, table: &str, key_col: &str, key: &str) -> Result<u64> {
    let sql = format!(
        "INSERT INTO {table} ({key_col}, last_seq) VALUES (?1, 1)
         ON CONFLICT({key_col}) DO UPDATE SET last_seq = {table}.last_seq + 1 RETURNING last_seq"
    );
    Ok(tx.prepare_cached(&sql)?.query_row([key], |r| r.get(0))?)
}

/// Executes `sql` through the connection's statement cache: parsing the send path's SQL anew
/// for every message was a third of the server's CPU (callgrind, W2).
fn exec_cached(tx: &Transaction<'_>, sql: &str, p: impl crate::db::Params) -> Result<usize> {
    Ok(tx.prepare_cached(sql)?.execute(p)?)
}

/// A conversation row as read by [`CONV_SELECT`], not yet parsed.
type RawConv = (
    String,
    String,
    u64,
    String,
    Option<String>,
    bool,
    String,
    i64,
    String,
    String,
);

fn read_conv(r: &crate::db::Row<'_>) -> crate::db::Result<RawConv> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn conv_row(raw: RawConv) -> Result<ConvRow> {
    let (conv_id, conv_key, unread, at_info, body, pinned, custom_data, marks, remind, groups) =
        raw;
    let mut groups: Vec<String> = serde_json::from_str(&groups)?;
    groups.sort();
    Ok(ConvRow {
        conv_id,
        conv_key,
        unread,
        last_message: body.map(parse_message).transpose()?,
        at_info: serde_json::from_str(&at_info)?,
        // Marks are a 64-bit set stored as its bit pattern.
        settings: ConvSettings {
            pinned,
            custom_data,
            marks: marks as u64,
            remind_type: remind,
        },
        groups,
    })
}

/// Renames one of a user's named folders (`folders` table with `user_id, name`, and its
/// `members` table with the same two columns); false when `old` is missing or `new` taken.
/// Conversation groups and friend groups share this shape. Table names are constants.
pub(crate) fn rename_folder(
    conn: &mut Connection,
    folders: &str,
    members: &str,
    user_id: &str,
    old: &str,
    new: &str,
) -> Result<bool> {
    let tx = conn.transaction()?;
    let taken = tx
        .query_row(
            &format!("SELECT 1 FROM {folders} WHERE user_id = ?1 AND name = ?2"),
            [user_id, new],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if taken {
        return Ok(false);
    }
    let n = tx.execute(
        &format!("UPDATE {folders} SET name = ?3 WHERE user_id = ?1 AND name = ?2"),
        [user_id, old, new],
    )?;
    tx.execute(
        &format!("UPDATE {members} SET name = ?3 WHERE user_id = ?1 AND name = ?2"),
        [user_id, old, new],
    )?;
    tx.commit()?;
    Ok(n > 0)
}

fn member_from_row(r: &crate::db::Row<'_>) -> crate::db::Result<MemberRow> {
    Ok(MemberRow {
        user_id: r.get(0)?,
        role: r.get(1)?,
        join_time: r.get(2)?,
        name_card: r.get(3)?,
    })
}

fn group_from_row(r: &crate::db::Row<'_>) -> crate::db::Result<(Group, bool, String)> {
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
        mute_all_members: r.get(16)?,
        ..Default::default()
    };
    Ok((g, r.get(15)?, r.get(10)?))
}

/// One message waiting for the [`Writer`] (owned: the writer thread runs it).
struct SendRequest {
    conv_key: String,
    message: Message,
    time: u64,
    recipients: Vec<Recipient>,
}

/// Most messages one group commit takes: bounds the latency the last of them sees.
const MAX_BATCH_MESSAGES: usize = 128;
/// Most recipients (each a few rows) one group commit takes, beyond its first message, which
/// always goes in: a batch of 500-member group messages stays a few messages long.
const MAX_BATCH_RECIPIENTS: usize = 4096;

/// A send queued for the [`Writer`] and where its result goes.
struct Job {
    request: SendRequest,
    reply: tokio::sync::oneshot::Sender<Result<Stored>>,
}

/// A message handed to the store's writer; its result comes later (see
/// [`Store::submit_message`]).
pub struct PendingStore(tokio::sync::oneshot::Receiver<Result<Stored>>);

impl PendingStore {
    /// A result already known (stores without a writer thread, refusals before queuing).
    pub fn ready(result: Result<Stored>) -> Self {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _ = tx.send(result);
        Self(rx)
    }

    /// Waits for the result without holding a thread (the async send path).
    pub async fn wait(self) -> Result<Stored> {
        self.0.await.unwrap_or_else(|_| Err(writer_gone()))
    }

    /// Waits for the result, blocking this thread (sync callers).
    pub fn wait_blocking(self) -> Result<Stored> {
        // The writer is another OS thread, so blocking here cannot starve it; and tokio's
        // oneshot is an ordinary future, so any executor can wait for it.
        crate::db::blocking(|| futures_executor::block_on(self.wait()))
    }
}

fn writer_gone() -> StoreError {
    StoreError::Sql(crate::db::Error::Other(
        "storing the message failed (the store's writer stopped)".into(),
    ))
}

/// Group commit of sends on a thread of its own: senders queue their message and wait for its
/// result (an async sender without holding a thread); the writer takes everything queued, up to
/// a bound, into ONE transaction (see [`store_batch`]), commits once and answers each.
/// Why: one commit per message capped durable sends at a few thousand per second, and callers
/// that led batches themselves blocked a thread each while they waited (hundreds of threads
/// under load, most of the server's CPU going to switching between them).
struct Writer {
    /// None once dropping: closing the queue stops the thread.
    queue: Option<std::sync::mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Transactions committed for sends (a batch counts once): this store's own count, for
    /// tests (the process-wide one is the `send_commits` metric).
    #[cfg_attr(not(test), allow(dead_code))]
    commits: Arc<std::sync::atomic::AtomicU64>,
}

impl Writer {
    /// Starts the writer thread over `backend`.
    fn start(backend: Arc<Backend>) -> Self {
        let (queue, jobs) = std::sync::mpsc::channel::<Job>();
        let commits = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = commits.clone();
        let thread = std::thread::Builder::new()
            .name("pigeon-store-writer".into())
            .spawn(move || write_loop(&backend, &jobs, &counted))
            .expect("starting the store's writer thread");
        Self {
            queue: Some(queue),
            thread: Some(thread),
            commits,
        }
    }

    /// Queues `request`; the result arrives on the returned [`PendingStore`].
    fn submit(&self, request: SendRequest) -> PendingStore {
        let (reply, rx) = tokio::sync::oneshot::channel();
        match &self.queue {
            Some(q) if q.send(Job { request, reply }).is_ok() => PendingStore(rx),
            _ => PendingStore::ready(Err(writer_gone())),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The queue closed, the thread finishes what is queued and ends; joining it releases
        // its share of the backend here, so the database is closed when the store is dropped.
        self.queue.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writer thread: one batch at a time from the queue, in arrival order.
fn write_loop(
    backend: &Backend,
    jobs: &std::sync::mpsc::Receiver<Job>,
    commits: &std::sync::atomic::AtomicU64,
) {
    DEFER_CHECKPOINT.with(|d| d.set(true));
    let mut held: Option<Job> = None;
    while let Some(first) = held.take().or_else(|| jobs.recv().ok()) {
        let mut rows = first.request.recipients.len();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_MESSAGES {
            let Ok(job) = jobs.try_recv() else { break };
            rows += job.request.recipients.len();
            if rows > MAX_BATCH_RECIPIENTS {
                held = Some(job);
                break;
            }
            batch.push(job);
        }
        let (requests, replies): (Vec<SendRequest>, Vec<_>) =
            batch.into_iter().map(|j| (j.request, j.reply)).unzip();
        // A panic fails this batch's messages, not the writer: later sends still store.
        let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store_batch(backend, commits, &requests)
        }))
        .unwrap_or_else(|_| {
            tracing::error!(
                messages = requests.len(),
                "storing a batch of messages panicked"
            );
            Vec::new()
        });
        let mut results = results.into_iter();
        for reply in replies {
            // A sender that stopped waiting (its connection closed) drops its receiver.
            let _ = reply.send(results.next().unwrap_or_else(|| {
                Err(StoreError::Sql(crate::db::Error::Other(
                    "storing the message failed (the batch's writer panicked)".into(),
                )))
            }));
        }
        // The batch's senders have their answers: now is the time to copy the WAL into the
        // database, not inside a commit they wait for.
        if WAL_PAGES.with(|p| p.replace(0)) >= WRITER_CHECKPOINT_PAGES {
            if let Backend::Sqlite(conn) = backend {
                let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        }
    }
}

/// WAL pages after which a commit outside the writer checkpoints (SQLite's own default).
const CHECKPOINT_PAGES: i32 = 1000;
/// WAL pages after which the writer checkpoints between batches: more than
/// [`CHECKPOINT_PAGES`], since pages rewritten meanwhile are copied once, but not so many
/// that the sends queued during one checkpoint wait long (W2 sweep p99 at 1,000-4,000 msg/s:
/// 41-64 ms at 16,000 pages, 25-30 ms at 8,000, 17-28 ms at 4,000 with 20% fewer msg/s).
const WRITER_CHECKPOINT_PAGES: i32 = 8000;

thread_local! {
    /// Set on the writer thread: its commits leave checkpoints to it, between batches.
    static DEFER_CHECKPOINT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The WAL's size in pages after the writer thread's last commit.
    static WAL_PAGES: std::cell::Cell<i32> = const { std::cell::Cell::new(0) };
}

/// Runs after every commit to an SQLite WAL database, in place of SQLite's automatic
/// checkpoint, which copies the WAL into the database inside whichever commit crosses the
/// threshold: a batch of sends all waited for that copy and its fsyncs. The writer thread's
/// commits only note the WAL's size; the writer checkpoints after answering the batch.
fn on_wal_commit(wal: &rusqlite::hooks::Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    if DEFER_CHECKPOINT.with(|d| d.get()) {
        WAL_PAGES.with(|p| p.set(pages));
    } else if pages >= CHECKPOINT_PAGES {
        // As SQLite's own hook: a failed checkpoint is retried at the next commit, and the
        // commit that ran it has happened regardless.
        if let Err(e) = wal.checkpoint() {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
    Ok(())
}

/// The searchable text of a message body (`m.body`) in SQL: the same fields in the same order
/// as the triggers of migrations 0009 and 0017 index.
pub(crate) const SEARCH_TEXT_SQL: &str =
    "COALESCE(json_extract(m.body, '$.payload.text'), '') || ' ' ||
     COALESCE(json_extract(m.body, '$.payload.data'), '') || ' ' ||
     COALESCE(json_extract(m.body, '$.payload.description'), '') || ' ' ||
     COALESCE(json_extract(m.body, '$.payload.extension'), '') || ' ' ||
     COALESCE(json_extract(m.body, '$.payload.fileName'), '')";

/// Adds the messages stored in this transaction to SQLite's cloud search index, all in one
/// statement: FTS5 writes one segment per flush, and it flushes at every statement after a
/// change, so indexing message by message wrote (and merged) a segment per message.
/// PostgreSQL's trigger indexes as it goes.
fn index_pending_search(tx: &Transaction<'_>) -> Result<()> {
    if tx.dialect() != crate::db::Dialect::Sqlite {
        return Ok(());
    }
    exec_cached(
        tx,
        "INSERT OR IGNORE INTO message_search_rows (message_id)
         SELECT message_id FROM message_search_pending",
        (),
    )?;
    let index = format!(
        "INSERT INTO message_search (rowid, text)
         SELECT r.rid, {SEARCH_TEXT_SQL}
         FROM message_search_pending p
         JOIN message_search_rows r ON r.message_id = p.message_id
         JOIN messages m ON m.id = p.message_id"
    );
    exec_cached(tx, &index, ())?;
    exec_cached(tx, "DELETE FROM message_search_pending", ())?;
    Ok(())
}

/// Writes one message, its sequence, inbox rows and conversation updates into `tx`. An ID
/// another sender owns is refused before anything is written (batches rely on it).
fn insert_message(tx: &Transaction<'_>, req: &SendRequest) -> Result<Stored> {
    let (conv_key, message, time, recipients) =
        (&req.conv_key, &req.message, req.time, &req.recipients);
    let existing: Option<(String, String)> = tx
        .prepare_cached("SELECT sender, body FROM messages WHERE id = ?1")?
        .query_row([&message.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((sender, body)) = existing {
        if sender != message.from {
            return Err(StoreError::IdConflict(message.id.clone()));
        }
        return Ok(Stored {
            message: parse_message(body)?,
            is_new: false,
            inbox: vec![],
        });
    }
    let seq = next_seq(tx, "conv_seq", "conv_key", conv_key)?;
    let mut stored = message.clone();
    stored.sequence = seq;
    stored.time = time;
    exec_cached(
        tx,
        "INSERT INTO messages (id, conv_key, seq, sender, time, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            stored.id,
            conv_key,
            seq,
            stored.from,
            time,
            serde_json::to_string(&stored)?
        ],
    )?;
    let mut inbox = Vec::with_capacity(recipients.len());
    for r in recipients {
        let n = next_seq(tx, "inbox_seq", "user_id", &r.user_id)?;
        exec_cached(
            tx,
            "INSERT INTO inbox (user_id, inbox_seq, message_id) VALUES (?1, ?2, ?3)",
            params![r.user_id, n, stored.id],
        )?;
        exec_cached(
            tx,
            "INSERT INTO conversations (user_id, conv_id, conv_key, unread, last_message_id, last_time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(user_id, conv_id) DO UPDATE SET
               unread = conversations.unread + excluded.unread,
               last_message_id = CASE WHEN ?7 THEN excluded.last_message_id
                                 ELSE conversations.last_message_id END,
               last_time = CASE WHEN ?7 THEN excluded.last_time
                           ELSE conversations.last_time END",
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
        if r.at_type > 0 {
            let at = serde_json::json!({"messageSequence": seq, "atType": r.at_type});
            let sql = match tx.dialect() {
                crate::db::Dialect::Sqlite => {
                    "UPDATE conversations SET at_info = json_insert(at_info, '$[#]', json(?3))
                     WHERE user_id = ?1 AND conv_id = ?2"
                }
                crate::db::Dialect::Postgres => {
                    "UPDATE conversations
                     SET at_info = (at_info::jsonb || jsonb_build_array(?3::jsonb))::text
                     WHERE user_id = ?1 AND conv_id = ?2"
                }
            };
            exec_cached(tx, sql, params![r.user_id, r.conv_id, at.to_string()])?;
        }
        // A new message brings a hidden conversation back.
        exec_cached(
            tx,
            "UPDATE conv_settings SET marks = marks & ~8
             WHERE user_id = ?1 AND conv_id = ?2 AND (marks & 8) != 0",
            params![r.user_id, r.conv_id],
        )?;
        inbox.push((r.user_id.clone(), n));
    }
    Ok(Stored {
        message: stored,
        is_new: true,
        inbox,
    })
}

/// Stores a batch of sends (see [`Writer`]) in one transaction; a message refused (an ID
/// another sender owns) fails alone. Returns one result per request, in order.
fn store_batch(
    backend: &Backend,
    commits: &std::sync::atomic::AtomicU64,
    batch: &[SendRequest],
) -> Vec<Result<Stored>> {
    let counted = || {
        commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::metrics::get().send_commits.inc();
    };
    if let [one] = batch {
        // Alone: the transaction is the message. IMMEDIATE takes
        // SQLite's write lock at BEGIN (waiting out busy_timeout): upgrading a read snapshot
        // later fails at once with SQLITE_BUSY when another process sharing the file (a
        // cluster node) committed in between. PostgreSQL ignores it.
        return vec![backend.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored = insert_message(&tx, one)?;
            index_pending_search(&tx)?;
            tx.commit()?;
            counted();
            Ok(stored)
        })];
    }
    let together = backend.with(|conn| {
        // Built afresh on every run: PostgreSQL runs the whole batch again after a race.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(batch.len());
        for req in batch {
            match insert_message(&tx, req) {
                Ok(stored) => out.push(Ok(stored)),
                // Refused before it wrote anything (see insert_message): only this message
                // fails, the batch goes on. No savepoint per message, then: they cost a
                // sub-journal write of every page each message touched first.
                Err(e @ StoreError::IdConflict(_)) => out.push(Err(e)),
                // Anything else may have written part of the message: the batch fails as a
                // whole and is stored one message at a time below, so a failure stays with
                // the message that causes it. A database error (busy, a race with another
                // node, I/O) is the transaction's anyway; PostgreSQL's pool first runs the
                // batch again after a race, where this message finds what the other node wrote.
                Err(e) => return Err(e),
            }
        }
        index_pending_search(&tx)?;
        tx.commit()?;
        counted();
        Ok(out)
    });
    match together {
        Ok(out) => out,
        // The batch as a whole failed (a statement, the commit, races past the retries): each
        // message alone, so a failure stays with the message that causes it. Sends are
        // idempotent by ID, so one that did commit comes back as its stored copy.
        Err(e) => {
            tracing::warn!(error = %e, messages = batch.len(), "group commit failed; storing one by one");
            batch
                .iter()
                .flat_map(|r| store_batch(backend, commits, std::slice::from_ref(r)))
                .collect()
        }
    }
}

impl SqlStore {
    /// Transactions committed for sends so far (a group commit counts once).
    #[cfg(test)]
    pub(crate) fn send_commits(&self) -> u64 {
        self.writer
            .commits
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Store for SqlStore {
    fn store_message(
        &self,
        conv_key: &str,
        message: &Message,
        time: u64,
        recipients: &[Recipient],
    ) -> Result<Stored> {
        self.submit_message(conv_key, message, time, recipients)
            .wait_blocking()
    }

    fn quick(&self) -> bool {
        matches!(*self.backend, Backend::Sqlite(_))
    }

    fn submit_message(
        &self,
        conv_key: &str,
        message: &Message,
        time: u64,
        recipients: &[Recipient],
    ) -> PendingStore {
        self.writer.submit(SendRequest {
            conv_key: conv_key.to_owned(),
            message: message.clone(),
            time,
            recipients: recipients.to_vec(),
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
        after: u64,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM messages WHERE conv_key = ?1 AND seq < ?2 AND seq > ?3
                 ORDER BY seq DESC LIMIT ?4",
            )?;
            let before = before.unwrap_or(i64::MAX as u64);
            let rows = stmt.query_map(params![conv_key, before, after, limit], |r| {
                r.get::<_, String>(0)
            })?;
            rows.map(|b| parse_message(b?)).collect()
        })
    }

    fn inbox_after(
        &self,
        user_id: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<(u64, Option<Message>)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT i.inbox_seq, CASE WHEN h.seq IS NULL OR m.seq > h.seq THEN m.body END
                 FROM inbox i JOIN messages m ON m.id = i.message_id
                 LEFT JOIN history_cleared h ON h.user_id = i.user_id AND h.conv_key = m.conv_key
                 WHERE i.user_id = ?1 AND i.inbox_seq > ?2 ORDER BY i.inbox_seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![user_id, after, limit], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            rows.map(|row| {
                let (n, b) = row?;
                Ok((n, b.map(parse_message).transpose()?))
            })
            .collect()
        })
    }

    fn conversations(
        &self,
        user_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ConvRow>> {
        self.with(|conn| {
            let sql = format!(
                "{CONV_SELECT} WHERE c.user_id = ?1 AND c.conv_id > ?2 ORDER BY c.conv_id LIMIT ?3"
            );
            let rows: Vec<RawConv> = conn
                .prepare_cached(&sql)?
                .query_map(params![user_id, after.unwrap_or(""), limit], read_conv)?
                .collect::<crate::db::Result<_>>()?;
            rows.into_iter().map(conv_row).collect()
        })
    }

    fn conversation(&self, user_id: &str, conv_id: &str) -> Result<Option<ConvRow>> {
        self.with(|conn| {
            let sql = format!("{CONV_SELECT} WHERE c.user_id = ?1 AND c.conv_id = ?2");
            let raw = conn
                .prepare_cached(&sql)?
                .query_row([user_id, conv_id], read_conv)
                .optional()?;
            raw.map(conv_row).transpose()
        })
    }

    fn conversations_of(
        &self,
        conv_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<(String, ConvRow)>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let users = serde_json::to_string(user_ids)?;
        self.with(|conn| {
            let sql = format!(
                "{CONV_SELECT_WITH_USER} WHERE c.conv_id = ?1
                   AND c.user_id IN (SELECT value FROM json_each(?2))"
            );
            let rows: Vec<(RawConv, String)> = conn
                .prepare_cached(&sql)?
                .query_map(params![conv_id, users], |r| Ok((read_conv(r)?, r.get(10)?)))?
                .collect::<crate::db::Result<_>>()?;
            // The rows mostly share one last message (the one just sent): parse each distinct
            // body once rather than once per member.
            let mut parsed: std::collections::HashMap<String, Message> = Default::default();
            rows.into_iter()
                .map(|(mut raw, user)| {
                    let body = raw.4.take();
                    let mut row = conv_row(raw)?;
                    row.last_message = match body {
                        None => None,
                        Some(b) => match parsed.get(&b) {
                            Some(m) => Some(m.clone()),
                            None => {
                                let m = parse_message(b.clone())?;
                                parsed.insert(b, m.clone());
                                Some(m)
                            }
                        },
                    };
                    Ok((user, row))
                })
                .collect()
        })
    }

    fn settings_of(
        &self,
        conv_id: &str,
        user_ids: &[String],
    ) -> Result<std::collections::HashMap<String, ConvSettings>> {
        if user_ids.is_empty() {
            return Ok(Default::default());
        }
        let users = serde_json::to_string(user_ids)?;
        self.with(|conn| {
            let rows: Vec<(String, ConvSettings)> = conn
                .prepare_cached(
                    "SELECT user_id, pinned, custom_data, marks, remind_type FROM conv_settings
                     WHERE conv_id = ?1 AND user_id IN (SELECT value FROM json_each(?2))",
                )?
                .query_map(params![conv_id, users], |r| {
                    Ok((
                        r.get(0)?,
                        ConvSettings {
                            pinned: r.get(1)?,
                            custom_data: r.get(2)?,
                            marks: r.get::<_, i64>(3)? as u64,
                            remind_type: r.get(4)?,
                        },
                    ))
                })?
                .collect::<crate::db::Result<_>>()?;
            Ok(rows.into_iter().collect())
        })
    }

    fn mark_read(&self, user_id: &str, conv_id: &str) -> Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let n = tx.execute(
                "UPDATE conversations SET unread = 0, at_info = '[]' WHERE user_id = ?1 AND conv_id = ?2",
                [user_id, conv_id],
            )?;
            record_c2c_read(&tx, user_id, "conv_id = ?2", conv_id)?;
            tx.execute(
                "UPDATE conv_settings SET marks = marks & ~2 WHERE user_id = ?1 AND conv_id = ?2",
                [user_id, conv_id],
            )?;
            tx.commit()?;
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
                       create_time, info_seq, last_info_time, dismissed, mute_all
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
            Ok(rows.collect::<crate::db::Result<_>>()?)
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
            Ok(rows.collect::<crate::db::Result<_>>()?)
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

    fn mark_all_read(&self, user_id: &str, prefix: Option<&str>) -> Result<Vec<String>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let pattern = format!("{}%", prefix.unwrap_or(""));
            let ids: Vec<String> = tx
                .prepare(
                    "SELECT conv_id FROM conversations
                     WHERE user_id = ?1 AND conv_id LIKE ?2 AND conv_id != '@TIM#SYSTEM'
                       AND (unread > 0 OR at_info != '[]')",
                )?
                .query_map([user_id, pattern.as_str()], |r| r.get(0))?
                .collect::<crate::db::Result<_>>()?;
            for id in &ids {
                tx.execute(
                    "UPDATE conversations SET unread = 0, at_info = '[]' WHERE user_id = ?1 AND conv_id = ?2",
                    [user_id, id.as_str()],
                )?;
                record_c2c_read(&tx, user_id, "conv_id = ?2", id)?;
            }
            tx.commit()?;
            Ok(ids)
        })
    }

    fn c2c_read_seq(&self, reader: &str, conv_key: &str) -> Result<u64> {
        self.with(|conn| {
            let seq: Option<i64> = conn
                .query_row(
                    "SELECT seq FROM c2c_read WHERE user_id = ?1 AND conv_key = ?2",
                    [reader, conv_key],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(seq.unwrap_or(0).max(0) as u64)
        })
    }

    fn update_settings(
        &self,
        user_id: &str,
        conv_id: &str,
        change: &SettingChange,
        time: u64,
    ) -> Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT OR IGNORE INTO conv_settings (user_id, conv_id) VALUES (?1, ?2)",
                [user_id, conv_id],
            )?;
            let (sql, value): (&str, crate::db::Value) = match change {
                SettingChange::Pinned(p) => (
                    "UPDATE conv_settings SET pinned = ?3, pin_time = ?4 WHERE user_id = ?1 AND conv_id = ?2",
                    i64::from(*p).into(),
                ),
                SettingChange::CustomData(d) => (
                    "UPDATE conv_settings SET custom_data = ?3 WHERE user_id = ?1 AND conv_id = ?2 AND ?4 >= 0",
                    d.clone().into(),
                ),
                SettingChange::Mark(bits, true) => (
                    "UPDATE conv_settings SET marks = marks | ?3 WHERE user_id = ?1 AND conv_id = ?2 AND ?4 >= 0",
                    (*bits as i64).into(),
                ),
                SettingChange::Mark(bits, false) => (
                    "UPDATE conv_settings SET marks = marks & ~CAST(?3 AS BIGINT) WHERE user_id = ?1 AND conv_id = ?2 AND ?4 >= 0",
                    (*bits as i64).into(),
                ),
                SettingChange::RemindType(t) => (
                    "UPDATE conv_settings SET remind_type = ?3 WHERE user_id = ?1 AND conv_id = ?2 AND ?4 >= 0",
                    t.clone().into(),
                ),
            };
            tx.execute(sql, params![user_id, conv_id, value, time])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn settings(&self, user_id: &str, conv_id: &str) -> Result<ConvSettings> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT pinned, custom_data, marks, remind_type FROM conv_settings
                     WHERE user_id = ?1 AND conv_id = ?2",
                    [user_id, conv_id],
                    |r| {
                        Ok(ConvSettings {
                            pinned: r.get(0)?,
                            custom_data: r.get(1)?,
                            marks: r.get::<_, i64>(2)? as u64,
                            remind_type: r.get(3)?,
                        })
                    },
                )
                .optional()?
                .unwrap_or_default())
        })
    }

    fn clear_history(&self, user_id: &str, conv_id: &str) -> Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let key: Option<String> = tx
                .query_row(
                    "SELECT conv_key FROM conversations WHERE user_id = ?1 AND conv_id = ?2",
                    [user_id, conv_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(key) = key else { return Ok(false) };
            let seq: u64 = tx
                .query_row(
                    "SELECT last_seq FROM conv_seq WHERE conv_key = ?1",
                    [&key],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            tx.execute(
                "INSERT INTO history_cleared (user_id, conv_key, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT(user_id, conv_key) DO UPDATE SET seq = excluded.seq",
                params![user_id, key, seq],
            )?;
            tx.execute(
                "UPDATE conversations SET unread = 0, at_info = '[]', last_message_id = ''
                 WHERE user_id = ?1 AND conv_id = ?2",
                [user_id, conv_id],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn cleared_seq(&self, user_id: &str, conv_key: &str) -> Result<u64> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT seq FROM history_cleared WHERE user_id = ?1 AND conv_key = ?2",
                    [user_id, conv_key],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
    }

    fn delete_conversation(&self, user_id: &str, conv_id: &str) -> Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let n = tx.execute(
                "DELETE FROM conversations WHERE user_id = ?1 AND conv_id = ?2",
                [user_id, conv_id],
            )?;
            tx.execute(
                "UPDATE conv_settings SET pinned = 0, pin_time = 0, custom_data = '', marks = 0
                 WHERE user_id = ?1 AND conv_id = ?2",
                [user_id, conv_id],
            )?;
            tx.execute(
                "DELETE FROM conv_group_members WHERE user_id = ?1 AND conv_id = ?2",
                [user_id, conv_id],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    fn conv_groups(&self, user_id: &str) -> Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT name FROM conv_groups WHERE user_id = ?1 ORDER BY created, name",
            )?;
            let rows = stmt.query_map([user_id], |r| r.get(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn create_conv_group(&self, user_id: &str, name: &str, time: u64) -> Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "INSERT OR IGNORE INTO conv_groups (user_id, name, created) VALUES (?1, ?2, ?3)",
                params![user_id, name, time],
            )?;
            Ok(n > 0)
        })
    }

    fn delete_conv_group(&self, user_id: &str, name: &str) -> Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let n = tx.execute(
                "DELETE FROM conv_groups WHERE user_id = ?1 AND name = ?2",
                [user_id, name],
            )?;
            tx.execute(
                "DELETE FROM conv_group_members WHERE user_id = ?1 AND name = ?2",
                [user_id, name],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    fn rename_conv_group(&self, user_id: &str, old: &str, new: &str) -> Result<bool> {
        self.with(|conn| {
            rename_folder(conn, "conv_groups", "conv_group_members", user_id, old, new)
        })
    }

    fn set_in_conv_group(
        &self,
        user_id: &str,
        name: &str,
        conv_id: &str,
        member: bool,
    ) -> Result<bool> {
        self.with(|conn| {
            let sql = if member {
                "INSERT OR IGNORE INTO conv_group_members (user_id, name, conv_id) VALUES (?1, ?2, ?3)"
            } else {
                "DELETE FROM conv_group_members WHERE user_id = ?1 AND name = ?2 AND conv_id = ?3"
            };
            Ok(conn.execute(sql, [user_id, name, conv_id])? > 0)
        })
    }

    fn conv_group_members(&self, user_id: &str, name: &str) -> Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT conv_id FROM conv_group_members WHERE user_id = ?1 AND name = ?2
                 ORDER BY conv_id",
            )?;
            let rows = stmt.query_map([user_id, name], |r| r.get(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn receive_opt(&self, user_id: &str) -> Result<Option<ReceiveMessageOpt>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT remind_type, start_time, end_time, is_repeated FROM receive_opt
                     WHERE user_id = ?1",
                    [user_id],
                    |r| {
                        Ok(ReceiveMessageOpt {
                            message_remind_type: r.get(0)?,
                            start_time: r.get(1)?,
                            end_time: r.get(2)?,
                            is_repeated: r.get(3)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn set_receive_opt(&self, user_id: &str, opt: &ReceiveMessageOpt) -> Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO receive_opt (user_id, remind_type, start_time, end_time, is_repeated)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(user_id) DO UPDATE SET remind_type = excluded.remind_type,
                   start_time = excluded.start_time, end_time = excluded.end_time,
                   is_repeated = excluded.is_repeated",
                params![
                    user_id,
                    opt.message_remind_type,
                    opt.start_time,
                    opt.end_time,
                    opt.is_repeated
                ],
            )?;
            Ok(())
        })
    }

    fn put_invitation(&self, inv: &Invitation) -> Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO invitations (invite_id, body, done, deadline) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(invite_id) DO UPDATE SET body = excluded.body, done = excluded.done,
                   deadline = excluded.deadline",
                params![
                    inv.signaling.invite_id,
                    serde_json::to_string(inv)?,
                    inv.done,
                    inv.deadline_ms
                ],
            )?;
            Ok(())
        })
    }

    fn close_invitation(&self, inv: &Invitation) -> Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE invitations SET body = ?2, done = 1, deadline = ?3
                 WHERE invite_id = ?1 AND done = 0",
                params![
                    inv.signaling.invite_id,
                    serde_json::to_string(inv)?,
                    inv.deadline_ms
                ],
            )?;
            Ok(n > 0)
        })
    }

    fn invitation(&self, invite_id: &str) -> Result<Option<Invitation>> {
        self.with(|conn| {
            let body: Option<String> = conn
                .query_row(
                    "SELECT body FROM invitations WHERE invite_id = ?1",
                    [invite_id],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
        })
    }

    fn expired_invitations(&self, now_ms: u64) -> Result<Vec<Invitation>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM invitations WHERE done = 0 AND deadline > 0 AND deadline <= ?1",
            )?;
            let rows = stmt.query_map([now_ms], |r| r.get::<_, String>(0))?;
            rows.map(|b| Ok(serde_json::from_str(&b?)?)).collect()
        })
    }

    fn pending_invitations(&self, user_id: &str) -> Result<Vec<Invitation>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached("SELECT body FROM invitations WHERE done = 0")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out: Vec<Invitation> = Vec::new();
            for b in rows {
                let inv: Invitation = serde_json::from_str(&b?)?;
                let mine = inv.signaling.invitee_list.iter().any(|u| u == user_id);
                if mine && !inv.online_only && !inv.answers.contains_key(user_id) {
                    out.push(inv);
                }
            }
            out.sort_by_key(|i| i.created_ms);
            Ok(out)
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
                at_type: 0,
            },
            Recipient {
                user_id: to.into(),
                conv_id: format!("C2C{from}"),
                counts_unread: true,
                sets_last: true,
                at_type: 0,
            },
        ]
    }

    /// Runs every check against `s`.
    pub fn run(s: &dyn Store) {
        sequences_inbox_and_unread(s);
        idempotent_by_id(s);
        groups(s);
        settings_clears_and_folders(s);
        batched_reads(s);
    }

    /// The batched reads of a fan-out return what the one-at-a-time reads do.
    fn batched_reads(s: &dyn Store) {
        let key = "group\u{1f}fan";
        let users: Vec<String> = ["f1", "f2", "f3"].iter().map(|u| u.to_string()).collect();
        let recipients: Vec<Recipient> = users
            .iter()
            .map(|u| Recipient {
                user_id: u.clone(),
                conv_id: "GROUPfan".into(),
                counts_unread: u != "f1",
                sets_last: true,
                at_type: 0,
            })
            .collect();
        let mut m = msg("fan-1", "f1", "fan");
        m.conversation_type = "GROUP".into();
        s.store_message(key, &m, 5, &recipients).expect("store");
        s.update_settings(
            "f2",
            "GROUPfan",
            &SettingChange::RemindType("Discard".into()),
            6,
        )
        .expect("remind");
        let mut asked = users.clone();
        asked.push("nobody".into());
        let mut rows = s.conversations_of("GROUPfan", &asked).expect("batch");
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            rows.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(),
            vec!["f1", "f2", "f3"]
        );
        for (u, row) in &rows {
            let one = s
                .conversation(u, "GROUPfan")
                .expect("conv")
                .expect("exists");
            assert_eq!(*row, one);
        }
        assert_eq!(rows[1].1.unread, 1);
        assert!(s
            .conversations_of("GROUPfan", &[])
            .expect("empty")
            .is_empty());
        let settings = s.settings_of("GROUPfan", &asked).expect("settings");
        assert_eq!(settings.len(), 1);
        assert_eq!(settings["f2"], s.settings("f2", "GROUPfan").expect("one"));
        assert_eq!(settings["f2"].remind_type, "Discard");
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
        let page = s.messages_before(key, None, 0, 2).expect("page");
        assert_eq!(
            page.iter().map(|m| m.sequence).collect::<Vec<_>>(),
            vec![3, 2]
        );
        let older = s.messages_before(key, Some(2), 0, 10).expect("older");
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
            at_type: 0,
        }];
        s.store_message(key, &msg("m4", "a", "b"), 200, &quiet)
            .expect("store");
        let conv = s.conversation("b", "C2Ca").expect("conv").expect("exists");
        assert_eq!(
            (conv.unread, conv.last_message.expect("last").id.as_str()),
            (0, "m3")
        );
        assert_eq!(s.conversations("b", None, 10).expect("list").len(), 1);
        assert!(s
            .conversations("b", Some("C2Ca"), 10)
            .expect("list")
            .is_empty());
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
        assert_eq!(s.messages_before(key, None, 0, 10).expect("page").len(), 1);
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

    fn settings_clears_and_folders(s: &dyn Store) {
        let key = "c2c\u{1f}p\u{1f}q";
        for i in 1..=3 {
            let mut r = recips("p", "q");
            r[1].at_type = if i == 2 { 1 } else { 0 };
            s.store_message(key, &msg(&format!("pq{i}"), "p", "q"), i, &r)
                .expect("store");
        }
        let conv = s.conversation("q", "C2Cp").expect("conv").expect("exists");
        assert_eq!(conv.at_info.len(), 1);
        assert_eq!(conv.at_info[0]["messageSequence"], 2);
        s.update_settings("q", "C2Cp", &SettingChange::Pinned(true), 9)
            .expect("pin");
        s.update_settings("q", "C2Cp", &SettingChange::Mark(1 << 40, true), 9)
            .expect("mark");
        s.update_settings("q", "C2Cp", &SettingChange::Mark(8, true), 9)
            .expect("hide");
        s.update_settings("q", "C2Cp", &SettingChange::CustomData("cd".into()), 9)
            .expect("cd");
        let got = s.settings("q", "C2Cp").expect("settings");
        assert!(got.pinned);
        assert_eq!(got.marks, (1 << 40) | 8);
        assert_eq!(got.custom_data, "cd");
        // A new message unhides.
        s.store_message(key, &msg("pq4", "p", "q"), 4, &recips("p", "q"))
            .expect("store");
        assert_eq!(s.settings("q", "C2Cp").expect("settings").marks, 1 << 40);
        assert!(s.mark_read("q", "C2Cp").expect("read"));
        assert!(s
            .conversation("q", "C2Cp")
            .expect("conv")
            .expect("exists")
            .at_info
            .is_empty());
        // Clearing hides history for q only.
        assert!(s.clear_history("q", "C2Cp").expect("clear"));
        assert_eq!(s.cleared_seq("q", key).expect("cleared"), 4);
        assert!(s
            .messages_before(key, None, 4, 10)
            .expect("page")
            .is_empty());
        assert_eq!(s.messages_before(key, None, 0, 10).expect("page").len(), 4);
        let inbox = s.inbox_after("q", 0, 10).expect("inbox");
        assert!(
            inbox.iter().all(|(_, m)| m.is_none()),
            "cleared entries carry no message"
        );
        let c = s.conversation("q", "C2Cp").expect("conv").expect("exists");
        assert!(c.last_message.is_none());
        // Folders.
        assert!(s.create_conv_group("q", "work", 1).expect("create"));
        assert!(!s.create_conv_group("q", "work", 2).expect("twice"));
        assert!(s.set_in_conv_group("q", "work", "C2Cp", true).expect("add"));
        assert_eq!(
            s.conversation("q", "C2Cp").expect("c").expect("e").groups,
            vec!["work"]
        );
        assert!(s.create_conv_group("q", "home", 3).expect("create"));
        assert!(!s.rename_conv_group("q", "work", "home").expect("taken"));
        assert!(s.rename_conv_group("q", "work", "office").expect("rename"));
        assert_eq!(
            s.conv_group_members("q", "office").expect("members"),
            vec!["C2Cp"]
        );
        assert!(s.delete_conv_group("q", "office").expect("delete"));
        assert_eq!(s.conv_groups("q").expect("groups"), vec!["home"]);
        // Deleting the conversation keeps the remind type.
        s.update_settings("q", "C2Cp", &SettingChange::RemindType("Discard".into()), 9)
            .expect("remind");
        assert!(s.delete_conversation("q", "C2Cp").expect("delete"));
        assert!(s.conversation("q", "C2Cp").expect("conv").is_none());
        let left = s.settings("q", "C2Cp").expect("settings");
        assert_eq!(
            (left.pinned, left.marks, left.remind_type.as_str()),
            (false, 0, "Discard")
        );
        let opt = ReceiveMessageOpt {
            message_remind_type: "AcceptNotNotify".into(),
            start_time: 5,
            end_time: 10,
            is_repeated: true,
        };
        s.set_receive_opt("q", &opt).expect("opt");
        assert_eq!(s.receive_opt("q").expect("opt"), Some(opt));
        assert_eq!(
            s.mark_all_read("p", None).expect("all read"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn sqlite_in_memory() {
        run(&SqliteStore::in_memory().expect("open"));
    }

    /// A new empty database on the test PostgreSQL (`PIGEON_TEST_PG_URL`, started by
    /// scripts/services.sh); None, saying so, when there is none and `what` is skipped.
    fn fresh_postgres(what: &str) -> Option<String> {
        let Ok(url) = std::env::var("PIGEON_TEST_PG_URL") else {
            eprintln!("PIGEON_TEST_PG_URL not set: PostgreSQL {what} skipped");
            return None;
        };
        let name = format!("pigeon_unit_{}", rand::random::<u64>());
        Some(crate::db::create_postgres_database(&url, &name).expect("create database"))
    }

    /// The same suite on PostgreSQL, when the test services run (scripts/services.sh).
    #[test]
    fn postgres_conformance() {
        let Some(url) = fresh_postgres("conformance") else {
            return;
        };
        run(&SqlStore::postgres(&url, 2).expect("open"));
        let again = SqlStore::postgres(&url, 2).expect("reopen");
        assert_eq!(again.inbox_head("b").expect("head"), 4);
    }

    /// A group message's rows for each of `n` recipients: inbox sequences going on from a
    /// user's earlier messages, unread counts, the last message (not set by a message excluded
    /// from it), @-mentions, and a hidden conversation shown again.
    fn group_rows(s: &SqlStore, n: usize) {
        let p = format!("g{n}u");
        let users: Vec<String> = (0..n).map(|i| format!("{p}{i}")).collect();
        let key = format!("group\u{1f}g{n}");
        let conv = format!("GROUPg{n}");
        // u1 already has an inbox; u2 hid the conversation (mark bit 8).
        s.store_message(
            "c2c-pre",
            &msg(&format!("{p}pre"), "x", &users[1]),
            1,
            &recips("x", &users[1]),
        )
        .expect("pre");
        s.update_settings(&users[2], &conv, &SettingChange::Mark(8, true), 1)
            .expect("hide");
        let group_msg = |id: &str| Message {
            id: id.into(),
            from: users[0].clone(),
            to: format!("g{n}"),
            kind: "TIMTextElem".into(),
            conversation_type: "GROUP".into(),
            payload: json!({"text": id}),
            ..Default::default()
        };
        let recipients = |sets_last: bool, quiet: &str| -> Vec<Recipient> {
            users
                .iter()
                .enumerate()
                .map(|(i, u)| Recipient {
                    user_id: u.clone(),
                    conv_id: conv.clone(),
                    counts_unread: i > 0 && u != quiet,
                    sets_last,
                    at_type: if i == 3 { 1 } else { 0 },
                })
                .collect()
        };
        let first = s
            .store_message(
                &key,
                &group_msg(&format!("{p}m1")),
                10,
                &recipients(true, ""),
            )
            .expect("first");
        let second = s
            .store_message(
                &key,
                &group_msg(&format!("{p}m2")),
                20,
                &recipients(false, &users[4]),
            )
            .expect("second");
        assert_eq!(first.inbox.len(), n);
        let seq_of = |st: &Stored, u: &str| st.inbox.iter().find(|(x, _)| x == u).map(|(_, q)| *q);
        assert_eq!(seq_of(&first, &users[1]), Some(2), "after the C2C message");
        assert_eq!(seq_of(&second, &users[1]), Some(3));
        assert_eq!(seq_of(&second, &users[5]), Some(2));
        assert_eq!(s.inbox_head(&users[1]).expect("head"), 3);
        assert_eq!(
            s.inbox_after(&users[5], 0, 10).expect("inbox").len(),
            2,
            "both in the inbox"
        );
        for (i, u) in users.iter().enumerate() {
            let row = s.conversation(u, &conv).expect("read").expect("row");
            let unread = match i {
                0 => 0,
                4 => 1,
                _ => 2,
            };
            assert_eq!(row.unread, unread, "{u}");
            let last = row.last_message.expect("last").id;
            assert_eq!(last, format!("{p}m1"), "m2 does not set the last message");
            assert_eq!(
                row.at_info.len(),
                usize::from(i == 3) * 2,
                "{u}: {:?}",
                row.at_info
            );
        }
        assert_eq!(
            s.settings(&users[2], &conv).expect("settings").marks & 8,
            0,
            "shown again"
        );
    }

    #[test]
    fn group_rows_sqlite() {
        let s = SqliteStore::in_memory().expect("open");
        group_rows(&s, 6);
        group_rows(&s, 40);
    }

    #[test]
    fn group_rows_postgres() {
        let Some(url) = fresh_postgres("group rows") else {
            return;
        };
        let s = SqlStore::postgres(&url, 2).expect("open");
        group_rows(&s, 6);
        group_rows(&s, 40);
    }

    /// Eight threads send at once: they share transactions (fewer commits than messages),
    /// sequences stay gap-free and in each sender's order, and an ID another sender owns fails
    /// only its own message.
    fn hammer(s: &SqlStore) {
        const THREADS: usize = 8;
        const EACH: usize = 60;
        let shared = "c2c\u{1f}hammer";
        s.store_message(
            shared,
            &msg("owned", "owner", "sink"),
            1,
            &recips("owner", "sink"),
        )
        .expect("store");
        let before = s.send_commits();
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                scope.spawn(move || {
                    let from = format!("h{t}");
                    let mut last = 0;
                    for i in 0..EACH {
                        // Every 7th send reuses the ID "owner" took: only it must fail.
                        let id = if i % 7 == 3 {
                            "owned".to_string()
                        } else {
                            format!("h{t}-{i}")
                        };
                        let out = s.store_message(
                            shared,
                            &msg(&id, &from, "sink"),
                            2,
                            &recips(&from, "sink"),
                        );
                        if i % 7 == 3 {
                            assert!(
                                matches!(out, Err(StoreError::IdConflict(ref x)) if x == "owned"),
                                "{out:?}"
                            );
                        } else {
                            let st = out.expect("store");
                            assert!(st.is_new);
                            assert!(st.message.sequence > last, "in the sender's order");
                            last = st.message.sequence;
                        }
                    }
                });
            }
        });
        let conflicts = (0..EACH).filter(|i| i % 7 == 3).count();
        let stored = THREADS * (EACH - conflicts);
        let commits = s.send_commits() - before;
        assert!(
            commits < (THREADS * EACH) as u64,
            "{commits} commits for {} sends: no batching",
            THREADS * EACH
        );
        eprintln!("hammer: {} sends in {commits} commits", THREADS * EACH);
        let page = s.messages_before(shared, None, 0, 1000).expect("page");
        let mut seqs: Vec<u64> = page.iter().map(|m| m.sequence).collect();
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (1..=(stored + 1) as u64).collect::<Vec<_>>(),
            "gap-free"
        );
        let inbox = s.inbox_after("sink", 0, 1000).expect("inbox");
        assert_eq!(
            inbox.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            (1..=(stored + 1) as u64).collect::<Vec<_>>()
        );
        assert_eq!(s.inbox_head("h0").expect("head"), (EACH - conflicts) as u64);
        let conv = s
            .conversation("sink", "C2Ch0")
            .expect("conv")
            .expect("exists");
        assert_eq!(conv.unread, (EACH - conflicts) as u64);
    }

    #[test]
    fn group_commit_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        hammer(&SqliteStore::open(&dir.path().join("g.sqlite3")).expect("open"));
    }

    /// The same on PostgreSQL, when the test services run.
    #[test]
    fn group_commit_postgres() {
        let Some(url) = fresh_postgres("group commit") else {
            return;
        };
        hammer(&SqlStore::postgres(&url, 4).expect("open"));
    }

    #[test]
    fn send_path_migration_keeps_data_and_search() {
        use crate::message_extras::{MessageExtrasStore, SearchFilter};
        // A database as the release before migration 0017 left it, with one message stored.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.sqlite3");
        {
            let mut c = rusqlite::Connection::open(&path).expect("open");
            let tx = c.transaction().expect("tx");
            for (i, sql) in MIGRATIONS[..16].iter().enumerate() {
                tx.execute_batch(sql).expect("old migration");
                tx.pragma_update(None, "user_version", i + 1)
                    .expect("version");
            }
            let body = json!({"ID": "old1", "type": "TIMTextElem", "from": "a", "to": "b",
                              "conversationType": "C2C", "payload": {"text": "ancient words"}});
            tx.execute_batch(&format!(
                "INSERT INTO messages (id, conv_key, seq, sender, time, body)
                 VALUES ('old1', 'k', 1, 'a', 10, '{body}');
                 INSERT INTO conv_seq VALUES ('k', 1);
                 INSERT INTO inbox VALUES ('b', 1, 'old1');
                 INSERT INTO inbox_seq VALUES ('b', 1);
                 INSERT INTO conversations (user_id, conv_id, conv_key, unread, last_message_id, last_time)
                 VALUES ('b', 'C2Ca', 'k', 1, 'old1', 10);
                 INSERT INTO conv_settings (user_id, conv_id, pinned, remind_type)
                 VALUES ('b', 'C2Ca', 1, 'quiet');"
            ))
            .expect("old rows");
            tx.commit().expect("commit");
        }
        let s = SqliteStore::open(&path).expect("migrate");
        assert_eq!(s.inbox_head("b").expect("head"), 1);
        let conv = s.conversation("b", "C2Ca").expect("read").expect("kept");
        assert_eq!(conv.unread, 1);
        let set = s.settings("b", "C2Ca").expect("settings");
        assert!(set.pinned);
        assert_eq!(set.remind_type, "quiet");
        // Sequences go on from where they were.
        let next = s
            .store_message("k", &msg("new1", "a", "b"), 20, &recips("a", "b"))
            .expect("store");
        assert_eq!(next.message.sequence, 2);
        assert_eq!(s.inbox_head("b").expect("head"), 2);
        let find = |word: &str| {
            let f = SearchFilter {
                keywords: vec![word.to_owned()],
                match_all: true,
                senders: vec![],
                types: vec!["TIMTextElem".to_owned()],
                conv_key: None,
                time_from: 0,
                time_to: 100,
            };
            s.search_inbox("b", &f).expect("search").len()
        };
        assert_eq!(find("ancient"), 1, "indexed before the migration");
        assert_eq!(find("new1"), 1, "indexed by the batch that stored it");
        let pending: i64 = s
            .with(|c| {
                Ok(
                    c.query_row("SELECT COUNT(*) FROM message_search_pending", [], |r| {
                        r.get(0)
                    })?,
                )
            })
            .expect("count");
        assert_eq!(pending, 0, "nothing left unindexed after a commit");
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
