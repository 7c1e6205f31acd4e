// The facilitator's control panel: the agenda (next / back with confirmation), the timer, who is
// here and in which role, the ready count, the speaking queue, and everything posted, live.
import { html } from "../html.js";
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n.js";
import { currentConsultationPlan, currentRecord, nameOf, nextStep, returnTargets, roleIn, consultationIndex } from "../plan.js";
import { Confirm, Empty, Layout, PrivateNotes, HiddenDrafts, RecordSharing, Section, StageRail, TimerControls } from "./common.js";
import { CaseCard, ContractView, EarlierWork, EvaluationSummary, FollowUpView, LearningForm, LearningList, ProposalList } from "./parts.js";
import { StageFeed } from "./observer.js";
import { AttendancePanel, CharterControl, standingText, useLatestCycle } from "./cycle.js";

const ROLE_ORDER = ["client", "scribe", "timekeeper", "consultant", "observer", "facilitator"];

export function FacilitatorView({ room, snap, state, me, can }) {
  const [asking, setAsking] = useState(null); // {kind: advance|return|end, target}
  useEffect(() => {
    // the stage moved under an open dialog (another facilitator, or a refused move): say why it closes
    if (asking) room.notify(t("facilitator.moved_under_you", { stage: t(`stage.${state.stage}`) }), "error");
    setAsking(null);
  }, [snap.stageNotice]);
  const offline = snap.status !== "open"; // a stage move needs the server's answer: none while offline
  const record = currentRecord(state);
  const next = nextStep(state);
  const back = returnTargets(state)[0] ?? null;
  const targets = returnTargets(state);
  const blocked = next && next.stage === "presentation" && !state.plan.consultations[next.consultation].client;

  const confirm = () => {
    const { kind, target } = asking;
    if (kind === "advance") room.send("advance_stage", { expected_stage: state.stage });
    if (kind === "return") room.send("return_to_stage", { expected_stage: state.stage, stage: target.stage });
    if (kind === "end") room.send("end_meeting", { expected_stage: state.stage });
    setAsking(null);
  };
  const stageName = (step) => t(`stage.${step.stage}`);
  const dialog = asking && {
    advance: { title: t("facilitator.confirm_next", { stage: stageName(asking.target) }), label: t("facilitator.go_to", { stage: stageName(asking.target) }) },
    return: { title: t("facilitator.confirm_back", { stage: stageName(asking.target) }), label: t("facilitator.return_to", { stage: stageName(asking.target) }) },
    end: { title: t("facilitator.confirm_end"), label: t("facilitator.end") },
  }[asking.kind];

  const controls = html`<section class="panel controls" aria-labelledby="controls-title">
    <h2 id="controls-title" class="visually-hidden">${t("facilitator.controls")}</h2>
    <${StageRail} state=${state} onPick=${(step) => setAsking({ kind: "return", target: step })}
      pickable=${(step) => targets.some((x) => x.index === step.index)} />
    <div class="actions stage-moves">
      ${can("return_to_stage") && back &&
      html`<button type="button" class="secondary" disabled=${offline} onClick=${() => setAsking({ kind: "return", target: back })} data-testid="back">
        ← ${t("facilitator.back_to", { stage: t(`stage_short.${back.stage}`) })}</button>`}
      ${can("advance_stage") && next && next.stage !== "ended" &&
      html`<button type="button" class="primary" disabled=${blocked || offline} onClick=${() => setAsking({ kind: "advance", target: next })} data-testid="next">
        ${t("facilitator.next_to", { stage: t(`stage_short.${next.stage}`) })} →</button>`}
      ${can("advance_stage") && next && next.stage === "ended" &&
      html`<button type="button" class="primary" disabled=${offline} onClick=${() => setAsking({ kind: "end", target: next })} data-testid="next">${t("facilitator.finish")}</button>`}
      ${can("end_meeting") && next && next.stage !== "ended" &&
      html`<button type="button" class="ghost danger-text" disabled=${offline} onClick=${() => setAsking({ kind: "end", target: null })} data-testid="end">${t("facilitator.end")}</button>`}
    </div>
    ${blocked && html`<p class="hint warn-text">${t("facilitator.choose_client_first")}</p>`}
    ${offline && html`<p class="hint warn-text" data-testid="offline-hint">${t("facilitator.offline")}</p>`}
    <${TimerControls} room=${room} state=${state} can=${can} />
  </section>`;

  const main = html`${controls}
    ${state.stage === "client_choice" && html`<${ChooseClient} room=${room} state=${state} groupId=${snap.meeting?.group_id} />`}
    ${state.stage === "follow_up" && html`<${Section} id="s-follow-up" title=${t("section.follow_up")}><${FollowUpView} state=${state} /><//>`}
    ${record && ["presentation", "clarification", "contract", "consultation", "synthesis"].includes(state.stage) &&
    html`<div class="live-feed">
      ${state.stage !== "presentation" && html`<${Section} id="s-case" title=${t("section.case")}><${CaseCard} record=${record} /><//>`}
      ${state.stage === "consultation" && html`<${Section} id="s-contract" title=${t("section.contract")}><${ContractView} state=${state} record=${record} /><//>`}
      <${StageFeed} state=${state} record=${record} marks="show" act=${{ room, me, can }} />
    </div>`}
    ${state.stage === "conclusion" &&
    html`<${Section} id="s-learnings" title=${t("section.learnings")}><${LearningList} state=${state} record=${record} /><//>
      <${Section} id="s-evaluation" title=${t("section.evaluations")}><${EvaluationSummary} record=${record} /><//>
      ${can("post_learning") && html`<${Section} id="s-learning" title=${t("section.your_learning")}><${LearningForm} room=${room} state=${state} record=${record} me=${me} /><//>`}`}
    ${state.stage === "lobby" && html`<${Section} id="s-lobby" title=${t("lobby.title")}><p>${t("facilitator.lobby_hint")}</p><//>`}
    ${state.stage === "check_in" && html`<${Section} id="s-check-in" title=${t("section.check_in")}><p>${t("check_in.hint")}</p><//>`}
    ${state.stage === "ended" && html`<${Section} id="s-ended" title=${t("ended.title")}><p>${t("ended.hint")}</p><//>`}
    <${EarlierWork} state=${state} record=${record} stage=${state.stage} />
    <${Confirm} open=${Boolean(asking)} title=${dialog?.title} body=${asking?.kind === "end" ? t("facilitator.end_body") : t("facilitator.confirm_body")}
      confirmLabel=${dialog?.label} danger=${asking?.kind === "end"} onConfirm=${confirm} onCancel=${() => setAsking(null)} />`;

  const aside = html`<${RecordSharing} room=${room} state=${state} me=${me} />
    <${Queue} room=${room} state=${state} can=${can} />
    <${People} room=${room} snap=${snap} state=${state} can=${can} />
    <${AttendancePanel} room=${room} snap=${snap} state=${state} can=${can} />
    <${CharterControl} room=${room} snap=${snap} state=${state} can=${can} />
    <${PrivateNotes} room=${room} state=${state} can=${can} />
    <${HiddenDrafts} room=${room} />`;
  return html`<${Layout} main=${main} aside=${aside} />`;
}

function Queue({ room, state, can }) {
  return html`<section class="panel queue" aria-labelledby="queue-title">
    <h2 id="queue-title">${t("queue.title")}</h2>
    ${state.speaker && html`<p class="speaking" data-testid="speaker">${t("queue.speaking", { name: nameOf(state, state.speaker) })}</p>`}
    ${state.hands.length === 0
      ? html`<${Empty}>${t("queue.empty")}<//>`
      : html`<ol class="items compact" data-testid="hands">
          ${state.hands.map(
            (m) => html`<li class="item row" key=${m}><span dir="auto">${nameOf(state, m)}</span>
              ${can("call_on") && html`<button type="button" class="secondary small" onClick=${() => room.send("call_on", { member_id: m })}>
                ${t("queue.call_on")}<span class="visually-hidden"> ${nameOf(state, m)}</span></button>`}</li>`,
          )}
        </ol>`}
    ${can("clear_queue") && (state.hands.length > 0 || state.speaker) &&
    html`<div class="actions"><button type="button" class="ghost small" onClick=${() => room.send("clear_queue")}>${t("queue.clear")}</button></div>`}
  </section>`;
}

function People({ room, snap, state, can }) {
  const index = consultationIndex(state);
  const online = new Set(snap.presence.map((p) => p.member_id));
  const people = Object.keys(state.plan.participants)
    .map((id) => ({ id, role: roleIn(state.plan, index, id) }))
    .sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || nameOf(state, a.id).localeCompare(nameOf(state, b.id)));
  // "Ready 3 of 6" counts the people present: someone who has not come cannot hold the group up
  const expected = people.filter((p) => p.role !== "facilitator" && (online.has(p.id) || state.ready.includes(p.id)));
  const readyCount = expected.filter((p) => state.ready.includes(p.id)).length;
  const live = can("call_on");
  return html`<section class="panel people" aria-labelledby="people-title">
    <h2 id="people-title">${t("people.title")}</h2>
    ${live && html`<p class="ready-count" data-testid="ready-count">${t("people.ready_count", { n: readyCount, total: expected.length })}</p>`}
    <ul class="items compact" data-testid="people">
      ${people.map(
        (p) => html`<li class="item row person" key=${p.id}>
          <span class=${`presence-dot${online.has(p.id) ? " online" : ""}`} aria-hidden="true"></span>
          <span class="person-name" dir="auto">${nameOf(state, p.id)}</span>
          <span class="chip role">${t(`role.${p.role}`)}</span>
          <span class="visually-hidden">${online.has(p.id) ? t("people.online") : t("people.offline")}</span>
          ${state.ready.includes(p.id) && html`<span class="chip ok">${t("people.ready")}</span>`}
          ${state.hands.includes(p.id) && html`<span class="chip hand">${t("people.hand")}</span>`}
        </li>`,
      )}
    </ul>
  </section>`;
}

function ChooseClient({ room, state, groupId }) {
  // Beside each name, where they stand in the cycle's rotation (has been client, due, absent).
  const cycle = useLatestCycle(groupId);
  const standing = Object.fromEntries((cycle?.members ?? []).map((r) => [r.id, standingText(cycle, r)]));
  const label = (id) => (standing[id] ? `${nameOf(state, id)} — ${standing[id]}` : nameOf(state, id));
  return html`<${Section} id="s-choose" title=${t("section.choose_client")}>
    <${ProposalList} state=${state} />
    ${state.plan.consultations.map((c, index) => {
      const eligible = Object.keys(state.plan.participants).filter((id) => {
        const role = roleIn(state.plan, index, id);
        if (role === "facilitator" || role === "observer") return false;
        return !state.plan.consultations.some((other, j) => j !== index && other.client === id);
      });
      return html`<div class="field" key=${index}>
        <label for=${`choose-${index}`}>${t("facilitator.client_of", { n: index + 1 })}</label>
        <select id=${`choose-${index}`} value=${c.client ?? ""} data-testid=${`choose-client-${index}`}
          onChange=${(e) => e.currentTarget.value && room.send("choose_client", { consultation: index, member_id: e.currentTarget.value })}>
          <option value="">${t("facilitator.pick_client")}</option>
          ${eligible.map((id) => html`<option value=${id}>${label(id)}</option>`)}
        </select>
      </div>`;
    })}
  <//>`;
}
