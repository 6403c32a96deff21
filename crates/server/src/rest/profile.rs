//! `profile`: portrait_get, portrait_set, with TencentCloudChat's `Tag_Profile_*` tags.

use super::code::{PROFILE_BAD_TAG, PROFILE_PARAM as P};
use super::{as_user, check_user, parse, required};
use crate::AppState;
use pigeon_proto::profiles::{CustomField, UpdateMyProfile};
use pigeon_proto::ImError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Most users one portrait_get reads.
const MAX_BATCH: usize = 100;

/// TencentCloudChat profile tags and the Pigeon `Profile` fields they are.
pub const TAGS: &[(&str, &str)] = &[
    ("Tag_Profile_IM_Nick", "nick"),
    ("Tag_Profile_IM_Gender", "gender"),
    ("Tag_Profile_IM_BirthDay", "birthday"),
    ("Tag_Profile_IM_Location", "location"),
    ("Tag_Profile_IM_SelfSignature", "selfSignature"),
    ("Tag_Profile_IM_AllowType", "allowType"),
    ("Tag_Profile_IM_Language", "language"),
    ("Tag_Profile_IM_Image", "avatar"),
    ("Tag_Profile_IM_MsgSettings", "messageSettings"),
    ("Tag_Profile_IM_AdminForbidType", "adminForbidType"),
    ("Tag_Profile_IM_Level", "level"),
    ("Tag_Profile_IM_Role", "role"),
];

const CUSTOM: &str = "Tag_Profile_Custom_";

/// Routes one command; None for an unknown one.
pub fn dispatch(st: &AppState, command: &str, body: Value) -> Option<Result<Value, ImError>> {
    Some(match command {
        "portrait_get" => portrait_get(st, body),
        "portrait_set" => portrait_set(st, body),
        _ => return None,
    })
}

fn field_of(tag: &str) -> Option<&'static str> {
    TAGS.iter().find(|(t, _)| *t == tag).map(|(_, f)| *f)
}

/// A profile (d.ts JSON) as `[{Tag, Value}]`, only `tags` when given.
pub(crate) fn profile_items(profile: &Value, tags: Option<&[String]>) -> Vec<Value> {
    let mut out = Vec::new();
    let wanted = |t: &str| tags.is_none_or(|ts| ts.iter().any(|x| x == t));
    for (tag, field) in TAGS {
        if wanted(tag) {
            out.push(json!({ "Tag": tag, "Value": profile[*field].clone() }));
        }
    }
    for f in profile["profileCustomField"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = f["key"].as_str().unwrap_or("");
        if wanted(key) {
            out.push(json!({ "Tag": key, "Value": f["value"].clone() }));
        }
    }
    out
}

#[derive(Deserialize)]
struct PortraitGet {
    #[serde(rename = "To_Account", default)]
    to: Vec<String>,
    #[serde(rename = "TagList", default)]
    tag_list: Vec<String>,
}

fn portrait_get(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: PortraitGet = parse(body, P)?;
    if req.to.is_empty() || req.to.len() > MAX_BATCH {
        return Err(ImError::new(
            P,
            format!("To_Account must hold 1 to {MAX_BATCH} userIDs"),
        ));
    }
    if req.tag_list.is_empty() {
        return Err(required(P, "TagList"));
    }
    for t in &req.tag_list {
        if field_of(t).is_none() && !t.starts_with(CUSTOM) {
            return Err(ImError::new(PROFILE_BAD_TAG, format!("unknown Tag {t:?}")));
        }
    }
    let mut good = Vec::new();
    let mut fail = Vec::new();
    for id in req.to {
        if check_user(P, "To_Account", &id).is_ok() {
            good.push(id);
        } else {
            fail.push(id);
        }
    }
    let profiles = crate::profiles::profiles_of(st, &good)?;
    let items: Vec<Value> = profiles
        .into_iter()
        .map(|p| {
            let v = serde_json::to_value(&p).unwrap_or_default();
            json!({
                "To_Account": p.user_id,
                "ProfileItem": profile_items(&v, Some(&req.tag_list)),
                "ResultCode": 0,
                "ResultInfo": "",
            })
        })
        .collect();
    Ok(json!({ "UserProfileItem": items, "FailAccount": fail }))
}

/// One `{Tag, Value}` item.
#[derive(Deserialize)]
pub(crate) struct TagValue {
    #[serde(rename = "Tag")]
    pub tag: String,
    #[serde(rename = "Value", default)]
    pub value: Value,
}

#[derive(Deserialize)]
struct PortraitSet {
    #[serde(rename = "From_Account", default)]
    from: String,
    #[serde(rename = "ProfileItem", default)]
    items: Vec<TagValue>,
}

/// Sets profile fields through `updateMyProfile`: the same checks and PROFILE_UPDATED to the
/// user's sessions and friends.
fn portrait_set(st: &AppState, body: Value) -> Result<Value, ImError> {
    let req: PortraitSet = parse(body, P)?;
    if req.from.is_empty() {
        return Err(required(P, "From_Account"));
    }
    check_user(P, "From_Account", &req.from)?;
    if req.items.is_empty() {
        return Err(required(P, "ProfileItem"));
    }
    let mut fields = Map::new();
    let mut custom = Vec::new();
    for item in req.items {
        if let Some(f) = field_of(&item.tag) {
            fields.insert(f.to_owned(), item.value);
        } else if item.tag.starts_with(CUSTOM) {
            custom.push(CustomField {
                key: item.tag,
                value: item.value,
            });
        } else {
            return Err(ImError::new(
                PROFILE_BAD_TAG,
                format!("unknown Tag {:?}", item.tag),
            ));
        }
    }
    let mut update: UpdateMyProfile = serde_json::from_value(Value::Object(fields))
        .map_err(|e| ImError::new(P, format!("bad ProfileItem Value: {e}")))?;
    if !custom.is_empty() {
        update.profile_custom_field = Some(custom);
    }
    crate::profiles::update_my_profile(st, &as_user(&req.from), update)?;
    Ok(json!({}))
}
