// The room display (a projector in a hybrid room): big stage name and timer, the current questions
// or contributions, readable from five metres. No controls.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { currentRecord, nameOf } from "../plan.js";
import { Empty, StageRail } from "./common.js";
import { CaseCard, ContractView, ContributionList, LearningList, ProposalList, QuestionList, SynthesisView, FollowUpView } from "./parts.js";

export function DisplayView({ state }) {
  const record = currentRecord(state);
  return html`<main id="main" class="display-main">
    ${record?.case && state.stage !== "presentation" && html`<div class="display-case"><${CaseCard} record=${record} big=${true} /></div>`}
    <div class="display-content">${content(state, record)}</div>
    ${state.speaker && html`<p class="display-speaker">${t("queue.speaking", { name: nameOf(state, state.speaker) })}</p>`}
    <div class="display-rail"><${StageRail} state=${state} /></div>
  </main>`;
}

function content(state, record) {
  switch (state.stage) {
    case "presentation":
      return html`<${CaseCard} record=${record} big=${true} />`;
    case "clarification":
      return html`<${QuestionList} state=${state} record=${record} limit=${5} />`;
    case "contract":
      return html`<${ContractView} state=${state} record=${record} big=${true} />`;
    case "consultation": {
      const contract = record.contract[record.contract.length - 1];
      return html`${contract &&
        html`<p class="display-contract"><span class="label">${t("section.contract")}:</span> <span class="text">${contract.text}</span></p>`}
        <${ContributionList} state=${state} record=${record} limit=${5} big=${true} />`;
    }
    case "synthesis":
      return html`<${SynthesisView} record=${record} big=${true} />`;
    case "conclusion":
      return html`<${LearningList} state=${state} record=${record} big=${true} />`;
    case "follow_up":
      return html`<${FollowUpView} state=${state} />`;
    case "client_choice":
      return html`<${ProposalList} state=${state} />`;
    default:
      return html`<${Empty}>${t(`purpose.${state.stage}`)}<//>`;
  }
}
