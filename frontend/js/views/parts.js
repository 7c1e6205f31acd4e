// What a consultation produces, drawn as text (never as HTML), and the forms that produce it.
// Views compose these per role and stage; forms only appear where permissions.js allows.
import { html } from "../html.js";
import { useState } from "preact/hooks";
import { clearDraft, useDraft } from "../drafts.js";
import { formatClock, formatDate, t } from "../i18n.js";
import { nameOf } from "../plan.js";
import { DraftField, Empty, Section } from "./common.js";

export const TOPIC_TYPES = ["problem", "project", "preoccupation"];
export const KINDS = ["reaction", "hypothesis", "suggestion", "experience", "question", "resource"];
export const HELP_TYPES = ["ideas", "experiences", "hypotheses", "resources", "reactions"];
export const RATINGS = ["usefulness", "listening", "rules", "climate", "timing", "facilitation"];
const EVALUATION_TEXTS = ["appreciation", "expectations", "learnings", "applications"];

function time(at) {
  return at ? formatClock(new Date(at)) : "";
}

function By({ state, author, at }) {
  return html`<p class="meta">${[author && nameOf(state, author), time(at)].filter(Boolean).join(" · ")}</p>`;
}

/** An editor whose value is the server's until someone types (then a draft, kept until saved). */
function useEditor(room, field, serverValue) {
  const [draft, setDraft] = useDraft(room.scope, field);
  const value = draft ?? serverValue ?? "";
  return { value, dirty: draft !== null && draft !== (serverValue ?? ""), set: setDraft, field };
}

/** "Not saved yet" while edited, "Saved" once the server has it: a form says where it stands. */
function SaveState({ dirty, saved }) {
  if (dirty && saved) return html`<span class="hint" data-testid="save-state">${t("editor.unsaved")}</span>`;
  if (!dirty && saved) return html`<span class="hint saved" data-testid="save-state" role="status">✓ ${t("editor.saved")}</span>`;
  return null;
}

function settle(...editors) {
  return { settle: editors.map((e) => ({ field: e.field, text: e.value })) };
}

// --- 1 presentation -------------------------------------------------------------------------

export function CaseCard({ record, big = false, headingLevel = 3 }) {
  const c = record?.case;
  if (!c) return html`<${Empty}>${t("case.none")}<//>`;
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return html`<article class=${`case${big ? " case-big" : ""}`} data-testid="case">
    <p class="chip">${t(`topic.${c.topic_type}`)}</p>
    <${Heading} dir="auto" class="case-headline" data-testid="case-headline">${c.headline}<//>
    ${c.context && !big && html`<p dir="auto" class="text">${c.context}</p>`}
    ${c.question &&
    html`<p class="case-question"><span class="label">${t("case.question_shown")}</span> <span dir="auto" data-testid="case-question">${c.question}</span></p>`}
  </article>`;
}

export function CaseForm({ room, record }) {
  const c = record.case ?? {};
  const headline = useEditor(room, "case.headline", c.headline);
  const type = useEditor(room, "case.type", c.topic_type ?? "problem");
  const context = useEditor(room, "case.context", c.context);
  const question = useEditor(room, "case.question", c.question);
  const dirty = [headline, type, context, question].some((e) => e.dirty) || !record.case;
  const submit = (event) => {
    event.preventDefault();
    if (!headline.value.trim()) return;
    room.send(
      "set_case",
      { headline: headline.value.trim(), topic_type: type.value, context: context.value, question: question.value },
      settle(headline, type, context, question),
    );
  };
  return html`<form class="editor" onSubmit=${submit} data-testid="case-form">
    <label for="case-headline">${t("case.headline")}</label>
    <input id="case-headline" type="text" maxlength="200" required value=${headline.value}
      onInput=${(e) => headline.set(e.currentTarget.value)} />
    <fieldset class="choices">
      <legend>${t("case.type")}</legend>
      ${TOPIC_TYPES.map(
        (tt) => html`<label class="choice"><input type="radio" name="case-type" value=${tt} checked=${type.value === tt}
            onChange=${() => type.set(tt)} /> ${t(`topic.${tt}`)}</label>`,
      )}
    </fieldset>
    <label for="case-context">${t("case.context")}</label>
    <textarea id="case-context" rows="5" maxlength="8000" value=${context.value}
      onInput=${(e) => context.set(e.currentTarget.value)}></textarea>
    <label for="case-question">${t("case.question")}</label>
    <textarea id="case-question" rows="2" maxlength="2000" placeholder=${t("case.question_placeholder")}
      value=${question.value} onInput=${(e) => question.set(e.currentTarget.value)}></textarea>
    <div class="actions">
      <${SaveState} dirty=${dirty} saved=${Boolean(record.case)} />
      <button type="submit" class="primary" disabled=${!headline.value.trim() || !dirty}>${t("case.save")}</button>
    </div>
  </form>`;
}

/**
 * While an item's stage runs: its author may withdraw it, the facilitator may set it aside (it
 * leaves the projector and the record; its author is told). ``act`` is { room, me, can }.
 */
function ItemActions({ act, state, stage, item }) {
  if (!act || state.stage !== stage) return null;
  return html`<${ItemActionsHere} act=${act} item=${item} />`;
}

function ItemActionsHere({ act, item }) {
  const field = `edit.${item.id}`;
  const [editing, setEditing] = useDraft(act.room.scope, field); // an open editor is a draft: it survives reloads
  const own = item.author === act.me && act.can("withdraw_item");
  const aside = item.author !== act.me && act.can("set_item_aside");
  if (!own && !aside) return null;
  if (own && editing !== null) {
    return html`<${DraftField} room=${act.room} field=${field} label=${t("items.edit_label")} submitLabel=${t("items.save")} rows="2"
      onSubmit=${(text, meta) => act.room.send("edit_item", { item_id: item.id, text }, meta)} />`;
  }
  return html`<div class="actions item-actions">
    ${own &&
    html`<button type="button" class="ghost small" data-testid=${`edit-${item.id}`} onClick=${() => setEditing(item.text)}>${t("items.edit")}</button>`}
    ${own &&
    html`<button type="button" class="ghost small" data-testid=${`withdraw-${item.id}`}
      onClick=${() => act.room.send("withdraw_item", { item_id: item.id })}>${t("items.withdraw")}</button>`}
    ${aside &&
    html`<button type="button" class="ghost small" data-testid=${`set-aside-${item.id}`}
      onClick=${() => act.room.send("set_item_aside", { item_id: item.id })}>${t("items.set_aside")}</button>`}
  </div>`;
}

// --- 2 clarification ------------------------------------------------------------------------

/** Questions and their answers. An unanswered question is neutral: it may well be answered aloud. */
export function QuestionList({ room, state, record, canAnswer = false, limit = null, display = false, act = null }) {
  let questions = record.questions;
  if (questions.length === 0) return html`<${Empty}>${t("questions.none")}<//>`;
  if (limit) questions = questions.slice(-limit);
  return html`<ol class="items" data-testid="questions">
    ${questions.map(
      (q) => html`<li class="item question" key=${q.id}>
        <p dir="auto" class="text q-text">${q.text}</p>
        ${!limit && !display && html`<${By} state=${state} author=${q.author} at=${q.at} />`}
        <${ItemActions} act=${act} state=${state} stage="clarification" item=${q} />
        ${q.answer !== null && q.answer !== undefined &&
        html`<p class="answer"><span class="label">${t("questions.answer")}</span> <span dir="auto" class="a-text">${q.answer}</span></p>`}
        ${q.answered_aloud && !canAnswer && html`<p class="chip ok aloud" data-testid="answered-aloud">${t("questions.answered_aloud")}</p>`}
        ${canAnswer &&
        html`<div class="actions item-actions">
          <button type="button" class=${`toggle${q.answered_aloud ? " on" : ""}`} aria-pressed=${q.answered_aloud ? "true" : "false"}
            data-testid=${`aloud-${q.id}`}
            onClick=${() => room.send("mark_answered_aloud", { question_id: q.id, answered: !q.answered_aloud })}>
            ${t("questions.answered_aloud")}</button>
        </div>`}
        ${canAnswer &&
        html`<${DraftField} room=${room} field=${`answer.${q.id}`} rows="2"
          label=${q.answer ? t("questions.edit_answer") : t("questions.your_answer")}
          submitLabel=${t("questions.answer_send")}
          onSubmit=${(text, meta) => room.send("answer_question", { question_id: q.id, text }, meta)} />`}
      </li>`,
    )}
  </ol>`;
}

// --- 3 contract -----------------------------------------------------------------------------

export function ContractView({ state, record, big = false }) {
  const versions = record.contract;
  const latest = versions[versions.length - 1];
  return html`<div class="contract" data-testid="contract">
    ${latest
      ? html`<article class="contract-current">
          <p class="meta">${t("contract.version", { n: latest.version })}${!big ? ` · ${time(latest.at)}` : ""}</p>
          <p dir="auto" class=${big ? "text big-text" : "text"} data-testid="contract-text">${latest.text}</p>
          ${latest.help_wanted.length > 0 &&
          html`<p class="chips">${latest.help_wanted.map((h) => html`<span class="chip" key=${h}>${t(`help.${h}`)}</span>`)}</p>`}
        </article>`
      : html`<${Empty}>${t("contract.none")}<//>`}
    ${!big &&
    versions.length > 1 &&
    html`<details class="versions">
      <summary>${t("contract.history", { n: versions.length - 1 })}</summary>
      <ol reversed>
        ${versions.slice(0, -1).reverse().map(
          (v) => html`<li key=${v.version}><p class="meta">${t("contract.version", { n: v.version })} · ${time(v.at)}</p><p dir="auto" class="text">${v.text}</p></li>`,
        )}
      </ol>
    </details>`}
  </div>`;
}

export function RephrasingList({ state, record, act = null }) {
  if (record.rephrasings.length === 0) return html`<${Empty}>${t("rephrase.none")}<//>`;
  return html`<ul class="items" data-testid="rephrasings">
    ${record.rephrasings.map(
      (r) => html`<li class="item" key=${r.id}>
        <p dir="auto" class="text">${r.text}</p>
        <p class="meta">${nameOf(state, r.author)} · ${t("contract.about_version", { n: r.contract_version })}</p>
        <${ItemActions} act=${act} state=${state} stage="contract" item=${r} />
      </li>`,
    )}
  </ul>`;
}

export function ContractForm({ room, record }) {
  const latest = record.contract[record.contract.length - 1];
  const text = useEditor(room, "contract.text", latest?.text);
  const help = useEditor(room, "contract.help", (latest?.help_wanted ?? []).join(","));
  const chosen = help.value ? help.value.split(",").filter(Boolean) : [];
  const dirty = text.dirty || help.dirty;
  const toggle = (h) => help.set((chosen.includes(h) ? chosen.filter((x) => x !== h) : [...chosen, h]).join(",") || ",");
  const submit = (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    room.send("set_contract", { text: text.value.trim(), help_wanted: HELP_TYPES.filter((h) => chosen.includes(h)) }, settle(text, help));
  };
  return html`<form class="editor" onSubmit=${submit} data-testid="contract-form">
    <label for="contract-text">${t("contract.label")}</label>
    <textarea id="contract-text" rows="4" maxlength="8000" placeholder=${t("contract.placeholder")} value=${text.value}
      onInput=${(e) => text.set(e.currentTarget.value)}></textarea>
    <fieldset class="choices">
      <legend>${t("contract.help_wanted")}</legend>
      ${HELP_TYPES.map(
        (h) => html`<label class="choice"><input type="checkbox" checked=${chosen.includes(h)} onChange=${() => toggle(h)} /> ${t(`help.${h}`)}</label>`,
      )}
    </fieldset>
    <div class="actions">
      <${SaveState} dirty=${dirty} saved=${Boolean(latest)} />
      <button type="submit" class="primary" disabled=${!text.value.trim() || (!dirty && latest)}>
        ${t("contract.save", { n: record.contract.length + 1 })}</button>
    </div>
  </form>`;
}

// --- 4 consultation -------------------------------------------------------------------------

/**
 * Contributions as they arrive. ``marks``: "edit" (the client sorts them), "show" or "hide";
 * ``canSignal``: the client may flag one as off contract / please clarify.
 */
export function ContributionList({ room, state, record, marks = "hide", canSignal = false, limit = null, big = false, act = null }) {
  let items = record.contributions;
  if (items.length === 0) return html`<${Empty}>${t("contributions.none")}<//>`;
  if (limit) items = items.slice(-limit);
  const mark = (c, value) => room.send("mark_contribution", { contribution_id: c.id, mark: c.mark === value ? null : value });
  return html`<ol class=${`items contributions${big ? " big-list" : ""}`} data-testid="contributions">
    ${items.map(
      (c) => html`<li class=${`item contribution${c.mark && marks !== "hide" ? ` marked-${c.mark}` : ""}`} key=${c.id}>
        <p class="chip kind">${t(`kind.${c.kind}`)}</p>
        <p dir="auto" class="text c-text">${c.text}</p>
        ${!big && html`<${By} state=${state} author=${c.author} at=${c.at} />`}
        <${ItemActions} act=${act} state=${state} stage="consultation" item=${c} />
        ${marks === "show" && c.mark && html`<p class="meta mark">${t(`mark.${c.mark}`)}</p>`}
        ${(marks === "edit" || canSignal) &&
        html`<div class="actions item-actions">
          ${marks === "edit" &&
          ["keep", "maybe"].map(
            (m) => html`<button type="button" class=${`toggle${c.mark === m ? " on" : ""}`} aria-pressed=${c.mark === m ? "true" : "false"}
              onClick=${() => mark(c, m)}>${t(`mark.${m}`)}</button>`,
          )}
          ${canSignal &&
          html`<button type="button" class="ghost small" onClick=${() => room.send("signal", { signal: "please_clarify", contribution_id: c.id })}>
            ${t("signal.please_clarify")}</button>
            <button type="button" class="ghost small" onClick=${() => room.send("signal", { signal: "off_contract", contribution_id: c.id })}>
            ${t("signal.off_contract")}</button>`}
        </div>`}
      </li>`,
    )}
  </ol>`;
}

export function ContributionForm({ room }) {
  const [kind, setKind] = useDraft(room.scope, "contribution.kind");
  const chosen = kind ?? "suggestion";
  return html`<div class="contribution-form">
    <fieldset class="choices kinds">
      <legend>${t("contributions.kind")}</legend>
      ${KINDS.map(
        (k) => html`<label class="choice"><input type="radio" name="kind" value=${k} checked=${chosen === k} onChange=${() => setKind(k)} /> ${t(`kind.${k}`)}</label>`,
      )}
    </fieldset>
    <${DraftField} room=${room} field="contribution.text" label=${t("contributions.add")} submitLabel=${t("contributions.send")}
      onSubmit=${(text, meta) => room.send("add_contribution", { kind: chosen, text }, meta)} />
  </div>`;
}

/** The client's signals: the server sends them to the facilitator and the client only. */
export function SignalList({ room = null, state, record, canWithdraw = false }) {
  if (record.signals.length === 0) return null;
  const about = (id) => record.contributions.find((c) => c.id === id);
  return html`<ul class="items signals" data-testid="signals" aria-label=${t("signal.title")}>
    ${record.signals.map((s) => {
      const c = s.contribution_id ? about(s.contribution_id) : null;
      return html`<li class="item signal" key=${s.id}>
        <p dir="auto" class="text"><strong>${t(`signal.${s.signal}`)}</strong>${c ? html` — <span dir="auto" class="quote">${c.text}</span>` : ""}</p>
        <p class="meta">${t("signal.from_client")} · ${time(s.at)}</p>
        ${canWithdraw &&
        html`<div class="actions item-actions"><button type="button" class="ghost small" data-testid=${`withdraw-signal-${s.id}`}
          onClick=${() => room.send("withdraw_signal", { signal_id: s.id })}>${t("signal.withdraw")}</button></div>`}
      </li>`;
    })}
  </ul>`;
}

export function SignalButtons({ room }) {
  return html`<div class="actions signal-buttons" role="group" aria-labelledby="signal-label">
    <span class="hint" id="signal-label">${t("signal.to_facilitator")}</span>
    <button type="button" class="secondary" onClick=${() => room.send("signal", { signal: "off_contract" })}>${t("signal.off_contract")}</button>
    <button type="button" class="secondary" onClick=${() => room.send("signal", { signal: "please_clarify" })}>${t("signal.please_clarify")}</button>
  </div>`;
}

export function ScribeNotes({ state, record }) {
  if (record.scribe_notes.length === 0) return html`<${Empty}>${t("scribe.none")}<//>`;
  return html`<ul class="items" data-testid="scribe-notes">
    ${record.scribe_notes.map((n) => html`<li class="item" key=${n.id}><p dir="auto" class="text">${n.text}</p><${By} state=${state} author=${n.author} at=${n.at} /></li>`)}
  </ul>`;
}

// --- 5 synthesis ----------------------------------------------------------------------------

export function SynthesisView({ record, big = false }) {
  return html`<div class="synthesis">
    ${record.synthesis
      ? html`<p dir="auto" class=${big ? "text big-text" : "text"} data-testid="synthesis-text">${record.synthesis}</p>`
      : html`<${Empty}>${t("synthesis.none")}<//>`}
    <${ActionItems} record=${record} />
  </div>`;
}

export function ActionItems({ record, onEdit = null, onRemove = null }) {
  if (record.action_items.length === 0) return html`<${Empty}>${t("actions.none")}<//>`;
  return html`<ol class="items action-items" data-testid="action-items">
    ${record.action_items.map(
      (a) => html`<li class="item" key=${a.id}>
        <p dir="auto" class="text"><strong>${a.action}</strong></p>
        <dl class="facts">
          ${a.objective && html`<dt>${t("actions.objective")}</dt><dd dir="auto">${a.objective}</dd>`}
          ${a.due && html`<dt>${t("actions.due")}</dt><dd>${formatDate(a.due)}</dd>`}
          ${a.indicator && html`<dt>${t("actions.indicator")}</dt><dd dir="auto">${a.indicator}</dd>`}
          ${a.follow_up && html`<dt>${t("actions.follow_up")}</dt><dd>${formatDate(a.follow_up)}</dd>`}
        </dl>
        ${onEdit &&
        html`<div class="actions item-actions">
          <button type="button" class="ghost small" onClick=${() => onEdit(a)}>${t("common.edit")}</button>
          <button type="button" class="ghost small" onClick=${() => onRemove(a)}>${t("common.remove")}</button>
        </div>`}
      </li>`,
    )}
  </ol>`;
}

export function SynthesisForm({ room, record }) {
  const text = useEditor(room, "synthesis", record.synthesis);
  const submit = (event) => {
    event.preventDefault();
    room.send("set_synthesis", { text: text.value }, settle(text));
  };
  return html`<form class="editor" onSubmit=${submit} data-testid="synthesis-form">
    <label for="synthesis-text">${t("synthesis.label")}</label>
    <textarea id="synthesis-text" rows="5" maxlength="8000" placeholder=${t("synthesis.placeholder")} value=${text.value}
      onInput=${(e) => text.set(e.currentTarget.value)}></textarea>
    <div class="actions">
      <${SaveState} dirty=${text.dirty} saved=${Boolean(record.synthesis)} />
      <button type="submit" class="primary" disabled=${!text.dirty}>${t("synthesis.save")}</button>
    </div>
  </form>`;
}

const ACTION_FIELDS = ["action", "objective", "due", "indicator", "follow_up"];

export function ActionPlanEditor({ room, record }) {
  const [editing, setEditing] = useState(null); // the id of the item being edited, or null (new)
  const item = record.action_items.find((a) => a.id === editing) ?? null;
  const prefix = item ? `actions.${item.id}` : "actions.new";
  const editors = Object.fromEntries(ACTION_FIELDS.map((f) => [f, useEditor(room, `${prefix}.${f}`, item ? item[f] ?? "" : "")]));
  const submit = (event) => {
    event.preventDefault();
    const v = (f) => editors[f].value.trim();
    if (!v("action")) return;
    const fields = { item_id: item ? item.id : null, action: v("action"), objective: v("objective"), due: v("due") || null, indicator: v("indicator"), follow_up: v("follow_up") || null };
    if (item) {
      room.send("save_action_item", fields, settle(...Object.values(editors)));
    } else {
      // a new item: empty the form for the next one; the text comes back if it is refused
      const restore = Object.values(editors).filter((e) => e.value).map((e) => ({ field: e.field, text: e.value }));
      for (const f of ACTION_FIELDS) clearDraft(room.scope, `${prefix}.${f}`);
      room.send("save_action_item", fields, { restore });
    }
    setEditing(null);
  };
  const cancel = () => {
    for (const f of ACTION_FIELDS) clearDraft(room.scope, `${prefix}.${f}`);
    setEditing(null);
  };
  const field = (f, type = "text") => html`<div class="field">
    <label for=${`action-${f}`}>${t(`actions.${f}`)}</label>
    <input id=${`action-${f}`} type=${type} maxlength=${f === "action" ? 200 : 2000} value=${editors[f].value} required=${f === "action"}
      onInput=${(e) => editors[f].set(e.currentTarget.value)} />
  </div>`;
  return html`<div class="action-plan">
    <${ActionItems} record=${record} onEdit=${(a) => setEditing(a.id)}
      onRemove=${(a) => room.send("remove_action_item", { item_id: a.id })} />
    <form class="editor action-form" onSubmit=${submit} data-testid="action-form">
      <h3>${item ? t("actions.edit_title") : t("actions.new_title")}</h3>
      ${field("action")} ${field("objective")}
      <div class="field-row">${field("due", "date")} ${field("follow_up", "date")}</div>
      ${field("indicator")}
      <div class="actions">
        ${item && html`<button type="button" class="secondary" onClick=${cancel}>${t("common.cancel")}</button>`}
        <button type="submit" class="primary" disabled=${!editors.action.value.trim()}>${item ? t("actions.save") : t("actions.add")}</button>
      </div>
    </form>
  </div>`;
}

// --- 6 conclusion ---------------------------------------------------------------------------

export function LearningList({ state, record, big = false }) {
  const learnings = Object.values(record.learnings).sort((a, b) => (a.at < b.at ? -1 : 1));
  if (learnings.length === 0) return html`<${Empty}>${t("learning.none")}<//>`;
  return html`<ul class=${`items${big ? " big-list" : ""}`} data-testid="learnings">
    ${learnings.map((l) => html`<li class="item" key=${l.author}><p dir="auto" class="text">${l.text}</p><p class="meta">${nameOf(state, l.author)}</p></li>`)}
  </ul>`;
}

export function LearningForm({ room, state, record, me }) {
  const mine = record.learnings[me];
  return html`<div>
    ${mine && html`<p class="sent" data-testid="my-learning"><span class="label">${t("learning.yours")}</span> ${mine.text}</p>`}
    <${DraftField} room=${room} field="learning" label=${mine ? t("learning.replace") : t("learning.add")} submitLabel=${t("learning.send")}
      onSubmit=${(text, meta) => room.send("post_learning", { text }, meta)} />
  </div>`;
}

export function EvaluationForm({ room, record, me }) {
  const mine = record.evaluations[me];
  const texts = Object.fromEntries(EVALUATION_TEXTS.map((f) => [f, useEditor(room, `evaluation.${f}`, mine?.[f])]));
  const ratings = Object.fromEntries(RATINGS.map((r) => [r, useEditor(room, `evaluation.rating.${r}`, mine?.ratings?.[r] ? String(mine.ratings[r]) : "")]));
  const [open, setOpen] = useState(!mine);
  const submit = (event) => {
    event.preventDefault();
    const chosen = Object.fromEntries(RATINGS.filter((r) => ratings[r].value).map((r) => [r, Number(ratings[r].value)]));
    room.send(
      "submit_evaluation",
      { ...Object.fromEntries(EVALUATION_TEXTS.map((f) => [f, texts[f].value.trim()])), ratings: chosen },
      settle(...Object.values(texts), ...Object.values(ratings)),
    );
    setOpen(false);
  };
  if (!open) {
    return html`<div class="evaluation-done">
      <p class="sent" data-testid="evaluation-sent">${t("evaluation.thanks")}</p>
      <button type="button" class="secondary" onClick=${() => setOpen(true)}>${t("evaluation.edit")}</button>
    </div>`;
  }
  return html`<form class="editor evaluation" onSubmit=${submit} data-testid="evaluation-form">
    ${EVALUATION_TEXTS.map(
      (f) => html`<label for=${`eval-${f}`}>${t(`evaluation.${f}`)}</label>
        <textarea id=${`eval-${f}`} rows="2" maxlength="2000" value=${texts[f].value} onInput=${(e) => texts[f].set(e.currentTarget.value)}></textarea>`,
    )}
    <p class="hint">${t("evaluation.ratings_hint")}</p>
    ${RATINGS.map(
      (r) => html`<fieldset class="rating">
        <legend>${t(`rating.${r}`)}</legend>
        ${[1, 2, 3, 4, 5].map(
          (n) => html`<label class="rating-choice"><input type="radio" name=${`rating-${r}`} value=${n} checked=${ratings[r].value === String(n)}
              onChange=${() => ratings[r].set(String(n))} /><span>${n}</span></label>`,
        )}
      </fieldset>`,
    )}
    <div class="actions"><button type="submit" class="primary">${t("evaluation.send")}</button></div>
  </form>`;
}

export function EvaluationSummary({ record }) {
  const evaluations = Object.values(record.evaluations);
  if (evaluations.length === 0) return html`<${Empty}>${t("evaluation.none")}<//>`;
  const average = (r) => {
    const values = evaluations.map((e) => e.ratings[r]).filter(Boolean);
    return values.length ? (values.reduce((a, b) => a + b, 0) / values.length).toFixed(1) : "–";
  };
  return html`<div data-testid="evaluations">
    <p>${t("evaluation.count", { n: evaluations.length })}</p>
    <dl class="facts ratings">${RATINGS.map((r) => html`<dt>${t(`rating.${r}`)}</dt><dd>${average(r)}</dd>`)}</dl>
  </div>`;
}

// --- openers --------------------------------------------------------------------------------

export function FollowUpView({ state }) {
  const previous = state.plan.previous_plan;
  return html`<div class="follow-up">
    ${previous
      ? html`<article class="case">
          <p class="meta">${t("follow_up.by", { name: nameOf(state, previous.reporter) })}</p>
          ${previous.headline && html`<h3 dir="auto" class="case-headline">${previous.headline}</h3>`}
          ${previous.synthesis && html`<p dir="auto" class="text">${previous.synthesis}</p>`}
          ${previous.action_items.length > 0 &&
          html`<h3 class="subhead">${t("section.action_plan")}</h3><ol class="items">${previous.action_items.map((a, i) => html`<li class="item" key=${i}><p dir="auto" class="text">${a.action}</p>
            ${a.due && html`<p class="meta">${t("actions.due")} ${formatDate(a.due)}</p>`}</li>`)}</ol>`}
        </article>`
      : html`<${Empty}>${t("follow_up.none")}<//>`}
    ${state.follow_up_reports.length > 0 &&
    html`<h3 class="subhead">${t("follow_up.reports")}</h3><ul class="items" data-testid="follow-up-reports">
      ${state.follow_up_reports.map((r) => html`<li class="item" key=${r.id}><p dir="auto" class="text">${r.text}</p><${By} state=${state} author=${r.author} at=${r.at} /></li>`)}
    </ul>`}
  </div>`;
}

export function FollowUpForm({ room }) {
  return html`<${DraftField} room=${room} field="follow-up" label=${t("follow_up.add")} submitLabel=${t("follow_up.send")}
    onSubmit=${(text, meta) => room.send("report_follow_up", { text }, meta)} />`;
}

export function ProposalList({ state }) {
  if (state.proposals.length === 0) return html`<${Empty}>${t("proposals.none")}<//>`;
  return html`<ul class="items" data-testid="proposals">
    ${state.proposals.map(
      (p) => html`<li class="item" key=${p.id}><p class="chip">${t(`topic.${p.topic_type}`)}</p><p dir="auto" class="text">${p.headline}</p>
        <p class="meta">${nameOf(state, p.author)}</p></li>`,
    )}
  </ul>`;
}

export function ProposeForm({ room }) {
  const [type, setType] = useDraft(room.scope, "proposal.type");
  const chosen = type ?? "problem";
  return html`<div>
    <fieldset class="choices">
      <legend>${t("case.type")}</legend>
      ${TOPIC_TYPES.map((tt) => html`<label class="choice"><input type="radio" name="proposal-type" checked=${chosen === tt} onChange=${() => setType(tt)} /> ${t(`topic.${tt}`)}</label>`)}
    </fieldset>
    <${DraftField} room=${room} field="proposal" multiline=${false} maxLength=${200} label=${t("proposals.add")} submitLabel=${t("proposals.send")}
      onSubmit=${(headline, meta) => room.send("propose_topic", { headline, topic_type: chosen }, meta)} />
  </div>`;
}

/** At the end, every consultation's record, each headed by its number and its client. */
function EndedRecords({ state }) {
  const many = state.plan.consultations.length > 1;
  return html`${state.consultations.map((record, n) => {
    const client = state.plan.consultations[n]?.client;
    const parts = record
      ? [
          ["presentation", html`<${CaseCard} record=${record} />`],
          ["clarification", html`<${QuestionList} state=${state} record=${record} />`],
          ["contract", html`<${ContractView} state=${state} record=${record} />`],
          ["consultation", html`<${ContributionList} state=${state} record=${record} />`],
          ["synthesis", html`<${SynthesisView} record=${record} />`],
        ]
      : [];
    return html`<section class="panel earlier" aria-labelledby=${`ended-${n}`} key=${n} data-testid=${`ended-record-${n}`}>
      <h2 id=${`ended-${n}`}>${many ? t("ended.consultation", { n: n + 1 }) : t("earlier.title")}</h2>
      ${client && html`<p class="meta" dir="auto">${t("ended.client", { name: nameOf(state, client) })}</p>`}
      ${record ? parts.map(([s, body]) => html`<details key=${s}><summary>${t(`stage.${s}`)}</summary>${body}</details>`)
        : html`<${Empty}>${t("record.hidden")}<//>`}
    </section>`;
  })}`;
}

/** Everything the consultation has produced so far, for reference (collapsed by default). */
export function EarlierWork({ state, record, stage }) {
  if (stage === "ended") return html`<${EndedRecords} state=${state} />`;
  if (!record) return null;
  const order = ["presentation", "clarification", "contract", "consultation", "synthesis", "conclusion"];
  const here = order.indexOf(stage);
  const parts = [];
  if (here > 0 || stage === "ended") parts.push(["presentation", html`<${CaseCard} record=${record} />`]);
  if (here > 1 || stage === "ended") parts.push(["clarification", html`<${QuestionList} state=${state} record=${record} />`]);
  if (here > 2 || stage === "ended") parts.push(["contract", html`<${ContractView} state=${state} record=${record} />`]);
  if (here > 3 || stage === "ended") parts.push(["consultation", html`<${ContributionList} state=${state} record=${record} />`]);
  if (here > 4 || stage === "ended") parts.push(["synthesis", html`<${SynthesisView} record=${record} />`]);
  if (parts.length === 0) return null;
  return html`<section class="panel earlier" aria-labelledby="earlier-title">
    <h2 id="earlier-title">${t("earlier.title")}</h2>
    ${parts.map(([s, body]) => html`<details key=${s}><summary>${t(`stage.${s}`)}</summary>${body}</details>`)}
  </section>`;
}

export { Section };
