// Pieces every room view shares: top bar, stage banner, timer, stage rail, notices, drafts.
import { html } from "../html.js";
import { useEffect, useRef, useState } from "preact/hooks";
import { formatDuration, remainingSeconds, warningThreshold } from "../clock.js";
import { clearDraft, useDraft, useHiddenDrafts } from "../drafts.js";
import { getLang, LANGUAGES, setLang, t, tFirst, useLang } from "../i18n.js";
import {
  agenda,
  consultationOver,
  currentConsultationPlan,
  nameOf,
  roleIn,
  stageNumber,
} from "../plan.js";

/** The role whose messages a role falls back to: scribes and timekeepers consult too. */
export function roleGroup(role) {
  return role === "scribe" || role === "timekeeper" ? "consultant" : role;
}

/** What ``role`` may do in ``stage``, in one line. */
export function youLine(stage, role, { strict = false, reporter = false } = {}) {
  const keys = [`you.${stage}.${role}`, `you.${stage}.${roleGroup(role)}`, `you.any.${roleGroup(role)}`];
  if (strict) keys.unshift(`you.${stage}.${role}_strict`);
  if (reporter) keys.unshift(`you.${stage}.reporter`);
  return tFirst(keys);
}

export function safeUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

export function LangSwitch() {
  const lang = useLang();
  return html`<label class="lang">
    <span class="visually-hidden">${t("lang.label")}</span>
    <select value=${lang} onChange=${(e) => setLang(e.currentTarget.value)} aria-label=${t("lang.label")}>
      ${LANGUAGES.map((code) => html`<option value=${code} lang=${code}>${t(`lang.${code}`)}</option>`)}
    </select>
  </label>`;
}

export function ConnBadge({ status, pending }) {
  const label = t(`conn.${status}`);
  return html`<span class=${`conn conn-${status}`} role="status" data-testid="connection">
    <span class="conn-dot" aria-hidden="true"></span><span class="conn-label">${label}</span>
    ${pending > 0 && html`<span class="conn-pending"> · ${t("conn.pending", { n: pending })}</span>`}
  </span>`;
}

export function VideoLink({ url }) {
  if (!url) return null;
  const safe = safeUrl(url);
  if (!safe) return html`<span class="video-link">${t("room.video_at", { url })}</span>`;
  return html`<a class="video-link" href=${safe} target="_blank" rel="noopener noreferrer" data-testid="video-link"
    >${t("room.join_video")}<span class="visually-hidden"> (${t("common.new_tab")})</span></a
  >`;
}

// The record as Markdown with your own notes. No-trace: the client only, before the end.
function ExportLink({ state, meeting, role }) {
  if (!state || !meeting || role === "display") return null;
  if (state.plan.no_trace && (role !== "client" || state.stage === "ended")) return null;
  return html`<a class="export-link" href=${`/api/meetings/${meeting.id}/export`} download
    data-testid="export-link">${t("room.export")}</a>`;
}

/** The role(s) to show next to a name: at the end, every role the person held, per consultation. */
function roleLabel(state, member, role) {
  if (!state || state.stage !== "ended" || role === "facilitator" || state.plan.consultations.length < 2) {
    return t(`role.${role}`);
  }
  const roles = state.plan.consultations.map((_, n) => roleIn(state.plan, n, member));
  if (roles.every((r) => r === roles[0])) return t(`role.${roles[0]}`); // the same in both: once
  return roles.map((r, n) => t("ended.held", { role: t(`role.${r}`), n: n + 1 })).join(" · ");
}

export function TopBar({ snap, role }) {
  const { meeting, you, status, pending, state } = snap;
  return html`<header class="topbar">
    <div class="topbar-title">
      <a class="brand" href="/">Codev</a>
      <span class="meeting-title" dir="auto">${meeting?.title ?? ""}</span>
    </div>
    <div class="topbar-tools">
      <${ConnBadge} status=${status} pending=${pending} />
      <${VideoLink} url=${meeting?.video_url} />
      <${ExportLink} state=${state} meeting=${meeting} role=${role} />
      ${you &&
      role !== "display" &&
      html`<span class="you" data-testid="you"><span dir="auto">${you.name}</span> · <strong>${roleLabel(state, you.member_id, role)}</strong></span>`}
      ${role !== "display" && html`<${LangSwitch} />`}
    </div>
  </header>`;
}

export function useTick(ms = 250) {
  const [, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(id);
  }, [ms]);
}

export function Timer({ timer, big = false }) {
  useTick(250);
  if (!timer) return null;
  const left = remainingSeconds(timer);
  const over = left < 0;
  const warn = !over && left <= warningThreshold(timer);
  const paused = !timer.deadline;
  const cls = ["timer", big && "timer-big", over && "over", warn && "warn", paused && "paused"].filter(Boolean).join(" ");
  return html`<div class=${cls} role="timer" aria-label=${t("timer.label")} data-testid="timer">
    <span class="timer-value">${over ? `+${formatDuration(left)}` : formatDuration(left)}</span>
    <span class="timer-state"
      >${paused ? t("timer.paused") : over ? t("timer.over") : warn ? t("timer.soon") : t("timer.left")}</span
    >
  </div>`;
}

export function StageBanner({ state, role, me = null, big = false }) {
  useLang();
  const number = stageNumber(state.stage);
  const many = state.plan.consultations.length > 1;
  const where = [
    number && t("banner.step", { n: number }),
    many && state.consultation !== null && t("banner.consultation", { n: state.consultation + 1 }),
  ].filter(Boolean);
  return html`<section class=${`banner stage-${state.stage}${big ? " banner-big" : ""}`} aria-labelledby="stage-name">
    <div class="banner-text">
      ${where.length > 0 && html`<p class="banner-where">${where.join(" · ")}</p>`}
      <h1 id="stage-name" data-testid="stage-name">${t(`stage.${state.stage}`)}</h1>
      <p class="banner-purpose" data-testid="stage-purpose">${t(`purpose.${state.stage}`)}</p>
      ${role !== "display" &&
      html`<p class="banner-you" data-testid="you-may">${youLine(state.stage, role, {
        strict: currentConsultationPlan(state).strict_silent_client,
        reporter: role !== "facilitator" && state.plan.previous_plan?.reporter === me,
      })}</p>`}
    </div>
    ${state.stage !== "ended" && !(big && state.display_timer === false) && html`<${Timer} timer=${state.timer} big=${big} />`}
  </section>`;
}

/** The agenda as a rail; ``action(step)`` may return a button label to make a step clickable. */
export function StageRail({ state, onPick = null, pickable = () => false }) {
  useLang();
  const steps = agenda(state.plan).map((step, index) => ({ ...step, index }));
  const groups = [];
  for (const step of steps) {
    if (step.stage === "lobby" || step.stage === "ended") continue;
    const key = step.consultation === null ? "openers" : `c${step.consultation}`;
    let group = groups.find((g) => g.key === key);
    if (!group) groups.push((group = { key, consultation: step.consultation, steps: [] }));
    group.steps.push(step);
  }
  const many = state.plan.consultations.length > 1;
  const nav = useRef(null);
  useEffect(() => {
    // on a narrow screen the rail scrolls sideways: keep the current stage in sight
    const rail = nav.current;
    if (!rail) return undefined;
    const fit = () => {
      const scrolls = rail.scrollWidth > rail.clientWidth;
      // a rail that scrolls sideways takes the keyboard focus, so arrow keys can scroll it
      if (scrolls) rail.setAttribute("tabindex", "0");
      else rail.removeAttribute("tabindex");
      const current = rail.querySelector(".rail-step.current");
      if (scrolls && current) rail.scrollLeft = current.offsetLeft - rail.clientWidth / 2 + current.clientWidth / 2;
    };
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(rail);
    return () => observer.disconnect();
  }, [state.step]);
  const label = (g) =>
    g.consultation === null ? t("rail.openers") : many ? t("banner.consultation", { n: g.consultation + 1 }) : null;
  return html`<nav class="rail" ref=${nav} aria-label=${t("rail.label")}>
    ${groups.map(
      (g) => html`<div class="rail-group" key=${g.key}>
        ${label(g) && html`<span class="rail-group-label">${label(g)}</span>`}
        <ol>
          ${g.steps.map((step) => {
            const current = step.index === state.step;
            const done = step.index < state.step;
            const cls = ["rail-step", current && "current", done && "done"].filter(Boolean).join(" ");
            const number = stageNumber(step.stage);
            const content = html`<span class="rail-num" aria-hidden="true">${number ?? "•"}</span>
              <span class="rail-name">${t(`stage_short.${step.stage}`)}</span>`;
            return html`<li class=${cls} key=${step.index} aria-current=${current ? "step" : undefined}>
              ${onPick && pickable(step)
                ? html`<button type="button" class="rail-button" onClick=${() => onPick(step)}
                    title=${t("facilitator.return_to", { stage: t(`stage.${step.stage}`) })}>${content}</button>`
                : html`<span class="rail-label">${content}</span>`}
            </li>`;
          })}
        </ol>
      </div>`,
    )}
  </nav>`;
}

export function Notices({ room, notices }) {
  return html`<div class="notices" aria-live="assertive" aria-relevant="additions">
    ${notices.map(
      (n) => html`<div class=${`notice notice-${n.kind}`} key=${n.id} data-testid="notice">
        <span>${n.text}</span>
        <button type="button" class="ghost small" onClick=${() => room.dismiss(n.id)} aria-label=${t("common.close")}>×</button>
      </div>`,
    )}
  </div>`;
}

export function LiveRegion({ text }) {
  return html`<div class="visually-hidden" aria-live="polite" data-testid="announcer">${text}</div>`;
}

/** A modal confirmation (native <dialog>: focus trap and Escape for free). */
export function Confirm({ open, title, body, confirmLabel, onConfirm, onCancel, danger = false }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return html`<dialog ref=${ref} class="dialog" aria-labelledby="confirm-title" onCancel=${(e) => {
      e.preventDefault();
      onCancel();
    }}>
    ${open &&
    html`<h2 id="confirm-title">${title}</h2>
      ${body && html`<p>${body}</p>`}
      <div class="actions">
        <button type="button" class="secondary" onClick=${onCancel}>${t("common.cancel")}</button>
        <button type="button" class=${danger ? "danger" : "primary"} onClick=${onConfirm} autofocus
          data-testid="confirm">${confirmLabel}</button>
      </div>`}
  </dialog>`;
}

/**
 * A text field backed by a draft: what is typed survives stage changes, reloads and lost links.
 * ``onSubmit(text)`` sends it; the field empties and the text comes back if the server refuses.
 */
export function DraftField({ room, field, label, onSubmit, submitLabel, rows = 3, multiline = true, maxLength = 2000, hint = null, required = true }) {
  const scope = room.scope;
  const [draft, setDraft] = useDraft(scope, field);
  const value = draft ?? "";
  const id = `f-${field.replace(/[^\w-]/g, "-")}`;
  const box = useRef(null);
  const submit = (event) => {
    event.preventDefault();
    const text = value.trim();
    if (required && !text) return;
    clearDraft(scope, field);
    onSubmit(text, { restore: [{ field, text: value }] });
    box.current?.focus(); // the next one is typed in the same box (the button is now disabled)
  };
  const keydown = (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
  };
  const input = multiline
    ? html`<textarea ref=${box} id=${id} name=${field} rows=${rows} maxlength=${maxLength} value=${value}
        onInput=${(e) => setDraft(e.currentTarget.value)} onKeyDown=${keydown} aria-describedby=${hint ? `${id}-hint` : undefined}></textarea>`
    : html`<input ref=${box} id=${id} name=${field} type="text" maxlength=${maxLength} value=${value}
        onInput=${(e) => setDraft(e.currentTarget.value)} aria-describedby=${hint ? `${id}-hint` : undefined} />`;
  return html`<form class="draft-field" onSubmit=${submit} data-field=${field}>
    <label for=${id}>${label}</label>
    ${input}
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    <div class="actions"><button type="submit" class="primary" disabled=${required && !value.trim()}>${submitLabel}</button></div>
  </form>`;
}

function fieldLabel(field) {
  const base = field.split(".")[0];
  return tFirst([`field.${field}`, `field.${base}`, "field.other"]);
}

/** Drafts typed in a field that is no longer on screen (its stage is over): kept, never lost. */
export function HiddenDrafts({ room }) {
  const drafts = useHiddenDrafts(room.scope);
  if (drafts.length === 0) return null;
  return html`<section class="panel hidden-drafts" aria-labelledby="hidden-drafts-title">
    <h2 id="hidden-drafts-title">${t("drafts.title")}</h2>
    <p class="hint">${t("drafts.hint")}</p>
    ${drafts.map(
      ({ field, value }) => html`<div class="hidden-draft" key=${field}>
        <label for=${`hd-${field}`}>${fieldLabel(field)}</label>
        <textarea id=${`hd-${field}`} readonly rows="2" value=${value}></textarea>
        <button type="button" class="ghost small" onClick=${() => clearDraft(room.scope, field)}>${t("drafts.discard")}</button>
      </div>`,
    )}
  </section>`;
}

/** Raise / lower hand and "ready", as the permission table allows. */
export function SelfControls({ room, state, me, can }) {
  const raised = state.hands.includes(me);
  const ready = state.ready.includes(me);
  const speaking = state.speaker === me;
  const controls = [];
  if (raised && can("lower_hand")) {
    controls.push(html`<button type="button" class="secondary" aria-pressed="true" onClick=${() => room.send("lower_hand")}>
      ${t("self.lower_hand")}</button>`);
  } else if (!raised && can("raise_hand")) {
    controls.push(html`<button type="button" class="secondary" aria-pressed="false" onClick=${() => room.send("raise_hand")}>
      ${t("self.raise_hand")}</button>`);
  }
  if (can("set_ready")) {
    controls.push(html`<button type="button" class=${ready ? "secondary on" : "secondary"} aria-pressed=${ready ? "true" : "false"}
      onClick=${() => room.send("set_ready", { ready: !ready })} data-testid="ready">
      ${ready ? t("self.ready_on") : t("self.ready")}</button>`);
  }
  const position = state.hands.indexOf(me);
  if (controls.length === 0 && !speaking && !raised && !state.speaker) return null;
  return html`<section class="panel self" aria-label=${t("self.title")}>
    ${speaking && html`<p class="speaking" role="status">${t("self.your_turn")}</p>`}
    ${raised && html`<p class="hint">${t("self.in_queue", { n: position + 1 })}</p>`}
    ${state.speaker && !speaking && html`<p class="hint">${t("queue.speaking", { name: nameOf(state, state.speaker) })}</p>`}
    ${controls.length > 0 && html`<div class="actions">${controls}</div>`}
  </section>`;
}

/** My private notes: seen by me only, in every stage. */
export function PrivateNotes({ room, state, can }) {
  const notes = state.private_notes;
  return html`<section class="panel notes" aria-labelledby="notes-title">
    <h2 id="notes-title">${t("notes.title")}</h2>
    <p class="hint">${t("notes.hint")}</p>
    ${notes.length > 0 &&
    html`<ul class="items compact" data-testid="private-notes">
      ${notes.map((n) => html`<li key=${n.id} class="item"><p class="text">${n.text}</p></li>`)}
    </ul>`}
    ${can("add_private_note") &&
    html`<${DraftField} room=${room} field="private-note" label=${t("notes.add")} submitLabel=${t("notes.save")} rows="3" maxLength=${8000}
      onSubmit=${(text, meta) => room.send("add_private_note", { text }, meta)} />`}
  </section>`;
}

export function Section({ title, children, id, className = "" }) {
  return html`<section class=${`panel ${className}`} aria-labelledby=${id}>
    <h2 id=${id}>${title}</h2>
    ${children}
  </section>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/** Pause / resume / +1 / +5 minutes: for the facilitator and a delegated timekeeper. */
export function TimerControls({ room, state, can }) {
  const timer = state.timer;
  if (!timer || !can("pause_timer")) return null;
  const running = Boolean(timer.deadline);
  const shown = state.display_timer !== false;
  return html`<div class="actions timer-controls" role="group" aria-label=${t("timer.controls")}>
    ${can("set_display_timer") &&
    html`<button type="button" class="secondary" aria-pressed=${shown ? "false" : "true"} data-testid="display-timer"
      onClick=${() => room.send("set_display_timer", { shown: !shown })}>${t("timer.hide_on_display")}</button>`}
    ${running
      ? html`<button type="button" class="secondary" onClick=${() => room.send("pause_timer")} data-testid="pause">${t("timer.pause")}</button>`
      : html`<button type="button" class="secondary" onClick=${() => room.send("resume_timer")} data-testid="resume">${t("timer.resume")}</button>`}
    <button type="button" class="secondary" onClick=${() => room.send("extend_timer", { seconds: 60 })} data-testid="plus1">${t("timer.plus1")}</button>
    <button type="button" class="secondary" onClick=${() => room.send("extend_timer", { seconds: 300 })} data-testid="plus5">${t("timer.plus5")}</button>
  </div>`;
}

/** The two-column room layout: the stage's work, and a side column for me. */
export function Layout({ main, aside }) {
  return html`<div class="layout">
    <main id="main" class="main" tabindex="-1">${main}</main>
    <aside class="aside">${aside}</aside>
  </div>`;
}

/**
 * After a consultation its record is its client's: the client shares it with the group in one
 * click (or takes it back); everyone else reads who keeps it. The server decides what each sees.
 */
export function RecordSharing({ room, state, me }) {
  const over = state.plan.consultations
    .map((plan, index) => ({ client: plan.client, index }))
    .filter(({ client, index }) => client && consultationOver(state, index));
  if (over.length === 0) return null;
  const many = state.plan.consultations.length > 1;
  return html`<section class="panel sharing" aria-labelledby="sharing-title" data-testid="record-sharing">
    <h2 id="sharing-title">${t("share.title")}</h2>
    ${over.map(({ client, index }) => {
      const shared = state.consultations[index].shared;
      const where = many ? `${t("banner.consultation", { n: index + 1 })} · ` : "";
      if (client !== me) {
        const line = shared ? "share.other_shared" : "share.other_private";
        return html`<p key=${index} data-testid="share-status">${where}${t(line, { name: nameOf(state, client) })}</p>`;
      }
      return html`<div class="share-row" key=${index}>
        <p data-testid="share-status">${where}${t(shared ? "share.mine_shared" : "share.mine_private")}</p>
        <div class="actions"><button type="button" class="secondary" aria-pressed=${shared ? "true" : "false"} data-testid="share-toggle"
          onClick=${() => room.send("share_record", { consultation: index, shared: !shared })}>
          ${t(shared ? "share.unshare" : "share.share")}</button></div>
      </div>`;
    })}
    ${me !== state.plan.facilitator &&
    over.some(({ client, index }) => client !== me && !state.consultations[index].shared) &&
    html`<p class="hint" data-testid="share-own-part">${t("share.own_part")}</p>`}
  </section>`;
}

/** The side column most people share: hand and ready, private notes, unsent drafts. */
export function PersonalAside({ room, state, me, can, extra = null }) {
  return html`<${RecordSharing} room=${room} state=${state} me=${me} />
    ${extra}
    <${SelfControls} room=${room} state=${state} me=${me} can=${can} />
    <${PrivateNotes} room=${room} state=${state} can=${can} />
    <${HiddenDrafts} room=${room} />`;
}
