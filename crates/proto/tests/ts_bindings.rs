//! The TypeScript declarations of the UI-facing types (`ui/src/sdk/generated/types.ts`) are
//! generated from the Rust types; this test fails when the committed file drifts from them.
//!
//! Regenerate with `UPDATE_TS_BINDINGS=1 cargo test -p pigeon-proto --features ts`.

#![cfg(feature = "ts")]

use pigeon_proto::{error, follows, group_members, message_extras, model, profiles, relations};
use pigeon_proto::{topics, wire};
use std::collections::BTreeSet;
use std::path::PathBuf;
use ts_rs::TS;

/// What the file starts with.
const HEADER: &str =
    "// Generated from pigeon-proto by `cargo test -p pigeon-proto --features ts`; do not edit.\n\
// Regenerate: UPDATE_TS_BINDINGS=1 cargo test -p pigeon-proto --features ts\n";

/// One exported type: its TypeScript name, its declaration and the names it refers to.
struct Decl {
    name: String,
    text: String,
    deps: Vec<String>,
}

fn decl<T: TS + 'static>() -> Decl {
    Decl {
        name: T::ident(),
        text: tidy(&format!(
            "{}export {}",
            T::docs().unwrap_or_default(),
            T::decl()
        )),
        deps: T::dependencies().into_iter().map(|d| d.ts_name).collect(),
    }
}

/// Lays out ts-rs's declaration one field a line: no trailing spaces, fields indented, one-line
/// doc comments as `/** ... */`, the closing `};` on its own line. Only whitespace changes.
fn tidy(decl: &str) -> String {
    let decl = decl.replace(", };", ",\n};");
    let lines: Vec<&str> = decl.lines().map(str::trim_end).collect();
    let mut out: Vec<String> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line == "};" {
            depth = 0;
        }
        let indent = "  ".repeat(depth);
        let one_line_doc = line == "/**"
            && lines.get(i + 2) == Some(&" */")
            && lines.get(i + 1).is_some_and(|l| l.starts_with(" *"));
        if one_line_doc {
            out.push(format!("{indent}/**{} */", &lines[i + 1][2..]));
            i += 3;
            continue;
        }
        out.push(format!("{indent}{line}"));
        if line.starts_with("export type ") && line.ends_with(" = {") {
            depth = 1;
        }
        i += 1;
    }
    out.join("\n")
}

/// Every exported type, in file order.
fn decls() -> Vec<Decl> {
    vec![
        decl::<serde_json::Value>(),
        // model
        decl::<model::Message>(),
        decl::<model::LastMessage>(),
        decl::<model::UserProfile>(),
        decl::<model::Conversation>(),
        decl::<model::GroupSelfInfo>(),
        decl::<model::Group>(),
        decl::<model::GroupTipPayload>(),
        decl::<model::Signaling>(),
        // error
        decl::<error::ImError>(),
        // wire helpers shared by several replies
        decl::<wire::UserRef>(),
        decl::<wire::UserFailure>(),
        // profiles
        decl::<profiles::CustomField>(),
        decl::<profiles::Profile>(),
        decl::<profiles::UserStatus>(),
        decl::<profiles::UserFailure>(),
        decl::<profiles::GetUserStatusReply>(),
        decl::<profiles::SubscriptionReply>(),
        // relations
        decl::<relations::FriendCustomField>(),
        decl::<relations::Friend>(),
        decl::<relations::FriendApplication>(),
        decl::<relations::FriendGroup>(),
        decl::<relations::AddFriendReply>(),
        decl::<relations::UserResults>(),
        decl::<relations::CheckResult>(),
        decl::<relations::CheckFriendReply>(),
        decl::<relations::FriendProfileReply>(),
        decl::<relations::FriendApplicationList>(),
        decl::<relations::FriendGroupReply>(),
        // group members
        decl::<group_members::MemberCustomField>(),
        decl::<group_members::GroupMember>(),
        decl::<group_members::GroupMemberListReply>(),
        decl::<group_members::MemberListReply>(),
        decl::<group_members::AddGroupMemberReply>(),
        decl::<group_members::DeleteGroupMemberReply>(),
        decl::<group_members::GroupMemberReply>(),
        decl::<group_members::MarkGroupMemberListReply>(),
        // topics
        decl::<topics::Topic>(),
        decl::<topics::TopicIdReply>(),
        decl::<topics::TopicFailure>(),
        decl::<topics::TopicResults>(),
        decl::<topics::TopicReply>(),
        // follows
        decl::<follows::FollowUser>(),
        decl::<follows::FollowListUpdate>(),
        decl::<follows::FollowResult>(),
        decl::<follows::FollowPage>(),
        decl::<follows::FollowInfo>(),
        decl::<follows::FollowTypeResult>(),
        // message extensions, reactions, read receipts, search, translation
        decl::<message_extras::Extension>(),
        decl::<message_extras::ExtensionResult>(),
        decl::<message_extras::ExtensionsReply>(),
        decl::<message_extras::GetExtensionsReply>(),
        decl::<message_extras::ReactionUser>(),
        decl::<message_extras::Reaction>(),
        decl::<message_extras::ReactionChangeReply>(),
        decl::<message_extras::MessageReactions>(),
        decl::<message_extras::GetMessageReactionsReply>(),
        decl::<message_extras::ReactionUserPage>(),
        decl::<message_extras::ReadReceiptListReply>(),
        decl::<message_extras::ReadMemberPage>(),
        decl::<message_extras::SearchResult>(),
        decl::<message_extras::SearchReply>(),
        decl::<message_extras::TranslateReply>(),
        decl::<message_extras::VoiceToTextReply>(),
    ]
}

/// The whole file: the header, then every declaration.
fn render(decls: &[Decl]) -> String {
    let mut out = String::from(HEADER);
    for d in decls {
        out.push('\n');
        out.push_str(&d.text);
        out.push('\n');
    }
    out
}

fn target() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/sdk/generated/types.ts")
}

#[test]
fn one_file_declares_every_referenced_type_once() {
    let decls = decls();
    let mut names = BTreeSet::new();
    for d in &decls {
        assert!(names.insert(d.name.clone()), "{} is declared twice", d.name);
    }
    for d in &decls {
        for dep in &d.deps {
            assert!(
                names.contains(dep),
                "{} refers to {dep}, which is not in decls(): add it",
                d.name
            );
        }
        assert!(
            !d.text.contains("bigint"),
            "{} has a bigint field: JSON carries plain numbers, \
             add #[cfg_attr(feature = \"ts\", ts(type = \"number\"))]",
            d.name
        );
    }
}

#[test]
fn generated_typescript_matches_the_rust_types() {
    let want = render(&decls());
    let path = target();
    if std::env::var_os("UPDATE_TS_BINDINGS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("creates the dir");
        std::fs::write(&path, &want).expect("writes types.ts");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let line = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| have.lines().count().min(want.lines().count()))
            + 1;
        panic!(
            "{} is out of date with the Rust types (first difference at line {line}).\n\
             Regenerate it with:\n    \
             UPDATE_TS_BINDINGS=1 cargo test -p pigeon-proto --features ts\n\
             and commit the result.",
            path.display()
        );
    }
}

#[test]
fn field_names_follow_serde() {
    let text = render(&decls());
    for needle in [
        "  ID: string,",
        "  type: string,",
        "conversationID: string",
        "conversationType: string",
        "receiverList?: Array<string>",
        "version?: number",
        "groupProfile: Group | null",
        "markList: Array<number>",
        "data?: JsonValue",
        "userID: string",
        "readUserIDList?: Array<string>",
    ] {
        assert!(text.contains(needle), "missing `{needle}`");
    }
}

/// The field names a declaration gives its object type (`?` stripped).
fn ts_fields(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' ') && !l.starts_with('/'))
        .filter_map(|l| l.split_once(':'))
        .map(|(name, _)| name.trim_end_matches('?').to_owned())
        .collect()
}

/// The keys serde writes for `value`, with the TypeScript name of its type.
fn json_keys<T: TS + serde::Serialize + 'static>(value: T) -> (String, BTreeSet<String>) {
    let v = serde_json::to_value(&value).expect("serializes");
    let keys = v.as_object().expect("an object").keys().cloned().collect();
    (T::ident(), keys)
}

/// Every exported object type names its fields exactly as serde writes them (optional fields
/// are filled in the samples, so they must appear too).
#[test]
fn ts_fields_are_the_serde_keys() {
    use serde_json::json;
    let samples = vec![
        json_keys(model::Message {
            receiver_list: Some(vec![]),
            version: 1,
            ..Default::default()
        }),
        json_keys(model::LastMessage::default()),
        json_keys(model::UserProfile::default()),
        json_keys(model::Conversation::default()),
        json_keys(model::GroupSelfInfo::default()),
        json_keys(model::Group::default()),
        json_keys(model::GroupTipPayload::default()),
        json_keys(model::Signaling::default()),
        json_keys(error::ImError::new(1, "x").with_data(json!({}))),
        json_keys(wire::UserRef::default()),
        json_keys(wire::UserFailure::default()),
        json_keys(profiles::CustomField {
            key: "k".into(),
            value: json!(1),
        }),
        json_keys(profiles::Profile::default()),
        json_keys(profiles::UserStatus {
            user_id: "u".into(),
            status_type: 1,
            custom_status: String::new(),
        }),
        json_keys(profiles::UserFailure {
            user_id: "u".into(),
            code: 1,
            message: String::new(),
        }),
        json_keys(profiles::GetUserStatusReply::default()),
        json_keys(profiles::SubscriptionReply::default()),
        json_keys(relations::FriendCustomField::default()),
        json_keys(relations::Friend::default()),
        json_keys(relations::FriendApplication::default()),
        json_keys(relations::FriendGroup::default()),
        json_keys(relations::AddFriendReply::default()),
        json_keys(relations::UserResults::default()),
        json_keys(relations::CheckResult::default()),
        json_keys(relations::CheckFriendReply::default()),
        json_keys(relations::FriendProfileReply::default()),
        json_keys(relations::FriendApplicationList::default()),
        json_keys(relations::FriendGroupReply::default()),
        json_keys(group_members::MemberCustomField::default()),
        json_keys(group_members::GroupMember::default()),
        json_keys(group_members::GroupMemberListReply::default()),
        json_keys(group_members::MemberListReply::default()),
        json_keys(group_members::AddGroupMemberReply::default()),
        json_keys(group_members::DeleteGroupMemberReply::default()),
        json_keys(group_members::GroupMemberReply::default()),
        json_keys(group_members::MarkGroupMemberListReply::default()),
        json_keys(topics::Topic::default()),
        json_keys(topics::TopicIdReply::default()),
        json_keys(topics::TopicFailure::default()),
        json_keys(topics::TopicResults::default()),
        json_keys(topics::TopicReply::default()),
        json_keys(follows::FollowUser::default()),
        json_keys(follows::FollowListUpdate::default()),
        json_keys(follows::FollowResult::default()),
        json_keys(follows::FollowPage::default()),
        json_keys(follows::FollowInfo::default()),
        json_keys(follows::FollowTypeResult::default()),
        json_keys(message_extras::Extension {
            key: "k".into(),
            value: "v".into(),
        }),
        json_keys(message_extras::ExtensionResult {
            code: 0,
            key: "k".into(),
            value: "v".into(),
        }),
        json_keys(message_extras::ExtensionsReply::default()),
        json_keys(message_extras::GetExtensionsReply::default()),
        json_keys(message_extras::ReactionUser::default()),
        json_keys(message_extras::Reaction::default()),
        json_keys(message_extras::ReactionChangeReply::default()),
        json_keys(message_extras::MessageReactions::default()),
        json_keys(message_extras::GetMessageReactionsReply::default()),
        json_keys(message_extras::ReactionUserPage::default()),
        json_keys(message_extras::ReadReceiptListReply::default()),
        json_keys(message_extras::ReadMemberPage {
            read_user_id_list: Some(vec![]),
            unread_user_id_list: Some(vec![]),
            ..Default::default()
        }),
        json_keys(message_extras::SearchResult::default()),
        json_keys(message_extras::SearchReply::default()),
        json_keys(message_extras::TranslateReply::default()),
        json_keys(message_extras::VoiceToTextReply::default()),
    ];
    let decls = decls();
    // Every object type has a sample (JsonValue is the only non-object declaration).
    assert_eq!(
        samples.len(),
        decls.len() - 1,
        "a sample per exported object type"
    );
    for (name, keys) in samples {
        let d = decls
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("{name} is not in decls()"));
        assert_eq!(
            ts_fields(&d.text),
            keys,
            "{name}: TypeScript fields vs serde keys"
        );
    }
}
