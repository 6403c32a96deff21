//! Cluster-wide presence: which node holds which user's sessions, kept in the Store so every
//! node sees the same answer (the in-process bus keeps presence in memory instead).
//!
//! Each node heartbeats its `nodes` row; a presence row counts only while its node's row is
//! fresh, so the sessions of a node that died without cleaning up drop out by themselves and
//! are swept later.

use crate::db::{params, Exec};
use crate::store::{Result, SqliteStore};

/// One session somewhere in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceRow {
    /// The node holding it.
    pub node_id: String,
    /// Its ID on that node.
    pub session_id: u64,
    /// Whose it is.
    pub user_id: String,
    /// The SDK instance that opened it.
    pub instance_id: String,
    /// Its login platform.
    pub platform: String,
    /// When it logged in (unix ms).
    pub since_ms: i64,
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait PresenceStore {
    /// Records a heartbeat of `node_id` at `now_ms`; returns whether its row was still there
    /// (false: it was new, or swept by others while this node could not reach the store).
    fn node_seen(&self, node_id: &str, now_ms: i64) -> Result<bool>;
    /// Removes `node_id` and all its presence rows (graceful shutdown).
    fn node_remove(&self, node_id: &str) -> Result<()>;
    /// Adds a session (a second add of the same node and session is ignored).
    fn presence_add(&self, row: &PresenceRow) -> Result<()>;
    /// Removes a session.
    fn presence_remove(&self, node_id: &str, session_id: u64) -> Result<()>;
    /// The sessions of `user_id` on nodes seen at or after `live_since_ms`, oldest first.
    fn presence_of(&self, user_id: &str, live_since_ms: i64) -> Result<Vec<PresenceRow>>;
    /// Those of `ids` with a session on a node seen at or after `live_since_ms`.
    fn presence_online_among(&self, ids: &[String], live_since_ms: i64) -> Result<Vec<String>>;
    /// (users, sessions) on nodes seen at or after `live_since_ms`.
    fn presence_counts(&self, live_since_ms: i64) -> Result<(u64, u64)>;
    /// Deletes the sessions of nodes not seen since `live_since_ms` (and those nodes); returns
    /// the users whose sessions were deleted (each once per deleted row). Concurrent sweeps on
    /// several nodes return each row to one of them only.
    fn presence_sweep(&self, live_since_ms: i64) -> Result<Vec<String>>;
}

/// Live presence rows: their node has heartbeat recently.
const LIVE: &str = "node_id IN (SELECT node_id FROM nodes WHERE seen_ms >= ?1)";

fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl PresenceStore for SqliteStore {
    fn node_seen(&self, node_id: &str, now_ms: i64) -> Result<bool> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE nodes SET seen_ms = ?2 WHERE node_id = ?1",
                params![node_id, now_ms],
            )?;
            if n > 0 {
                return Ok(true);
            }
            c.execute(
                "INSERT INTO nodes (node_id, seen_ms) VALUES (?1, ?2)
                 ON CONFLICT (node_id) DO UPDATE SET seen_ms = excluded.seen_ms",
                params![node_id, now_ms],
            )?;
            Ok(false)
        })
    }

    fn node_remove(&self, node_id: &str) -> Result<()> {
        self.with(|c| {
            c.execute("DELETE FROM presence WHERE node_id = ?1", params![node_id])?;
            c.execute("DELETE FROM nodes WHERE node_id = ?1", params![node_id])?;
            Ok(())
        })
    }

    fn presence_add(&self, row: &PresenceRow) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO presence
                 (node_id, session_id, user_id, instance_id, platform, since_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (node_id, session_id) DO NOTHING",
                params![
                    row.node_id,
                    as_i64(row.session_id),
                    row.user_id,
                    row.instance_id,
                    row.platform,
                    row.since_ms
                ],
            )?;
            Ok(())
        })
    }

    fn presence_remove(&self, node_id: &str, session_id: u64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM presence WHERE node_id = ?1 AND session_id = ?2",
                params![node_id, as_i64(session_id)],
            )?;
            Ok(())
        })
    }

    fn presence_of(&self, user_id: &str, live_since_ms: i64) -> Result<Vec<PresenceRow>> {
        let sql = format!(
            "SELECT node_id, session_id, user_id, instance_id, platform, since_ms
             FROM presence WHERE user_id = ?2 AND {LIVE}
             ORDER BY since_ms, node_id, session_id"
        );
        self.with(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![live_since_ms, user_id], |r| {
                    Ok(PresenceRow {
                        node_id: r.get(0)?,
                        session_id: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                        user_id: r.get(2)?,
                        instance_id: r.get(3)?,
                        platform: r.get(4)?,
                        since_ms: r.get(5)?,
                    })
                })?
                .collect::<crate::db::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    fn presence_online_among(&self, ids: &[String], live_since_ms: i64) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::to_string(ids)?;
        let sql = format!(
            "SELECT DISTINCT user_id FROM presence
             WHERE user_id IN (SELECT value FROM json_each(?2)) AND {LIVE}"
        );
        self.with(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![live_since_ms, list], |r| r.get::<_, String>(0))?
                .collect::<crate::db::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    fn presence_counts(&self, live_since_ms: i64) -> Result<(u64, u64)> {
        let sql = format!("SELECT COUNT(DISTINCT user_id), COUNT(*) FROM presence WHERE {LIVE}");
        self.with(|c| {
            let (users, sessions) = c.query_row(&sql, params![live_since_ms], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?;
            Ok((
                u64::try_from(users).unwrap_or(0),
                u64::try_from(sessions).unwrap_or(0),
            ))
        })
    }

    fn presence_sweep(&self, live_since_ms: i64) -> Result<Vec<String>> {
        // `NOT IN` the live nodes also catches rows whose node row is gone altogether.
        // RETURNING (SQLite 3.35+, PostgreSQL) hands each deleted row to exactly one sweeper.
        let sql = format!("DELETE FROM presence WHERE NOT ({LIVE}) RETURNING user_id");
        self.with(|c| {
            let users = {
                let mut stmt = c.prepare_cached(&sql)?;
                stmt.query_map(params![live_since_ms], |r| r.get::<_, String>(0))?
                    .collect::<crate::db::Result<Vec<_>>>()?
            };
            c.execute(
                "DELETE FROM nodes WHERE seen_ms < ?1",
                params![live_since_ms],
            )?;
            Ok(users)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(node: &str, session: u64, user: &str, since_ms: i64) -> PresenceRow {
        PresenceRow {
            node_id: node.into(),
            session_id: session,
            user_id: user.into(),
            instance_id: format!("i{session}"),
            platform: "web".into(),
            since_ms,
        }
    }

    #[test]
    fn live_rows_count_and_dead_nodes_are_swept() {
        let s = SqliteStore::in_memory().expect("store");
        assert!(!s.node_seen("a", 1_000).expect("seen"));
        assert!(s.node_seen("a", 1_000).expect("seen"));
        s.node_seen("b", 1_000).expect("seen");
        s.presence_add(&row("a", 1, "alice", 10)).expect("add");
        s.presence_add(&row("a", 1, "alice", 10))
            .expect("add twice");
        s.presence_add(&row("b", 1, "alice", 5)).expect("add");
        s.presence_add(&row("b", 2, "bob", 5)).expect("add");
        let of = s.presence_of("alice", 0).expect("of");
        assert_eq!(of.len(), 2);
        assert_eq!(of[0].node_id, "b", "oldest first");
        assert_eq!(s.presence_counts(0).expect("counts"), (2, 3));
        let among = s
            .presence_online_among(&["bob".into(), "carol".into()], 0)
            .expect("among");
        assert_eq!(among, vec!["bob".to_owned()]);
        // Node b stops heartbeating: its rows stop counting, then one sweep removes them.
        s.node_seen("a", 20_000).expect("seen");
        assert_eq!(s.presence_counts(10_000).expect("counts"), (1, 1));
        let mut swept = s.presence_sweep(10_000).expect("sweep");
        swept.sort();
        assert_eq!(swept, vec!["alice".to_owned(), "bob".to_owned()]);
        assert!(s.presence_sweep(10_000).expect("sweep").is_empty());
        assert!(!s.node_seen("b", 20_000).expect("seen"), "b was swept");
        s.presence_remove("a", 1).expect("remove");
        assert_eq!(s.presence_counts(0).expect("counts"), (0, 0));
        s.presence_add(&row("a", 2, "carol", 10)).expect("add");
        s.node_remove("a").expect("remove node");
        assert_eq!(s.presence_counts(0).expect("counts"), (0, 0));
    }
}
