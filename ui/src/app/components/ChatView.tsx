import { useEffect, useMemo, useState } from "preact/hooks";
import { TYPES } from "../../sdk";
import { conversationAvatar, conversationName, sortConversations, targetOf, withDateSeparators, type Msg } from "../logic";
import { conversationOf, forward, getChat, loadOlder, markRead, startCall } from "../session";
import { setState, useStore } from "../store";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";
import { Composer } from "./Composer";
import { ImageViewer, Modal } from "./Dialogs";
import { MessageRow, type RowActions } from "./MessageRow";
import { InfoPanel } from "./InfoPanel";
import { VariableList } from "./VirtualList";

/** Loads a group's members into the store (mentions, the info panel). */
export async function loadMembers(groupID: string): Promise<void> {
  const chat = getChat();
  if (!chat) return;
  const all: any[] = [];
  let offset: number | string = 0;
  for (let page = 0; page < 20; page++) {
    const r: any = await chat.getGroupMemberList({ groupID, count: 100, offset }).catch(() => null);
    if (!r) break;
    all.push(...(r.data.memberList ?? []));
    offset = r.data.offset;
    if (!offset || offset === "0") break;
  }
  setState((s) => ({ members: { ...s.members, [groupID]: all } }));
}

/** The open conversation: header, history, composer, and the info panel. */
export function ChatView(props: { conversationID: string }) {
  const id = props.conversationID;
  const conv = useStore((s) => s.conversations.find((c) => c.conversationID === id)) ?? conversationOf(id);
  const history = useStore((s) => s.histories[id]);
  const panel = useStore((s) => s.panel);
  const t = targetOf(id);
  const group = t.type === TYPES.CONV_GROUP;
  const system = id === TYPES.CONV_SYSTEM;
  const groupProfile = useStore((s) => (group ? s.groups.find((g) => g.groupID === t.id) : undefined)) ?? conv.groupProfile;
  const [viewer, setViewer] = useState("");
  const [forwarding, setForwarding] = useState<Msg | null>(null);
  const [bottom, setBottom] = useState(0);
  const name = conversationName({ ...conv, groupProfile });

  useEffect(() => {
    if (group) void loadMembers(t.id);
  }, [id]);

  // Reading the window again marks the conversation read.
  useEffect(() => {
    const onFocus = () => void markRead(id);
    window.addEventListener("focus", onFocus);
    return () => window.removeEventListener("focus", onFocus);
  }, [id]);

  const list = history?.list ?? [];
  const rows = useMemo(() => withDateSeparators(list), [list]);
  const keys = useMemo(() => rows.map((r) => r.key), [rows]);

  // Own new messages scroll to the bottom.
  const lastOut = list.length && list[list.length - 1].flow === "out" ? list[list.length - 1].ID : "";
  useEffect(() => {
    if (lastOut) setBottom((b) => b + 1);
  }, [lastOut]);

  const actions: RowActions = {
    reply: (m) => setState((s) => ({ replyTo: { ...s.replyTo, [id]: m } })),
    forward: (m) => setForwarding(m),
    viewImage: (url) => setViewer(url),
  };

  const estimate = (i: number) => {
    const r = rows[i];
    if (r.kind === "date") return 40;
    const m = r.message;
    if (m.type === TYPES.MSG_IMAGE || m.type === TYPES.MSG_VIDEO) return 260;
    if (m.type === TYPES.MSG_FILE) return 96;
    return 64;
  };

  const render = (i: number) => {
    const r = rows[i];
    if (r.kind === "date")
      return (
        <div class="date-sep">
          <span>{r.label}</span>
        </div>
      );
    const prev = rows[i - 1];
    const showSender = !(prev && prev.kind === "msg" && prev.message.from === r.message.from && prev.message.type !== TYPES.MSG_GRP_TIP);
    return <MessageRow m={r.message} group={group} showSender={showSender} actions={actions} />;
  };

  const memberCount = Number(groupProfile?.memberCount ?? 0);

  return (
    <div class="chat-wrap">
      <section class="chat" data-testid="chat-view" data-conversation-id={id}>
        <header class="chat-head">
          <Avatar id={id} name={name} url={conversationAvatar({ ...conv, groupProfile })} size={40} />
          <div class="chat-title">
            <div class="chat-name">{name}</div>
            <div class="muted small">
              {group ? (memberCount ? `${memberCount} member${memberCount === 1 ? "" : "s"}` : "Group") : system ? "" : t.id}
            </div>
          </div>
          <div class="chat-actions">
            {!group && !system && (
              <button class="icon-btn" title="Call" onClick={() => void startCall(id)} data-testid="call-start">
                <Icon name="phone" />
              </button>
            )}
            {!system && (
              <button
                class={`icon-btn ${panel === "info" ? "on" : ""}`}
                title={group ? "Group info" : "Profile"}
                onClick={() => setState({ panel: panel === "info" ? "" : "info" })}
                data-testid="info-toggle"
              >
                <Icon name="info" />
              </button>
            )}
          </div>
        </header>
        <div class="history">
          {history?.loading && list.length === 0 ? (
            <div class="empty muted">Loading…</div>
          ) : list.length === 0 && history?.isCompleted ? (
            <div class="empty muted">No messages yet. Say hello 👋</div>
          ) : (
            <VariableList
              keys={keys}
              estimate={estimate}
              render={render}
              onTop={() => void loadOlder(id)}
              class="messages"
              resetKey={id}
              bottomSignal={bottom}
            />
          )}
          {history?.loading && list.length > 0 && <div class="loading-older">Loading earlier messages…</div>}
        </div>
        {!system && <Composer key={id} conversationID={id} />}
      </section>
      {panel === "info" && !system && <InfoPanel conversationID={id} />}
      {viewer && <ImageViewer url={viewer} onClose={() => setViewer("")} />}
      {forwarding && <ForwardDialog message={forwarding} onClose={() => setForwarding(null)} />}
    </div>
  );
}

/** Picks conversations to forward a message to. */
function ForwardDialog(props: { message: Msg; onClose: () => void }) {
  const conversations = useStore((s) => s.conversations);
  const [chosen, setChosen] = useState<string[]>([]);
  const [q, setQ] = useState("");
  const list = sortConversations(conversations)
    .filter((c) => c.conversationID !== TYPES.CONV_SYSTEM)
    .filter((c) => !q || conversationName(c).toLowerCase().includes(q.toLowerCase()))
    .slice(0, 200);
  const toggle = (id: string) => setChosen((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id]));
  return (
    <Modal title="Forward to…" onClose={props.onClose}>
      <input class="search" placeholder="Search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
      <div class="pick-list">
        {list.map((c) => (
          <label key={c.conversationID} class="pick-row">
            <input type="checkbox" checked={chosen.includes(c.conversationID)} onChange={() => toggle(c.conversationID)} />
            <Avatar id={c.conversationID} name={conversationName(c)} url={conversationAvatar(c)} size={32} />
            <span>{conversationName(c)}</span>
          </label>
        ))}
      </div>
      <div class="modal-actions">
        <button class="btn" onClick={props.onClose}>
          Cancel
        </button>
        <button
          class="btn primary"
          disabled={!chosen.length}
          onClick={() => {
            props.onClose();
            void forward(props.message, chosen);
          }}
        >
          Forward{chosen.length ? ` (${chosen.length})` : ""}
        </button>
      </div>
    </Modal>
  );
}
