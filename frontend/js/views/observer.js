// The observer's view: everything, read-only; a learning and an evaluation in the conclusion.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { currentRecord } from "../plan.js";
import { Layout, PersonalAside, Section } from "./common.js";
import { conclusion, opener } from "./client.js";
import { CaseCard, ContractView, ContributionList, EarlierWork, QuestionList, RephrasingList, ScribeNotes, SignalList, SynthesisView } from "./parts.js";

export function ObserverView({ room, state, me, can }) {
  const record = currentRecord(state);
  return html`<${Layout}
    main=${html`${work({ room, state, me, can, record })}<${EarlierWork} state=${state} record=${record} stage=${state.stage} />`}
    aside=${html`<${PersonalAside} room=${room} state=${state} me=${me} can=${can} />`}
  />`;
}

/** What the current stage has produced so far, read-only (also the facilitator's live feed). */
export function StageFeed({ state, record, marks = "hide", act = null }) {
  switch (state.stage) {
    case "presentation":
      return html`<${Section} id="s-case" title=${t("section.case")}><${CaseCard} record=${record} /><//>`;
    case "clarification":
      return html`<${Section} id="s-questions" title=${t("section.questions")}><${QuestionList} state=${state} record=${record} act=${act} /><//>`;
    case "contract":
      return html`<${Section} id="s-contract" title=${t("section.contract")}><${ContractView} state=${state} record=${record} /><//>
        <${Section} id="s-rephrasings" title=${t("section.rephrasings")}><${RephrasingList} state=${state} record=${record} act=${act} /><//>`;
    case "consultation":
      return html`<${Section} id="s-contributions" title=${t("section.contributions")}>
          <${SignalList} state=${state} record=${record} />
          <${ContributionList} state=${state} record=${record} marks=${marks} act=${act} />
        <//>
        <${Section} id="s-scribe" title=${t("section.scribe_notes")}><${ScribeNotes} state=${state} record=${record} /><//>`;
    case "synthesis":
      return html`<${Section} id="s-synthesis" title=${t("section.synthesis")}><${SynthesisView} record=${record} /><//>`;
    default:
      return null;
  }
}

function work({ room, state, me, can, record }) {
  if (state.stage === "conclusion") return conclusion({ room, state, me, can, record });
  return StageFeed({ state, record }) ?? opener({ room, state, me, can, record });
}
