import { useStore, setState, type Tab } from "../store";
import { Avatar } from "./Avatar";
import { Icon, Logo } from "./Icon";
import { ChatView } from "./ChatView";
import { Contacts } from "./Contacts";
import { ConversationList } from "./ConversationList";
import { ProfileScreen } from "./Profile";
import { SettingsScreen } from "./Settings";

function RailButton(props: { tab: Tab; label: string; icon: string; badge?: number; testid?: string }) {
  const tab = useStore((s) => s.tab);
  return (
    <button class={`rail-btn ${tab === props.tab ? "on" : ""}`} title={props.label} onClick={() => setState({ tab: props.tab })} data-testid={`rail-${props.tab}`}>
      <span class="rail-icon"><Icon name={props.icon} size={22} /></span>
      <span class="rail-label">{props.label}</span>
      {props.badge ? (
        <span class="badge rail-badge" data-testid={props.testid}>
          {props.badge > 999 ? "999+" : props.badge}
        </span>
      ) : null}
    </button>
  );
}

/** The main screen: rail, list, chat. */
export function Main() {
  const tab = useStore((s) => s.tab);
  const total = useStore((s) => s.totalUnread);
  const requests = useStore((s) => s.applicationUnread);
  const currentID = useStore((s) => s.currentID);
  const me = useStore((s) => s.me);
  const profile = useStore((s) => s.myProfile);
  const dragOver = useStore((s) => s.dragOver);
  const listSide = tab === "chats" || tab === "contacts";
  return (
    <div class="main" data-testid="main">
      <nav class="rail">
        <div class="rail-logo"><Logo size={36} /></div>
        <RailButton tab="chats" label="Chats" icon="chat" badge={total} testid="total-unread" />
        <RailButton tab="contacts" label="Contacts" icon="contacts" badge={requests} />
        <RailButton tab="settings" label="Settings" icon="settings" />
        <div class="rail-spacer" />
        <button class={`rail-me ${tab === "profile" ? "on" : ""}`} title="My profile" onClick={() => setState({ tab: "profile" })} data-testid="rail-profile">
          <Avatar id={me} name={profile?.nick || me} url={profile?.avatar} size={38} />
        </button>
      </nav>
      {/* total-unread stays in the DOM (0 when nothing is unread) for tests and screen readers */}
      {!total && (
        <span class="sr-only" data-testid="total-unread">
          0
        </span>
      )}
      {listSide && <div class="sidebar">{tab === "chats" ? <ConversationList /> : <Contacts />}</div>}
      <main class="content">
        {tab === "settings" ? (
          <SettingsScreen />
        ) : tab === "profile" ? (
          <ProfileScreen />
        ) : currentID ? (
          <ChatView conversationID={currentID} />
        ) : (
          <div class="placeholder">
            <div class="placeholder-icon"><Logo size={72} /></div>
            <p>Select a chat to start messaging</p>
          </div>
        )}
      </main>
      {dragOver && (
        <div class="drop-overlay" data-testid="drop-overlay">
          <div>{currentID ? "Drop files to send them" : "Open a chat first to send files"}</div>
        </div>
      )}
    </div>
  );
}
