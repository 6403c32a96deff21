//! Communities and topics (issue 6): topic-enabled communities, their topics, and sending to
//! a topic (conversationID `GROUP<topicID>`, delivered to the community's members).
//!
//! Topics live in their own table keyed by topic ID; membership is the community's. Every
//! change is told to every member's sessions (the caller's other sessions included) as
//! TOPIC_CREATED / TOPIC_DELETED / TOPIC_UPDATED, computed whole here.

use crate::db::{params, Exec, OptionalExtension};
use crate::group_no_permission as no_permission;
use crate::invalid;
use crate::to_json as to_value;
use crate::{now, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::model::Group;
use pigeon_proto::topics::{
    event, CreateTopicInCommunity, DeleteTopicFromCommunity, GetJoinedCommunityList, GetTopicList,
    Topic, TopicFailure, TopicIdReply, TopicReply, TopicResults, UpdateTopicProfile,
    MAX_TOPIC_AVATAR_BYTES, MAX_TOPIC_CUSTOM_DATA_BYTES, MAX_TOPIC_NAME_BYTES,
    MAX_TOPIC_SUFFIX_BYTES, MAX_TOPIC_TEXT_BYTES, TOPIC_ID_MARK,
};
use pigeon_proto::wire::{GroupListReply, Op};
use pigeon_proto::ImError;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashSet;

type Result<T> = std::result::Result<T, ImError>;

/// SDK-side ILLEGAL_TOPIC_ID: a custom topic ID not of the form `<communityID>@TOPIC#_<part>`.
const ILLEGAL_TOPIC_ID: u32 = 3021;
/// A group that is not a topic-enabled community (ILLEGAL_GRP_TYPE: wrong type for this).
const NOT_TOPIC_COMMUNITY: u32 = code::ILLEGAL_GRP_TYPE;
/// A muted sender (Tencent's 10017, as for groups).
const MUTED: u32 = 10017;

/// One stored topic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicRow {
    /// Topic ID.
    pub topic_id: String,
    /// Its community.
    pub group_id: String,
    /// Name.
    pub name: String,
    /// Avatar URL.
    pub avatar: String,
    /// Introduction.
    pub introduction: String,
    /// Notification.
    pub notification: String,
    /// Custom data.
    pub custom_data: String,
    /// Everyone but owner and admins muted.
    pub mute_all: bool,
    /// Created at (unix seconds).
    pub create_time: u64,
}

/// Handles this module's operations; None for an op it does not know.
pub fn dispatch(st: &AppState, c: &Caller, op: &str, data: &Value) -> Option<Result<Value>> {
    let d = data.clone();
    let out = match op {
        GetJoinedCommunityList::NAME => GetJoinedCommunityList::parse(d)
            .and_then(|_| joined(st, c))
            .and_then(to_value),
        CreateTopicInCommunity::NAME => CreateTopicInCommunity::parse(d)
            .and_then(|r| create(st, c, r))
            .and_then(to_value),
        DeleteTopicFromCommunity::NAME => DeleteTopicFromCommunity::parse(d)
            .and_then(|r| delete(st, c, r))
            .and_then(to_value),
        UpdateTopicProfile::NAME => UpdateTopicProfile::parse(d)
            .and_then(|r| update(st, c, r))
            .and_then(to_value),
        GetTopicList::NAME => GetTopicList::parse(d)
            .and_then(|r| list(st, c, r))
            .and_then(to_value),
        _ => return None,
    };
    Some(out)
}

fn topic_not_found(topic_id: &str, group_id: &str) -> ImError {
    ImError::new(
        code::GROUP_NOT_FOUND,
        format!("topic {topic_id} does not exist in community {group_id}"),
    )
}

fn check_len(what: &str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(invalid(format!(
            "{what} is {} bytes, over the {max}-byte limit",
            value.len()
        )));
    }
    Ok(())
}

fn is_manager(role: &str) -> bool {
    role == types::GRP_MBR_ROLE_OWNER || role == types::GRP_MBR_ROLE_ADMIN
}

/// The live topic-enabled community `group_id` and the caller's role in it (10007 when they
/// are not a member).
fn community(st: &AppState, group_id: &str, user: &str) -> Result<(Group, String)> {
    if group_id.is_empty() {
        return Err(invalid("groupID is required"));
    }
    let g = crate::groups::live(st, group_id)?;
    if g.kind != types::GRP_COMMUNITY {
        return Err(ImError::new(
            NOT_TOPIC_COMMUNITY,
            format!("group {group_id} is a {} group, not a community", g.kind),
        ));
    }
    if !g.is_support_topic {
        return Err(ImError::new(
            NOT_TOPIC_COMMUNITY,
            format!("community {group_id} was not created with isSupportTopic"),
        ));
    }
    match st.db(|s| s.member(group_id, user))? {
        Some(m) => Ok((g, m.role)),
        None => Err(no_permission(format!(
            "{user} is not a member of community {group_id}"
        ))),
    }
}

/// As [`community`], for changes: owner and admins only.
fn managed_community(st: &AppState, group_id: &str, user: &str) -> Result<Group> {
    let (g, role) = community(st, group_id, user)?;
    if !is_manager(&role) {
        return Err(no_permission(format!(
            "only the owner and admins of community {group_id} manage its topics"
        )));
    }
    Ok(g)
}

/// The topic as `user` sees it: their unread count, @-mentions and last message in
/// conversation `GROUP<topicID>`.
fn view(st: &AppState, row: &TopicRow, user: &str) -> Result<Topic> {
    let conv_id = format!("GROUP{}", row.topic_id);
    let conv = crate::conversations::load(st, user, &conv_id)?;
    let (unread, at, last, remind) = match conv {
        Some(c) => (
            c.unread_count,
            c.group_at_info_list,
            to_value(c.last_message)?,
            c.message_remind_type,
        ),
        None => (0, vec![], Value::Null, String::new()),
    };
    let remind = if remind.is_empty() {
        types::MSG_REMIND_ACPT_AND_NOTE.to_owned()
    } else {
        remind
    };
    Ok(Topic {
        topic_id: row.topic_id.clone(),
        topic_name: row.name.clone(),
        avatar: row.avatar.clone(),
        introduction: row.introduction.clone(),
        notification: row.notification.clone(),
        unread_count: unread,
        mute_all_members: row.mute_all,
        custom_data: row.custom_data.clone(),
        group_at_info_list: at,
        last_message: last,
        self_info: json!({ "messageRemindType": remind }),
    })
}

/// Members of the community, to tell about a change.
fn member_ids(st: &AppState, group_id: &str) -> Result<Vec<String>> {
    Ok(st
        .db(|s| s.members(group_id))?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

fn new_suffix() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("@TOPIC#{tail}")
}

/// Checks a custom topic ID: `<communityID>@TOPIC#_<part>`, the part 1 to 48 printable ASCII
/// bytes.
fn check_custom_id(group_id: &str, topic_id: &str) -> Result<()> {
    let prefix = format!("{group_id}{TOPIC_ID_MARK}");
    let bad = |why: &str| {
        ImError::new(
            ILLEGAL_TOPIC_ID,
            format!("topicID {topic_id:?} {why}; it must be {prefix}<custom part>"),
        )
    };
    let Some(part) = topic_id.strip_prefix(&prefix) else {
        return Err(bad("does not start with the community ID and @TOPIC#_"));
    };
    if part.is_empty() {
        return Err(bad("has no custom part"));
    }
    if part.len() > MAX_TOPIC_SUFFIX_BYTES {
        return Err(bad("has a custom part over 48 bytes"));
    }
    if !part.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("has a custom part that is not printable ASCII"));
    }
    Ok(())
}

fn check_texts(
    avatar: Option<&str>,
    notification: Option<&str>,
    introduction: Option<&str>,
    custom_data: Option<&str>,
) -> Result<()> {
    check_len("avatar", avatar.unwrap_or(""), MAX_TOPIC_AVATAR_BYTES)?;
    check_len(
        "notification",
        notification.unwrap_or(""),
        MAX_TOPIC_TEXT_BYTES,
    )?;
    check_len(
        "introduction",
        introduction.unwrap_or(""),
        MAX_TOPIC_TEXT_BYTES,
    )?;
    check_len(
        "customData",
        custom_data.unwrap_or(""),
        MAX_TOPIC_CUSTOM_DATA_BYTES,
    )
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(invalid("topicName is required"));
    }
    check_len("topicName", name, MAX_TOPIC_NAME_BYTES)
}

/// Implements `getJoinedCommunityList`: the topic-enabled communities the caller is in.
pub fn joined(st: &AppState, c: &Caller) -> Result<GroupListReply> {
    let ids = st.db(|s| s.topic_communities_of(&c.user_id))?;
    let mut group_list = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(mut g) = crate::groups::view(st, &id, &c.user_id)? {
            g.mute_all_members = st.db(|s| s.mute_all(&id))?;
            group_list.push(g);
        }
    }
    Ok(GroupListReply { group_list })
}

/// Implements `createTopicInCommunity`: owner and admins of a topic-enabled community.
pub fn create(st: &AppState, c: &Caller, r: CreateTopicInCommunity) -> Result<TopicIdReply> {
    let g = managed_community(st, &r.group_id, &c.user_id)?;
    check_name(&r.topic_name)?;
    check_texts(
        r.avatar.as_deref(),
        r.notification.as_deref(),
        r.introduction.as_deref(),
        r.custom_data.as_deref(),
    )?;
    let custom = r.topic_id.clone().filter(|t| !t.is_empty());
    if let Some(t) = &custom {
        check_custom_id(&g.group_id, t)?;
    }
    let mut row = TopicRow {
        topic_id: String::new(),
        group_id: g.group_id.clone(),
        name: r.topic_name,
        avatar: r.avatar.unwrap_or_default(),
        introduction: r.introduction.unwrap_or_default(),
        notification: r.notification.unwrap_or_default(),
        custom_data: r.custom_data.unwrap_or_default(),
        mute_all: false,
        create_time: now(),
    };
    // A generated ID is retried on the (unlikely) collision; a custom one is refused.
    let mut tries = 0;
    loop {
        row.topic_id = match &custom {
            Some(t) => t.clone(),
            None => format!("{}{TOPIC_ID_MARK}{}", g.group_id, new_suffix()),
        };
        if st.db(|s| s.insert_topic(&row))? {
            break;
        }
        tries += 1;
        if custom.is_some() || tries >= 5 {
            return Err(ImError::new(
                code::GROUP_ID_TAKEN,
                format!("topicID {} is taken", row.topic_id),
            ));
        }
    }
    let data = json!({ "groupID": g.group_id, "topicID": row.topic_id });
    for user in member_ids(st, &g.group_id)? {
        st.emit_to(&user, event::TOPIC_CREATED, data.clone(), Some(c.session));
    }
    Ok(TopicIdReply {
        topic_id: row.topic_id,
    })
}

/// The requested topic IDs without repeats, or every topic of the community when None.
fn wanted(st: &AppState, group_id: &str, ids: Option<Vec<String>>) -> Result<Vec<String>> {
    match ids {
        None => Ok(st
            .db(|s| s.topics_of(group_id))?
            .into_iter()
            .map(|t| t.topic_id)
            .collect()),
        Some(ids) => {
            let mut seen = HashSet::new();
            Ok(ids.into_iter().filter(|i| seen.insert(i.clone())).collect())
        }
    }
}

/// The topic `topic_id` of community `group_id`, if it exists.
fn topic_in(st: &AppState, group_id: &str, topic_id: &str) -> Result<Option<TopicRow>> {
    Ok(st
        .db(|s| s.topic(topic_id))?
        .filter(|t| t.group_id == group_id))
}

/// Implements `deleteTopicFromCommunity`: owner and admins; unknown topics are failure items.
pub fn delete(st: &AppState, c: &Caller, r: DeleteTopicFromCommunity) -> Result<TopicResults> {
    let g = managed_community(st, &r.group_id, &c.user_id)?;
    let mut out = TopicResults::default();
    let mut deleted = vec![];
    for id in wanted(st, &g.group_id, r.topic_id_list)? {
        let removed =
            topic_in(st, &g.group_id, &id)?.is_some() && st.db(|s| s.delete_topic(&id))?;
        if removed {
            out.success_topic_list.push(json!({ "topicID": id }));
            deleted.push(id);
        } else {
            let e = topic_not_found(&id, &g.group_id);
            out.failure_topic_list.push(TopicFailure {
                topic_id: id,
                code: e.code,
                message: e.message,
            });
        }
    }
    if !deleted.is_empty() {
        let data = json!({ "groupID": g.group_id, "topicIDList": deleted });
        for user in member_ids(st, &g.group_id)? {
            st.emit_to(&user, event::TOPIC_DELETED, data.clone(), Some(c.session));
        }
    }
    Ok(out)
}

/// Implements `updateTopicProfile`: owner and admins; members get TOPIC_UPDATED.
pub fn update(st: &AppState, c: &Caller, r: UpdateTopicProfile) -> Result<TopicReply> {
    let g = managed_community(st, &r.group_id, &c.user_id)?;
    if r.topic_id.is_empty() {
        return Err(invalid("topicID is required"));
    }
    let mut row = topic_in(st, &g.group_id, &r.topic_id)?
        .ok_or_else(|| topic_not_found(&r.topic_id, &g.group_id))?;
    if r.topic_name.is_none()
        && r.avatar.is_none()
        && r.notification.is_none()
        && r.introduction.is_none()
        && r.custom_data.is_none()
        && r.mute_all_members.is_none()
    {
        return Err(invalid("updateTopicProfile: nothing to update"));
    }
    if let Some(n) = &r.topic_name {
        check_name(n)?;
    }
    check_texts(
        r.avatar.as_deref(),
        r.notification.as_deref(),
        r.introduction.as_deref(),
        r.custom_data.as_deref(),
    )?;
    if let Some(v) = r.topic_name {
        row.name = v;
    }
    if let Some(v) = r.avatar {
        row.avatar = v;
    }
    if let Some(v) = r.notification {
        row.notification = v;
    }
    if let Some(v) = r.introduction {
        row.introduction = v;
    }
    if let Some(v) = r.custom_data {
        row.custom_data = v;
    }
    if let Some(v) = r.mute_all_members {
        row.mute_all = v;
    }
    if !st.db(|s| s.update_topic(&row))? {
        return Err(topic_not_found(&row.topic_id, &g.group_id));
    }
    for user in member_ids(st, &g.group_id)? {
        let data = json!({ "groupID": g.group_id, "topic": view(st, &row, &user)? });
        st.emit_to(&user, event::TOPIC_UPDATED, data, Some(c.session));
    }
    Ok(TopicReply {
        topic: view(st, &row, &c.user_id)?,
    })
}

/// Implements `getTopicList`: members only; unknown topics are failure items.
pub fn list(st: &AppState, c: &Caller, r: GetTopicList) -> Result<TopicResults> {
    let (g, _) = community(st, &r.group_id, &c.user_id)?;
    let mut out = TopicResults::default();
    for id in wanted(st, &g.group_id, r.topic_id_list)? {
        match topic_in(st, &g.group_id, &id)? {
            Some(row) => out
                .success_topic_list
                .push(to_value(view(st, &row, &c.user_id)?)?),
            None => {
                let e = topic_not_found(&id, &g.group_id);
                out.failure_topic_list.push(TopicFailure {
                    topic_id: id,
                    code: e.code,
                    message: e.message,
                });
            }
        }
    }
    Ok(out)
}

/// The community a topic ID belongs to, when `id` is a topic's (`<communityID>@TOPIC#_...`)
/// and the topic exists; None for any other ID.
pub fn community_of(st: &AppState, id: &str) -> Result<Option<String>> {
    if !id.contains(TOPIC_ID_MARK) {
        return Ok(None);
    }
    Ok(st.db(|s| s.topic(id))?.map(|t| t.group_id))
}

/// Whether `user` may send to the topic now (the topic's muteAllMembers).
pub fn check_can_send(st: &AppState, topic_id: &str, community_id: &str, user: &str) -> Result<()> {
    let Some(t) = st.db(|s| s.topic(topic_id))? else {
        return Ok(());
    };
    if !t.mute_all {
        return Ok(());
    }
    let role = st
        .db(|s| s.member(community_id, user))?
        .map(|m| m.role)
        .unwrap_or_default();
    if is_manager(&role) {
        return Ok(());
    }
    Err(ImError::new(
        MUTED,
        format!("topic {topic_id} is muted for everyone but the community's owner and admins"),
    ))
}

/// This module's storage; every [`crate::store::Store`] backend implements it.
pub trait TopicStore {
    /// Stores a new topic; false when its ID is taken.
    fn insert_topic(&self, row: &TopicRow) -> crate::store::Result<bool>;
    /// One topic.
    fn topic(&self, topic_id: &str) -> crate::store::Result<Option<TopicRow>>;
    /// A community's topics, oldest first.
    fn topics_of(&self, group_id: &str) -> crate::store::Result<Vec<TopicRow>>;
    /// Replaces a topic's profile; false when it is gone.
    fn update_topic(&self, row: &TopicRow) -> crate::store::Result<bool>;
    /// Removes a topic; false when there was none.
    fn delete_topic(&self, topic_id: &str) -> crate::store::Result<bool>;
    /// The live topic-enabled communities a user is a member of.
    fn topic_communities_of(&self, user_id: &str) -> crate::store::Result<Vec<String>>;
}

const TOPIC_SELECT: &str = "SELECT topic_id, group_id, name, avatar, introduction, notification, \
    custom_data, mute_all, create_time FROM topics";

fn read_topic(r: &crate::db::Row<'_>) -> crate::db::Result<TopicRow> {
    Ok(TopicRow {
        topic_id: r.get(0)?,
        group_id: r.get(1)?,
        name: r.get(2)?,
        avatar: r.get(3)?,
        introduction: r.get(4)?,
        notification: r.get(5)?,
        custom_data: r.get(6)?,
        mute_all: r.get::<_, i64>(7)? != 0,
        create_time: r.get::<_, i64>(8)?.max(0) as u64,
    })
}

impl TopicStore for crate::store::SqliteStore {
    fn insert_topic(&self, row: &TopicRow) -> crate::store::Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "INSERT OR IGNORE INTO topics (topic_id, group_id, name, avatar, introduction, \
                 notification, custom_data, mute_all, create_time) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    row.topic_id,
                    row.group_id,
                    row.name,
                    row.avatar,
                    row.introduction,
                    row.notification,
                    row.custom_data,
                    row.mute_all as i64,
                    row.create_time as i64
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn topic(&self, topic_id: &str) -> crate::store::Result<Option<TopicRow>> {
        self.with(|conn| {
            let sql = format!("{TOPIC_SELECT} WHERE topic_id = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([topic_id], read_topic)
                .optional()?)
        })
    }

    fn topics_of(&self, group_id: &str) -> crate::store::Result<Vec<TopicRow>> {
        self.with(|conn| {
            let sql = format!("{TOPIC_SELECT} WHERE group_id = ?1 ORDER BY create_time, topic_id");
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map([group_id], read_topic)?
                .collect::<crate::db::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    fn update_topic(&self, row: &TopicRow) -> crate::store::Result<bool> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE topics SET name = ?2, avatar = ?3, introduction = ?4, notification = ?5, \
                 custom_data = ?6, mute_all = ?7 WHERE topic_id = ?1",
                params![
                    row.topic_id,
                    row.name,
                    row.avatar,
                    row.introduction,
                    row.notification,
                    row.custom_data,
                    row.mute_all as i64
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn delete_topic(&self, topic_id: &str) -> crate::store::Result<bool> {
        self.with(|conn| {
            let n = conn.execute("DELETE FROM topics WHERE topic_id = ?1", [topic_id])?;
            Ok(n == 1)
        })
    }

    fn topic_communities_of(&self, user_id: &str) -> crate::store::Result<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT g.group_id FROM group_members m JOIN groups g ON g.group_id = m.group_id \
                 WHERE m.user_id = ?1 AND g.kind = 'Community' AND g.is_support_topic = 1 \
                 AND g.dismissed = 0 ORDER BY g.group_id",
            )?;
            let rows = stmt
                .query_map([user_id], |r| r.get::<_, String>(0))?
                .collect::<crate::db::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}
