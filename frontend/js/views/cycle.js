// Across the cycle: the group's cycles (meetings, rotation, attendance), its charter, and in the
// room the charter gate, the charter shown to everyone, and the facilitator's attendance panel.
// Everything here is read from the server (GET /api/cycles/{id}, the meeting state): no copies.
import { html } from "../html.js";
import { useEffect, useState } from "preact/hooks";
import { get, patch, post } from "../api.js";
import { formatDateTime, t } from "../i18n.js";
import { nameOf } from "../plan.js";
import { Empty, LangSwitch } from "./common.js";
import { ErrorLine, Field, useAction } from "./forms.js";

const STATUSES = ["present", "excused", "absent"];

function localInput(value) {
  // An ISO moment as a datetime-local value in this browser's time zone.
  const d = new Date(value);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The latest cycle of a group, or null; reloads when ``version`` changes. */
export function useLatestCycle(groupId, version = 0) {
  const [cycle, setCycle] = useState(null);
  useEffect(() => {
    if (!groupId) return undefined;
    let gone = false;
    get(`/groups/${groupId}/cycles`)
      .then((cycles) => (cycles.length ? get(`/cycles/${cycles[0].id}`) : null))
      .then((c) => !gone && setCycle(c), () => !gone && setCycle(null));
    return () => {
      gone = true;
    };
  }, [groupId, version]);
  return cycle;
}

/** Where a member stands in the rotation, in a few words (for scheduling). */
export function standingText(cycle, row) {
  const number = (id) => cycle.meetings.findIndex((m) => m.id === id) + 1;
  const parts = [];
  if (row.client_at) parts.push(t("cycle.was_client", { n: number(row.client_at) }));
  else if (row.planned_at) parts.push(t("cycle.planned", { n: number(row.planned_at) }));
  else parts.push(t("cycle.due"));
  if (row.absent_last_time) parts.push(t("cycle.absent_last_time"));
  return parts.join(" · ");
}

// --- the organizer's group page -----------------------------------------------------------------

export function CyclePanel({ group, members, onChanged }) {
  const [version, setVersion] = useState(0);
  const cycle = useLatestCycle(group.id, version);
  const reload = () => {
    setVersion(version + 1);
    onChanged?.();
  };
  return html`<section class="panel cycle" aria-labelledby="cycle-title" data-testid="cycle-panel">
    <h2 id="cycle-title">${cycle ? t("cycle.title_named", { name: cycle.name }) : t("cycle.title")}</h2>
    ${cycle
      ? html`<${CycleView} cycle=${cycle} onChanged=${reload} />`
      : html`<p class="hint">${t("cycle.none")}</p>`}
    <${CreateCycle} group=${group} members=${members} onCreated=${reload} first=${!cycle} />
  </section>`;
}

function CreateCycle({ group, members, onCreated, first }) {
  const facilitators = members.filter((m) => m.is_facilitator);
  const [name, setName] = useState("");
  const [when, setWhen] = useState("");
  const [rhythm, setRhythm] = useState("4");
  const [count, setCount] = useState("");
  const [video, setVideo] = useState("");
  const [facilitator, setFacilitator] = useState((facilitators[0] ?? members[0])?.id ?? "");
  const rotating = members.filter((m) => !m.is_facilitator && m.id !== facilitator).length;
  const [run, busy, error] = useAction(async () => {
    await post(`/groups/${group.id}/cycles`, {
      name: name.trim(),
      starts_at: new Date(when).toISOString(),
      rhythm_weeks: Number(rhythm),
      planned_meetings: count ? Number(count) : null,
      facilitator_id: facilitator,
      openers: ["check_in"],
      video_url: video.trim() || null,
    });
    setName("");
    onCreated();
  });
  return html`<details class="editor" open=${first}>
    <summary data-testid="new-cycle">${t("cycle.create")}</summary>
    <form onSubmit=${(e) => { e.preventDefault(); if (name.trim() && when) run(); }}>
      <${Field} id="cycle-name" label=${t("cycle.name")}>
        <input id="cycle-name" type="text" required maxlength="100" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
      <//>
      <${Field} id="cycle-start" label=${t("cycle.first_meeting")}>
        <input id="cycle-start" type="datetime-local" required value=${when} onInput=${(e) => setWhen(e.currentTarget.value)} />
      <//>
      <div class="field-row">
        <${Field} id="cycle-rhythm" label=${t("cycle.rhythm")}>
          <input id="cycle-rhythm" type="number" min="1" max="12" required value=${rhythm} onInput=${(e) => setRhythm(e.currentTarget.value)} />
        <//>
        <${Field} id="cycle-count" label=${t("cycle.count")} hint=${t("cycle.count_hint", { n: rotating })}>
          <input id="cycle-count" type="number" min="1" max="24" placeholder=${String(rotating)} value=${count} onInput=${(e) => setCount(e.currentTarget.value)} />
        <//>
      </div>
      <${Field} id="cycle-facilitator" label=${t("role.facilitator")}>
        <select id="cycle-facilitator" value=${facilitator} onChange=${(e) => setFacilitator(e.currentTarget.value)}>
          ${members.map((m) => html`<option value=${m.id}>${m.name}</option>`)}
        </select>
      <//>
      <${Field} id="cycle-video" label=${t("schedule.video")} hint=${t("schedule.video_hint")}>
        <input id="cycle-video" type="url" placeholder="https://" value=${video} onInput=${(e) => setVideo(e.currentTarget.value)} />
      <//>
      <${ErrorLine} error=${error} />
      <div class="actions"><button type="submit" class="primary" disabled=${busy || !name.trim() || !when} data-testid="create-cycle">${t("cycle.create_submit")}</button></div>
    </form>
  </details>`;
}

function CycleView({ cycle, onChanged }) {
  const names = Object.fromEntries(cycle.members.map((m) => [m.id, m.name]));
  const who = (id) => names[id] ?? t("cycle.someone");
  return html`<div class="cycle-view">
    <p class="hint">${t("cycle.rhythm_line", { n: cycle.rhythm_weeks, count: cycle.planned_meetings })}</p>
    <h3>${t("cycle.rotation")}</h3>
    <ol class="items compact rotation" data-testid="rotation">
      ${cycle.meetings.map(
        (m, i) => html`<li class="item row" key=${m.id}>
          <span class="rotation-when">${t("cycle.meeting_n", { n: i + 1 })} · ${formatDateTime(m.scheduled_for)}</span>
          <span class="rotation-clients">${m.clients
            .map((c, i) => (c ? who(c) : m.proposed[i] ? t("cycle.proposed", { name: who(m.proposed[i]) }) : t("schedule.client_later")))
            .join(", ")}</span>
          ${m.stage !== "lobby" && html`<span class="chip">${t(`stage_short.${m.stage}`)}</span>`}
          ${m.stage === "lobby" && html`<${MoveMeeting} meeting=${m} onChanged=${onChanged} />`}
        </li>`,
      )}
    </ol>
    ${cycle.meetings.some((m) => m.proposed.some(Boolean)) && html`<${Fill} cycle=${cycle} onChanged=${onChanged} />`}
    <${Swap} cycle=${cycle} onChanged=${onChanged} />
    <h3>${t("cycle.standing")}</h3>
    <ul class="items compact" data-testid="standing">
      ${cycle.members.map((r) => html`<li class="item row" key=${r.id}><span>${r.name}</span>
        <span class=${r.due ? "chip warn" : "chip"}>${standingText(cycle, r)}</span></li>`)}
    </ul>
    <${AttendanceGrid} cycle=${cycle} />
  </div>`;
}

function MoveMeeting({ meeting, onChanged }) {
  const [open, setOpen] = useState(false);
  const [when, setWhen] = useState(localInput(meeting.scheduled_for));
  const [run, busy, error] = useAction(async () => {
    await patch(`/meetings/${meeting.id}`, { scheduled_for: new Date(when).toISOString() });
    setOpen(false);
    onChanged();
  });
  if (!open) return html`<button type="button" class="ghost small" onClick=${() => setOpen(true)}>${t("cycle.move")}</button>`;
  return html`<form class="inline-form move" onSubmit=${(e) => { e.preventDefault(); if (when) run(); }}>
    <label class="visually-hidden" for=${`move-${meeting.id}`}>${t("schedule.when")}</label>
    <input id=${`move-${meeting.id}`} type="datetime-local" required value=${when} onInput=${(e) => setWhen(e.currentTarget.value)} />
    <button type="submit" class="secondary small" disabled=${busy}>${t("cycle.move_submit")}</button>
    <${ErrorLine} error=${error} />
  </form>`;
}

function Fill({ cycle, onChanged }) {
  const [run, busy, error] = useAction(async () => {
    await post(`/cycles/${cycle.id}/rotation/fill`);
    onChanged();
  });
  return html`<div class="actions"><button type="button" class="secondary small" disabled=${busy} onClick=${() => run()} data-testid="fill">${t("cycle.fill")}</button>
    <${ErrorLine} error=${error} /></div>`;
}

function Swap({ cycle, onChanged }) {
  const [a, setA] = useState("");
  const [b, setB] = useState("");
  const [run, busy, error] = useAction(async () => {
    await post(`/cycles/${cycle.id}/rotation/swap`, { member_ids: [a, b] });
    setA("");
    setB("");
    onChanged();
  });
  const pick = (id, value, set) => html`<select id=${id} value=${value} onChange=${(e) => set(e.currentTarget.value)}>
    <option value="">—</option>
    ${cycle.members.map((m) => html`<option value=${m.id}>${m.name}</option>`)}
  </select>`;
  return html`<form class="inline-form swap" onSubmit=${(e) => { e.preventDefault(); if (a && b) run(); }}>
    <span class="swap-label">${t("cycle.swap")}</span>
    <label class="visually-hidden" for="swap-a">${t("cycle.swap_first")}</label>${pick("swap-a", a, setA)}
    <label class="visually-hidden" for="swap-b">${t("cycle.swap_second")}</label>${pick("swap-b", b, setB)}
    <button type="submit" class="secondary small" disabled=${busy || !a || !b} data-testid="swap">${t("cycle.swap_submit")}</button>
    <${ErrorLine} error=${error} />
  </form>`;
}

function AttendanceGrid({ cycle }) {
  const started = cycle.meetings.filter((m) => m.stage !== "lobby");
  return html`<h3>${t("cycle.attendance")}</h3>
    ${started.length === 0
      ? html`<${Empty}>${t("cycle.attendance_none")}<//>`
      : html`<div class="table-scroll"><table class="attendance" data-testid="attendance-grid">
          <thead><tr><th scope="col">${t("cycle.member")}</th>
            ${started.map((m) => html`<th scope="col" key=${m.id}>${t("cycle.meeting_n", { n: cycle.meetings.indexOf(m) + 1 })}</th>`)}</tr></thead>
          <tbody>
            ${cycle.members.map(
              (r) => html`<tr key=${r.id}><th scope="row">${r.name}</th>
                ${started.map((m) => {
                  const status = m.attendance[r.id];
                  if (!status) return html`<td key=${m.id}>—</td>`;
                  const confirmed = m.confirmed.includes(r.id);
                  return html`<td key=${m.id} class=${`att-${status}${confirmed ? "" : " proposed"}`} data-testid=${`att-${r.id}-${m.id}`}>
                    ${t(`attendance.${status}`)}${!confirmed && html`<span class="hint"> (${t("attendance.proposed")})</span>`}</td>`;
                })}</tr>`,
            )}
          </tbody>
        </table></div>`}`;
}

// --- the group's charter ------------------------------------------------------------------------

export function CharterPanel({ group }) {
  const [charter, setCharter] = useState(null);
  const [text, setText] = useState(null);
  const load = () => get(`/groups/${group.id}/charter`).then(setCharter, () => setCharter(null));
  useEffect(() => {
    load();
  }, [group.id]);
  const [run, busy, error] = useAction(async () => {
    await post(`/groups/${group.id}/charter`, { text: text.trim() });
    setText(null);
    load();
  });
  if (!charter) return null;
  const current = charter.current;
  const editing = text !== null;
  return html`<section class="panel charter" aria-labelledby="charter-title" data-testid="charter-panel">
    <h2 id="charter-title">${t("charter.title")}</h2>
    ${current
      ? html`<p class="hint">${t("charter.version", { n: current.version, when: formatDateTime(current.created_at), who: current.saved_by })}</p>
          ${!editing && html`<div class="charter-text" data-testid="charter-text">${current.text}</div>`}`
      : html`<p class="hint">${t("charter.none")}</p>`}
    ${editing
      ? html`<form onSubmit=${(e) => { e.preventDefault(); if (text.trim()) run(); }}>
          <${Field} id="charter-edit" label=${t("charter.text")} hint=${t("charter.edit_hint")}>
            <textarea id="charter-edit" rows="10" maxlength="20000" value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
          <//>
          <${ErrorLine} error=${error} />
          <div class="actions">
            <button type="button" class="ghost" onClick=${() => setText(null)}>${t("common.cancel")}</button>
            <button type="submit" class="primary" disabled=${busy || !text.trim()} data-testid="save-charter">${t("charter.save")}</button>
          </div>
        </form>`
      : html`<div class="actions"><button type="button" class="secondary" data-testid="edit-charter"
          onClick=${() => setText(current ? current.text : t("charter.default"))}>${current ? t("charter.edit") : t("charter.write")}</button></div>`}
    ${current && charter.acceptances.length > 0 &&
    html`<h3>${t("charter.who_agreed")}</h3>
      <ul class="items compact" data-testid="acceptances">
        ${charter.acceptances.map((a) => html`<li class="item row" key=${a.member_id}><span>${a.name}</span>
          <span class=${a.version === current.version ? "chip ok" : "chip"}>${a.version === null
            ? t("charter.not_yet")
            : t("charter.agreed", { n: a.version, when: formatDateTime(a.accepted_at) })}</span></li>`)}
      </ul>`}
  </section>`;
}

// --- the meeting room ---------------------------------------------------------------------------

/** Before entering: the charter, if this member has not agreed to its current version. */
export function CharterGate({ charter, onAgreed, error }) {
  return html`<div class="app">
    <header class="topbar"><div class="topbar-title"><a class="brand" href="/">Codev</a></div>
      <div class="topbar-tools"><${LangSwitch} /></div></header>
    <main id="main" class="narrow charter-gate" data-testid="charter-gate">
    <h1>${t("charter.gate_title")}</h1>
    <p>${t("charter.gate_lead")}</p>
    <div class="panel charter-text" data-testid="charter-text">${charter.text}</div>
    <p class="hint">${t("charter.version_short", { n: charter.version })}</p>
    <${ErrorLine} error=${error} />
    <div class="actions"><button type="button" class="primary" onClick=${onAgreed} data-testid="agree">${t("charter.agree")}</button></div>
  </main></div>`;
}

/** The charter the facilitator shows to everyone, room display included, until hidden. */
export function ShownCharter({ room, state, can, big = false }) {
  if (!state.charter) return null;
  return html`<section class=${`panel charter-shown${big ? " big" : ""}`} aria-labelledby="charter-shown-title" data-testid="charter-shown">
    <h2 id="charter-shown-title">${t("charter.title")} <span class="hint">${t("charter.version_short", { n: state.charter.version })}</span></h2>
    <div class="charter-text">${state.charter.text}</div>
    ${can("hide_charter") && html`<div class="actions"><button type="button" class="secondary" onClick=${() => room.send("hide_charter")} data-testid="hide-charter">${t("charter.hide")}</button></div>`}
  </section>`;
}

/** The facilitator's button to revisit the charter with the group. */
export function CharterControl({ room, snap, state, can }) {
  const [charter, setCharter] = useState(undefined);
  const groupId = snap.meeting?.group_id;
  useEffect(() => {
    if (groupId) get(`/groups/${groupId}/charter`).then((c) => setCharter(c.current), () => setCharter(null));
  }, [groupId]);
  if (!can("show_charter") || !charter || state.charter) return null;
  return html`<section class="panel" aria-labelledby="charter-control-title">
    <h2 id="charter-control-title">${t("charter.title")}</h2>
    <div class="actions"><button type="button" class="secondary" data-testid="show-charter"
      onClick=${() => room.send("show_charter", { version: charter.version, text: charter.text })}>${t("charter.show")}</button></div>
  </section>`;
}

/** Per member: present, excused or absent, proposed from who connected, confirmed in one click. */
export function AttendancePanel({ room, snap, state, can }) {
  const [joined, setJoined] = useState([]);
  const online = snap.presence.map((p) => p.member_id).join(",");
  useEffect(() => {
    if (state.stage === "lobby") return;
    get(`/meetings/${state.meeting_id}/presence`).then((rows) => setJoined(rows.map((r) => r.member_id)), () => {});
  }, [online, state.stage === "lobby"]);
  if (!can("confirm_attendance")) return null;
  const here = new Set([...joined, ...snap.presence.map((p) => p.member_id)]);
  const people = Object.keys(state.plan.participants).filter((id) => id !== state.plan.facilitator);
  return html`<section class="panel attendance-panel" aria-labelledby="attendance-title" data-testid="attendance-panel">
    <h2 id="attendance-title">${t("attendance.title")}</h2>
    <p class="hint">${t("attendance.hint")}</p>
    <ul class="items compact">
      ${people.map((id) => {
        const confirmed = state.attendance?.[id];
        const status = confirmed ?? (here.has(id) ? "present" : "absent");
        return html`<li class="item attendance-row" key=${id} data-testid=${`attendance-${id}`}>
          <span class="person-name">${nameOf(state, id)}</span>
          <span class="hint">${confirmed ? t("attendance.confirmed") : t("attendance.proposed")}</span>
          <div class="segmented" role="group" aria-label=${t("attendance.of", { name: nameOf(state, id) })}>
            ${STATUSES.map((s) => html`<button type="button" key=${s}
              class=${`small ${status === s ? (confirmed ? "primary" : "secondary selected") : "ghost"}`}
              aria-pressed=${confirmed === s} data-testid=${`attendance-${id}-${s}`}
              onClick=${() => room.send("confirm_attendance", { member_id: id, status: s })}>${t(`attendance.${s}`)}</button>`)}
          </div>
        </li>`;
      })}
    </ul>
  </section>`;
}
