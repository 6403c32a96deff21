//! Follows (issue 5): `followUser`, `unfollowUser`, the followers / following / mutual lists
//! (cursor paged, newest first), follow counts and follow types. Every change is pushed whole
//! as MY_FOLLOWING/MY_FOLLOWERS/MUTUAL_FOLLOWERS_LIST_UPDATED to every session of each user
//! whose list changed, the caller's own session included (the SDK keeps no follow state).

use crate::db::{params, Exec, OptionalExtension};
use crate::invalid;
use crate::to_json as to_value;
use crate::{now, validate_user_id, AppState, Caller};
use pigeon_proto::error::code;
use pigeon_proto::follows::{
    code as follow_code, event, follow_type, CheckFollowType, FollowInfo, FollowList,
    FollowListUpdate, FollowPage, FollowResult, FollowTypeResult, FollowUser, FollowUsers,
    GetFollowList, GetUserFollowInfo, UnfollowUsers, CHECK_RATE, CHECK_WINDOW_SECS, MAX_CHECK,
    MAX_FOLLOWING, MAX_FOLLOW_BATCH, MAX_INFO, MAX_PAGE,
};
use pigeon_proto::wire::Op;
use pigeon_proto::ImError;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(
    st: &AppState,
    c: &Caller,
    op: &str,
    data: &Value,
) -> Option<Result<Value, ImError>> {
    let out = match op {
        FollowUsers::NAME => FollowUsers::parse(data.clone())
            .and_then(|r| follow(st, c, r.user_id_list))
            .and_then(to_value),
        UnfollowUsers::NAME => UnfollowUsers::parse(data.clone())
            .and_then(|r| unfollow(st, c, r.user_id_list))
            .and_then(to_value),
        GetFollowList::NAME => GetFollowList::parse(data.clone())
            .and_then(|r| list(st, c, r))
            .and_then(to_value),
        GetUserFollowInfo::NAME => GetUserFollowInfo::parse(data.clone())
            .and_then(|r| info(st, c, r.user_id_list))
            .and_then(to_value),
        CheckFollowType::NAME => CheckFollowType::parse(data.clone())
            .and_then(|r| check(st, c, r.user_id_list))
            .and_then(to_value),
        _ => return None,
    };
    Some(out)
}

/// Checks a batch of userIDs (1 to `max`, well formed, not the caller when `no_self`) and
/// drops repeats, keeping the first occurrence's order.
fn targets(
    me: &str,
    ids: Vec<String>,
    max: usize,
    what: &str,
    no_self: bool,
) -> Result<Vec<String>, ImError> {
    if ids.is_empty() || ids.len() > max {
        return Err(invalid(format!(
            "{what}: userIDList takes 1 to {max} userIDs"
        )));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        validate_user_id("userIDList[]", &id)?;
        if no_self && id == me {
            return Err(invalid(format!("{what}: you cannot {what} yourself")));
        }
        if seen.insert(id.clone()) {
            out.push(id);
        }
    }
    Ok(out)
}

/// The list entries for `ids`. Profiles live in the profiles module; until it offers a lookup
/// the display fields stay '' (the d.ts defaults).
/// The users with their nick and avatar from their profiles (empty when a lookup fails, so
/// an event is never lost to it).
fn users(st: &AppState, ids: &[String]) -> Vec<FollowUser> {
    let profiles = crate::profiles::profiles_of(st, ids).unwrap_or_default();
    ids.iter()
        .map(|id| {
            let p = profiles.iter().find(|p| p.user_id == *id);
            FollowUser {
                user_id: id.clone(),
                nick: p.map(|p| p.nick.clone()).unwrap_or_default(),
                avatar: p.map(|p| p.avatar.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

fn emit(st: &AppState, user: &str, name: &str, ids: &[String], is_add: bool) {
    if ids.is_empty() {
        return;
    }
    let data = FollowListUpdate {
        user_info_list: users(st, ids),
        is_add,
    };
    match serde_json::to_value(&data) {
        Ok(v) => st.emit_to(user, name, v, None),
        Err(e) => tracing::error!(error = %e, "follow event did not serialize"),
    }
}

/// Tells everyone whose lists `me` following (`is_add`) or unfollowing `change` altered.
fn announce(st: &AppState, me: &str, change: &FollowChange, is_add: bool) {
    emit(
        st,
        me,
        event::MY_FOLLOWING_LIST_UPDATED,
        &change.changed,
        is_add,
    );
    let me_list = [me.to_owned()];
    for other in &change.changed {
        emit(
            st,
            other,
            event::MY_FOLLOWERS_LIST_UPDATED,
            &me_list,
            is_add,
        );
    }
    emit(
        st,
        me,
        event::MUTUAL_FOLLOWERS_LIST_UPDATED,
        &change.mutual,
        is_add,
    );
    for other in &change.mutual {
        emit(
            st,
            other,
            event::MUTUAL_FOLLOWERS_LIST_UPDATED,
            &me_list,
            is_add,
        );
    }
}

fn results(ids: &[String]) -> Vec<FollowResult> {
    ids.iter()
        .map(|id| FollowResult {
            user_id: id.clone(),
            ..Default::default()
        })
        .collect()
}

/// Implements `followUser`: all or nothing; following someone already followed is a success
/// that changes nothing.
pub fn follow(st: &AppState, c: &Caller, ids: Vec<String>) -> Result<Vec<FollowResult>, ImError> {
    let me = &c.user_id;
    let ids = targets(me, ids, MAX_FOLLOW_BATCH, "follow", true)?;
    let time = now() as i64;
    match st.db(|s| s.follow(me, &ids, time, MAX_FOLLOWING))? {
        FollowOutcome::Done(change) => {
            announce(st, me, &change, true);
            Ok(results(&ids))
        }
        FollowOutcome::OverLimit { following, new } => Err(ImError::new(
            follow_code::FOLLOWING_LIMIT,
            format!(
                "following {new} more users would exceed {MAX_FOLLOWING} (already following {following})"
            ),
        )),
    }
}

/// Implements `unfollowUser`: unfollowing someone not followed is a success that changes
/// nothing.
pub fn unfollow(st: &AppState, c: &Caller, ids: Vec<String>) -> Result<Vec<FollowResult>, ImError> {
    let me = &c.user_id;
    let ids = targets(me, ids, MAX_FOLLOW_BATCH, "unfollow", true)?;
    let change = st.db(|s| s.unfollow(me, &ids))?;
    announce(st, me, &change, false);
    Ok(results(&ids))
}

/// Implements the three list reads.
pub fn list(st: &AppState, c: &Caller, req: GetFollowList) -> Result<FollowPage, ImError> {
    let count = match req.count {
        0 => MAX_PAGE,
        n if n <= MAX_PAGE => n,
        _ => return Err(invalid(format!("count takes 1 to {MAX_PAGE}"))),
    };
    let before = match req.next_cursor.as_str() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return Err(invalid(format!(
                    "nextCursor {s:?} is not one this server gave"
                )))
            }
        },
    };
    let (ids, next) = st.db(|s| s.follow_page(&c.user_id, req.list, before, count as usize))?;
    Ok(FollowPage {
        result_list: users(st, &ids),
        next_cursor: next.map(|n| n.to_string()).unwrap_or_default(),
    })
}

/// Implements `getUserFollowInfo`.
pub fn info(st: &AppState, c: &Caller, ids: Vec<String>) -> Result<Vec<FollowInfo>, ImError> {
    let ids = if ids.is_empty() {
        vec![c.user_id.clone()]
    } else {
        targets(&c.user_id, ids, MAX_INFO, "getUserFollowInfo", false)?
    };
    let counts = st.db(|s| s.follow_counts(&ids))?;
    Ok(ids
        .into_iter()
        .zip(counts)
        .map(|(user_id, (following, followers, mutual))| FollowInfo {
            user_id,
            following_count: following,
            followers_count: followers,
            mutual_followers_count: mutual,
        })
        .collect())
}

/// Recent checkFollowType calls per user, for the seed's 20 per 5 s limit.
fn check_calls() -> &'static Mutex<HashMap<String, VecDeque<Instant>>> {
    static CALLS: OnceLock<Mutex<HashMap<String, VecDeque<Instant>>>> = OnceLock::new();
    CALLS.get_or_init(Default::default)
}

/// Counts one checkFollowType call of `user`; false when it is over the limit (refused calls
/// do not count).
fn check_allowed(user: &str) -> bool {
    let window = Duration::from_secs(CHECK_WINDOW_SECS);
    let now = Instant::now();
    let mut calls = check_calls().lock().unwrap_or_else(|p| p.into_inner());
    // Forget idle users now and then so the map cannot grow with every user ever seen.
    if calls.len() > 1024 {
        calls.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
    }
    let q = calls.entry(user.to_owned()).or_default();
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
    if q.len() >= CHECK_RATE {
        return false;
    }
    q.push_back(now);
    true
}

/// Implements `checkFollowType`.
pub fn check(
    st: &AppState,
    c: &Caller,
    ids: Vec<String>,
) -> Result<Vec<FollowTypeResult>, ImError> {
    let ids = targets(&c.user_id, ids, MAX_CHECK, "checkFollowType", false)?;
    if !check_allowed(&c.user_id) {
        return Err(ImError::new(
            code::OVER_FREQUENCY_LIMIT,
            format!("checkFollowType is limited to {CHECK_RATE} calls per {CHECK_WINDOW_SECS} s"),
        ));
    }
    let types = st.db(|s| s.follow_types(&c.user_id, &ids))?;
    Ok(ids
        .into_iter()
        .zip(types)
        .map(|(user_id, follow_type)| FollowTypeResult {
            user_id,
            follow_type,
        })
        .collect())
}

/// Who a follow or unfollow actually changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FollowChange {
    /// Users newly followed / unfollowed, in request order.
    pub changed: Vec<String>,
    /// Those of them who follow the caller: the follow became / stopped being mutual.
    pub mutual: Vec<String>,
}

/// Result of [`FollowStore::follow`].
#[derive(Debug, Clone, PartialEq)]
pub enum FollowOutcome {
    /// Stored.
    Done(FollowChange),
    /// Nothing stored: it would exceed the limit.
    OverLimit {
        /// How many users the caller follows.
        following: usize,
        /// How many of the requested ones are new.
        new: usize,
    },
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait FollowStore {
    /// `me` follows `ids` (distinct, not `me`) at `time`, unless that would make more than
    /// `max` followings; one transaction.
    fn follow(
        &self,
        me: &str,
        ids: &[String],
        time: i64,
        max: usize,
    ) -> crate::store::Result<FollowOutcome>;
    /// `me` unfollows `ids` (distinct); one transaction.
    fn unfollow(&self, me: &str, ids: &[String]) -> crate::store::Result<FollowChange>;
    /// Up to `limit` users of `me`'s `list`, newest follow first, starting below cursor
    /// `before`; and the cursor of the next page when there is one.
    fn follow_page(
        &self,
        me: &str,
        list: FollowList,
        before: Option<i64>,
        limit: usize,
    ) -> crate::store::Result<(Vec<String>, Option<i64>)>;
    /// (following, followers, mutual) counts of each of `users`, in order.
    fn follow_counts(&self, users: &[String]) -> crate::store::Result<Vec<(u64, u64, u64)>>;
    /// The [`follow_type`] of each of `users` seen from `me`, in order.
    fn follow_types(&self, me: &str, users: &[String]) -> crate::store::Result<Vec<u8>>;
}

fn follows(conn: &impl Exec, from: &str, to: &str) -> crate::db::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM follows WHERE follower = ?1 AND followee = ?2",
        params![from, to],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
}

impl FollowStore for crate::store::SqliteStore {
    fn follow(
        &self,
        me: &str,
        ids: &[String],
        time: i64,
        max: usize,
    ) -> crate::store::Result<FollowOutcome> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let following: i64 = tx.query_row(
                "SELECT COUNT(*) FROM follows WHERE follower = ?1",
                params![me],
                |r| r.get(0),
            )?;
            let following = usize::try_from(following).unwrap_or(0);
            let mut fresh = Vec::new();
            for id in ids {
                if !follows(&tx, me, id)? {
                    fresh.push(id.clone());
                }
            }
            if following + fresh.len() > max {
                return Ok(FollowOutcome::OverLimit {
                    following,
                    new: fresh.len(),
                });
            }
            let mut mutual = Vec::new();
            for id in &fresh {
                tx.execute(
                    "INSERT INTO follows (follower, followee, time) VALUES (?1, ?2, ?3)",
                    params![me, id, time],
                )?;
                if follows(&tx, id, me)? {
                    mutual.push(id.clone());
                }
            }
            tx.commit()?;
            Ok(FollowOutcome::Done(FollowChange {
                changed: fresh,
                mutual,
            }))
        })
    }

    fn unfollow(&self, me: &str, ids: &[String]) -> crate::store::Result<FollowChange> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut change = FollowChange::default();
            for id in ids {
                let n = tx.execute(
                    "DELETE FROM follows WHERE follower = ?1 AND followee = ?2",
                    params![me, id],
                )?;
                if n > 0 {
                    change.changed.push(id.clone());
                    if follows(&tx, id, me)? {
                        change.mutual.push(id.clone());
                    }
                }
            }
            tx.commit()?;
            Ok(change)
        })
    }

    fn follow_page(
        &self,
        me: &str,
        list: FollowList,
        before: Option<i64>,
        limit: usize,
    ) -> crate::store::Result<(Vec<String>, Option<i64>)> {
        let sql = match list {
            FollowList::Followers => {
                "SELECT id, follower FROM follows WHERE followee = ?1 AND id < ?2
                 ORDER BY id DESC LIMIT ?3"
            }
            FollowList::Following => {
                "SELECT id, followee FROM follows WHERE follower = ?1 AND id < ?2
                 ORDER BY id DESC LIMIT ?3"
            }
            FollowList::Mutual => {
                "SELECT f.id, f.followee FROM follows f
                 JOIN follows g ON g.follower = f.followee AND g.followee = f.follower
                 WHERE f.follower = ?1 AND f.id < ?2 ORDER BY f.id DESC LIMIT ?3"
            }
        };
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            // One row more than asked tells whether another page follows.
            let take = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
            let rows = stmt
                .query_map(params![me, before.unwrap_or(i64::MAX), take], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<crate::db::Result<Vec<_>>>()?;
            let more = rows.len() > limit;
            let page: Vec<(i64, String)> = rows.into_iter().take(limit).collect();
            let next = if more {
                page.last().map(|(id, _)| *id)
            } else {
                None
            };
            Ok((page.into_iter().map(|(_, u)| u).collect(), next))
        })
    }

    fn follow_counts(&self, users: &[String]) -> crate::store::Result<Vec<(u64, u64, u64)>> {
        self.with(|conn| {
            let mut out = Vec::with_capacity(users.len());
            for u in users {
                let count = |sql: &str| -> crate::db::Result<u64> {
                    conn.query_row(sql, params![u], |r| r.get::<_, i64>(0))
                        .map(|n| u64::try_from(n).unwrap_or(0))
                };
                let following = count("SELECT COUNT(*) FROM follows WHERE follower = ?1")?;
                let followers = count("SELECT COUNT(*) FROM follows WHERE followee = ?1")?;
                let mutual = count(
                    "SELECT COUNT(*) FROM follows f
                     JOIN follows g ON g.follower = f.followee AND g.followee = f.follower
                     WHERE f.follower = ?1",
                )?;
                out.push((following, followers, mutual));
            }
            Ok(out)
        })
    }

    fn follow_types(&self, me: &str, users: &[String]) -> crate::store::Result<Vec<u8>> {
        self.with(|conn| {
            let mut out = Vec::with_capacity(users.len());
            for u in users {
                let mut t = follow_type::NONE;
                if follows(conn, u, me)? {
                    t |= follow_type::FOLLOWER;
                }
                if follows(conn, me, u)? {
                    t |= follow_type::FOLLOWING;
                }
                out.push(t);
            }
            Ok(out)
        })
    }
}
