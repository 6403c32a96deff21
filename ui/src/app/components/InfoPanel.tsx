import { useEffect, useState } from "preact/hooks";
import { TYPES } from "../../sdk";
import { isMuted, targetOf } from "../logic";
import { conversationOf, getChat, mute, refreshContacts, run, toast } from "../session";
import { setState, useStore } from "../store";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";
import { Menu, type MenuItem } from "./Dialogs";
import { loadMembers } from "./ChatView";

/** The right panel: group info or the peer's profile. */
export function InfoPanel(props: { conversationID: string }) {
  const t = targetOf(props.conversationID);
  return (
    <aside class="panel" data-testid="info-panel">
      <div class="panel-head">
        <strong>{t.type === TYPES.CONV_GROUP ? "Group info" : "Profile"}</strong>
        <button class="icon-btn" title="Close" onClick={() => setState({ panel: "" })}>
          <Icon name="close" />
        </button>
      </div>
      {t.type === TYPES.CONV_GROUP ? <GroupInfo groupID={t.id} conversationID={props.conversationID} /> : <UserInfo userID={t.id} conversationID={props.conversationID} />}
    </aside>
  );
}

const REMIND: [string, string][] = [
  [String(TYPES.MSG_REMIND_ACPT_AND_NOTE), "Notify me"],
  [String(TYPES.MSG_REMIND_ACPT_NOT_NOTE), "Receive without notifying"],
  [String(TYPES.MSG_REMIND_DISCARD), "Block messages"],
];

function RemindSelect(props: { conversationID: string }) {
  const conv = useStore((s) => s.conversations.find((c) => c.conversationID === props.conversationID));
  const value = conv?.messageRemindType || String(TYPES.MSG_REMIND_ACPT_AND_NOTE);
  const t = targetOf(props.conversationID);
  const set = (messageRemindType: string) => {
    const chat = getChat();
    if (!chat) return;
    const opts = t.type === TYPES.CONV_GROUP ? { groupID: t.id, messageRemindType } : { userIDList: [t.id], messageRemindType };
    void run(chat.setMessageRemindType(opts));
  };
  return (
    <label class="field">
      <span>Notifications</span>
      <select value={value} onChange={(e) => set(e.currentTarget.value)} data-testid="remind-type">
        {REMIND.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}

function EditableField(props: { label: string; value: string; editable: boolean; multiline?: boolean; onSave: (v: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [v, setV] = useState(props.value);
  useEffect(() => setV(props.value), [props.value]);
  if (!editing)
    return (
      <div class="field">
        <span>{props.label}</span>
        <div class="field-value">
          {props.value || <span class="muted">—</span>}
          {props.editable && (
            <button class="link" onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
        </div>
      </div>
    );
  return (
    <div class="field">
      <span>{props.label}</span>
      {props.multiline ? <textarea value={v} onInput={(e) => setV(e.currentTarget.value)} rows={3} /> : <input value={v} onInput={(e) => setV(e.currentTarget.value)} />}
      <div class="row-actions">
        <button class="btn small" onClick={() => setEditing(false)}>
          Cancel
        </button>
        <button
          class="btn small primary"
          onClick={() => {
            setEditing(false);
            props.onSave(v);
          }}
        >
          Save
        </button>
      </div>
    </div>
  );
}

function roleLabel(role: string): string {
  if (role === TYPES.GRP_MBR_ROLE_OWNER) return "Owner";
  if (role === TYPES.GRP_MBR_ROLE_ADMIN) return "Admin";
  return "";
}

function GroupInfo(props: { groupID: string; conversationID: string }) {
  const { groupID } = props;
  const [group, setGroup] = useState<any>(null);
  const members = useStore((s) => s.members[groupID]) ?? [];
  const me = useStore((s) => s.me);
  const [menu, setMenu] = useState<{ x: number; y: number; m: any } | null>(null);
  const [adding, setAdding] = useState("");
  const chat = getChat();

  const reload = async () => {
    const r: any = await run(chat!.getGroupProfile({ groupID }));
    if (r) setGroup(r.data.group);
    void loadMembers(groupID);
  };
  useEffect(() => {
    void reload();
  }, [groupID]);
  if (!group || !chat) return <div class="empty muted">Loading…</div>;

  const myRole = members.find((m) => m.userID === me)?.role || group.selfInfo?.role || "";
  const owner = myRole === TYPES.GRP_MBR_ROLE_OWNER;
  const admin = owner || myRole === TYPES.GRP_MBR_ROLE_ADMIN;
  const work = group.type === TYPES.GRP_WORK;
  const canEdit = admin || work;
  const update = async (patch: Record<string, unknown>) => {
    const r = await run(chat.updateGroupProfile({ groupID, ...patch }));
    if (r) await reload();
  };
  const memberItems = (m: any): MenuItem[] => {
    const items: MenuItem[] = [];
    if (m.userID === me) return items;
    if (owner && !work) {
      if (m.role === TYPES.GRP_MBR_ROLE_ADMIN)
        items.push({ label: "Remove admin", onClick: () => void run(chat.setGroupMemberRole({ groupID, userID: m.userID, role: TYPES.GRP_MBR_ROLE_MEMBER })).then(reload) });
      else if (m.role === TYPES.GRP_MBR_ROLE_MEMBER)
        items.push({ label: "Make admin", onClick: () => void run(chat.setGroupMemberRole({ groupID, userID: m.userID, role: TYPES.GRP_MBR_ROLE_ADMIN })).then(reload) });
    }
    const outranks = owner || (admin && m.role === TYPES.GRP_MBR_ROLE_MEMBER);
    if (outranks && !work) {
      const muted = Number(m.muteUntil) * 1000 > Date.now();
      const setMute = (muteTime: number) => void run(chat.setGroupMemberMuteTime({ groupID, userID: m.userID, muteTime })).then(reload);
      if (muted) items.push({ label: "Unmute", onClick: () => setMute(0) });
      else {
        items.push({ label: "Mute for 10 minutes", onClick: () => setMute(600) });
        items.push({ label: "Mute for 1 day", onClick: () => setMute(86400) });
      }
    }
    if (outranks || (work && owner)) items.push({ label: "Remove from group", danger: true, onClick: () => void run(chat.deleteGroupMember({ groupID, userIDList: [m.userID] })).then(reload) });
    return items;
  };

  const add = async (e: Event) => {
    e.preventDefault();
    const ids = adding.split(/[\s,]+/).filter(Boolean);
    if (!ids.length) return;
    const r = await run(chat.addGroupMember({ groupID, userIDList: ids }));
    if (r) {
      setAdding("");
      toast("Invitation sent");
      await reload();
    }
  };

  return (
    <div class="panel-body">
      <div class="panel-hero">
        <Avatar id={props.conversationID} name={group.name || groupID} url={group.avatar} size={72} />
        <div class="hero-name">{group.name || groupID}</div>
        <div class="muted small">
          {groupID} · {group.type} · {group.memberCount} members
        </div>
      </div>
      <EditableField label="Name" value={group.name} editable={canEdit} onSave={(name) => void update({ name })} />
      <EditableField label="Avatar URL" value={group.avatar} editable={canEdit} onSave={(avatar) => void update({ avatar })} />
      <EditableField label="Notice" value={group.notification} editable={canEdit} multiline onSave={(notification) => void update({ notification })} />
      <EditableField label="Introduction" value={group.introduction} editable={canEdit} multiline onSave={(introduction) => void update({ introduction })} />
      <RemindSelect conversationID={props.conversationID} />
      {admin && !work && (
        <label class="field check">
          <input type="checkbox" checked={!!group.muteAllMembers} onChange={(e) => void update({ muteAllMembers: e.currentTarget.checked })} />
          <span>Mute everyone except admins</span>
        </label>
      )}
      <div class="section-title">Members ({members.length})</div>
      <form class="inline-form" onSubmit={add}>
        <input placeholder="Add members by userID" value={adding} onInput={(e) => setAdding(e.currentTarget.value)} />
        <button class="btn small" type="submit">
          Add
        </button>
      </form>
      <div class="members">
        {members.map((m) => {
          const muted = Number(m.muteUntil) * 1000 > Date.now();
          const items = memberItems(m);
          return (
            <div
              key={m.userID}
              class="member"
              onClick={(e) => items.length && setMenu({ x: (e as MouseEvent).clientX, y: (e as MouseEvent).clientY, m })}
              onContextMenu={(e) => {
                e.preventDefault();
                if (items.length) setMenu({ x: e.clientX, y: e.clientY, m });
              }}
            >
              <Avatar id={m.userID} name={m.nameCard || m.nick || m.userID} url={m.avatar} size={32} />
              <span class="member-name">{m.nameCard || m.nick || m.userID}</span>
              {muted && <span title="Muted">🔇</span>}
              {roleLabel(m.role) && <span class={`role ${m.role}`}>{roleLabel(m.role)}</span>}
            </div>
          );
        })}
      </div>
      <div class="danger-zone">
        {!(owner && !work) && (
          <button
            class="btn danger wide"
            onClick={async () => {
              if (!confirm("Leave this group?")) return;
              if ((await run(chat.quitGroup(groupID))) !== undefined) setState({ panel: "" });
            }}
          >
            Leave group
          </button>
        )}
        {owner && !work && (
          <button
            class="btn danger wide"
            onClick={async () => {
              if (!confirm("Dismiss this group for everyone?")) return;
              if ((await run(chat.dismissGroup(groupID))) !== undefined) setState({ panel: "" });
            }}
          >
            Dismiss group
          </button>
        )}
      </div>
      {menu && <Menu x={menu.x} y={menu.y} items={memberItems(menu.m)} onClose={() => setMenu(null)} />}
    </div>
  );
}

function UserInfo(props: { userID: string; conversationID: string }) {
  const { userID } = props;
  const [profile, setProfile] = useState<any>(null);
  const friend = useStore((s) => s.friends.find((f) => f.userID === userID));
  const conv = useStore((s) => s.conversations.find((c) => c.conversationID === props.conversationID)) ?? conversationOf(props.conversationID);
  const chat = getChat();
  useEffect(() => {
    void run(chat!.getUserProfile({ userIDList: [userID] })).then((r: any) => r && setProfile(r.data?.[0] ?? null));
  }, [userID]);
  if (!chat) return null;
  const name = friend?.remark || profile?.nick || userID;
  return (
    <div class="panel-body">
      <div class="panel-hero">
        <Avatar id={props.conversationID} name={name} url={profile?.avatar} size={72} />
        <div class="hero-name">{name}</div>
        <div class="muted small">{userID}</div>
      </div>
      {profile?.selfSignature && (
        <div class="field">
          <span>About</span>
          <div class="field-value">{profile.selfSignature}</div>
        </div>
      )}
      {friend ? (
        <EditableField
          label="Remark"
          value={friend.remark}
          editable
          onSave={(remark) => void run(chat.updateFriend({ userID, remark })).then(() => refreshContacts())}
        />
      ) : (
        <button
          class="btn primary wide"
          onClick={() =>
            void run(chat.addFriend({ to: userID, source: "AddSource_Type_Web", type: TYPES.SNS_ADD_TYPE_BOTH })).then((r: any) => {
              if (r) toast(r.data?.code === 30539 ? "Friend request sent" : "Added as a friend");
            })
          }
        >
          Add friend
        </button>
      )}
      <RemindSelect conversationID={props.conversationID} />
      <label class="field check">
        <input type="checkbox" checked={!!conv.isPinned} onChange={(e) => void run(chat.pinConversation({ conversationID: props.conversationID, isPinned: e.currentTarget.checked }))} />
        <span>Pin to top</span>
      </label>
      <label class="field check">
        <input type="checkbox" checked={isMuted(conv)} onChange={(e) => void mute(conv, e.currentTarget.checked)} />
        <span>Mute</span>
      </label>
    </div>
  );
}
