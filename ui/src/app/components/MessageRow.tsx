import { useState } from "preact/hooks";
import * as desktop from "../../sdk/desktop";
import { TSignaling, TYPES, type Message } from "../../sdk";
import {
  clock,
  fitImage,
  formatDuration,
  formatSize,
  groupTipText,
  imageUrls,
  parseReply,
  recalledText,
  systemNoticeText,
  type Msg,
} from "../logic";
import { deleteMessages, getChat, nameOf, reportError, resend, revoke, senderName, toast, toggleReaction } from "../session";
import { setState, useStore } from "../store";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";
import { Menu, type MenuItem } from "./Dialogs";

/** The emoji offered as reactions. */
export const REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

/** What the row's owner handles: replies, forwards, the image viewer. */
export interface RowActions {
  reply: (m: Msg) => void;
  forward: (m: Msg) => void;
  viewImage: (url: string) => void;
  jumpTo?: (id: string) => void;
}

function Tip(props: { text: string; id: string }) {
  return (
    <div class="tip" data-testid="message" data-message-id={props.id} data-flow="tip">
      <span>{props.text}</span>
    </div>
  );
}

function signalingText(m: Msg): string | null {
  const chat = getChat();
  const s = chat?.getSignalingInfo(m as Message);
  if (!s) return null;
  const who = nameOf(m.from);
  switch (Number(s.actionType)) {
    case TSignaling.ACTION_TYPE_INVITE:
      return `📞 ${who} started a call`;
    case TSignaling.ACTION_TYPE_CANCEL_INVITE:
      return `📞 ${who} cancelled the call`;
    case TSignaling.ACTION_TYPE_ACCEPT_INVITE:
      return `📞 ${who} accepted the call`;
    case TSignaling.ACTION_TYPE_REJECT_INVITE:
      return `📞 ${who} declined the call`;
    case TSignaling.ACTION_TYPE_INVITE_TIMEOUT:
      return "📞 Call not answered";
    default:
      return "📞 Call";
  }
}

/** Read ticks of one's own message. */
function Ticks(props: { m: Msg; group: boolean }) {
  const { m } = props;
  if (m.status === "unSend") return <span class="ticks sending" title="Sending"><Icon name="clock" size={12} /></span>;
  if (m.status === "fail") return null;
  if (props.group) {
    const info = m.readReceiptInfo ?? {};
    if (m.needReadReceipt && Number(info.unreadCount) === 0 && Number(info.readCount) > 0)
      return <span class="ticks read" title="Read by everyone">✓✓</span>;
    if (m.needReadReceipt && Number(info.readCount) > 0)
      return <span class="ticks read" title={`Read by ${info.readCount}`}>✓✓ {info.readCount}</span>;
    return <span class="ticks" title="Sent">✓</span>;
  }
  const read = m.isPeerRead || m.readReceiptInfo?.isPeerRead;
  return read ? <span class="ticks read" title="Read" data-testid="read-tick">✓✓</span> : <span class="ticks" title="Delivered">✓</span>;
}

function FileCard(props: { m: Msg }) {
  const p = props.m.payload ?? {};
  const local = props.m.__local;
  const url: string = p.fileUrl || "";
  const name: string = p.fileName || local?.name || "file";
  const size = Number(p.fileSize ?? local?.size ?? 0);
  const dl = useStore((s) => (url ? s.downloads[url] : undefined));
  const download = async () => {
    if (!url) return;
    if (!desktop.available()) {
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.target = "_blank";
      a.click();
      return;
    }
    setState((s) => ({ downloads: { ...s.downloads, [url]: { percent: 0 } } }));
    try {
      const path = await desktop.download(url, name);
      setState((s) => ({ downloads: { ...s.downloads, [url]: { percent: 100, path } } }));
    } catch (e) {
      setState((s) => ({ downloads: { ...s.downloads, [url]: { percent: 0, error: true } } }));
      reportError(e);
    }
  };
  return (
    <div class="file-card" data-testid="file-card">
      <div class="file-icon">{(name.split(".").pop() ?? "").slice(0, 4).toUpperCase() || "FILE"}</div>
      <div class="file-meta">
        <div class="file-name" title={name}>
          {name}
        </div>
        <div class="muted small">{formatSize(size)}</div>
        {dl && !dl.path && !dl.error && (
          <div class="progress" data-testid="download-progress">
            <div style={{ width: `${dl.percent}%` }} />
          </div>
        )}
      </div>
      {url &&
        (dl?.path ? (
          <button class="btn small" onClick={() => void desktop.openFolder(dl.path!).catch(reportError)} data-testid="open-folder">
            Open folder
          </button>
        ) : (
          <button class="icon-btn" title="Download" onClick={download} disabled={!!dl && !dl.error && !dl.path} data-testid="file-download">
            <Icon name="download" />
          </button>
        ))}
    </div>
  );
}

function Body(props: { m: Msg; actions: RowActions }) {
  const { m } = props;
  const p = m.payload ?? {};
  const local = m.__local;
  switch (m.type) {
    case TYPES.MSG_TEXT:
      return (
        <div class="text" data-testid="message-text">
          {String(p.text ?? "")}
        </div>
      );
    case TYPES.MSG_IMAGE: {
      const u = imageUrls(p);
      const size = fitImage(u.width, u.height);
      const src = u.thumb || local?.thumbnail || "";
      return src ? (
        <img
          class="msg-image"
          src={src}
          alt="image"
          style={{ width: `${size.width}px`, height: `${size.height}px` }}
          onClick={() => u.full && props.actions.viewImage(u.full)}
          data-testid="message-image"
        />
      ) : (
        <div class="msg-image placeholder" style={{ width: `${size.width}px`, height: `${size.height}px` }}>
          🖼 {local?.name ?? ""}
        </div>
      );
    }
    case TYPES.MSG_AUDIO: {
      const url = p.url || p.remoteAudioUrl;
      return url ? (
        <div class="audio">
          <audio controls preload="none" src={url} />
          <span class="muted small">{formatDuration(p.second)}</span>
        </div>
      ) : (
        <div class="muted">🎤 {local?.name ?? "Voice message"}</div>
      );
    }
    case TYPES.MSG_VIDEO: {
      const url = p.videoUrl || p.remoteVideoUrl;
      return url ? (
        <video class="msg-video" controls preload="none" poster={p.thumbUrl || p.snapshotUrl || undefined} src={url} />
      ) : (
        <div class="msg-image placeholder">🎬 {local?.name ?? "Video"}</div>
      );
    }
    case TYPES.MSG_FILE:
      return <FileCard m={m} />;
    case TYPES.MSG_FACE:
      return <div class="text">[Sticker {String(p.data ?? p.index ?? "")}]</div>;
    case TYPES.MSG_LOCATION:
      return <div class="text">📍 {String(p.description ?? "")}</div>;
    case TYPES.MSG_MERGER:
      return (
        <div class="merger">
          <div class="merger-title">{String(p.title ?? "Chat history")}</div>
          {(Array.isArray(p.abstractList) ? p.abstractList : []).slice(0, 4).map((a: string, i: number) => (
            <div key={i} class="muted small">
              {a}
            </div>
          ))}
        </div>
      );
    case TYPES.MSG_CUSTOM:
      return <div class="text muted">{String(p.description || p.data || "[Custom message]")}</div>;
    default:
      return <div class="text muted">[Unsupported message]</div>;
  }
}

/** One message (or tip line) of the chat view. */
export function MessageRow(props: { m: Msg; group: boolean; showSender: boolean; actions: RowActions }) {
  const { m, group } = props;
  const me = useStore((s) => s.me);
  const reactions = useStore((s) => s.reactions[m.ID]);
  const upload = useStore((s) => s.uploads[m.ID]);
  const [menu, setMenu] = useState<{ x: number; y: number } | null>(null);

  if (m.type === TYPES.MSG_GRP_TIP) return <Tip id={m.ID} text={groupTipText(m.payload, nameOf)} />;
  if (m.type === TYPES.MSG_GRP_SYS_NOTICE) return <Tip id={m.ID} text={systemNoticeText(m.payload)} />;
  if (m.isRevoked) {
    const who = m.revoker && m.revoker !== m.from ? nameOf(m.revoker) : senderName(m);
    return <Tip id={m.ID} text={recalledText(who, (m.revoker || m.from) === me)} />;
  }
  if (m.type === TYPES.MSG_CUSTOM) {
    const s = signalingText(m);
    if (s) return <Tip id={m.ID} text={s} />;
  }

  const out = m.flow === "out";
  const reply = parseReply(m);
  const sent = m.status === "success";
  const items: MenuItem[] = [];
  if (m.type === TYPES.MSG_TEXT)
    items.push({
      label: "Copy",
      onClick: () => {
        const text = String(m.payload?.text ?? "");
        navigator.clipboard?.writeText(text).then(
          () => toast("Copied"),
          () => reportError({ code: 0, message: "The clipboard is not available" }),
        );
      },
      testid: "msg-copy",
    });
  if (sent) {
    items.push({ label: "Reply", onClick: () => props.actions.reply(m), testid: "msg-reply" });
    items.push({ label: "Forward", onClick: () => props.actions.forward(m), testid: "msg-forward" });
  }
  if (out && sent) items.push({ label: "Recall", onClick: () => void revoke(m), testid: "msg-revoke" });
  if (m.status === "fail") items.push({ label: "Send again", onClick: () => void resend(m.conversationID, m) });
  items.push({ label: "Delete for me", onClick: () => void deleteMessages([m]), danger: true, testid: "msg-delete" });

  const openMenu = (e: MouseEvent) => {
    e.preventDefault();
    setMenu({ x: e.clientX, y: e.clientY });
  };
  const media = m.type === TYPES.MSG_IMAGE || m.type === TYPES.MSG_VIDEO;

  return (
    <div class={`msg ${out ? "out" : "in"}`} data-testid="message" data-message-id={m.ID} data-flow={out ? "out" : "in"} onContextMenu={openMenu}>
      {!out && group && (props.showSender ? <Avatar id={m.from} name={m.nameCard || m.nick || m.from} url={m.avatar} size={34} /> : <div class="avatar-gap" />)}
      <div class="msg-col">
        <div class={`bubble ${media ? "media" : ""} ${m.status === "fail" ? "failed" : ""}`}>
          {!out && group && props.showSender && <div class="sender">{m.nameCard || m.nick || m.from}</div>}
          {reply && (
            <div class="quote" onClick={() => props.actions.jumpTo?.(reply.messageID)}>
              <div class="quote-sender">{reply.messageSender}</div>
              <div class="quote-text">{reply.messageAbstract}</div>
            </div>
          )}
          <Body m={m} actions={props.actions} />
          {upload !== undefined && m.status === "unSend" && (
            <div class="progress" data-testid="upload-progress" title={`${Math.round(upload * 100)}%`}>
              <div style={{ width: `${Math.round(upload * 100)}%` }} />
            </div>
          )}
          <div class="meta">
            {m.isModified && <span class="muted small">edited </span>}
            <span class="time">{clock(m.time)}</span>
            {out && <Ticks m={m} group={group} />}
            {m.status === "fail" && (
              <button class="fail-mark" title="Not sent. Click to retry." onClick={() => void resend(m.conversationID, m)}>
                !
              </button>
            )}
          </div>
        </div>
        {reactions && reactions.length > 0 && (
          <div class="reactions">
            {reactions.map((r: any) => {
              const mine = (r.partialUserList ?? []).some((u: any) => u.userID === me);
              return (
                <button
                  key={r.reactionID}
                  class={`reaction ${mine ? "mine" : ""}`}
                  title={(r.partialUserList ?? []).map((u: any) => u.nick || u.userID).join(", ")}
                  onClick={() => void toggleReaction(m, r.reactionID)}
                >
                  {r.reactionID} {r.totalUserCount}
                </button>
              );
            })}
          </div>
        )}
      </div>
      {sent || m.status === "fail" ? (
        <button class="msg-more" title="More" onClick={(e) => openMenu(e as unknown as MouseEvent)} data-testid="message-menu">
          <Icon name="more" size={16} />
        </button>
      ) : null}
      {menu && (
        <Menu
          x={menu.x}
          y={menu.y}
          onClose={() => setMenu(null)}
          items={items}
          header={
            sent ? (
              <div class="menu-reactions">
                {REACTIONS.map((r) => (
                  <button
                    key={r}
                    class="reaction-pick"
                    onClick={() => {
                      setMenu(null);
                      void toggleReaction(m, r);
                    }}
                  >
                    {r}
                  </button>
                ))}
              </div>
            ) : undefined
          }
        />
      )}
    </div>
  );
}
