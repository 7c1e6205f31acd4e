// Scheduling a meeting: who takes part, the openers, one or two consultations with their client,
// roles, timing preset and variant, and an optional video-call link shown in the room.
import { html } from "../html.js";
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { t } from "../i18n.js";
import { ErrorLine, Field, useAction } from "./forms.js";
import { standingText, useLatestCycle } from "./cycle.js";

const PRESETS = {
  120: [15, 20, 10, 40, 15, 20],
  90: [10, 15, 5, 30, 15, 15],
  60: [5, 10, 5, 20, 10, 10],
  45: [5, 8, 2, 15, 10, 5],
};
const OPENERS = ["check_in", "follow_up", "client_choice"];
const SIX = ["presentation", "clarification", "contract", "consultation", "synthesis", "conclusion"];

function newConsultation() {
  return { client_id: "", scribe_id: "", timekeeper_id: "", observer_ids: [], preset: "90", minutes: PRESETS[90], strict_silent_client: false };
}

export function ScheduleForm({ group, members, onScheduled }) {
  const facilitators = members.filter((m) => m.is_facilitator);
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const [when, setWhen] = useState("");
  const [video, setVideo] = useState("");
  const [chosenFacilitator, setFacilitator] = useState(null);
  const facilitator = chosenFacilitator ?? (facilitators[0] ?? members[0])?.id ?? "";
  const [left, setLeft] = useState([]); // members left out of this meeting (new members are in)
  const participants = members.map((m) => m.id).filter((id) => !left.includes(id));
  const [openers, setOpeners] = useState(["check_in"]);
  const [consultations, setConsultations] = useState([newConsultation()]);
  const [noTrace, setNoTrace] = useState(false);
  const [done, setDone] = useState(null);

  const people = members.filter((m) => participants.includes(m.id) || m.id === facilitator);
  const others = people.filter((m) => m.id !== facilitator);
  const change = (index, update) => setConsultations(consultations.map((c, i) => (i === index ? { ...c, ...update } : c)));
  const toggle = (list, id) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);

  const [run, busy, error] = useAction(async () => {
    const body = {
      title: title.trim(),
      scheduled_for: when ? new Date(when).toISOString() : null,
      video_url: video.trim() || null,
      facilitator_id: facilitator,
      participant_ids: Array.from(new Set([...participants, facilitator])),
      openers: OPENERS.filter((o) => openers.includes(o)),
      consultations: consultations.map((c) => ({
        client_id: c.client_id || null,
        scribe_id: c.scribe_id || null,
        timekeeper_id: c.timekeeper_id || null,
        observer_ids: c.observer_ids,
        preset: c.preset,
        minutes: c.preset === "custom" ? c.minutes.map(Number) : null,
        strict_silent_client: c.strict_silent_client,
      })),
      no_trace: noTrace,
    };
    const meeting = await post(`/groups/${group.id}/meetings`, body);
    setDone(meeting);
    setTitle("");
    setOpen(false);
    onScheduled();
  });

  if (!open) {
    return html`<div class="panel">
      ${done && html`<p class="sent" role="status">${t("schedule.done", { title: done.title })}</p>`}
      <button type="button" class="primary" onClick=${() => { setOpen(true); setDone(null); }} data-testid="schedule">${t("schedule.open")}</button>
    </div>`;
  }

  const select = (id, value, onChange, options, empty, label = (m) => m.name) => html`<select id=${id} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
    ${empty && html`<option value="">${empty}</option>`}
    ${options.map((m) => html`<option value=${m.id}>${label(m)}</option>`)}
  </select>`;
  // The cycle's rotation beside each possible client: has been client, planned, due, absent.
  const cycle = useLatestCycle(group.id);
  const standing = Object.fromEntries((cycle?.members ?? []).map((r) => [r.id, standingText(cycle, r)]));
  const withStanding = (m) => (standing[m.id] ? `${m.name} — ${standing[m.id]}` : m.name);

  return html`<form class="panel editor schedule" onSubmit=${(e) => { e.preventDefault(); run(); }} data-testid="schedule-form">
    <h2>${t("schedule.title")}</h2>
    <${Field} id="meeting-title" label=${t("schedule.meeting_title")}>
      <input id="meeting-title" type="text" required maxlength="120" value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} />
    <//>
    <div class="field-row">
      <${Field} id="meeting-when" label=${`${t("schedule.when")} (${t("common.optional")})`}>
        <input id="meeting-when" type="datetime-local" value=${when} onInput=${(e) => setWhen(e.currentTarget.value)} />
      <//>
      <${Field} id="meeting-facilitator" label=${t("role.facilitator")}>
        ${select("meeting-facilitator", facilitator, setFacilitator, members)}
      <//>
    </div>
    <${Field} id="meeting-video" label=${`${t("schedule.video")} (${t("common.optional")})`} hint=${t("schedule.video_hint")}>
      <input id="meeting-video" type="url" placeholder="https://" value=${video} onInput=${(e) => setVideo(e.currentTarget.value)} aria-describedby="meeting-video-hint" />
    <//>
    <fieldset class="choices">
      <legend>${t("schedule.participants")}</legend>
      ${members.map(
        (m) => html`<label class="choice" key=${m.id}><input type="checkbox" checked=${participants.includes(m.id) || m.id === facilitator}
            disabled=${m.id === facilitator} onChange=${() => setLeft(toggle(left, m.id))} /> ${m.name}</label>`,
      )}
    </fieldset>
    <fieldset class="choices">
      <legend>${t("schedule.openers")}</legend>
      ${OPENERS.map(
        (o) => html`<label class="choice" key=${o}><input type="checkbox" checked=${openers.includes(o)} onChange=${() => setOpeners(toggle(openers, o))} /> ${t(`stage.${o}`)}</label>`,
      )}
    </fieldset>
    ${consultations.map(
      (c, index) => html`<fieldset class="consultation-plan" key=${index}>
        <legend>${t("schedule.consultation", { n: index + 1 })}</legend>
        <div class="field-row">
          <${Field} id=${`c${index}-client`} label=${t("role.client")}>
            ${select(`c${index}-client`, c.client_id, (v) => change(index, { client_id: v }), others, t("schedule.client_later"), withStanding)}
          <//>
          <${Field} id=${`c${index}-preset`} label=${t("schedule.preset")}>
            <select id=${`c${index}-preset`} value=${c.preset} onChange=${(e) => {
              const preset = e.currentTarget.value;
              change(index, { preset, minutes: PRESETS[preset] ?? c.minutes });
            }}>
              ${["120", "90", "60", "45", "custom"].map((p) => html`<option value=${p}>${t(`preset.${p}`)}</option>`)}
            </select>
          <//>
        </div>
        <p class="hint" data-testid="preset-minutes">${SIX.map((s, i) => `${t(`stage_short.${s}`)} ${c.minutes[i]}`).join(" · ")} min</p>
        ${c.preset === "custom" &&
        html`<div class="minutes">${SIX.map(
          (s, i) => html`<div class="field"><label for=${`c${index}-m${i}`}>${t(`stage_short.${s}`)}</label>
            <input id=${`c${index}-m${i}`} type="number" min="1" max="240" required value=${c.minutes[i]}
              onInput=${(e) => change(index, { minutes: c.minutes.map((m, j) => (j === i ? e.currentTarget.value : m)) })} /></div>`,
        )}</div>`}
        <div class="field-row">
          <${Field} id=${`c${index}-scribe`} label=${`${t("role.scribe")} (${t("common.optional")})`}>
            ${select(`c${index}-scribe`, c.scribe_id, (v) => change(index, { scribe_id: v }), others.filter((m) => m.id !== c.client_id), t("schedule.nobody"))}
          <//>
          <${Field} id=${`c${index}-timekeeper`} label=${`${t("role.timekeeper")} (${t("common.optional")})`}>
            ${select(`c${index}-timekeeper`, c.timekeeper_id, (v) => change(index, { timekeeper_id: v }), others.filter((m) => m.id !== c.client_id), t("schedule.nobody"))}
          <//>
        </div>
        <fieldset class="choices">
          <legend>${t("schedule.observers")}</legend>
          ${others.filter((m) => m.id !== c.client_id).map(
            (m) => html`<label class="choice" key=${m.id}><input type="checkbox" checked=${c.observer_ids.includes(m.id)}
              onChange=${() => change(index, { observer_ids: toggle(c.observer_ids, m.id) })} /> ${m.name}</label>`,
          )}
        </fieldset>
        <label class="choice"><input type="checkbox" checked=${c.strict_silent_client} onChange=${(e) => change(index, { strict_silent_client: e.currentTarget.checked })} />
          ${t("schedule.strict")}</label>
        ${index === 1 && html`<div class="actions"><button type="button" class="ghost small" onClick=${() => setConsultations(consultations.slice(0, 1))}>${t("schedule.remove_second")}</button></div>`}
      </fieldset>`,
    )}
    ${consultations.length === 1 &&
    html`<div class="actions"><button type="button" class="secondary" onClick=${() => setConsultations([...consultations, newConsultation()])}>${t("schedule.add_second")}</button></div>`}
    <label class="choice"><input type="checkbox" checked=${noTrace} onChange=${(e) => setNoTrace(e.currentTarget.checked)} /> ${t("schedule.no_trace")}</label>
    <p class="hint">${t("schedule.no_trace_hint")}</p>
    <${ErrorLine} error=${error} />
    <div class="actions">
      <button type="button" class="secondary" onClick=${() => setOpen(false)}>${t("common.cancel")}</button>
      <button type="submit" class="primary" disabled=${busy || !title.trim() || !facilitator}>${t("schedule.submit")}</button>
    </div>
  </form>`;
}
