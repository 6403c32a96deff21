//! Message extensions, reactions, read receipts, cloud search, translation and speech-to-text (issue 3).
//!
//! Each method checks its arguments, names messages by their `ID` and asks the server; the
//! server computes and pushes the events (MESSAGE_EXTENSIONS_*, MESSAGE_REACTIONS_UPDATED,
//! MESSAGE_READ_RECEIPT_RECEIVED), which arrive here as they are and are emitted unchanged.

use crate::Chat;
use pigeon_proto::error::code as core_code;
use pigeon_proto::message_extras::*;
use pigeon_proto::wire::Op;
use pigeon_proto::{ImError, Result};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Seed methods this module implements.
pub const METHODS: &[&str] = &[
    "setMessageExtensions",
    "getMessageExtensions",
    "deleteMessageExtensions",
    "addMessageReaction",
    "removeMessageReaction",
    "getMessageReactions",
    "getAllUserListOfMessageReaction",
    "sendMessageReadReceipt",
    "getMessageReadReceiptList",
    "getGroupMessageReadMemberList",
    "searchCloudMessages",
    "translateText",
    "convertVoiceToText",
];

fn arg(args: &mut [Value], i: usize) -> Value {
    args.get_mut(i).map(Value::take).unwrap_or(Value::Null)
}

/// The `ID` of a Message argument.
fn message_id(method: &str, what: &str, m: &Value) -> Result<String> {
    m.get("ID")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ImError::invalid(format!("{method}: {what} must be a Message with an ID")))
}

/// The IDs of a Message[] argument.
fn message_ids(method: &str, v: &Value) -> Result<Vec<String>> {
    let list = v
        .as_array()
        .ok_or_else(|| ImError::invalid(format!("{method}: messageList must be an array")))?;
    list.iter()
        .map(|m| message_id(method, "each messageList item", m))
        .collect()
}

fn options<'a>(method: &str, v: &'a Value) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| ImError::invalid(format!("{method} takes an options object")))
}

fn string_field(
    method: &str,
    o: &Map<String, Value>,
    name: &str,
    required: bool,
) -> Result<String> {
    match o.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) if !required => Ok(String::new()),
        _ => Err(ImError::invalid(format!(
            "{method}: {name} must be a string"
        ))),
    }
}

fn string_list(method: &str, o: &Map<String, Value>, name: &str) -> Result<Vec<String>> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ImError::invalid(format!("{method}: {name} takes strings")))
            })
            .collect(),
        _ => Err(ImError::invalid(format!(
            "{method}: {name} must be an array of strings"
        ))),
    }
}

fn number_field(
    method: &str,
    o: &Map<String, Value>,
    name: &str,
    default: Option<u64>,
) -> Result<u64> {
    match (o.get(name), default) {
        (Some(v), _) if !v.is_null() => v.as_u64().ok_or_else(|| {
            ImError::invalid(format!("{method}: {name} must be a non-negative integer"))
        }),
        (_, Some(d)) => Ok(d),
        _ => Err(ImError::invalid(format!("{method}: {name} is required"))),
    }
}

/// Search start times per SDK instance, for the seed's local limit of 2 calls per second.
fn search_calls() -> &'static Mutex<HashMap<usize, VecDeque<Instant>>> {
    static CALLS: OnceLock<Mutex<HashMap<usize, VecDeque<Instant>>>> = OnceLock::new();
    CALLS.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Chat {
    async fn extras_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    /// Takes one of the two search slots of the current second, or fails with 2996.
    fn search_slot(&self) -> Result<()> {
        let key = std::sync::Arc::as_ptr(self.inner()) as usize;
        let mut calls = search_calls()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        // Instances that have not searched within the second need no entry (bounded map).
        calls.retain(|k, q| {
            *k == key
                || q.back()
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(1))
        });
        let q = calls.entry(key).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            q.pop_front();
        }
        if q.len() >= SEARCH_CALLS_PER_SECOND {
            return Err(ImError::new(
                core_code::OVER_FREQUENCY_LIMIT,
                "searchCloudMessages: at most 2 calls per second",
            ));
        }
        q.push_back(now);
        Ok(())
    }

    /// Calls one of [`METHODS`]; None for any other method.
    pub(crate) async fn invoke_message_extras(
        &self,
        method: &str,
        args: &mut [Value],
    ) -> Option<Result<Value>> {
        if !METHODS.contains(&method) {
            return None;
        }
        Some(self.extras(method, args).await)
    }

    async fn extras(&self, method: &str, args: &mut [Value]) -> Result<Value> {
        let a0 = arg(args, 0);
        match method {
            "setMessageExtensions" => {
                let message_id = message_id(method, "message", &a0)?;
                let list = arg(args, 1);
                let extensions: Vec<Extension> = serde_json::from_value(list).map_err(|e| {
                    ImError::invalid(format!(
                        "{method}: extensions must be [{{key, value}}] of strings: {e}"
                    ))
                })?;
                self.extras_call(&SetMessageExtensions {
                    message_id,
                    extensions,
                })
                .await
            }
            "getMessageExtensions" => {
                let message_id = message_id(method, "message", &a0)?;
                self.extras_call(&GetMessageExtensions { message_id }).await
            }
            "deleteMessageExtensions" => {
                let message_id = message_id(method, "message", &a0)?;
                let keys = arg(args, 1);
                let key_list = if keys.is_null() {
                    None
                } else {
                    let mut o = Map::new();
                    o.insert("keyList".into(), keys);
                    Some(string_list(method, &o, "keyList")?)
                };
                self.extras_call(&DeleteMessageExtensions {
                    message_id,
                    key_list,
                })
                .await
            }
            "addMessageReaction" | "removeMessageReaction" => {
                let message_id = message_id(method, "message", &a0)?;
                let reaction_id = arg(args, 1).as_str().map(str::to_owned).ok_or_else(|| {
                    ImError::invalid(format!("{method}: reactionID must be a string"))
                })?;
                let change = ReactionChange {
                    message_id,
                    reaction_id,
                };
                if method == "addMessageReaction" {
                    self.extras_call(&AddMessageReaction(change)).await?;
                } else {
                    self.extras_call(&RemoveMessageReaction(change)).await?;
                }
                Ok(Value::Object(Map::new()))
            }
            "getMessageReactions" => {
                let o = options(method, &a0)?;
                let list = o.get("messageList").cloned().unwrap_or(Value::Null);
                let message_id_list = message_ids(method, &list)?;
                let max = number_field(method, o, "maxUserCountPerReaction", Some(10))?;
                self.extras_call(&GetMessageReactions {
                    message_id_list,
                    max_user_count_per_reaction: u32::try_from(max).unwrap_or(u32::MAX),
                })
                .await
            }
            "getAllUserListOfMessageReaction" => {
                let o = options(method, &a0)?;
                let m = o.get("message").cloned().unwrap_or(Value::Null);
                let message_id = message_id(method, "message", &m)?;
                let reaction_id = string_field(method, o, "reactionID", true)?;
                let next_seq = number_field(method, o, "nextSeq", Some(0))?;
                let count = number_field(method, o, "count", Some(100))?;
                self.extras_call(&GetAllUserListOfMessageReaction {
                    message_id,
                    reaction_id,
                    next_seq,
                    count: u32::try_from(count).unwrap_or(u32::MAX),
                })
                .await
            }
            "sendMessageReadReceipt" | "getMessageReadReceiptList" => {
                let message_id_list = message_ids(method, &a0)?;
                if message_id_list.is_empty() {
                    return Err(ImError::new(
                        code::READ_RECEIPT_MSG_LIST_EMPTY,
                        format!("{method}: messageList must not be empty"),
                    ));
                }
                if method == "sendMessageReadReceipt" {
                    self.extras_call(&SendMessageReadReceipt { message_id_list })
                        .await?;
                    Ok(Value::Object(Map::new()))
                } else {
                    self.extras_call(&GetMessageReadReceiptList { message_id_list })
                        .await
                }
            }
            "getGroupMessageReadMemberList" => {
                let o = options(method, &a0)?;
                let m = o.get("message").cloned().unwrap_or(Value::Null);
                let message_id = message_id(method, "message", &m)?;
                let cursor = string_field(method, o, "cursor", false)?;
                let filter = number_field(method, o, "filter", Some(0))?;
                let count = number_field(method, o, "count", Some(100))?;
                self.extras_call(&GetGroupMessageReadMemberList {
                    message_id,
                    cursor,
                    filter: u32::try_from(filter).unwrap_or(u32::MAX),
                    count: u32::try_from(count).unwrap_or(u32::MAX),
                })
                .await
            }
            "searchCloudMessages" => {
                let o = options(method, &a0)?;
                let conversation_id = Some(string_field(method, o, "conversationID", false)?)
                    .filter(|c| !c.is_empty());
                let cursor =
                    Some(string_field(method, o, "cursor", false)?).filter(|c| !c.is_empty());
                let req = SearchCloudMessages {
                    keyword_list: string_list(method, o, "keywordList")?,
                    keyword_list_match_type: string_field(
                        method,
                        o,
                        "keywordListMatchType",
                        false,
                    )?,
                    sender_user_id_list: string_list(method, o, "senderUserIDList")?,
                    message_type_list: string_list(method, o, "messageTypeList")?,
                    conversation_id,
                    time_position: number_field(method, o, "timePosition", Some(0))?,
                    time_period: number_field(method, o, "timePeriod", Some(0))?,
                    cursor,
                };
                self.inner().online()?;
                self.search_slot()?;
                self.extras_call(&req).await
            }
            "translateText" => {
                let o = options(method, &a0)?;
                if !matches!(o.get("sourceTextList"), Some(Value::Array(_))) {
                    return Err(ImError::invalid(format!(
                        "{method}: sourceTextList must be an array of strings"
                    )));
                }
                self.extras_call(&TranslateText {
                    source_text_list: string_list(method, o, "sourceTextList")?,
                    source_language: string_field(method, o, "sourceLanguage", true)?,
                    target_language: string_field(method, o, "targetLanguage", true)?,
                })
                .await
            }
            "convertVoiceToText" => {
                let o = options(method, &a0)?;
                let m = o.get("message").cloned().unwrap_or(Value::Null);
                let message_id = message_id(method, "message", &m)?;
                let language = string_field(method, o, "language", false)?;
                self.extras_call(&ConvertVoiceToText {
                    message_id,
                    language,
                })
                .await
            }
            _ => Err(ImError::internal(format!("{method} has no handler"))),
        }
    }
}
