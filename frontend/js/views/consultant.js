// The consultant's view (also the scribe's, who writes notes for the client in stage 4, and the
// timekeeper's, who also keeps the timer): listen, ask, rephrase, contribute, learn.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { currentRecord } from "../plan.js";
import { DraftField, Layout, PersonalAside, Section, TimerControls } from "./common.js";
import { conclusion, opener } from "./client.js";
import {
  CaseCard,
  ContractView,
  ContributionForm,
  ContributionList,
  EarlierWork,
  QuestionList,
  RephrasingList,
  ScribeNotes,
  SignalList,
  SynthesisView,
} from "./parts.js";

export function ConsultantView({ room, state, me, role, can }) {
  const record = currentRecord(state);
  const extra = role === "timekeeper" && can("pause_timer")
    ? html`<section class="panel" aria-labelledby="tk-title"><h2 id="tk-title">${t("timer.controls")}</h2><${TimerControls} room=${room} state=${state} can=${can} /></section>`
    : null;
  return html`<${Layout}
    main=${html`${work({ room, state, me, role, can, record })}<${EarlierWork} state=${state} record=${record} stage=${state.stage} />`}
    aside=${html`<${PersonalAside} room=${room} state=${state} me=${me} can=${can} extra=${extra} />`}
  />`;
}

function work({ room, state, me, role, can, record }) {
  switch (state.stage) {
    case "presentation":
      return html`<${Section} id="s-case" title=${t("section.case")}>
        <p class="hint">${t("consultant.listen_hint")}</p>
        <${CaseCard} record=${record} />
      <//>`;
    case "clarification":
      return html`<${Section} id="s-case" title=${t("section.case")}><${CaseCard} record=${record} /><//>
        <${Section} id="s-questions" title=${t("section.questions")}>
          ${can("ask_question") &&
          html`<${DraftField} room=${room} field="question" label=${t("questions.ask")} submitLabel=${t("questions.send")} rows="2"
            hint=${t("questions.ask_hint")} onSubmit=${(text, meta) => room.send("ask_question", { text }, meta)} />`}
          <${QuestionList} state=${state} record=${record} act=${{ room, me, can }} />
        <//>`;
    case "contract":
      return html`<${Section} id="s-contract" title=${t("section.contract")}><${ContractView} state=${state} record=${record} /><//>
        <${Section} id="s-rephrasings" title=${t("section.rephrasings")}>
          ${can("rephrase_contract") &&
          html`<${DraftField} room=${room} field="rephrasing" label=${t("rephrase.add")} submitLabel=${t("rephrase.send")} rows="2"
            hint=${t("rephrase.hint")} onSubmit=${(text, meta) => room.send("rephrase_contract", { text }, meta)} />`}
          <${RephrasingList} state=${state} record=${record} act=${{ room, me, can }} />
        <//>`;
    case "consultation":
      return html`<${Section} id="s-contract" title=${t("section.contract")}><${ContractView} state=${state} record=${record} /><//>
        <${Section} id="s-contributions" title=${t("section.contributions")}>
          ${can("add_contribution") && html`<${ContributionForm} room=${room} />`}
          <${SignalList} state=${state} record=${record} />
          <${ContributionList} state=${state} record=${record} act=${{ room, me, can }} />
        <//>
        <${Section} id="s-scribe" title=${t("section.scribe_notes")}>
          ${can("add_scribe_note") &&
          html`<${DraftField} room=${room} field="scribe-note" label=${t("scribe.add")} submitLabel=${t("scribe.send")} rows="3" maxLength=${8000}
            hint=${t("scribe.hint")} onSubmit=${(text, meta) => room.send("add_scribe_note", { text }, meta)} />`}
          <${ScribeNotes} state=${state} record=${record} />
        <//>`;
    case "synthesis":
      return html`<${Section} id="s-synthesis" title=${t("section.synthesis")}>
        <p class="hint">${t("consultant.listen_hint")}</p>
        <${SynthesisView} record=${record} />
      <//>`;
    case "conclusion":
      return conclusion({ room, state, me, can, record });
    default:
      return opener({ room, state, me, can, record });
  }
}
