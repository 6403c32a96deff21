//! Profiles and user status (issue 5): `getMyProfile`, `getUserProfile`, `updateMyProfile`,
//! `setSelfStatus`, `getUserStatus`, `subscribeUserStatus`, `unsubscribeUserStatus`, the
//! PROFILE_UPDATED and USER_STATUS_UPDATED events, the sender fields of outgoing messages, and
//! the online/offline transitions driven by the gateway's session hooks.

use crate::db::{params, Exec, OptionalExtension};
use crate::invalid;
use crate::reply_json as to_value;
use crate::{validate_user_id, AppState, Caller};
use pigeon_proto::error::code as core_code;
use pigeon_proto::profiles::{
    code, CustomField, GetMyProfile, GetUserProfile, GetUserStatus, GetUserStatusReply, Profile,
    SetSelfStatus, SubscribeUserStatus, SubscriptionReply, UnsubscribeUserStatus, UpdateMyProfile,
    UserFailure, UserStatus, ALLOW_TYPE_ALLOW_ANY, ALLOW_TYPE_DENY_ANY, ALLOW_TYPE_NEED_CONFIRM,
    EVENT_PROFILE_UPDATED, EVENT_USER_STATUS_UPDATED, FORBID_TYPE_NONE, FORBID_TYPE_SEND_OUT,
    GENDER_FEMALE, GENDER_MALE, GENDER_UNKNOWN, MAX_CUSTOM_STATUS_BYTES, MAX_CUSTOM_VALUE_BYTES,
    MAX_LOCATION_BYTES, MAX_PROFILE_BATCH, MAX_STATUS_QUERY, MAX_SUBSCRIBE_BATCH,
    MAX_SUBSCRIPTIONS, MAX_TEXT_FIELD_BYTES, USER_STATUS_OFFLINE, USER_STATUS_ONLINE,
    USER_STATUS_UNLOGINED,
};
use pigeon_proto::wire::Op;
use pigeon_proto::ImError;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

fn bad_profile(msg: impl Into<String>) -> ImError {
    ImError::new(code::UPDATE_PROFILE_INVALID_PARAM, msg)
}

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(
    st: &AppState,
    c: &Caller,
    op: &str,
    data: &Value,
) -> Option<Result<Value, ImError>> {
    let d = || data.clone();
    Some(match op {
        GetMyProfile::NAME => to_value(my_profile(st, c)),
        GetUserProfile::NAME => {
            to_value(GetUserProfile::parse(d()).and_then(|r| user_profiles(st, r)))
        }
        UpdateMyProfile::NAME => {
            to_value(UpdateMyProfile::parse(d()).and_then(|r| update_my_profile(st, c, r)))
        }
        SetSelfStatus::NAME => {
            to_value(SetSelfStatus::parse(d()).and_then(|r| set_self_status(st, c, r)))
        }
        GetUserStatus::NAME => to_value(GetUserStatus::parse(d()).and_then(|r| user_status(st, r))),
        SubscribeUserStatus::NAME => {
            to_value(SubscribeUserStatus::parse(d()).and_then(|r| subscribe(st, c, r)))
        }
        UnsubscribeUserStatus::NAME => {
            to_value(UnsubscribeUserStatus::parse(d()).and_then(|r| unsubscribe(st, c, r)))
        }
        _ => return None,
    })
}

/// The stored profiles of `ids` (defaults for users without one), custom fields limited to the
/// keys this server has registered, in the order asked.
pub fn profiles_of(st: &AppState, ids: &[String]) -> Result<Vec<Profile>, ImError> {
    let stored = st.db(|s| s.load_profiles(ids))?;
    let mut by_id: HashMap<String, Profile> =
        stored.into_iter().map(|p| (p.user_id.clone(), p)).collect();
    let registered = &st.config.profile_custom_fields;
    Ok(ids
        .iter()
        .map(|id| {
            let mut p = by_id.remove(id).unwrap_or_else(|| Profile::empty(id));
            p.profile_custom_field
                .retain(|f| registered.contains(&f.key));
            p
        })
        .collect())
}

fn one_profile(st: &AppState, user_id: &str) -> Result<Profile, ImError> {
    profiles_of(st, &[user_id.to_owned()])?
        .pop()
        .ok_or_else(|| {
            ImError::new(
                core_code::SERVER_INTERNAL,
                "profile lookup returned nothing",
            )
        })
}

/// Implements `getMyProfile`.
pub fn my_profile(st: &AppState, c: &Caller) -> Result<Profile, ImError> {
    one_profile(st, &c.user_id)
}

/// Implements `getUserProfile`: up to the first 100 users (the rest are dropped, as the seed
/// says); users who never set a profile get the default one.
pub fn user_profiles(st: &AppState, req: GetUserProfile) -> Result<Vec<Profile>, ImError> {
    if req.user_id_list.is_empty() {
        return Err(invalid("getUserProfile: userIDList must not be empty"));
    }
    let mut ids: Vec<String> = Vec::new();
    for id in req.user_id_list.into_iter().take(MAX_PROFILE_BATCH) {
        validate_user_id("userIDList item", &id)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    profiles_of(st, &ids)
}

/// The user's friend-request policy (`TYPES.ALLOW_TYPE_*`; NeedConfirm unless they set one).
pub fn allow_type(st: &AppState, user_id: &str) -> Result<String, ImError> {
    Ok(one_profile(st, user_id)?.allow_type)
}

fn check_text(name: &str, v: &Option<String>, max: usize) -> Result<(), ImError> {
    if let Some(s) = v {
        if s.len() > max {
            return Err(bad_profile(format!(
                "updateMyProfile: {name} is at most {max} bytes"
            )));
        }
    }
    Ok(())
}

fn check_enum(name: &str, v: &Option<String>, allowed: &[&str]) -> Result<(), ImError> {
    if let Some(s) = v {
        if !allowed.contains(&s.as_str()) {
            return Err(bad_profile(format!(
                "updateMyProfile: {name} must be one of {allowed:?}, not {s:?}"
            )));
        }
    }
    Ok(())
}

/// Checks an update against the seed's limits and the registered custom keys; nothing is
/// stored unless all of it is valid.
fn validate_update(st: &AppState, u: &UpdateMyProfile) -> Result<(), ImError> {
    if u.is_empty() {
        return Err(ImError::new(
            code::UPDATE_PROFILE_NO_KEY,
            "updateMyProfile: no profile field given",
        ));
    }
    check_text("nick", &u.nick, MAX_TEXT_FIELD_BYTES)?;
    check_text("avatar", &u.avatar, MAX_TEXT_FIELD_BYTES)?;
    check_text("selfSignature", &u.self_signature, MAX_TEXT_FIELD_BYTES)?;
    check_text("location", &u.location, MAX_LOCATION_BYTES)?;
    check_enum(
        "gender",
        &u.gender,
        &[GENDER_UNKNOWN, GENDER_FEMALE, GENDER_MALE],
    )?;
    check_enum(
        "allowType",
        &u.allow_type,
        &[
            ALLOW_TYPE_ALLOW_ANY,
            ALLOW_TYPE_NEED_CONFIRM,
            ALLOW_TYPE_DENY_ANY,
        ],
    )?;
    check_enum(
        "adminForbidType",
        &u.admin_forbid_type,
        &[FORBID_TYPE_NONE, FORBID_TYPE_SEND_OUT],
    )?;
    let mut seen = HashSet::new();
    for f in u.profile_custom_field.iter().flatten() {
        if !st.config.profile_custom_fields.contains(&f.key) {
            return Err(bad_profile(format!(
                "updateMyProfile: custom profile field {:?} is not registered on this server \
                 (profile_custom_fields)",
                f.key
            )));
        }
        if !seen.insert(f.key.as_str()) {
            return Err(bad_profile(format!(
                "updateMyProfile: custom profile field {:?} is given twice",
                f.key
            )));
        }
        let ok = match &f.value {
            Value::String(s) => s.len() <= MAX_CUSTOM_VALUE_BYTES,
            Value::Number(n) => n.is_i64() || n.is_u64(),
            _ => false,
        };
        if !ok {
            return Err(bad_profile(format!(
                "updateMyProfile: custom profile field {:?} takes a string of at most \
                 {MAX_CUSTOM_VALUE_BYTES} bytes or an integer",
                f.key
            )));
        }
    }
    Ok(())
}

/// Implements `updateMyProfile`: stores the given fields and announces the new profile with
/// PROFILE_UPDATED to the user's other sessions (the calling SDK emits it itself).
pub fn update_my_profile(
    st: &AppState,
    c: &Caller,
    req: UpdateMyProfile,
) -> Result<Profile, ImError> {
    validate_update(st, &req)?;
    st.db(|s| s.update_profile(&c.user_id, &req, crate::now()))?;
    let profile = one_profile(st, &c.user_id)?;
    let data = serde_json::json!([profile]);
    st.emit_to(
        &c.user_id,
        EVENT_PROFILE_UPDATED,
        data.clone(),
        Some(c.session),
    );
    // Friends hear of it too (seed: "own or friends' profile").
    for f in st.db(|s| s.friends(&c.user_id))? {
        st.emit_to(&f.friend_id, EVENT_PROFILE_UPDATED, data.clone(), None);
    }
    Ok(profile)
}

/// Fills the sender's display fields (nick, avatar) of an outgoing message from their profile.
pub fn decorate(st: &AppState, m: &mut pigeon_proto::model::Message) -> Result<(), ImError> {
    let p = one_profile(st, &m.from)?;
    m.nick = p.nick;
    m.avatar = p.avatar;
    Ok(())
}

/// The status of each of `ids` (all valid userIDs).
fn statuses(st: &AppState, ids: &[String]) -> Result<Vec<UserStatus>, ImError> {
    let rows: HashMap<String, String> = st.db(|s| s.status_rows(ids))?.into_iter().collect();
    let online = st.bus.online_among(ids);
    Ok(ids
        .iter()
        .map(|id| {
            let custom = rows.get(id);
            let status_type = if online.contains(id) {
                USER_STATUS_ONLINE
            } else if custom.is_some() {
                USER_STATUS_OFFLINE
            } else {
                USER_STATUS_UNLOGINED
            };
            UserStatus {
                user_id: id.clone(),
                status_type,
                custom_status: custom.cloned().unwrap_or_default(),
            }
        })
        .collect())
}

fn status_of(st: &AppState, id: &str) -> Result<UserStatus, ImError> {
    statuses(st, &[id.to_owned()])?
        .pop()
        .ok_or_else(|| ImError::new(core_code::SERVER_INTERNAL, "status lookup returned nothing"))
}

/// Sends `status` as USER_STATUS_UPDATED to every subscriber of its user.
fn notify_subscribers(st: &AppState, status: &UserStatus) -> Result<(), ImError> {
    let subscribers = st.db(|s| s.status_subscribers(&status.user_id))?;
    let data = serde_json::json!([status]);
    for sub in subscribers {
        st.emit_to(&sub, EVENT_USER_STATUS_UPDATED, data.clone(), None);
    }
    Ok(())
}

/// Implements `setSelfStatus`: stores the custom status; the user's other sessions and the
/// subscribers get USER_STATUS_UPDATED (the calling SDK emits it itself).
pub fn set_self_status(
    st: &AppState,
    c: &Caller,
    req: SetSelfStatus,
) -> Result<UserStatus, ImError> {
    if req.custom_status.len() > MAX_CUSTOM_STATUS_BYTES {
        return Err(invalid(format!(
            "setSelfStatus: customStatus is at most {MAX_CUSTOM_STATUS_BYTES} bytes"
        )));
    }
    st.db(|s| s.set_custom_status(&c.user_id, &req.custom_status, crate::now()))?;
    let status = status_of(st, &c.user_id)?;
    st.emit_to(
        &c.user_id,
        EVENT_USER_STATUS_UPDATED,
        serde_json::json!([status]),
        Some(c.session),
    );
    notify_subscribers(st, &status)?;
    Ok(status)
}

/// Splits a batch into valid, distinct userIDs and failures for malformed ones.
fn split_ids(list: Vec<String>) -> (Vec<String>, Vec<UserFailure>) {
    let mut ok: Vec<String> = Vec::new();
    let mut failed = Vec::new();
    for id in list {
        match validate_user_id("userID", &id) {
            Ok(()) => {
                if !ok.contains(&id) {
                    ok.push(id);
                }
            }
            Err(e) => failed.push(UserFailure {
                user_id: id,
                code: e.code,
                message: e.message,
            }),
        }
    }
    (ok, failed)
}

fn check_batch(method: &str, len: usize, max: usize) -> Result<(), ImError> {
    if len == 0 {
        return Err(invalid(format!("{method}: userIDList must not be empty")));
    }
    if len > max {
        return Err(invalid(format!(
            "{method}: userIDList takes at most {max} users"
        )));
    }
    Ok(())
}

/// Implements `getUserStatus`: ONLINE with a session, OFFLINE after one, UNLOGINED before any.
pub fn user_status(st: &AppState, req: GetUserStatus) -> Result<GetUserStatusReply, ImError> {
    check_batch("getUserStatus", req.user_id_list.len(), MAX_STATUS_QUERY)?;
    let (ids, failure_user_list) = split_ids(req.user_id_list);
    Ok(GetUserStatusReply {
        success_user_list: statuses(st, &ids)?,
        failure_user_list,
    })
}

/// Implements `subscribeUserStatus`: stored server-side, so it outlives the session; past
/// [`MAX_SUBSCRIPTIONS`] the earliest subscriptions are dropped.
pub fn subscribe(
    st: &AppState,
    c: &Caller,
    req: SubscribeUserStatus,
) -> Result<SubscriptionReply, ImError> {
    check_batch(
        "subscribeUserStatus",
        req.user_id_list.len(),
        MAX_SUBSCRIBE_BATCH,
    )?;
    let (ids, mut failure_user_list) = split_ids(req.user_id_list);
    let mut targets = Vec::new();
    for id in ids {
        if id == c.user_id {
            failure_user_list.push(UserFailure {
                user_id: id,
                code: core_code::SERVER_INVALID_PARAM,
                message: "cannot subscribe to your own status".into(),
            });
        } else {
            targets.push(id);
        }
    }
    st.db(|s| s.subscribe_status(&c.user_id, &targets, MAX_SUBSCRIPTIONS))?;
    Ok(SubscriptionReply { failure_user_list })
}

/// Implements `unsubscribeUserStatus`; no list or an empty one cancels every subscription.
pub fn unsubscribe(
    st: &AppState,
    c: &Caller,
    req: UnsubscribeUserStatus,
) -> Result<SubscriptionReply, ImError> {
    match req.user_id_list.filter(|l| !l.is_empty()) {
        None => {
            st.db(|s| s.unsubscribe_status(&c.user_id, None))?;
            Ok(SubscriptionReply::default())
        }
        Some(list) => {
            check_batch("unsubscribeUserStatus", list.len(), MAX_SUBSCRIBE_BATCH)?;
            let (ids, failure_user_list) = split_ids(list);
            st.db(|s| s.unsubscribe_status(&c.user_id, Some(&ids)))?;
            Ok(SubscriptionReply { failure_user_list })
        }
    }
}

/// Users announced online, per hub (one per server; unit tests may run several). Kept in
/// memory because sessions are: after a restart nobody is online and nothing is announced.
fn announced() -> &'static Mutex<HashMap<usize, HashSet<String>>> {
    static ANNOUNCED: OnceLock<Mutex<HashMap<usize, HashSet<String>>>> = OnceLock::new();
    ANNOUNCED.get_or_init(Default::default)
}

fn hub_key(st: &AppState) -> usize {
    std::sync::Arc::as_ptr(&st.hub) as usize
}

/// A session of `c.user_id` has logged in: remember that the user has logged in once
/// (OFFLINE rather than UNLOGINED from now on) and, if it is their first session, tell the
/// subscribers they are online. `first_anywhere` is the cluster bus's answer from the shared
/// presence; `None` (one node) decides from this node's sessions.
pub fn session_started(st: &AppState, c: &Caller, first_anywhere: Option<bool>) {
    if let Err(e) = st.db(|s| s.mark_logged_in(&c.user_id, crate::now())) {
        tracing::warn!(user = %c.user_id, error = %e, "could not record the login");
    }
    if let Some(first) = first_anywhere {
        if first {
            announce(st, &c.user_id);
        }
        return;
    }
    // The decision and the announcement happen under one lock, so a login racing a logout
    // cannot announce online and offline out of order.
    let mut all = announced().lock().unwrap_or_else(|p| p.into_inner());
    let set = all.entry(hub_key(st)).or_default();
    if set.insert(c.user_id.clone()) {
        announce(st, &c.user_id);
    }
}

/// A session of `c.user_id` has ended: when it was their last one, tell the subscribers they
/// are offline. `last_anywhere` is the cluster bus's answer from the shared presence; `None`
/// (one node) decides from this node's sessions.
pub fn session_ended(st: &AppState, c: &Caller, last_anywhere: Option<bool>) {
    if let Some(last) = last_anywhere {
        if last {
            announce(st, &c.user_id);
        }
        return;
    }
    let mut all = announced().lock().unwrap_or_else(|p| p.into_inner());
    let set = all.entry(hub_key(st)).or_default();
    if !st.bus.is_online(&c.user_id) && set.remove(&c.user_id) {
        announce(st, &c.user_id);
    }
}

fn announce(st: &AppState, user_id: &str) {
    let r = status_of(st, user_id).and_then(|s| notify_subscribers(st, &s));
    if let Err(e) = r {
        tracing::warn!(user = %user_id, error = %e, "could not announce a status change");
    }
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait ProfileStore {
    /// The stored profiles among `ids` (users without one are left out), with all their
    /// custom fields.
    fn load_profiles(&self, ids: &[String]) -> crate::store::Result<Vec<Profile>>;
    /// Applies the fields present in `u` to `user_id`'s profile (creating it) at `time`;
    /// custom fields with an empty string value are removed.
    fn update_profile(
        &self,
        user_id: &str,
        u: &UpdateMyProfile,
        time: u64,
    ) -> crate::store::Result<()>;
    /// Records that `user_id` logged in at `time`.
    fn mark_logged_in(&self, user_id: &str, time: u64) -> crate::store::Result<()>;
    /// Sets `user_id`'s custom status.
    fn set_custom_status(&self, user_id: &str, status: &str, time: u64)
        -> crate::store::Result<()>;
    /// `(userID, customStatus)` of each of `ids` that ever logged in or set a status.
    fn status_rows(&self, ids: &[String]) -> crate::store::Result<Vec<(String, String)>>;
    /// Adds subscriptions of `subscriber` to `targets`, keeping only the newest `max`.
    fn subscribe_status(
        &self,
        subscriber: &str,
        targets: &[String],
        max: usize,
    ) -> crate::store::Result<()>;
    /// Removes subscriptions of `subscriber` to `targets` (all when None).
    fn unsubscribe_status(
        &self,
        subscriber: &str,
        targets: Option<&[String]>,
    ) -> crate::store::Result<()>;
    /// Who subscribed to `target`'s status.
    fn status_subscribers(&self, target: &str) -> crate::store::Result<Vec<String>>;
}

const PROFILE_COLUMNS: &str = "user_id, nick, gender, birthday, location, self_signature, \
     allow_type, language, avatar, message_settings, admin_forbid_type, level, role, last_updated";

impl ProfileStore for crate::store::SqliteStore {
    fn load_profiles(&self, ids: &[String]) -> crate::store::Result<Vec<Profile>> {
        self.with(|conn| {
            let mut one = conn.prepare_cached(&format!(
                "SELECT {PROFILE_COLUMNS} FROM profiles WHERE user_id = ?1"
            ))?;
            let mut fields = conn.prepare_cached(
                "SELECT key, value FROM profile_custom_fields WHERE user_id = ?1 ORDER BY key",
            )?;
            let mut out = Vec::new();
            for id in ids {
                let p = one
                    .query_row(params![id], |r| {
                        Ok(Profile {
                            user_id: r.get(0)?,
                            nick: r.get(1)?,
                            gender: r.get(2)?,
                            birthday: r.get(3)?,
                            location: r.get(4)?,
                            self_signature: r.get(5)?,
                            allow_type: r.get(6)?,
                            language: r.get(7)?,
                            avatar: r.get(8)?,
                            message_settings: r.get(9)?,
                            admin_forbid_type: r.get(10)?,
                            level: r.get(11)?,
                            role: r.get(12)?,
                            last_updated_number: r.get(13)?,
                            profile_custom_field: Vec::new(),
                        })
                    })
                    .optional()?;
                let Some(mut p) = p else { continue };
                let rows = fields.query_map(params![id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?;
                for row in rows {
                    let (key, value) = row?;
                    p.profile_custom_field.push(CustomField {
                        key,
                        value: serde_json::from_str(&value)?,
                    });
                }
                out.push(p);
            }
            Ok(out)
        })
    }

    fn update_profile(
        &self,
        user_id: &str,
        u: &UpdateMyProfile,
        time: u64,
    ) -> crate::store::Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO profiles (user_id) VALUES (?1) ON CONFLICT (user_id) DO NOTHING",
                params![user_id],
            )?;
            // Column names are fixed here, never taken from input.
            let texts: [(&str, &Option<String>); 7] = [
                ("nick", &u.nick),
                ("gender", &u.gender),
                ("location", &u.location),
                ("self_signature", &u.self_signature),
                ("allow_type", &u.allow_type),
                ("avatar", &u.avatar),
                ("admin_forbid_type", &u.admin_forbid_type),
            ];
            for (col, v) in texts {
                if let Some(v) = v {
                    tx.execute(
                        &format!("UPDATE profiles SET {col} = ?2 WHERE user_id = ?1"),
                        params![user_id, v],
                    )?;
                }
            }
            let numbers: [(&str, Option<u32>); 5] = [
                ("birthday", u.birthday),
                ("language", u.language),
                ("message_settings", u.message_settings),
                ("level", u.level),
                ("role", u.role),
            ];
            for (col, v) in numbers {
                if let Some(v) = v {
                    tx.execute(
                        &format!("UPDATE profiles SET {col} = ?2 WHERE user_id = ?1"),
                        params![user_id, v],
                    )?;
                }
            }
            for f in u.profile_custom_field.iter().flatten() {
                if f.value.as_str() == Some("") {
                    tx.execute(
                        "DELETE FROM profile_custom_fields WHERE user_id = ?1 AND key = ?2",
                        params![user_id, f.key],
                    )?;
                } else {
                    tx.execute(
                        "INSERT INTO profile_custom_fields (user_id, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
                        params![user_id, f.key, serde_json::to_string(&f.value)?],
                    )?;
                }
            }
            tx.execute(
                "UPDATE profiles SET last_updated = ?2 WHERE user_id = ?1",
                params![user_id, time],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn mark_logged_in(&self, user_id: &str, time: u64) -> crate::store::Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO user_status (user_id, last_login) VALUES (?1, ?2)
                 ON CONFLICT (user_id) DO UPDATE SET last_login = excluded.last_login",
                params![user_id, time],
            )?;
            Ok(())
        })
    }

    fn set_custom_status(
        &self,
        user_id: &str,
        status: &str,
        time: u64,
    ) -> crate::store::Result<()> {
        self.with(|conn| {
            // Only a logged-in user sets a status, so the row normally exists; the insert
            // covers a store that lost it.
            conn.execute(
                "INSERT INTO user_status (user_id, custom_status, last_login) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id) DO UPDATE SET custom_status = excluded.custom_status",
                params![user_id, status, time],
            )?;
            Ok(())
        })
    }

    fn status_rows(&self, ids: &[String]) -> crate::store::Result<Vec<(String, String)>> {
        self.with(|conn| {
            let mut q =
                conn.prepare_cached("SELECT custom_status FROM user_status WHERE user_id = ?1")?;
            let mut out = Vec::new();
            for id in ids {
                if let Some(s) = q
                    .query_row(params![id], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    out.push((id.clone(), s));
                }
            }
            Ok(out)
        })
    }

    fn subscribe_status(
        &self,
        subscriber: &str,
        targets: &[String],
        max: usize,
    ) -> crate::store::Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM status_subscriptions WHERE subscriber = ?1",
                params![subscriber],
                |r| r.get(0),
            )?;
            for t in targets {
                next += 1;
                tx.execute(
                    "INSERT INTO status_subscriptions (subscriber, target, seq) VALUES (?1, ?2, ?3)
                     ON CONFLICT (subscriber, target) DO UPDATE SET seq = excluded.seq",
                    params![subscriber, t, next],
                )?;
            }
            tx.execute(
                "DELETE FROM status_subscriptions WHERE subscriber = ?1 AND seq NOT IN
                   (SELECT seq FROM status_subscriptions WHERE subscriber = ?1
                    ORDER BY seq DESC LIMIT ?2)",
                params![subscriber, max as i64],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn unsubscribe_status(
        &self,
        subscriber: &str,
        targets: Option<&[String]>,
    ) -> crate::store::Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            match targets {
                None => {
                    tx.execute(
                        "DELETE FROM status_subscriptions WHERE subscriber = ?1",
                        params![subscriber],
                    )?;
                }
                Some(list) => {
                    for t in list {
                        tx.execute(
                            "DELETE FROM status_subscriptions WHERE subscriber = ?1 AND target = ?2",
                            params![subscriber, t],
                        )?;
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn status_subscribers(&self, target: &str) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut q = conn.prepare_cached(
                "SELECT subscriber FROM status_subscriptions WHERE target = ?1 ORDER BY subscriber",
            )?;
            let rows = q.query_map(params![target], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
