import { useMemo, useState } from "preact/hooks";
import {
  atMark,
  conversationAvatar,
  conversationName,
  filterConversations,
  isMuted,
  listTime,
  previewText,
  sortConversations,
  type Conv,
} from "../logic";
import { TYPES } from "../../sdk";
import { getChat, mute, openConversation, pin, readConversation, removeConversation, reportError } from "../session";
import { useStore } from "../store";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";
import { Menu, Modal } from "./Dialogs";
import { FixedList } from "./VirtualList";

const ROW = 72;

/** The conversation list: search, new chat, and the windowed rows. */
export function ConversationList() {
  const conversations = useStore((s) => s.conversations);
  const currentID = useStore((s) => s.currentID);
  const me = useStore((s) => s.me);
  const loaded = useStore((s) => s.conversationsLoaded);
  const [query, setQuery] = useState("");
  const [menu, setMenu] = useState<{ x: number; y: number; c: Conv } | null>(null);
  const [newChat, setNewChat] = useState(false);

  const sorted = useMemo(() => sortConversations(conversations), [conversations]);
  const shown = useMemo(() => filterConversations(sorted, query), [sorted, query]);
  const now = Date.now();

  const row = (i: number) => {
    const c = shown[i];
    const name = conversationName(c);
    const muted = isMuted(c);
    const lm = c.lastMessage;
    const call = !c.draftText && lm?.type === TYPES.MSG_CUSTOM && !lm.isRevoked && getChat()?.getSignalingInfo(lm);
    const preview = call ? { draft: false, text: "[Call]" } : previewText(c, me);
    const at = atMark(c);
    const unread = Number(c.unreadCount ?? 0);
    return (
      <div
        key={c.conversationID}
        class={`conv ${c.conversationID === currentID ? "active" : ""} ${c.isPinned ? "pinned" : ""}`}
        style={{ height: `${ROW}px` }}
        data-testid="conv-item"
        data-conversation-id={c.conversationID}
        onClick={() => void openConversation(c.conversationID)}
        onContextMenu={(e) => {
          e.preventDefault();
          setMenu({ x: e.clientX, y: e.clientY, c });
        }}
      >
        <Avatar id={c.conversationID} name={name} url={conversationAvatar(c)} size={48} />
        <div class="conv-body">
          <div class="conv-top">
            <span class="conv-name">
              {name}
              {muted && <span class="mark muted-mark" title="Muted"><Icon name="mute" size={13} /></span>}
            </span>
            <span class="conv-time">{listTime(Number(c.lastMessage?.lastTime ?? 0), now)}</span>
          </div>
          <div class="conv-bottom">
            <span class="conv-preview" data-testid="conv-preview">
              {at && <span class="at-mark">{at} </span>}
              {preview.draft ? (
                <>
                  <span class="draft-mark">Draft:</span> {preview.text.slice(7)}
                </>
              ) : (
                preview.text
              )}
            </span>
            {c.isPinned && unread === 0 && <span class="pin-mark" title="Pinned"><Icon name="pin" size={14} /></span>}
            {unread > 0 && (
              <span class={`badge ${muted ? "grey" : ""}`} data-testid="unread-badge">
                {unread}
              </span>
            )}
          </div>
        </div>
      </div>
    );
  };

  return (
    <div class="convlist">
      <div class="convlist-head">
        <input
          class="search"
          type="search"
          placeholder="Search"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          data-testid="conv-search"
        />
        <button class="icon-btn" title="New chat" data-testid="new-chat" onClick={() => setNewChat(true)}>
          <Icon name="edit" />
        </button>
      </div>
      {shown.length === 0 ? (
        <div class="empty muted">{!loaded ? "Loading…" : query ? "No chats match" : "No chats yet. Start one with the pencil button."}</div>
      ) : (
        <FixedList count={shown.length} rowHeight={ROW} render={row} testid="conv-list" />
      )}
      {menu && (
        <Menu
          x={menu.x}
          y={menu.y}
          onClose={() => setMenu(null)}
          items={[
            { label: menu.c.isPinned ? "Unpin" : "Pin to top", onClick: () => void pin(menu.c, !menu.c.isPinned), testid: "conv-pin" },
            { label: isMuted(menu.c) ? "Unmute" : "Mute", onClick: () => void mute(menu.c, !isMuted(menu.c)), testid: "conv-mute" },
            { label: "Mark as read", onClick: () => void readConversation(menu.c), testid: "conv-read" },
            { label: "Delete chat", onClick: () => void removeConversation(menu.c), danger: true, testid: "conv-delete" },
          ]}
        />
      )}
      {newChat && <NewChatDialog onClose={() => setNewChat(false)} />}
    </div>
  );
}

/** Starts a C2C chat with a userID. */
export function NewChatDialog(props: { onClose: () => void }) {
  const [user, setUser] = useState("");
  const start = (e?: Event) => {
    e?.preventDefault();
    const id = user.trim();
    if (!id) {
      reportError({ code: 2905, message: "Type the userID to chat with" });
      return;
    }
    props.onClose();
    void openConversation(`C2C${id}`);
  };
  return (
    <Modal title="New chat" onClose={props.onClose}>
      <form onSubmit={start} class="form">
        <label>
          <span>User ID</span>
          <input autoFocus data-testid="new-chat-user" value={user} onInput={(e) => setUser(e.currentTarget.value)} placeholder="bob" />
        </label>
        <div class="modal-actions">
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary" data-testid="new-chat-start">
            Start chat
          </button>
        </div>
      </form>
    </Modal>
  );
}
