import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import * as desktop from "../../sdk/desktop";
import { TYPES } from "../../sdk";
import { atUserList, composerKeyAction, insertMention, matchMembers, mentionQuery, messageAbstract, targetOf, type Mention, type Msg } from "../logic";
import { conversationOf, getChat, reportError, saveDraft, sendMessage, sendText, senderName } from "../session";
import { pickAndSend } from "../sendPaths";
import { setState, useStore } from "../store";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";

/** A few dozen common emoji. */
export const EMOJI = [
  "😀", "😃", "😄", "😁", "😆", "😅", "😂", "🤣", "😊", "😇", "🙂", "😉", "😍", "🥰", "😘", "😋",
  "😜", "🤔", "🤨", "😐", "😴", "😎", "🤓", "😏", "😒", "😞", "😢", "😭", "😤", "😡", "🤯", "😱",
  "🥳", "🤗", "🙄", "😬", "👍", "👎", "👏", "🙏", "💪", "👌", "✌️", "🤝", "👋", "❤️", "💔", "🔥",
  "⭐", "🎉", "✅", "❌", "💯", "☕", "🍕", "🍺", "🎂", "🌹", "☀️", "🌧️", "🚀", "💡",
];

/** The message box: text, emoji, @mentions, paste, file picker, reply preview, per-chat draft. */
export function Composer(props: { conversationID: string }) {
  const id = props.conversationID;
  const group = targetOf(id).type === TYPES.CONV_GROUP;
  const [text, setText] = useState(() => conversationOf(id).draftText ?? "");
  const [emoji, setEmoji] = useState(false);
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const [sel, setSel] = useState(0);
  const picked = useRef<Mention[]>([]);
  const area = useRef<HTMLTextAreaElement>(null);
  const textRef = useRef(text);
  textRef.current = text;
  const replyTo = useStore((s) => s.replyTo[id] ?? null);
  const members = useStore((s) => (group ? s.members[targetOf(id).id] : undefined));
  const me = useStore((s) => s.me);

  // Save the draft when leaving the conversation (or the app's main screen).
  useEffect(() => {
    area.current?.focus();
    return () => void saveDraft(id, textRef.current.trim() ? textRef.current : "");
  }, [id]);

  // Grow with the text, up to a limit; put the caret where an insertion left it.
  const caretAfter = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(200, el.scrollHeight)}px`;
    if (caretAfter.current !== null) {
      el.value = text;
      el.focus();
      el.setSelectionRange(caretAfter.current, caretAfter.current);
      caretAfter.current = null;
    }
  }, [text]);

  // Replying puts the caret in the box.
  useLayoutEffect(() => {
    if (replyTo) area.current?.focus();
  }, [replyTo]);

  const candidates = mention && members ? matchMembers(members.filter((m) => m.userID !== me), mention.query) : [];
  const showAll = mention && group && "all".startsWith(mention.query.toLowerCase());

  const setReply = (m: Msg | null) => setState((s) => ({ replyTo: { ...s.replyTo, [id]: m } }));

  const send = async () => {
    const value = text.replace(/\s+$/, "");
    if (!value.trim()) return;
    const mentions = picked.current;
    const atList = atUserList(value, mentions);
    setText("");
    picked.current = [];
    setMention(null);
    setReply(null);
    if (conversationOf(id).draftText) void saveDraft(id, "");
    await sendText(id, value, mentions, atList, replyTo);
  };

  const pick = (m: Mention) => {
    const el = area.current;
    if (!mention || !el) return;
    const r = insertMention(text, mention.start, el.selectionStart ?? text.length, m.name);
    caretAfter.current = r.caret;
    setText(r.text);
    picked.current = [...picked.current, m];
    setMention(null);
  };

  const options: Mention[] = [
    ...(showAll ? [{ userID: String(TYPES.MSG_AT_ALL), name: "all" }] : []),
    ...candidates.map((m) => ({ userID: m.userID, name: m.nameCard || m.nick || m.userID })),
  ];

  const onKeyDown = (e: KeyboardEvent) => {
    if (mention && options.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setSel((s) => (s + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(options[Math.min(sel, options.length - 1)]);
        return;
      }
      if (e.key === "Escape") {
        setMention(null);
        return;
      }
    }
    if (e.key === "Escape" && replyTo) setReply(null);
    const action = composerKeyAction(e);
    if (action === "send") {
      e.preventDefault();
      void send();
    }
  };

  const onInput = (e: Event) => {
    const el = e.currentTarget as HTMLTextAreaElement;
    setText(el.value);
    if (group) {
      const q = mentionQuery(el.value, el.selectionStart ?? el.value.length);
      setMention(q);
      setSel(0);
    }
  };

  const onPaste = (e: ClipboardEvent) => {
    const files = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith("image/"));
    if (!files.length) return;
    e.preventDefault();
    const chat = getChat();
    if (!chat) return;
    const t = targetOf(id);
    for (const file of files) {
      let localID = "";
      const msg = chat.createImageMessage({
        to: t.id,
        conversationType: t.type,
        payload: { file },
        onProgress: (f: number) => localID && setState((s) => ({ uploads: { ...s.uploads, [localID]: f } })),
      }) as Msg;
      localID = msg.ID;
      msg.__local = { name: file.name || "image.png", size: file.size, thumbnail: URL.createObjectURL(file), kind: "image" };
      setState((s) => ({ uploads: { ...s.uploads, [localID]: 0 } }));
      void sendMessage(id, msg).catch(reportError);
    }
  };

  const addEmoji = (em: string) => {
    const el = area.current;
    const at = el?.selectionStart ?? text.length;
    const next = text.slice(0, at) + em + text.slice(el?.selectionEnd ?? at);
    caretAfter.current = at + em.length;
    setText(next);
  };

  return (
    <div class="composer">
      {replyTo && (
        <div class="reply-bar">
          <div class="quote">
            <div class="quote-sender">Reply to {senderName(replyTo)}</div>
            <div class="quote-text">{messageAbstract(replyTo)}</div>
          </div>
          <button class="icon-btn" title="Cancel reply" onClick={() => setReply(null)}>
            <Icon name="close" />
          </button>
        </div>
      )}
      {mention && options.length > 0 && (
        <div class="mention-pop" role="listbox" data-testid="mention-list">
          {options.map((o, i) => (
            <div
              key={o.userID}
              class={`mention-item ${i === sel ? "sel" : ""}`}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(o);
              }}
            >
              <Avatar id={o.userID} name={o.name} size={24} />
              <span>{o.name}</span>
              {o.name !== o.userID && <span class="muted small">{o.userID === TYPES.MSG_AT_ALL ? "everyone" : o.userID}</span>}
            </div>
          ))}
        </div>
      )}
      {emoji && (
        <div class="emoji-pop" data-testid="emoji-picker">
          {EMOJI.map((em) => (
            <button key={em} class="emoji" onClick={() => addEmoji(em)}>
              {em}
            </button>
          ))}
        </div>
      )}
      <div class="composer-row">
        <button class="icon-btn" title="Emoji" onClick={() => setEmoji(!emoji)} data-testid="emoji-button">
          <Icon name="smile" />
        </button>
        {desktop.available() && (
          <button class="icon-btn" title="Send files" onClick={() => void pickAndSend(id)} data-testid="attach">
            <Icon name="clip" />
          </button>
        )}
        <textarea
          ref={area}
          rows={1}
          placeholder="Write a message…"
          value={text}
          data-testid="composer-input"
          onInput={onInput}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          onBlur={() => setTimeout(() => setMention(null), 150)}
        />
        <button class="send-btn" title="Send (Enter)" data-testid="composer-send" disabled={!text.trim()} onClick={() => void send()}>
          <Icon name="send" size={18} />
        </button>
      </div>
    </div>
  );
}
