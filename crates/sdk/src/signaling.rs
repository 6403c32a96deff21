//! Signaling: `invite`, `inviteInGroup`, `cancel`, `accept`, `reject`, `modifyInvitation`,
//! `getSignalingInfo`, and the TSignaling events, raised from the signaling messages this user
//! receives (and, at login, from invitations still waiting for an answer).

use crate::state::{Event, State};
use crate::{Chat, Inner};
use pigeon_proto::consts::event;
use pigeon_proto::model::{action, Message, Signaling};
use pigeon_proto::wire::{
    AcceptInvitation, CancelInvitation, GetPendingInvitations, InvitationAction, Invite,
    ModifyInvitation, Op, RejectInvitation,
};
use pigeon_proto::{ImError, Result};
use serde::Deserialize;
use serde_json::{json, Value};

fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: Value) -> Result<T> {
    if !v.is_object() {
        return Err(ImError::invalid(format!("{what} takes an options object")));
    }
    serde_json::from_value(v).map_err(|e| ImError::invalid(format!("{what}: {e}")))
}

fn new_invitation(s: &Signaling) -> Event {
    Event::new(
        event::NEW_INVITATION_RECEIVED,
        json!({
            "inviteID": s.invite_id,
            "inviter": s.inviter,
            "groupID": s.group_id,
            "inviteeList": s.invitee_list,
            "data": s.data,
            "timeout": s.timeout,
        }),
    )
}

impl State {
    /// The TSignaling events `messages` mean for this user.
    pub(crate) fn signaling_events(&mut self, messages: &[Message]) -> Vec<Event> {
        let me = self.user_id.clone();
        let mut events = Vec::new();
        for m in messages {
            let Some((s, modified)) = Signaling::from_message(m) else {
                continue;
            };
            let invited = s.invitee_list.contains(&me);
            let involved = s.inviter == me || invited;
            match s.action_type {
                action::INVITE if modified && invited => events.push(Event::new(
                    event::INVITATION_MODIFIED,
                    json!({ "inviteID": s.invite_id, "inviter": s.inviter, "groupID": s.group_id,
                            "data": s.data }),
                )),
                action::INVITE if invited && self.seen_invites.insert(s.invite_id.clone()) => {
                    events.push(new_invitation(&s));
                }
                action::CANCEL if invited => events.push(Event::new(
                    event::INVITATION_CANCELLED,
                    json!({ "inviteID": s.invite_id, "inviter": s.inviter, "groupID": s.group_id,
                            "data": s.data }),
                )),
                // The inviter and the other invitees hear of each answer; other members of the
                // group, who receive the message too, do not. An answer's inviteeList only
                // names who answered, so "another invitee" means one who was announced the
                // invitation (a C2C answer only ever reaches the two sides).
                action::ACCEPT | action::REJECT
                    if m.from != me
                        && (s.group_id.is_empty()
                            || s.inviter == me
                            || self.seen_invites.contains(&s.invite_id)) =>
                {
                    let name = if s.action_type == action::ACCEPT {
                        event::INVITEE_ACCEPTED
                    } else {
                        event::INVITEE_REJECTED
                    };
                    events.push(Event::new(
                        name,
                        json!({ "inviteID": s.invite_id, "inviter": s.inviter,
                                "invitee": m.from, "groupID": s.group_id, "data": s.data }),
                    ));
                }
                action::TIMEOUT if involved => {
                    events.push(Event::new(
                        event::INVITATION_TIMEOUT,
                        json!({ "inviteID": s.invite_id, "inviter": s.inviter,
                                "groupID": s.group_id, "inviteeList": s.invitee_list,
                                "isSelfTimeout": invited }),
                    ));
                }
                _ => {}
            }
        }
        events
    }
}

impl Inner {
    /// Announces invitations still waiting for this user that the inbox did not bring (a new
    /// device, or a history cleared since).
    pub(crate) async fn announce_pending_invitations(
        &self,
        gen: u64,
        conn: &crate::conn::Conn,
    ) -> Result<()> {
        let pending = conn.call(&GetPendingInvitations {}).await?.invitations;
        let events = {
            let mut st = self.lock_state();
            if st.generation != gen {
                return Ok(());
            }
            pending
                .iter()
                .filter(|s| st.seen_invites.insert(s.invite_id.clone()))
                .map(new_invitation)
                .collect()
        };
        self.emit_all(events);
        Ok(())
    }
}

impl Chat {
    async fn signaling_call<O: Op>(&self, op: &O) -> Result<Value> {
        let conn = self.inner().online()?;
        let reply = conn.call(op).await?;
        serde_json::to_value(reply).map_err(|e| ImError::internal(e.to_string()))
    }

    /// Implements `invite`: a C2C invitation; resolves with `{inviteID}`.
    pub async fn invite(&self, options: Value) -> Result<Value> {
        let mut op: Invite = parse("invite", options)?;
        if op.user_id.as_deref().is_none_or(str::is_empty) {
            return Err(ImError::invalid("invite: userID is required"));
        }
        op.group_id = None;
        self.signaling_call(&op).await
    }

    /// Implements `inviteInGroup`: invites members of a group; resolves with `{inviteID}`.
    pub async fn invite_in_group(&self, options: Value) -> Result<Value> {
        let mut op: Invite = parse("inviteInGroup", options)?;
        if op.group_id.as_deref().is_none_or(str::is_empty) {
            return Err(ImError::invalid("inviteInGroup: groupID is required"));
        }
        if op.invitee_list.is_empty() {
            return Err(ImError::invalid("inviteInGroup: inviteeList is required"));
        }
        op.user_id = None;
        self.signaling_call(&op).await
    }

    fn action(method: &str, options: Value) -> Result<InvitationAction> {
        let a: InvitationAction = parse(method, options)?;
        if a.invite_id.is_empty() {
            return Err(ImError::invalid(format!("{method}: inviteID is required")));
        }
        Ok(a)
    }

    /// Implements `cancel` (inviter only).
    pub async fn cancel(&self, options: Value) -> Result<Value> {
        self.signaling_call(&CancelInvitation(Self::action("cancel", options)?))
            .await
    }

    /// Implements `accept` (invitees only, once).
    pub async fn accept(&self, options: Value) -> Result<Value> {
        self.signaling_call(&AcceptInvitation(Self::action("accept", options)?))
            .await
    }

    /// Implements `reject` (invitees only, once).
    pub async fn reject(&self, options: Value) -> Result<Value> {
        self.signaling_call(&RejectInvitation(Self::action("reject", options)?))
            .await
    }

    /// Implements `modifyInvitation` (inviter only; not for onlineUserOnly invitations).
    pub async fn modify_invitation(&self, options: Value) -> Result<Value> {
        if !options.get("data").is_some_and(Value::is_string) {
            return Err(ImError::invalid(
                "modifyInvitation: data (a string) is required",
            ));
        }
        let a = Self::action("modifyInvitation", options)?;
        self.signaling_call(&ModifyInvitation(a)).await
    }

    /// Implements `getSignalingInfo`: the Signaling a message carries, or None.
    pub fn get_signaling_info(&self, message: Value) -> Result<Option<Signaling>> {
        if !message.is_object() {
            return Err(ImError::invalid("getSignalingInfo takes a Message"));
        }
        let m: Message = serde_json::from_value(message)
            .map_err(|e| ImError::invalid(format!("getSignalingInfo: {e}")))?;
        Ok(Signaling::from_message(&m).map(|(s, _)| s))
    }
}
