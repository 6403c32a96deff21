//! Friends, friend applications, friend groups and the blacklist, and the C2C send rules they
//! make (blocked senders, the optional friend check).
//!
//! Every change is pushed whole to each user it touches, on all their sessions: the friend list,
//! the application list with its unread count, the friend groups or the blacklist, so an SDK
//! never merges deltas.

use crate::db::{params, Exec, OptionalExtension};
use crate::invalid;
use crate::{now, validate_user_id, AppState, Caller};
use pigeon_proto::error::code as core_code;
use pigeon_proto::relations::{
    code, event, types, AcceptFriendApplication, AddFriend, AddFriendReply, AddToBlacklist,
    AddToFriendGroup, CheckFriend, CheckFriendReply, CheckResult, CreateFriendGroup, DeleteFriend,
    DeleteFriendApplication, DeleteFriendGroup, Friend, FriendApplication, FriendApplicationList,
    FriendCustomField, FriendGroup, FriendGroupReply, FriendGroupUsers, FriendProfileReply,
    GetBlacklist, GetFriendApplicationList, GetFriendGroupList, GetFriendList, GetFriendProfile,
    RefuseFriendApplication, RemoveFromBlacklist, RemoveFromFriendGroup, RenameFriendGroup,
    SetFriendApplicationRead, UpdateFriend, UserResults,
};
use pigeon_proto::wire::{Empty, Op, UserFailure, UserRef};
use pigeon_proto::ImError;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

type Result<T, E = ImError> = std::result::Result<T, E>;

/// Longest remark (seed).
const MAX_REMARK: usize = 96;
/// Longest addFriend wording (seed).
const MAX_WORDING: usize = 256;
/// Longest friend group name (seed, addFriend groupName).
const MAX_GROUP_NAME: usize = 30;
/// Longest `AddSource_Type_` keyword, letters only (seed).
const MAX_SOURCE_KEYWORD: usize = 8;
/// Prefix of every addFriend source (seed).
const SOURCE_PREFIX: &str = "AddSource_Type_";
/// Prefix of every friend custom field key (seed).
const CUSTOM_PREFIX: &str = "Tag_SNS_Custom_";
/// Longest custom field key (Pigeon).
const MAX_CUSTOM_KEY: usize = 64;
/// Longest custom field value (Pigeon).
const MAX_CUSTOM_VALUE: usize = 512;
/// Most custom fields on one friend (Pigeon).
const MAX_CUSTOM_FIELDS: usize = 20;
/// Most users one deleteFriend or getFriendProfile takes (seed, deleteFriend).
const MAX_DELETE: usize = 100;
/// Most users one checkFriend, friend group or blacklist call takes (seed, checkFriend and
/// blacklist calls).
const MAX_BATCH: usize = 1000;
/// Most friend groups per user (Pigeon).
const MAX_FRIEND_GROUPS: usize = 50;
/// Most users on one blacklist (seed, fixed).
const MAX_BLACKLIST: usize = 1000;

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(st: &AppState, c: &Caller, op: &str, data: &Value) -> Option<Result<Value>> {
    fn run<O: Op>(data: &Value, f: impl FnOnce(O) -> Result<O::Reply>) -> Result<Value> {
        let reply = f(O::parse(data.clone())?)?;
        serde_json::to_value(reply)
            .map_err(|e| ImError::new(core_code::SERVER_INTERNAL, e.to_string()))
    }
    Some(match op {
        GetFriendList::NAME => run(data, |_: GetFriendList| friend_list(st, &c.user_id)),
        AddFriend::NAME => run(data, |r| add_friend(st, c, r)),
        DeleteFriend::NAME => run(data, |r| delete_friend(st, c, r)),
        CheckFriend::NAME => run(data, |r| check_friend(st, c, r)),
        GetFriendProfile::NAME => run(data, |r| friend_profile(st, c, r)),
        UpdateFriend::NAME => run(data, |r| update_friend(st, c, r)),
        GetFriendApplicationList::NAME => run(data, |_: GetFriendApplicationList| {
            applications(st, &c.user_id)
        }),
        AcceptFriendApplication::NAME => run(data, |r| accept_application(st, c, r)),
        RefuseFriendApplication::NAME => run(data, |r| refuse_application(st, c, r)),
        DeleteFriendApplication::NAME => run(data, |r| delete_application(st, c, r)),
        SetFriendApplicationRead::NAME => run(data, |_: SetFriendApplicationRead| {
            set_applications_read(st, c)
        }),
        GetFriendGroupList::NAME => {
            run(data, |_: GetFriendGroupList| friend_groups(st, &c.user_id))
        }
        CreateFriendGroup::NAME => run(data, |r| create_friend_group(st, c, r)),
        DeleteFriendGroup::NAME => run(data, |r| delete_friend_group(st, c, r)),
        AddToFriendGroup::NAME => run(data, |r: AddToFriendGroup| {
            change_friend_group(st, c, r.0, true)
        }),
        RemoveFromFriendGroup::NAME => run(data, |r: RemoveFromFriendGroup| {
            change_friend_group(st, c, r.0, false)
        }),
        RenameFriendGroup::NAME => run(data, |r| rename_friend_group(st, c, r)),
        GetBlacklist::NAME => run(data, |_: GetBlacklist| blacklist(st, &c.user_id)),
        AddToBlacklist::NAME => run(data, |r| add_to_blacklist(st, c, r)),
        RemoveFromBlacklist::NAME => run(data, |r| remove_from_blacklist(st, c, r)),
        _ => return None,
    })
}

/// Whether `from` may send a C2C message to `to`: not blocked by `to` (20007), and friends
/// when the server's friend check is on (20009 neither way, 20010 `to` lacks `from`, 20011
/// `from` lacks `to`).
pub fn check_c2c_allowed(st: &AppState, from: &str, to: &str) -> Result<()> {
    if from == to {
        return Ok(());
    }
    if st.db(|s| s.blocks(to, from))? {
        return Err(ImError::new(
            code::BLOCKED_BY_PEER,
            format!("{to} has blocked you: the message was not sent"),
        ));
    }
    if !st.config.friend_check {
        return Ok(());
    }
    let mine = st.db(|s| s.friend(from, to))?.is_some();
    let theirs = st.db(|s| s.friend(to, from))?.is_some();
    match (mine, theirs) {
        (true, true) => Ok(()),
        (false, false) => Err(ImError::new(
            code::NOT_FRIENDS,
            format!("you and {to} are not friends: the message was not sent"),
        )),
        (true, false) => Err(ImError::new(
            code::NOT_FRIEND_OF_PEER,
            format!("you are not in {to}'s friend list: the message was not sent"),
        )),
        (false, true) => Err(ImError::new(
            code::PEER_NOT_MY_FRIEND,
            format!("{to} is not in your friend list: the message was not sent"),
        )),
    }
}

fn not_my_friend(user_id: &str) -> ImError {
    ImError::new(
        code::NOT_MY_FRIEND,
        format!("{user_id} is not in your friend list"),
    )
}

fn failure(user_id: &str, e: ImError) -> UserFailure {
    UserFailure {
        user_id: user_id.to_owned(),
        code: e.code,
        message: e.message,
    }
}

fn check_len(what: &str, s: &str, max: usize) -> Result<()> {
    if s.len() > max {
        return Err(invalid(format!("{what} is at most {max} bytes")));
    }
    Ok(())
}

fn check_group_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_GROUP_NAME || name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} must be 1 to {MAX_GROUP_NAME} bytes without control characters"
        )));
    }
    Ok(())
}

/// A `userIDList` of 1 to `max` users, without repeats, each a valid userID.
fn check_list(op: &str, list: &[String], max: usize) -> Result<Vec<String>> {
    if list.is_empty() || list.len() > max {
        return Err(invalid(format!(
            "{op}: userIDList must hold 1 to {max} users"
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for id in list {
        validate_user_id("userIDList item", id)?;
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// Whether an optional `type` asks for both ways: absent or `both` yes, `single` no.
fn both_ways(op: &str, kind: Option<&str>, both: &str, single: &str) -> Result<bool> {
    match kind {
        None => Ok(true),
        Some(k) if k == both => Ok(true),
        Some(k) if k == single => Ok(false),
        Some(other) => Err(invalid(format!(
            "{op}: type must be {both} or {single}, not {other:?}"
        ))),
    }
}

/// Users whose lists changed during one call; [`Changed::send`] pushes each list once.
#[derive(Default)]
struct Changed {
    blacklist: BTreeSet<String>,
    applications: BTreeSet<String>,
    friends: BTreeSet<String>,
    groups: BTreeSet<String>,
}

impl Changed {
    /// A friend list entry of `owner` appeared or went; `in_groups` when it was in a group.
    fn friend(&mut self, owner: &str, in_groups: bool) {
        self.friends.insert(owner.to_owned());
        if in_groups {
            self.groups.insert(owner.to_owned());
        }
    }

    fn applications(&mut self, a: &str, b: &str) {
        self.applications.insert(a.to_owned());
        self.applications.insert(b.to_owned());
    }

    /// Pushes every changed list to all sessions of its user. The change is already stored,
    /// so a failed read here is logged rather than failing the call.
    fn send(self, st: &AppState) {
        let emit = |name: &str, user: &str, data: Result<Value>| match data {
            Ok(data) => st.emit_to(user, name, data, None),
            Err(e) => tracing::error!(error = %e, user, name, "relation event not sent"),
        };
        for u in &self.blacklist {
            emit(
                event::BLACKLIST_UPDATED,
                u,
                blacklist(st, u).map(|l| json!(l)),
            );
        }
        for u in &self.applications {
            let data = applications(st, u).map(|l| json!(l));
            emit(event::FRIEND_APPLICATION_LIST_UPDATED, u, data);
        }
        for u in &self.friends {
            emit(
                event::FRIEND_LIST_UPDATED,
                u,
                friend_list(st, u).map(|l| json!(l)),
            );
        }
        for u in &self.groups {
            let data = friend_groups(st, u).map(|l| json!(l));
            emit(event::FRIEND_GROUP_LIST_UPDATED, u, data);
        }
    }
}

/// Profiles of `ids` by userID, as JSON.
fn profiles(st: &AppState, ids: &[String]) -> Result<HashMap<String, Value>> {
    let list = crate::profiles::profiles_of(st, ids)?;
    Ok(list
        .into_iter()
        .map(|p| {
            let v = serde_json::to_value(&p).unwrap_or_else(|_| json!({"userID": p.user_id}));
            (p.user_id, v)
        })
        .collect())
}

fn friends_view(st: &AppState, rows: Vec<FriendRow>) -> Result<Vec<Friend>> {
    let ids: Vec<String> = rows.iter().map(|r| r.friend_id.clone()).collect();
    let mut profiles = profiles(st, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| Friend {
            profile: profiles
                .remove(&r.friend_id)
                .unwrap_or_else(|| json!({"userID": r.friend_id, "nick": "", "avatar": ""})),
            user_id: r.friend_id,
            remark: r.remark,
            group_list: r.groups,
            source: r.source,
            wording: r.wording,
            friend_custom_field: r.custom,
        })
        .collect())
}

/// Implements `getFriendList`: oldest friend first.
pub fn friend_list(st: &AppState, user_id: &str) -> Result<Vec<Friend>> {
    let rows = st.db(|s| s.friends(user_id))?;
    friends_view(st, rows)
}

fn check_source(source: &str) -> Result<()> {
    let keyword = source.strip_prefix(SOURCE_PREFIX).unwrap_or_default();
    if keyword.is_empty()
        || keyword.len() > MAX_SOURCE_KEYWORD
        || !keyword.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return Err(invalid(format!(
            "addFriend: source must be {SOURCE_PREFIX} followed by 1 to {MAX_SOURCE_KEYWORD} \
             English letters, e.g. AddSource_Type_Web"
        )));
    }
    Ok(())
}

/// What `addFriend` does for a target with this `allowType`.
#[derive(Debug, PartialEq, Eq)]
enum AddOutcome {
    /// Friends at once.
    Direct,
    /// An application waits for the target.
    Application,
    /// Refused.
    Denied,
}

fn add_outcome(allow_type: &str) -> AddOutcome {
    match allow_type {
        types::ALLOW_TYPE_ALLOW_ANY => AddOutcome::Direct,
        types::ALLOW_TYPE_DENY_ANY => AddOutcome::Denied,
        // NeedConfirm, and the default for anything the profile does not say.
        _ => AddOutcome::Application,
    }
}

/// Refuses a friend request between users when either has blocked the other.
pub(crate) fn check_not_blocked(st: &AppState, me: &str, other: &str) -> Result<()> {
    if st.db(|s| s.blocks(me, other))? {
        return Err(ImError::new(
            code::PEER_IN_MY_BLACKLIST,
            format!("{other} is in your blacklist: remove them from it first"),
        ));
    }
    if st.db(|s| s.blocks(other, me))? {
        return Err(ImError::new(
            code::IN_PEER_BLACKLIST,
            format!("{other} has blocked you"),
        ));
    }
    Ok(())
}

/// Implements `addFriend`: friends at once when the target allows anyone, an application when
/// they confirm (reply code 30539), refused when they deny everyone.
pub fn add_friend(st: &AppState, c: &Caller, req: AddFriend) -> Result<AddFriendReply> {
    let me = c.user_id.as_str();
    validate_user_id("to", &req.to)?;
    let to = req.to.as_str();
    if to == me {
        return Err(invalid("addFriend: you cannot add yourself as a friend"));
    }
    check_source(&req.source)?;
    check_len("addFriend: wording", &req.wording, MAX_WORDING)?;
    check_len("addFriend: remark", &req.remark, MAX_REMARK)?;
    if !req.group_name.is_empty() {
        check_group_name("addFriend: groupName", &req.group_name)?;
    }
    let both = both_ways(
        "addFriend",
        req.kind.as_deref(),
        types::SNS_ADD_TYPE_BOTH,
        types::SNS_ADD_TYPE_SINGLE,
    )?;
    check_not_blocked(st, me, to)?;
    let mine = st.db(|s| s.friend(me, to))?.is_some();
    let theirs = st.db(|s| s.friend(to, me))?.is_some();
    if mine && (theirs || !both) {
        return Err(ImError::new(
            code::ALREADY_MY_FRIEND,
            format!("{to} is already in your friend list"),
        ));
    }
    let groups: Vec<String> = Some(req.group_name.clone())
        .filter(|g| !g.is_empty())
        .into_iter()
        .collect();
    let mut changed = Changed::default();
    let reply = match add_outcome(&crate::profiles::allow_type(st, to)?) {
        AddOutcome::Denied => {
            return Err(ImError::new(
                code::PEER_DENIES_ANY,
                format!("{to} does not accept friend requests"),
            ))
        }
        AddOutcome::Direct => {
            let time = now();
            let mut rows = vec![FriendRow {
                owner: me.to_owned(),
                friend_id: to.to_owned(),
                remark: req.remark,
                source: req.source.clone(),
                wording: req.wording.clone(),
                custom: vec![],
                added: time,
                groups,
            }];
            if both {
                rows.push(FriendRow {
                    owner: to.to_owned(),
                    friend_id: me.to_owned(),
                    source: req.source,
                    wording: req.wording,
                    added: time,
                    ..Default::default()
                });
            }
            let (added, answered) = st.db(|s| s.add_friends(&rows, Some((me, to))))?;
            crate::webhooks::friends_added(st, c, &new_pairs(&rows, &added), me, "friend_add");
            for (row, new) in rows.iter().zip(added) {
                if new {
                    changed.friend(&row.owner, !row.groups.is_empty());
                }
            }
            if answered {
                changed.applications(me, to);
            }
            AddFriendReply {
                user_id: to.to_owned(),
                code: 0,
                message: format!("{to} is now in your friend list"),
            }
        }
        AddOutcome::Application => {
            let group_name = groups.into_iter().next().unwrap_or_default();
            st.db(|s| {
                s.put_application(&ApplicationRow {
                    from_id: me.to_owned(),
                    to_id: to.to_owned(),
                    source: req.source,
                    wording: req.wording,
                    remark: req.remark,
                    group_name,
                    time: now(),
                    unread: true,
                })
            })?;
            changed.applications(me, to);
            AddFriendReply {
                user_id: to.to_owned(),
                code: code::APPLICATION_PENDING,
                message: format!("{to} must confirm: a friend application was sent"),
            }
        }
    };
    changed.send(st);
    Ok(reply)
}

/// Adds friend rows directly, without asking the other side (the REST API's friend_import
/// and forced friend_add), with the same list events as `addFriend`; returns which were new.
pub fn import_friends(st: &AppState, rows: &[FriendRow]) -> Result<Vec<bool>> {
    let (added, _) = st.db(|s| s.add_friends(rows, None))?;
    let mut changed = Changed::default();
    for (row, new) in rows.iter().zip(&added) {
        if *new {
            changed.friend(&row.owner, !row.groups.is_empty());
        }
    }
    changed.send(st);
    Ok(added)
}

/// Implements `deleteFriend`: one-way or (the default) both ways.
pub fn delete_friend(st: &AppState, c: &Caller, req: DeleteFriend) -> Result<UserResults> {
    let me = c.user_id.as_str();
    let both = both_ways(
        "deleteFriend",
        req.kind.as_deref(),
        types::SNS_DELETE_TYPE_BOTH,
        types::SNS_DELETE_TYPE_SINGLE,
    )?;
    let ids = check_list("deleteFriend", &req.user_id_list, MAX_DELETE)?;
    let mut reply = UserResults::default();
    let mut changed = Changed::default();
    let mut deleted = Vec::new();
    for id in ids {
        let mut sides = vec![(me.to_owned(), id.clone())];
        if both && id != me {
            sides.push((id.clone(), me.to_owned()));
        }
        let mut any = false;
        for (owner, friend) in sides {
            if let Some(row) = st.db(|s| s.friend(&owner, &friend))? {
                if st.db(|s| s.delete_friend(&owner, &friend))? {
                    changed.friend(&owner, !row.groups.is_empty());
                    any = true;
                    deleted.push((owner, friend));
                }
            }
        }
        if any {
            reply.success_user_id_list.push(UserRef { user_id: id });
        } else {
            reply
                .failure_user_id_list
                .push(failure(&id, not_my_friend(&id)));
        }
    }
    changed.send(st);
    crate::webhooks::friends_deleted(st, c, &deleted);
    Ok(reply)
}

/// The `(owner, friend)` pairs of the rows that were new (for the friend-add webhook).
fn new_pairs(rows: &[FriendRow], added: &[bool]) -> Vec<(String, String)> {
    rows.iter()
        .zip(added)
        .filter(|(_, new)| **new)
        .map(|(r, _)| (r.owner.clone(), r.friend_id.clone()))
        .collect()
}

/// Implements `checkFriend`.
pub fn check_friend(st: &AppState, c: &Caller, req: CheckFriend) -> Result<CheckFriendReply> {
    let me = c.user_id.as_str();
    let both = both_ways(
        "checkFriend",
        req.kind.as_deref(),
        types::SNS_CHECK_TYPE_BOTH,
        types::SNS_CHECK_TYPE_SINGLE,
    )?;
    if req.user_id_list.is_empty() || req.user_id_list.len() > MAX_BATCH {
        return Err(invalid(format!(
            "checkFriend: userIDList must hold 1 to {MAX_BATCH} users"
        )));
    }
    let mine: BTreeSet<String> = st
        .db(|s| s.friends(me))?
        .into_iter()
        .map(|r| r.friend_id)
        .collect();
    let mut reply = CheckFriendReply::default();
    for id in req.user_id_list {
        if let Err(e) = validate_user_id("userID", &id) {
            reply.failure_user_id_list.push(failure(&id, e));
            continue;
        }
        let a_with_b = mine.contains(&id);
        let relation = if both {
            let b_with_a = st.db(|s| s.friend(&id, me))?.is_some();
            match (a_with_b, b_with_a) {
                (true, true) => types::SNS_TYPE_BOTH_WAY,
                (true, false) => types::SNS_TYPE_A_WITH_B,
                (false, true) => types::SNS_TYPE_B_WITH_A,
                (false, false) => types::SNS_TYPE_NO_RELATION,
            }
        } else if a_with_b {
            types::SNS_TYPE_A_WITH_B
        } else {
            types::SNS_TYPE_NO_RELATION
        };
        reply.success_user_id_list.push(CheckResult {
            user_id: id,
            code: 0,
            relation: relation.to_owned(),
        });
    }
    Ok(reply)
}

/// Implements `getFriendProfile`.
pub fn friend_profile(
    st: &AppState,
    c: &Caller,
    req: GetFriendProfile,
) -> Result<FriendProfileReply> {
    let ids = check_list("getFriendProfile", &req.0.user_id_list, MAX_DELETE)?;
    let mut rows = Vec::new();
    let mut reply = FriendProfileReply::default();
    for id in ids {
        match st.db(|s| s.friend(&c.user_id, &id))? {
            Some(row) => rows.push(row),
            None => reply
                .failure_user_id_list
                .push(failure(&id, not_my_friend(&id))),
        }
    }
    reply.friend_list = friends_view(st, rows)?;
    Ok(reply)
}

/// Implements `updateFriend`: the remark and `Tag_SNS_Custom_*` fields of one friend.
pub fn update_friend(st: &AppState, c: &Caller, req: UpdateFriend) -> Result<Friend> {
    validate_user_id("userID", &req.user_id)?;
    if req.remark.is_none() && req.friend_custom_field.is_none() {
        return Err(invalid(
            "updateFriend: give remark, friendCustomField or both",
        ));
    }
    let mut row = st
        .db(|s| s.friend(&c.user_id, &req.user_id))?
        .ok_or_else(|| not_my_friend(&req.user_id))?;
    if let Some(remark) = req.remark {
        check_len("updateFriend: remark", &remark, MAX_REMARK)?;
        row.remark = remark;
    }
    for f in req.friend_custom_field.unwrap_or_default() {
        let name = f.key.strip_prefix(CUSTOM_PREFIX).unwrap_or_default();
        if name.is_empty() || f.key.len() > MAX_CUSTOM_KEY {
            return Err(invalid(format!(
                "updateFriend: a friendCustomField key is {CUSTOM_PREFIX} and a name, at most \
                 {MAX_CUSTOM_KEY} bytes in all, not {:?}",
                f.key
            )));
        }
        check_len(
            "updateFriend: a friendCustomField value",
            &f.value,
            MAX_CUSTOM_VALUE,
        )?;
        match row.custom.iter_mut().find(|x| x.key == f.key) {
            Some(x) => x.value = f.value,
            None => row.custom.push(f),
        }
    }
    if row.custom.len() > MAX_CUSTOM_FIELDS {
        return Err(invalid(format!(
            "updateFriend: a friend has at most {MAX_CUSTOM_FIELDS} custom fields"
        )));
    }
    st.db(|s| s.update_friend(&row))?;
    let mut changed = Changed::default();
    changed.friend(&c.user_id, false);
    changed.send(st);
    friends_view(st, vec![row])?
        .pop()
        .ok_or_else(|| ImError::new(core_code::SERVER_INTERNAL, "friend view is empty"))
}

/// Implements `getFriendApplicationList`: applications to and by the user, newest first.
pub fn applications(st: &AppState, user_id: &str) -> Result<FriendApplicationList> {
    let rows = st.db(|s| s.applications(user_id))?;
    let others: Vec<String> = rows
        .iter()
        .map(|r| {
            if r.to_id == user_id {
                r.from_id.clone()
            } else {
                r.to_id.clone()
            }
        })
        .collect();
    let profiles = profiles(st, &others)?;
    let mut out = FriendApplicationList::default();
    for (r, other) in rows.into_iter().zip(others) {
        let to_me = r.to_id == user_id;
        if to_me && r.unread {
            out.unread_count += 1;
        }
        let p = profiles.get(&other);
        let text = |k: &str| p.and_then(|p| p[k].as_str()).unwrap_or_default().to_owned();
        out.friend_application_list.push(FriendApplication {
            nick: text("nick"),
            avatar: text("avatar"),
            user_id: other,
            time: r.time,
            source: r.source,
            wording: r.wording,
            kind: if to_me {
                types::SNS_APPLICATION_SENT_TO_ME
            } else {
                types::SNS_APPLICATION_SENT_BY_ME
            }
            .to_owned(),
        });
    }
    Ok(out)
}

fn application_missing(from: &str, to: &str) -> ImError {
    ImError::new(
        code::FRIEND_APPLICATION_NOT_EXIST,
        format!("there is no friend application from {from} to {to}"),
    )
}

/// Implements `acceptFriendApplication`: the applicant's list gains the caller; with
/// AgreeAndAdd the caller's list gains the applicant too.
pub fn accept_application(
    st: &AppState,
    c: &Caller,
    req: AcceptFriendApplication,
) -> Result<UserRef> {
    let me = c.user_id.as_str();
    validate_user_id("userID", &req.user_id)?;
    let add_back = match req.kind.as_str() {
        types::SNS_APPLICATION_AGREE => false,
        types::SNS_APPLICATION_AGREE_AND_ADD => true,
        other => {
            return Err(invalid(format!(
                "acceptFriendApplication: type must be {} or {}, not {other:?}",
                types::SNS_APPLICATION_AGREE,
                types::SNS_APPLICATION_AGREE_AND_ADD
            )))
        }
    };
    check_len("acceptFriendApplication: remark", &req.remark, MAX_REMARK)?;
    let app = st
        .db(|s| s.application(&req.user_id, me))?
        .ok_or_else(|| application_missing(&req.user_id, me))?;
    let time = now();
    let mut rows = vec![FriendRow {
        owner: app.from_id.clone(),
        friend_id: me.to_owned(),
        remark: app.remark,
        source: app.source.clone(),
        wording: app.wording.clone(),
        custom: vec![],
        added: time,
        groups: Some(app.group_name)
            .filter(|g| !g.is_empty())
            .into_iter()
            .collect(),
    }];
    if add_back {
        rows.push(FriendRow {
            owner: me.to_owned(),
            friend_id: app.from_id.clone(),
            remark: req.remark,
            source: app.source,
            wording: app.wording,
            added: time,
            ..Default::default()
        });
    }
    let (added, answered) = st.db(|s| s.add_friends(&rows, Some((&app.from_id, me))))?;
    if !answered {
        // Answered by another session meanwhile; what it did stands.
        return Err(application_missing(&app.from_id, me));
    }
    let pairs = new_pairs(&rows, &added);
    crate::webhooks::friends_added(st, c, &pairs, &app.from_id, "friend_response");
    let mut changed = Changed::default();
    changed.applications(&app.from_id, me);
    for (row, new) in rows.iter().zip(added) {
        if new {
            changed.friend(&row.owner, !row.groups.is_empty());
        }
    }
    changed.send(st);
    Ok(UserRef {
        user_id: app.from_id,
    })
}

/// Removes the application `from → to` and tells both.
fn drop_application(st: &AppState, from: &str, to: &str) -> Result<()> {
    validate_user_id("userID", from)?;
    validate_user_id("userID", to)?;
    if !st.db(|s| s.delete_application(from, to))? {
        return Err(application_missing(from, to));
    }
    let mut changed = Changed::default();
    changed.applications(from, to);
    changed.send(st);
    Ok(())
}

/// Implements `refuseFriendApplication`.
pub fn refuse_application(
    st: &AppState,
    c: &Caller,
    req: RefuseFriendApplication,
) -> Result<UserRef> {
    drop_application(st, &req.0.user_id, &c.user_id)?;
    Ok(req.0)
}

/// Implements `deleteFriendApplication`: one sent to the caller or one the caller sent.
pub fn delete_application(
    st: &AppState,
    c: &Caller,
    req: DeleteFriendApplication,
) -> Result<UserRef> {
    let me = c.user_id.as_str();
    let other = req.user_id.as_str();
    match req.kind.as_str() {
        types::SNS_APPLICATION_SENT_TO_ME => drop_application(st, other, me)?,
        types::SNS_APPLICATION_SENT_BY_ME => drop_application(st, me, other)?,
        kind => {
            return Err(invalid(format!(
                "deleteFriendApplication: type must be {} or {}, not {kind:?}",
                types::SNS_APPLICATION_SENT_TO_ME,
                types::SNS_APPLICATION_SENT_BY_ME
            )))
        }
    };
    Ok(UserRef {
        user_id: req.user_id,
    })
}

/// Implements `setFriendApplicationRead`: every application to the caller is read.
pub fn set_applications_read(st: &AppState, c: &Caller) -> Result<Empty> {
    if st.db(|s| s.read_applications(&c.user_id))? {
        let mut changed = Changed::default();
        changed.applications.insert(c.user_id.clone());
        changed.send(st);
    }
    Ok(Empty {})
}

/// Implements `getFriendGroupList`: oldest group first.
pub fn friend_groups(st: &AppState, user_id: &str) -> Result<Vec<FriendGroup>> {
    st.db(|s| s.friend_groups(user_id))
}

fn friend_group(st: &AppState, user_id: &str, name: &str) -> Result<FriendGroup> {
    friend_groups(st, user_id)?
        .into_iter()
        .find(|g| g.name == name)
        .ok_or_else(|| {
            ImError::new(
                code::FRIEND_GRP_NOT_EXIST,
                format!("there is no friend group {name:?}"),
            )
        })
}

/// Puts friends in or out of an existing group; users not in the friend list fail.
fn move_friends(
    st: &AppState,
    c: &Caller,
    req: &FriendGroupUsers,
    member: bool,
    changed: &mut Changed,
) -> Result<FriendGroupReply> {
    let mut reply = FriendGroupReply::default();
    for id in &req.user_id_list {
        if let Err(e) = validate_user_id("userID", id) {
            reply.failure_user_id_list.push(failure(id, e));
            continue;
        }
        if st.db(|s| s.friend(&c.user_id, id))?.is_none() {
            reply
                .failure_user_id_list
                .push(failure(id, not_my_friend(id)));
            continue;
        }
        if st.db(|s| s.set_in_friend_group(&c.user_id, &req.name, id, member))? {
            changed.friend(&c.user_id, true);
        }
    }
    reply.friend_group = friend_group(st, &c.user_id, &req.name)?;
    Ok(reply)
}

/// Implements `createFriendGroup`.
pub fn create_friend_group(
    st: &AppState,
    c: &Caller,
    req: CreateFriendGroup,
) -> Result<FriendGroupReply> {
    let req = req.0;
    check_group_name("createFriendGroup: name", &req.name)?;
    if req.user_id_list.len() > MAX_BATCH {
        return Err(invalid(format!(
            "createFriendGroup: userIDList holds at most {MAX_BATCH} users"
        )));
    }
    let groups = friend_groups(st, &c.user_id)?;
    if groups.iter().any(|g| g.name == req.name) {
        return Err(ImError::new(
            code::FRIEND_GRP_EXISTED,
            format!("the friend group {:?} exists", req.name),
        ));
    }
    if groups.len() >= MAX_FRIEND_GROUPS {
        return Err(invalid(format!(
            "createFriendGroup: at most {MAX_FRIEND_GROUPS} friend groups"
        )));
    }
    st.db(|s| s.create_friend_group(&c.user_id, &req.name, now()))?;
    let mut changed = Changed::default();
    changed.groups.insert(c.user_id.clone());
    let reply = move_friends(st, c, &req, true, &mut changed)?;
    changed.send(st);
    Ok(reply)
}

/// After a group was renamed or deleted: the group list, and the friend list when the group
/// had members (their `groupList` changed).
fn group_changed(st: &AppState, user_id: &str, group: &FriendGroup) {
    let mut changed = Changed::default();
    changed.groups.insert(user_id.to_owned());
    if group.count > 0 {
        changed.friends.insert(user_id.to_owned());
    }
    changed.send(st);
}

/// Implements `deleteFriendGroup`; replies the group as it was.
pub fn delete_friend_group(
    st: &AppState,
    c: &Caller,
    req: DeleteFriendGroup,
) -> Result<FriendGroup> {
    let group = friend_group(st, &c.user_id, &req.name)?;
    st.db(|s| s.delete_friend_group(&c.user_id, &req.name))?;
    group_changed(st, &c.user_id, &group);
    Ok(group)
}

/// Implements `addToFriendGroup` (`member`) and `removeFromFriendGroup`.
pub fn change_friend_group(
    st: &AppState,
    c: &Caller,
    req: FriendGroupUsers,
    member: bool,
) -> Result<FriendGroupReply> {
    friend_group(st, &c.user_id, &req.name)?;
    if req.user_id_list.is_empty() || req.user_id_list.len() > MAX_BATCH {
        return Err(invalid(format!(
            "userIDList must hold 1 to {MAX_BATCH} users"
        )));
    }
    let mut changed = Changed::default();
    let reply = move_friends(st, c, &req, member, &mut changed)?;
    changed.send(st);
    Ok(reply)
}

/// Implements `renameFriendGroup`.
pub fn rename_friend_group(
    st: &AppState,
    c: &Caller,
    req: RenameFriendGroup,
) -> Result<FriendGroup> {
    check_group_name("renameFriendGroup: newName", &req.new_name)?;
    let group = friend_group(st, &c.user_id, &req.old_name)?;
    if req.old_name == req.new_name {
        return Ok(group);
    }
    if !st.db(|s| s.rename_friend_group(&c.user_id, &req.old_name, &req.new_name))? {
        return Err(ImError::new(
            code::FRIEND_GRP_EXISTED,
            format!("the friend group {:?} exists", req.new_name),
        ));
    }
    group_changed(st, &c.user_id, &group);
    friend_group(st, &c.user_id, &req.new_name)
}

/// Implements `getBlacklist`: oldest entry first.
pub fn blacklist(st: &AppState, user_id: &str) -> Result<Vec<String>> {
    st.db(|s| s.blacklist(user_id))
}

/// Implements `addToBlacklist`: blocking ends any friendship both ways and drops the
/// applications between the two. Replies the whole blacklist.
pub fn add_to_blacklist(st: &AppState, c: &Caller, req: AddToBlacklist) -> Result<Vec<String>> {
    let me = c.user_id.as_str();
    let ids = check_list("addToBlacklist", &req.0.user_id_list, MAX_BATCH)?;
    if ids.iter().any(|id| id == me) {
        return Err(ImError::new(
            code::CANNOT_ADD_SELF_TO_BLACKLIST,
            "you cannot add yourself to your blacklist",
        ));
    }
    let current = blacklist(st, me)?;
    let new = ids.iter().filter(|id| !current.contains(id)).count();
    if current.len() + new > MAX_BLACKLIST {
        return Err(invalid(format!(
            "addToBlacklist: a blacklist holds at most {MAX_BLACKLIST} users ({} now)",
            current.len()
        )));
    }
    let mut changed = Changed::default();
    let time = now();
    for id in &ids {
        let mine = st.db(|s| s.friend(me, id))?;
        let theirs = st.db(|s| s.friend(id, me))?;
        let cut = st.db(|s| s.block(me, id, time))?;
        if cut.added {
            changed.blacklist.insert(me.to_owned());
        }
        if let (true, Some(row)) = (cut.ended_mine, mine) {
            changed.friend(me, !row.groups.is_empty());
        }
        if let (true, Some(row)) = (cut.ended_theirs, theirs) {
            changed.friend(id, !row.groups.is_empty());
        }
        if cut.applications {
            changed.applications(me, id);
        }
    }
    changed.send(st);
    blacklist(st, me)
}

/// Implements `removeFromBlacklist`; replies the whole blacklist.
pub fn remove_from_blacklist(
    st: &AppState,
    c: &Caller,
    req: RemoveFromBlacklist,
) -> Result<Vec<String>> {
    let ids = check_list("removeFromBlacklist", &req.0.user_id_list, MAX_BATCH)?;
    let mut changed = Changed::default();
    for id in &ids {
        if st.db(|s| s.unblock(&c.user_id, id))? {
            changed.blacklist.insert(c.user_id.clone());
        }
    }
    changed.send(st);
    blacklist(st, &c.user_id)
}

/// One entry of a user's friend list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FriendRow {
    /// Whose list.
    pub owner: String,
    /// The friend.
    pub friend_id: String,
    /// The owner's remark.
    pub remark: String,
    /// `AddSource_Type_*`.
    pub source: String,
    /// The request's wording.
    pub wording: String,
    /// `Tag_SNS_Custom_*` fields.
    pub custom: Vec<FriendCustomField>,
    /// When it was added (unix seconds).
    pub added: u64,
    /// The owner's friend groups holding the friend, by name. On add: groups to put them in,
    /// made when missing.
    pub groups: Vec<String>,
}

/// A pending friend application.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicationRow {
    /// The applicant.
    pub from_id: String,
    /// The user asked.
    pub to_id: String,
    /// `AddSource_Type_*`.
    pub source: String,
    /// The applicant's message.
    pub wording: String,
    /// The applicant's remark for the target, used on acceptance.
    pub remark: String,
    /// The applicant's friend group for the target ('' none), used on acceptance.
    pub group_name: String,
    /// When it was made (unix seconds).
    pub time: u64,
    /// The target has not read it yet.
    pub unread: bool,
}

/// What [`RelationStore::block`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blocked {
    /// The user was not blocked before.
    pub added: bool,
    /// The blocker's list lost the user.
    pub ended_mine: bool,
    /// The user's list lost the blocker.
    pub ended_theirs: bool,
    /// Applications between them were dropped.
    pub applications: bool,
}

/// This module's storage; every [`crate::store::Store`] backend implements it. Each method is
/// one transaction.
pub trait RelationStore {
    /// `owner`'s friend list, oldest first, each with its groups.
    fn friends(&self, owner: &str) -> crate::store::Result<Vec<FriendRow>>;
    /// One entry of `owner`'s friend list.
    fn friend(&self, owner: &str, friend_id: &str) -> crate::store::Result<Option<FriendRow>>;
    /// Adds each row whose friend is not listed yet and puts it in its groups (made when
    /// missing); an existing entry stays as it is. Deletes the application `answered` (from,
    /// to). Returns which rows were new and whether the application existed.
    fn add_friends(
        &self,
        rows: &[FriendRow],
        answered: Option<(&str, &str)>,
    ) -> crate::store::Result<(Vec<bool>, bool)>;
    /// Stores the remark and custom fields of an existing entry.
    fn update_friend(&self, row: &FriendRow) -> crate::store::Result<bool>;
    /// Takes `friend_id` out of `owner`'s list and friend groups.
    fn delete_friend(&self, owner: &str, friend_id: &str) -> crate::store::Result<bool>;
    /// Applications from or to `user_id`, newest first.
    fn applications(&self, user_id: &str) -> crate::store::Result<Vec<ApplicationRow>>;
    /// The application `from → to`.
    fn application(&self, from: &str, to: &str) -> crate::store::Result<Option<ApplicationRow>>;
    /// Stores an application, replacing an earlier one between the same two, unread.
    fn put_application(&self, app: &ApplicationRow) -> crate::store::Result<()>;
    /// Deletes the application `from → to`.
    fn delete_application(&self, from: &str, to: &str) -> crate::store::Result<bool>;
    /// Marks every application to `to` read; false when none was unread.
    fn read_applications(&self, to: &str) -> crate::store::Result<bool>;
    /// `owner`'s friend groups, oldest first, members by userID.
    fn friend_groups(&self, owner: &str) -> crate::store::Result<Vec<FriendGroup>>;
    /// Creates an empty group; false when the name is taken.
    fn create_friend_group(&self, owner: &str, name: &str, time: u64)
        -> crate::store::Result<bool>;
    /// Deletes a group; false when there was none.
    fn delete_friend_group(&self, owner: &str, name: &str) -> crate::store::Result<bool>;
    /// Renames a group; false when `new` is taken or `old` missing.
    fn rename_friend_group(&self, owner: &str, old: &str, new: &str) -> crate::store::Result<bool>;
    /// Puts a friend in (`member`) or out of a group; true when that changed anything.
    fn set_in_friend_group(
        &self,
        owner: &str,
        name: &str,
        friend_id: &str,
        member: bool,
    ) -> crate::store::Result<bool>;
    /// `owner`'s blacklist, oldest first.
    fn blacklist(&self, owner: &str) -> crate::store::Result<Vec<String>>;
    /// Whether `owner` has blocked `other`.
    fn blocks(&self, owner: &str, other: &str) -> crate::store::Result<bool>;
    /// Blocks `other` and ends what ties the two: friend entries both ways (with their group
    /// memberships) and applications either way.
    fn block(&self, owner: &str, other: &str, time: u64) -> crate::store::Result<Blocked>;
    /// Unblocks; false when `other` was not blocked.
    fn unblock(&self, owner: &str, other: &str) -> crate::store::Result<bool>;
}

const FRIEND_SELECT: &str = "
    SELECT f.user_id, f.friend_id, f.remark, f.source, f.wording, f.custom, f.added,
           (SELECT json_group_array(m.name) FROM friend_group_members m
             WHERE m.user_id = f.user_id AND m.friend_id = f.friend_id)
    FROM friends f";

fn friend_from_row(r: &crate::db::Row<'_>) -> crate::db::Result<(FriendRow, String, String)> {
    Ok((
        FriendRow {
            owner: r.get(0)?,
            friend_id: r.get(1)?,
            remark: r.get(2)?,
            source: r.get(3)?,
            wording: r.get(4)?,
            custom: vec![],
            added: r.get(6)?,
            groups: vec![],
        },
        r.get(5)?,
        r.get(7)?,
    ))
}

fn parse_friend(raw: (FriendRow, String, String)) -> crate::store::Result<FriendRow> {
    let (mut row, custom, groups) = raw;
    row.custom = serde_json::from_str(&custom)?;
    row.groups = serde_json::from_str(&groups)?;
    row.groups.sort();
    Ok(row)
}

fn application_from_row(r: &crate::db::Row<'_>) -> crate::db::Result<ApplicationRow> {
    Ok(ApplicationRow {
        from_id: r.get(0)?,
        to_id: r.get(1)?,
        source: r.get(2)?,
        wording: r.get(3)?,
        remark: r.get(4)?,
        group_name: r.get(5)?,
        time: r.get(6)?,
        unread: r.get(7)?,
    })
}

const APPLICATION_SELECT: &str =
    "SELECT from_id, to_id, source, wording, remark, group_name, time, unread
     FROM friend_applications";

fn remove_friend(
    tx: &crate::db::Transaction<'_>,
    owner: &str,
    friend_id: &str,
) -> crate::db::Result<bool> {
    let n = tx.execute(
        "DELETE FROM friends WHERE user_id = ?1 AND friend_id = ?2",
        [owner, friend_id],
    )?;
    tx.execute(
        "DELETE FROM friend_group_members WHERE user_id = ?1 AND friend_id = ?2",
        [owner, friend_id],
    )?;
    Ok(n > 0)
}

impl RelationStore for crate::store::SqliteStore {
    fn friends(&self, owner: &str) -> crate::store::Result<Vec<FriendRow>> {
        self.with(|conn| {
            let sql = format!("{FRIEND_SELECT} WHERE f.user_id = ?1 ORDER BY f.rowid");
            let mut stmt = conn.prepare_cached(&sql)?;
            let raw = stmt
                .query_map([owner], friend_from_row)?
                .collect::<crate::db::Result<Vec<_>>>()?;
            raw.into_iter().map(parse_friend).collect()
        })
    }

    fn friend(&self, owner: &str, friend_id: &str) -> crate::store::Result<Option<FriendRow>> {
        self.with(|conn| {
            let sql = format!("{FRIEND_SELECT} WHERE f.user_id = ?1 AND f.friend_id = ?2");
            conn.prepare_cached(&sql)?
                .query_row([owner, friend_id], friend_from_row)
                .optional()?
                .map(parse_friend)
                .transpose()
        })
    }

    fn add_friends(
        &self,
        rows: &[FriendRow],
        answered: Option<(&str, &str)>,
    ) -> crate::store::Result<(Vec<bool>, bool)> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut added = Vec::with_capacity(rows.len());
            for r in rows {
                let n = tx.execute(
                    "INSERT OR IGNORE INTO friends
                       (user_id, friend_id, remark, source, wording, custom, added)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        r.owner,
                        r.friend_id,
                        r.remark,
                        r.source,
                        r.wording,
                        serde_json::to_string(&r.custom)?,
                        r.added
                    ],
                )?;
                for g in r.groups.iter().filter(|_| n > 0) {
                    tx.execute(
                        "INSERT OR IGNORE INTO friend_groups (user_id, name, created)
                         VALUES (?1, ?2, ?3)",
                        params![r.owner, g, r.added],
                    )?;
                    tx.execute(
                        "INSERT OR IGNORE INTO friend_group_members (user_id, name, friend_id)
                         VALUES (?1, ?2, ?3)",
                        params![r.owner, g, r.friend_id],
                    )?;
                }
                added.push(n > 0);
            }
            let mut was = false;
            if let Some((from, to)) = answered {
                was = tx.execute(
                    "DELETE FROM friend_applications WHERE from_id = ?1 AND to_id = ?2",
                    [from, to],
                )? > 0;
            }
            tx.commit()?;
            Ok((added, was))
        })
    }

    fn update_friend(&self, row: &FriendRow) -> crate::store::Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE friends SET remark = ?3, custom = ?4 WHERE user_id = ?1 AND friend_id = ?2",
                params![
                    row.owner,
                    row.friend_id,
                    row.remark,
                    serde_json::to_string(&row.custom)?
                ],
            )?;
            Ok(n > 0)
        })
    }

    fn delete_friend(&self, owner: &str, friend_id: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let was = remove_friend(&tx, owner, friend_id)?;
            tx.commit()?;
            Ok(was)
        })
    }

    fn applications(&self, user_id: &str) -> crate::store::Result<Vec<ApplicationRow>> {
        self.with(|conn| {
            let sql = format!(
                "{APPLICATION_SELECT} WHERE from_id = ?1 OR to_id = ?1
                 ORDER BY time DESC, rowid DESC"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([user_id], application_from_row)?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn application(&self, from: &str, to: &str) -> crate::store::Result<Option<ApplicationRow>> {
        self.with(|conn| {
            let sql = format!("{APPLICATION_SELECT} WHERE from_id = ?1 AND to_id = ?2");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([from, to], application_from_row)
                .optional()?)
        })
    }

    fn put_application(&self, a: &ApplicationRow) -> crate::store::Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO friend_applications
                   (from_id, to_id, source, wording, remark, group_name, time, unread)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)
                 ON CONFLICT(from_id, to_id) DO UPDATE SET
                   source = excluded.source, wording = excluded.wording,
                   remark = excluded.remark, group_name = excluded.group_name,
                   time = excluded.time, unread = 1",
                params![
                    a.from_id,
                    a.to_id,
                    a.source,
                    a.wording,
                    a.remark,
                    a.group_name,
                    a.time
                ],
            )?;
            Ok(())
        })
    }

    fn delete_application(&self, from: &str, to: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            Ok(conn.execute(
                "DELETE FROM friend_applications WHERE from_id = ?1 AND to_id = ?2",
                [from, to],
            )? > 0)
        })
    }

    fn read_applications(&self, to: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            Ok(conn.execute(
                "UPDATE friend_applications SET unread = 0 WHERE to_id = ?1 AND unread = 1",
                [to],
            )? > 0)
        })
    }

    fn friend_groups(&self, owner: &str) -> crate::store::Result<Vec<FriendGroup>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT g.name,
                        (SELECT json_group_array(m.friend_id) FROM friend_group_members m
                          WHERE m.user_id = g.user_id AND m.name = g.name)
                 FROM friend_groups g WHERE g.user_id = ?1 ORDER BY g.rowid",
            )?;
            let raw = stmt
                .query_map([owner], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<crate::db::Result<Vec<_>>>()?;
            raw.into_iter()
                .map(|(name, members)| {
                    let mut ids: Vec<String> = serde_json::from_str(&members)?;
                    ids.sort();
                    Ok(FriendGroup {
                        name,
                        count: ids.len(),
                        user_id_list: ids,
                    })
                })
                .collect()
        })
    }

    fn create_friend_group(
        &self,
        owner: &str,
        name: &str,
        time: u64,
    ) -> crate::store::Result<bool> {
        self.with(|conn| {
            Ok(conn.execute(
                "INSERT OR IGNORE INTO friend_groups (user_id, name, created) VALUES (?1, ?2, ?3)",
                params![owner, name, time],
            )? > 0)
        })
    }

    fn delete_friend_group(&self, owner: &str, name: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let n = tx.execute(
                "DELETE FROM friend_groups WHERE user_id = ?1 AND name = ?2",
                [owner, name],
            )?;
            tx.execute(
                "DELETE FROM friend_group_members WHERE user_id = ?1 AND name = ?2",
                [owner, name],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    fn rename_friend_group(&self, owner: &str, old: &str, new: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            crate::store::rename_folder(
                conn,
                "friend_groups",
                "friend_group_members",
                owner,
                old,
                new,
            )
        })
    }

    fn set_in_friend_group(
        &self,
        owner: &str,
        name: &str,
        friend_id: &str,
        member: bool,
    ) -> crate::store::Result<bool> {
        self.with(|conn| {
            let sql = if member {
                "INSERT OR IGNORE INTO friend_group_members (user_id, name, friend_id)
                 SELECT ?1, ?2, ?3 WHERE EXISTS
                   (SELECT 1 FROM friend_groups WHERE user_id = ?1 AND name = ?2)"
            } else {
                "DELETE FROM friend_group_members WHERE user_id = ?1 AND name = ?2 AND friend_id = ?3"
            };
            Ok(conn.execute(sql, [owner, name, friend_id])? > 0)
        })
    }

    fn blacklist(&self, owner: &str) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT blocked_id FROM blacklist WHERE user_id = ?1 ORDER BY rowid",
            )?;
            let rows = stmt.query_map([owner], |r| r.get(0))?;
            Ok(rows.collect::<crate::db::Result<_>>()?)
        })
    }

    fn blocks(&self, owner: &str, other: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM blacklist WHERE user_id = ?1 AND blocked_id = ?2")?
                .query_row([owner, other], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    fn block(&self, owner: &str, other: &str, time: u64) -> crate::store::Result<Blocked> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let added = tx.execute(
                "INSERT OR IGNORE INTO blacklist (user_id, blocked_id, added) VALUES (?1, ?2, ?3)",
                params![owner, other, time],
            )? > 0;
            let ended_mine = remove_friend(&tx, owner, other)?;
            let ended_theirs = remove_friend(&tx, other, owner)?;
            let applications = tx.execute(
                "DELETE FROM friend_applications
                 WHERE (from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1)",
                [owner, other],
            )? > 0;
            tx.commit()?;
            Ok(Blocked {
                added,
                ended_mine,
                ended_theirs,
                applications,
            })
        })
    }

    fn unblock(&self, owner: &str, other: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            Ok(conn.execute(
                "DELETE FROM blacklist WHERE user_id = ?1 AND blocked_id = ?2",
                [owner, other],
            )? > 0)
        })
    }
}

#[cfg(test)]
pub(crate) mod conformance {
    //! Checks any [`RelationStore`] backend.
    use super::*;

    fn row(owner: &str, friend: &str, added: u64, groups: &[&str]) -> FriendRow {
        FriendRow {
            owner: owner.into(),
            friend_id: friend.into(),
            source: "AddSource_Type_Web".into(),
            added,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Default::default()
        }
    }

    fn app(from: &str, to: &str, time: u64) -> ApplicationRow {
        ApplicationRow {
            from_id: from.into(),
            to_id: to.into(),
            source: "AddSource_Type_Web".into(),
            wording: format!("{from} here"),
            time,
            unread: true,
            ..Default::default()
        }
    }

    /// Runs every check against `s`.
    pub fn run(s: &dyn RelationStore) {
        friends_and_groups(s);
        applications(s);
        blocking(s);
    }

    fn friends_and_groups(s: &dyn RelationStore) {
        let rows = [row("a", "b", 1, &["work"]), row("b", "a", 1, &[])];
        let (added, answered) = s.add_friends(&rows, None).expect("add");
        assert_eq!((added, answered), (vec![true, true], false));
        let (added, _) = s
            .add_friends(&[row("a", "b", 5, &["other"])], None)
            .expect("again");
        assert_eq!(added, vec![false], "an existing entry is kept");
        assert_eq!(s.friend_groups("a").expect("groups").len(), 1);
        let b = s.friend("a", "b").expect("read").expect("a has b");
        assert_eq!(b.groups, vec!["work".to_string()]);
        let mut b2 = b.clone();
        b2.remark = "Bee".into();
        b2.custom = vec![FriendCustomField {
            key: "Tag_SNS_Custom_x".into(),
            value: "1".into(),
        }];
        assert!(s.update_friend(&b2).expect("update"));
        assert_eq!(s.friend("a", "b").expect("read"), Some(b2));
        s.add_friends(&[row("a", "c", 2, &[])], None)
            .expect("add c");
        let ids: Vec<_> = s
            .friends("a")
            .expect("list")
            .into_iter()
            .map(|r| r.friend_id)
            .collect();
        assert_eq!(ids, ["b", "c"]);

        assert!(!s.create_friend_group("a", "work", 3).expect("exists"));
        assert!(s.create_friend_group("a", "home", 4).expect("create"));
        assert!(s.set_in_friend_group("a", "home", "c", true).expect("in"));
        assert!(!s
            .set_in_friend_group("a", "home", "c", true)
            .expect("twice"));
        assert!(!s
            .set_in_friend_group("a", "none", "c", true)
            .expect("no group"));
        let g = s.friend_groups("a").expect("groups");
        assert_eq!(
            g.iter()
                .map(|g| (g.name.as_str(), g.count))
                .collect::<Vec<_>>(),
            [("work", 1), ("home", 1)]
        );
        assert!(!s.rename_friend_group("a", "home", "work").expect("taken"));
        assert!(s.rename_friend_group("a", "home", "house").expect("rename"));
        assert_eq!(
            s.friend("a", "c").expect("read").expect("c").groups,
            ["house"]
        );
        assert!(s.delete_friend("a", "b").expect("delete"));
        assert!(!s.delete_friend("a", "b").expect("gone"));
        assert_eq!(s.friend_groups("a").expect("groups")[0].count, 0);
        assert!(s.friend("b", "a").expect("read").is_some(), "one way only");
        assert!(s.delete_friend_group("a", "house").expect("delete group"));
        assert!(!s.delete_friend_group("a", "house").expect("gone"));
        assert!(s
            .friend("a", "c")
            .expect("read")
            .expect("c")
            .groups
            .is_empty());
    }

    fn applications(s: &dyn RelationStore) {
        s.put_application(&app("p", "q", 10)).expect("put");
        s.put_application(&app("r", "q", 11)).expect("put");
        s.put_application(&app("q", "s", 12)).expect("put");
        let list = s.applications("q").expect("list");
        assert_eq!(
            list.iter()
                .map(|a| (a.from_id.as_str(), a.to_id.as_str()))
                .collect::<Vec<_>>(),
            [("q", "s"), ("r", "q"), ("p", "q")],
            "newest first, both ways"
        );
        assert!(s.read_applications("q").expect("read"));
        assert!(!s.read_applications("q").expect("nothing unread"));
        assert!(s
            .applications("q")
            .expect("list")
            .iter()
            .filter(|a| a.to_id == "q")
            .all(|a| !a.unread));
        assert!(s.application("q", "s").expect("read").expect("sent").unread);
        s.put_application(&app("p", "q", 13)).expect("again");
        assert!(s.application("p", "q").expect("read").expect("p").unread);
        let (_, answered) = s
            .add_friends(&[row("p", "q", 14, &[])], Some(("p", "q")))
            .expect("accept");
        assert!(answered);
        assert_eq!(s.application("p", "q").expect("read"), None);
        assert!(s.delete_application("r", "q").expect("delete"));
        assert!(!s.delete_application("r", "q").expect("gone"));
    }

    fn blocking(s: &dyn RelationStore) {
        s.add_friends(&[row("x", "y", 1, &["g"]), row("y", "x", 1, &["h"])], None)
            .expect("friends");
        s.put_application(&app("y", "x", 2)).expect("app");
        let b = s.block("x", "y", 3).expect("block");
        assert_eq!(
            b,
            Blocked {
                added: true,
                ended_mine: true,
                ended_theirs: true,
                applications: true
            }
        );
        assert!(s.blocks("x", "y").expect("blocks"));
        assert!(!s.blocks("y", "x").expect("one way"));
        assert!(s.friend("x", "y").expect("read").is_none());
        assert!(s.friend("y", "x").expect("read").is_none());
        assert_eq!(s.friend_groups("y").expect("groups")[0].count, 0);
        assert_eq!(s.block("x", "y", 4).expect("again"), Blocked::default());
        s.block("x", "z", 5).expect("block z");
        assert_eq!(s.blacklist("x").expect("list"), ["y", "z"]);
        assert!(s.unblock("x", "y").expect("unblock"));
        assert!(!s.unblock("x", "y").expect("gone"));
        assert_eq!(s.blacklist("x").expect("list"), ["z"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_store_conforms() {
        conformance::run(&crate::store::SqliteStore::in_memory().expect("open"));
    }

    #[test]
    fn allow_type_decides_add_friend() {
        assert_eq!(add_outcome(types::ALLOW_TYPE_ALLOW_ANY), AddOutcome::Direct);
        assert_eq!(
            add_outcome(types::ALLOW_TYPE_NEED_CONFIRM),
            AddOutcome::Application
        );
        assert_eq!(add_outcome(""), AddOutcome::Application);
        assert_eq!(add_outcome(types::ALLOW_TYPE_DENY_ANY), AddOutcome::Denied);
    }

    #[test]
    fn sources_are_prefix_and_letters() {
        assert!(check_source("AddSource_Type_Web").is_ok());
        assert!(check_source("AddSource_Type_Android").is_ok());
        for bad in [
            "",
            "Web",
            "AddSource_Type_",
            "AddSource_Type_Web1",
            "AddSource_Type_Toolonger",
            "AddSource_Type_Wéb",
        ] {
            assert_eq!(
                check_source(bad).map_err(|e| e.code),
                Err(core_code::SERVER_INVALID_PARAM),
                "{bad}"
            );
        }
    }
}
