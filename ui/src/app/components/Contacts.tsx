import { useState } from "preact/hooks";
import { TYPES, type CREATE_GROUP_OPTIONS } from "../../sdk";
import { getChat, openConversation, refreshContacts, run, toast } from "../session";
import { useStore } from "../store";
import { Avatar } from "./Avatar";
import { Modal } from "./Dialogs";

/** Friends, friend requests and groups. */
export function Contacts() {
  const friends = useStore((s) => s.friends);
  const applications = useStore((s) => s.applications);
  const groups = useStore((s) => s.groups);
  const [section, setSection] = useState<"friends" | "requests" | "groups">("friends");
  const [dialog, setDialog] = useState<"" | "add" | "create" | "join">("");
  const [q, setQ] = useState("");
  const chat = getChat();
  const incoming = applications.filter((a) => a.type === TYPES.SNS_APPLICATION_SENT_TO_ME);
  const outgoing = applications.filter((a) => a.type === TYPES.SNS_APPLICATION_SENT_BY_ME);
  const match = (...s: string[]) => !q || s.some((x) => (x ?? "").toLowerCase().includes(q.toLowerCase()));

  return (
    <div class="contacts" data-testid="contacts">
      <div class="convlist-head">
        <input class="search" type="search" placeholder="Search contacts" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
      </div>
      <div class="tabs">
        <button class={section === "friends" ? "on" : ""} onClick={() => setSection("friends")}>
          Friends
        </button>
        <button class={section === "requests" ? "on" : ""} onClick={() => setSection("requests")}>
          Requests {incoming.length > 0 && <span class="badge">{incoming.length}</span>}
        </button>
        <button class={section === "groups" ? "on" : ""} onClick={() => setSection("groups")}>
          Groups
        </button>
      </div>
      <div class="contacts-actions">
        {section !== "groups" ? (
          <button class="btn small" onClick={() => setDialog("add")} data-testid="add-friend">
            + Add friend
          </button>
        ) : (
          <>
            <button class="btn small" onClick={() => setDialog("create")} data-testid="create-group">
              + New group
            </button>
            <button class="btn small" onClick={() => setDialog("join")} data-testid="join-group">
              Join by ID
            </button>
          </>
        )}
      </div>
      <div class="contact-list">
        {section === "friends" &&
          (friends.length === 0 ? (
            <div class="empty muted">No friends yet</div>
          ) : (
            friends
              .filter((f) => match(f.userID, f.remark, f.profile?.nick))
              .map((f) => {
                const name = f.remark || f.profile?.nick || f.userID;
                return (
                  <div key={f.userID} class="contact" onClick={() => void openConversation(`C2C${f.userID}`)} data-testid="friend-item">
                    <Avatar id={`C2C${f.userID}`} name={name} url={f.profile?.avatar} size={40} />
                    <div class="contact-body">
                      <div>{name}</div>
                      <div class="muted small">{f.profile?.selfSignature || f.userID}</div>
                    </div>
                  </div>
                );
              })
          ))}
        {section === "requests" && (
          <>
            {incoming.length === 0 && outgoing.length === 0 && <div class="empty muted">No friend requests</div>}
            {incoming.map((a) => (
              <div key={`in-${a.userID}`} class="contact" data-testid="application-item">
                <Avatar id={`C2C${a.userID}`} name={a.nick || a.userID} url={a.avatar} size={40} />
                <div class="contact-body">
                  <div>{a.nick || a.userID}</div>
                  <div class="muted small">{a.wording || "wants to be your friend"}</div>
                </div>
                <button
                  class="btn small primary"
                  onClick={() => void run(chat!.acceptFriendApplication({ userID: a.userID, type: TYPES.SNS_APPLICATION_AGREE_AND_ADD })).then(() => refreshContacts())}
                >
                  Accept
                </button>
                <button class="btn small" onClick={() => void run(chat!.refuseFriendApplication({ userID: a.userID })).then(() => refreshContacts())}>
                  Decline
                </button>
              </div>
            ))}
            {outgoing.map((a) => (
              <div key={`out-${a.userID}`} class="contact">
                <Avatar id={`C2C${a.userID}`} name={a.nick || a.userID} url={a.avatar} size={40} />
                <div class="contact-body">
                  <div>{a.nick || a.userID}</div>
                  <div class="muted small">Request sent</div>
                </div>
              </div>
            ))}
          </>
        )}
        {section === "groups" &&
          (groups.length === 0 ? (
            <div class="empty muted">No groups yet</div>
          ) : (
            groups
              .filter((g) => match(g.groupID, g.name))
              .map((g) => (
                <div key={g.groupID} class="contact" onClick={() => void openConversation(`GROUP${g.groupID}`)} data-testid="group-item">
                  <Avatar id={`GROUP${g.groupID}`} name={g.name || g.groupID} url={g.avatar} size={40} />
                  <div class="contact-body">
                    <div>{g.name || g.groupID}</div>
                    <div class="muted small">
                      {g.memberCount ? `${g.memberCount} members · ` : ""}
                      {g.type}
                    </div>
                  </div>
                </div>
              ))
          ))}
      </div>
      {dialog === "add" && <AddFriendDialog onClose={() => setDialog("")} />}
      {dialog === "create" && <CreateGroupDialog onClose={() => setDialog("")} />}
      {dialog === "join" && <JoinGroupDialog onClose={() => setDialog("")} />}
    </div>
  );
}

function AddFriendDialog(props: { onClose: () => void }) {
  const [user, setUser] = useState("");
  const [wording, setWording] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!user.trim()) return;
    const r: any = await run(getChat()!.addFriend({ to: user.trim(), source: "AddSource_Type_Web", wording, type: TYPES.SNS_ADD_TYPE_BOTH }));
    if (r) {
      toast(r.data?.code === 30539 ? "Friend request sent" : `${user.trim()} added`);
      props.onClose();
      void refreshContacts();
    }
  };
  return (
    <Modal title="Add friend" onClose={props.onClose}>
      <form class="form" onSubmit={submit}>
        <label>
          <span>User ID</span>
          <input autoFocus value={user} onInput={(e) => setUser(e.currentTarget.value)} data-testid="add-friend-user" />
        </label>
        <label>
          <span>Message</span>
          <input value={wording} onInput={(e) => setWording(e.currentTarget.value)} placeholder="Hi, it's me!" />
        </label>
        <div class="modal-actions">
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary">
            Send request
          </button>
        </div>
      </form>
    </Modal>
  );
}

function CreateGroupDialog(props: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [type, setType] = useState(String(TYPES.GRP_WORK));
  const [members, setMembers] = useState("");
  const [groupID, setGroupID] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return;
    const memberList = members
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((userID) => ({ userID }));
    const opts: CREATE_GROUP_OPTIONS = { name: name.trim(), type, memberList };
    if (groupID.trim()) opts.groupID = groupID.trim();
    const r: any = await run(getChat()!.createGroup(opts));
    if (r) {
      props.onClose();
      void refreshContacts();
      void openConversation(`GROUP${r.data.group.groupID}`);
    }
  };
  return (
    <Modal title="New group" onClose={props.onClose}>
      <form class="form" onSubmit={submit}>
        <label>
          <span>Name</span>
          <input autoFocus value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="group-name" />
        </label>
        <label>
          <span>Type</span>
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value={String(TYPES.GRP_WORK)}>Work (friends)</option>
            <option value={String(TYPES.GRP_PUBLIC)}>Public</option>
            <option value={String(TYPES.GRP_MEETING)}>Meeting</option>
          </select>
        </label>
        <label>
          <span>Members (userIDs)</span>
          <input value={members} onInput={(e) => setMembers(e.currentTarget.value)} placeholder="bob, carol" data-testid="group-members" />
        </label>
        <label>
          <span>Group ID (optional)</span>
          <input value={groupID} onInput={(e) => setGroupID(e.currentTarget.value)} />
        </label>
        <div class="modal-actions">
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary" data-testid="group-create">
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}

function JoinGroupDialog(props: { onClose: () => void }) {
  const [groupID, setGroupID] = useState("");
  const [msg, setMsg] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!groupID.trim()) return;
    const r: any = await run(getChat()!.joinGroup({ groupID: groupID.trim(), applyMessage: msg }));
    if (r) {
      const status = r.data?.status;
      props.onClose();
      void refreshContacts();
      if (status === TYPES.JOIN_STATUS_WAIT_APPROVAL) toast("Request sent; an admin will review it");
      else void openConversation(`GROUP${groupID.trim()}`);
    }
  };
  return (
    <Modal title="Join a group" onClose={props.onClose}>
      <form class="form" onSubmit={submit}>
        <label>
          <span>Group ID</span>
          <input autoFocus value={groupID} onInput={(e) => setGroupID(e.currentTarget.value)} />
        </label>
        <label>
          <span>Message to the admins</span>
          <input value={msg} onInput={(e) => setMsg(e.currentTarget.value)} />
        </label>
        <div class="modal-actions">
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary">
            Join
          </button>
        </div>
      </form>
    </Modal>
  );
}
