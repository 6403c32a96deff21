import { useState } from "preact/hooks";
import { avatarColor, initials } from "../logic";

/** An avatar: the image, or coloured initials when there is none (or it fails to load). */
export function Avatar(props: { id: string; name: string; url?: string; size?: number; group?: boolean }) {
  const size = props.size ?? 44;
  const [broken, setBroken] = useState(false);
  const style = { width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.38)}px` };
  if (props.url && !broken) {
    return <img class="avatar" src={props.url} alt="" style={style} onError={() => setBroken(true)} />;
  }
  return (
    <div class="avatar initials" style={{ ...style, background: avatarColor(props.id) }} aria-hidden="true">
      {initials(props.name || props.id)}
    </div>
  );
}
