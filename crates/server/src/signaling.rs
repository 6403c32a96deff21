//! Signaling: call invitations carried as messages (`invite`, `inviteInGroup`, `cancel`,
//! `accept`, `reject`, `modifyInvitation`), with the timeout run by the server so it fires
//! even when nobody is online and survives a restart.

use crate::hub::SessionId;
use crate::invalid;
use crate::store::Invitation;
use crate::{messages, validate_user_id, AppState, Caller};
use pigeon_proto::consts::types;
use pigeon_proto::error::code;
use pigeon_proto::model::{action, Message, Signaling};
use pigeon_proto::wire::{InvitationAction, Invite, InviteReply, PendingInvitations, SendMessage};
use pigeon_proto::{ImError, Result};
use std::sync::Arc;
use std::time::Duration;

/// How often the sweeper looks for expired invitations.
const SWEEP_EVERY: Duration = Duration::from_millis(200);
/// Longest timeout accepted (a day).
const MAX_TIMEOUT: u64 = 86_400;
/// Most invitees of one group invitation.
const MAX_INVITEES: usize = 100;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn unknown(id: &str) -> ImError {
    ImError::new(
        code::SIGNALING_INVALID_INVITE_ID,
        format!("invitation {id} does not exist"),
    )
}

fn ended(id: &str) -> ImError {
    ImError::new(
        code::SIGNALING_INVALID_INVITE_ID,
        format!("invitation {id} has ended (cancelled, answered or timed out)"),
    )
}

fn no_permission(msg: impl Into<String>) -> ImError {
    ImError::new(code::SIGNALING_NO_PERMISSION, msg)
}

/// Whether the custom data asks to stay out of unread counts and last messages.
fn excluded_from_history(data: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get("excludeFromHistoryMessage").and_then(|b| b.as_bool()))
        .unwrap_or(false)
}

/// Posts one signaling message for `inv` from `sender` into its conversation.
fn post(
    st: &AppState,
    sender: &str,
    session: SessionId,
    inv: &Invitation,
    sig: Signaling,
    modified: bool,
) -> Result<()> {
    let (to, conv_type) = if inv.signaling.group_id.is_empty() {
        let peer = if sender == inv.signaling.inviter {
            inv.signaling
                .invitee_list
                .first()
                .cloned()
                .unwrap_or_default()
        } else {
            inv.signaling.inviter.clone()
        };
        (peer, types::CONV_C2C)
    } else {
        (inv.signaling.group_id.clone(), types::CONV_GROUP)
    };
    let message = Message {
        id: format!(
            "sig-{}-{}-{}-{}",
            sig.invite_id,
            sig.action_type,
            now_ms(),
            rand::random::<u32>()
        ),
        kind: types::MSG_CUSTOM.to_owned(),
        payload: serde_json::json!({
            "data": sig.to_data(modified),
            "description": "",
            "extension": "",
        }),
        conversation_type: conv_type.to_owned(),
        to,
        priority: types::MSG_PRIORITY_HIGH.to_owned(),
        ..Default::default()
    };
    let req = SendMessage {
        message,
        online_user_only: inv.online_only,
        excluded_from_unread_count: inv.excluded,
        excluded_from_last_message: inv.excluded,
    };
    let caller = Caller {
        user_id: sender.to_owned(),
        session,
    };
    messages::send(st, &caller, req).map(|_| ())
}

/// Implements `invite` and `inviteInGroup`.
pub fn invite(st: &AppState, caller: &Caller, req: Invite) -> Result<InviteReply> {
    let me = &caller.user_id;
    if req.timeout > MAX_TIMEOUT {
        return Err(invalid(format!("timeout is at most {MAX_TIMEOUT} seconds")));
    }
    let (group_id, invitees) = match (req.user_id.filter(|u| !u.is_empty()), req.group_id) {
        (Some(user), None) => {
            validate_user_id("userID", &user)?;
            if user == *me {
                return Err(invalid("cannot invite yourself"));
            }
            (String::new(), vec![user])
        }
        (None, Some(gid)) if !gid.is_empty() => {
            let group = crate::groups::live(st, &gid)?;
            let members = st.db(|s| s.members(&group.group_id))?;
            if !members.iter().any(|m| m.user_id == *me) {
                return Err(ImError::new(
                    code::GROUP_NO_PERMISSION,
                    format!("{me} is not a member of group {gid}"),
                ));
            }
            if req.invitee_list.is_empty() || req.invitee_list.len() > MAX_INVITEES {
                return Err(invalid(format!(
                    "inviteeList takes 1 to {MAX_INVITEES} members"
                )));
            }
            let mut invitees: Vec<String> = Vec::new();
            for u in req.invitee_list {
                if u == *me {
                    return Err(invalid("cannot invite yourself"));
                }
                if !members.iter().any(|m| m.user_id == u) {
                    return Err(invalid(format!(
                        "invitee {u} is not a member of group {gid}"
                    )));
                }
                if !invitees.contains(&u) {
                    invitees.push(u);
                }
            }
            (gid, invitees)
        }
        _ => return Err(invalid("invite takes a userID; inviteInGroup a groupID")),
    };
    let created_ms = now_ms();
    let signaling = Signaling {
        invite_id: format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            rand::random::<u32>(),
            rand::random::<u16>(),
            rand::random::<u16>(),
            rand::random::<u16>(),
            rand::random::<u64>() & 0xffff_ffff_ffff
        ),
        group_id,
        inviter: me.clone(),
        invitee_list: invitees,
        data: req.data,
        action_type: action::INVITE,
        timeout: req.timeout,
    };
    let inv = Invitation {
        excluded: excluded_from_history(&signaling.data),
        signaling,
        online_only: req.online_user_only,
        offline_push_info: req.offline_push_info,
        created_ms,
        deadline_ms: if req.timeout > 0 {
            created_ms + req.timeout * 1000
        } else {
            0
        },
        answers: Default::default(),
        done: false,
    };
    // Stored before the message goes out, so an answer can never find it missing.
    st.db(|s| s.put_invitation(&inv))?;
    post(st, me, caller.session, &inv, inv.signaling.clone(), false)?;
    Ok(InviteReply {
        invite_id: inv.signaling.invite_id,
    })
}

/// Which action an answer is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `accept`.
    Accept,
    /// `reject`.
    Reject,
}

fn open_invitation(st: &AppState, id: &str) -> Result<Invitation> {
    let inv = st.db(|s| s.invitation(id))?.ok_or_else(|| unknown(id))?;
    if inv.done {
        return Err(ended(id));
    }
    Ok(inv)
}

/// Implements `cancel`: the inviter withdraws the invitation.
pub fn cancel(st: &AppState, caller: &Caller, req: InvitationAction) -> Result<InviteReply> {
    let mut inv = open_invitation(st, &req.invite_id)?;
    if inv.signaling.inviter != caller.user_id {
        return Err(no_permission("only the inviter can cancel an invitation"));
    }
    inv.done = true;
    st.db(|s| s.put_invitation(&inv))?;
    let sig = Signaling {
        action_type: action::CANCEL,
        data: req.data,
        ..inv.signaling.clone()
    };
    post(st, &caller.user_id, caller.session, &inv, sig, false)?;
    Ok(InviteReply {
        invite_id: req.invite_id,
    })
}

/// Implements `accept` and `reject`: an invitee answers, once.
pub fn answer(
    st: &AppState,
    caller: &Caller,
    req: InvitationAction,
    answer: Answer,
) -> Result<InviteReply> {
    let me = &caller.user_id;
    let mut inv = open_invitation(st, &req.invite_id)?;
    if !inv.signaling.invitee_list.contains(me) {
        return Err(no_permission(
            "only an invitee can accept or reject an invitation",
        ));
    }
    if inv.answers.contains_key(me) {
        return Err(ImError::new(
            code::SIGNALING_ALREADY_ANSWERED,
            format!("{me} already answered invitation {}", req.invite_id),
        ));
    }
    let act = match answer {
        Answer::Accept => action::ACCEPT,
        Answer::Reject => action::REJECT,
    };
    inv.answers.insert(me.clone(), act);
    inv.done = inv
        .signaling
        .invitee_list
        .iter()
        .all(|u| inv.answers.contains_key(u));
    st.db(|s| s.put_invitation(&inv))?;
    let sig = Signaling {
        action_type: act,
        data: req.data,
        invitee_list: vec![me.clone()],
        ..inv.signaling.clone()
    };
    post(st, me, caller.session, &inv, sig, false)?;
    Ok(InviteReply {
        invite_id: req.invite_id,
    })
}

/// Implements `modifyInvitation`: the inviter changes the custom data of an open invitation.
pub fn modify(st: &AppState, caller: &Caller, req: InvitationAction) -> Result<InviteReply> {
    let mut inv = open_invitation(st, &req.invite_id)?;
    if inv.signaling.inviter != caller.user_id {
        return Err(no_permission("only the inviter can modify an invitation"));
    }
    if inv.online_only {
        return Err(invalid(
            "invitations sent with onlineUserOnly cannot be modified",
        ));
    }
    inv.signaling.data = req.data;
    st.db(|s| s.put_invitation(&inv))?;
    post(
        st,
        &caller.user_id,
        caller.session,
        &inv,
        inv.signaling.clone(),
        true,
    )?;
    Ok(InviteReply {
        invite_id: req.invite_id,
    })
}

/// Open invitations waiting for the caller (so an invitee who was offline still gets them).
pub fn pending(st: &AppState, caller: &Caller) -> Result<PendingInvitations> {
    let list = st.db(|s| s.pending_invitations(&caller.user_id))?;
    Ok(PendingInvitations {
        invitations: list.into_iter().map(|i| i.signaling).collect(),
    })
}

/// Ends expired invitations: every invitee who had not answered timed out, and both sides
/// get a timeout signaling message.
pub fn sweep(st: &AppState) -> Result<usize> {
    let expired = st.db(|s| s.expired_invitations(now_ms()))?;
    let n = expired.len();
    for mut inv in expired {
        let timed_out: Vec<String> = inv
            .signaling
            .invitee_list
            .iter()
            .filter(|u| !inv.answers.contains_key(*u))
            .cloned()
            .collect();
        for u in &timed_out {
            inv.answers.insert(u.clone(), action::TIMEOUT);
        }
        inv.done = true;
        // Every node sweeps; only the one whose update closes the invitation announces it.
        if !st.db(|s| s.close_invitation(&inv))? {
            continue;
        }
        if timed_out.is_empty() {
            continue;
        }
        let sig = Signaling {
            action_type: action::TIMEOUT,
            invitee_list: timed_out,
            ..inv.signaling.clone()
        };
        // Session 0 is nobody's: every session of every side gets it.
        let inviter = inv.signaling.inviter.clone();
        if let Err(e) = post(st, &inviter, 0, &inv, sig, false) {
            tracing::warn!(invite = %inv.signaling.invite_id, error = %e, "could not post a timeout");
        }
    }
    Ok(n)
}

/// Runs [`sweep`] until the process ends.
pub async fn run_timeouts(st: Arc<AppState>) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = sweep(&st) {
            tracing::warn!(error = %e, "invitation sweep failed");
        }
    }
}
