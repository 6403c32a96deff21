import { useEffect, useState } from "preact/hooks";
import { TYPES } from "../../sdk";
import { getChat, run, toast } from "../session";
import { setState, useStore } from "../store";
import { Avatar } from "./Avatar";

/** Edits one's own profile. */
export function ProfileScreen() {
  const profile = useStore((s) => s.myProfile);
  const me = useStore((s) => s.me);
  const [form, setForm] = useState({ nick: "", avatar: "", selfSignature: "", gender: String(TYPES.GENDER_UNKNOWN), allowType: String(TYPES.ALLOW_TYPE_NEED_CONFIRM) });
  useEffect(() => {
    if (profile)
      setForm({
        nick: profile.nick ?? "",
        avatar: profile.avatar ?? "",
        selfSignature: profile.selfSignature ?? "",
        gender: profile.gender || String(TYPES.GENDER_UNKNOWN),
        allowType: profile.allowType || String(TYPES.ALLOW_TYPE_NEED_CONFIRM),
      });
  }, [profile]);
  const save = async (e: Event) => {
    e.preventDefault();
    const r: any = await run(getChat()!.updateMyProfile(form));
    if (r) {
      setState({ myProfile: { ...(profile ?? {}), ...(r.data ?? form) } });
      toast("Profile saved");
    }
  };
  const field = (k: keyof typeof form) => ({ value: form[k], onInput: (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value }) });
  return (
    <div class="page" data-testid="profile">
      <h2>My profile</h2>
      <form class="card form" onSubmit={save}>
        <div class="account-row">
          <Avatar id={me} name={form.nick || me} url={form.avatar} size={72} />
          <div>
            <div class="hero-name">{form.nick || me}</div>
            <div class="muted small">{me}</div>
          </div>
        </div>
        <label>
          <span>Nickname</span>
          <input {...field("nick")} data-testid="profile-nick" />
        </label>
        <label>
          <span>Avatar URL</span>
          <input {...field("avatar")} placeholder="https://…" />
        </label>
        <label>
          <span>About</span>
          <input {...field("selfSignature")} />
        </label>
        <label>
          <span>Gender</span>
          <select value={form.gender} onChange={(e) => setForm({ ...form, gender: e.currentTarget.value })}>
            <option value={String(TYPES.GENDER_UNKNOWN)}>Not set</option>
            <option value={String(TYPES.GENDER_FEMALE)}>Female</option>
            <option value={String(TYPES.GENDER_MALE)}>Male</option>
          </select>
        </label>
        <label>
          <span>Friend requests</span>
          <select value={form.allowType} onChange={(e) => setForm({ ...form, allowType: e.currentTarget.value })}>
            <option value={String(TYPES.ALLOW_TYPE_ALLOW_ANY)}>Anyone can add me</option>
            <option value={String(TYPES.ALLOW_TYPE_NEED_CONFIRM)}>Ask me first</option>
            <option value={String(TYPES.ALLOW_TYPE_DENY_ANY)}>Nobody</option>
          </select>
        </label>
        <div class="modal-actions">
          <button class="btn primary" type="submit" data-testid="profile-save">
            Save
          </button>
        </div>
      </form>
    </div>
  );
}
