// The client's view: presents the case, answers questions, writes the contract, sorts what the
// consultants offer (keep / maybe), writes the synthesis and action plan, shares a learning.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { currentRecord } from "../plan.js";
import { Empty, Layout, PersonalAside, Section } from "./common.js";
import {
  ActionPlanEditor,
  CaseCard,
  CaseForm,
  ContractForm,
  ContractView,
  ContributionList,
  EarlierWork,
  EvaluationForm,
  FollowUpForm,
  FollowUpView,
  LearningForm,
  LearningList,
  ProposalList,
  ProposeForm,
  QuestionList,
  RephrasingList,
  ScribeNotes,
  SignalButtons,
  SignalList,
  SynthesisForm,
} from "./parts.js";

export function ClientView({ room, state, me, can }) {
  const record = currentRecord(state);
  return html`<${Layout}
    main=${html`${work({ room, state, me, can, record })}<${EarlierWork} state=${state} record=${record} stage=${state.stage} />`}
    aside=${html`<${PersonalAside} room=${room} state=${state} me=${me} can=${can} />`}
  />`;
}

function work({ room, state, me, can, record }) {
  switch (state.stage) {
    case "presentation":
      return html`<${Section} id="s-case" title=${t("client.your_case")}>
        <p class="hint">${t("client.case_hint")}</p>
        ${can("set_case") && html`<${CaseForm} room=${room} record=${record} />`}
      <//>`;
    case "clarification":
      return html`<${Section} id="s-case" title=${t("section.case")}><${CaseCard} record=${record} /><//>
        <${Section} id="s-questions" title=${t("section.questions")}>
          <${QuestionList} room=${room} state=${state} record=${record} canAnswer=${can("answer_question")} />
        <//>`;
    case "contract":
      return html`<${Section} id="s-contract" title=${t("client.your_contract")}>
          <${ContractView} state=${state} record=${record} />
          ${can("set_contract") && html`<${ContractForm} room=${room} record=${record} />`}
        <//>
        <${Section} id="s-rephrasings" title=${t("section.rephrasings")}><${RephrasingList} state=${state} record=${record} /><//>`;
    case "consultation":
      return html`<${Section} id="s-contract" title=${t("section.contract")}><${ContractView} state=${state} record=${record} /><//>
        <${Section} id="s-contributions" title=${t("section.contributions")}>
          <p class="hint">${t("client.marks_hint")}</p>
          ${can("signal") && html`<${SignalButtons} room=${room} />`}
          <${SignalList} room=${room} state=${state} record=${record} canWithdraw=${can("withdraw_signal")} />
          <${ContributionList} room=${room} state=${state} record=${record} marks=${can("mark_contribution") ? "edit" : "show"} canSignal=${can("signal")} />
        <//>
        <${Section} id="s-scribe" title=${t("section.scribe_notes")}><${ScribeNotes} state=${state} record=${record} /><//>`;
    case "synthesis":
      return html`<${Section} id="s-synthesis" title=${t("section.synthesis")}>
          ${can("set_synthesis") && html`<${SynthesisForm} room=${room} record=${record} />`}
        <//>
        <${Section} id="s-actions" title=${t("section.action_plan")}>
          ${can("save_action_item") && html`<${ActionPlanEditor} room=${room} record=${record} />`}
        <//>
        <${Section} id="s-kept" title=${t("client.what_you_kept")}>
          <${ContributionList} room=${room} state=${state} record=${{ ...record, contributions: byMark(record.contributions) }}
            marks=${can("mark_contribution") ? "edit" : "show"} />
        <//>
        <${Section} id="s-scribe" title=${t("section.scribe_notes")}><${ScribeNotes} state=${state} record=${record} /><//>`;
    case "conclusion":
      return conclusion({ room, state, me, can, record });
    default:
      return opener({ room, state, me, can, record });
  }
}

const MARK_ORDER = { keep: 0, maybe: 1 };

/** What the client kept first, then what they may keep, then the rest, each in arrival order. */
function byMark(contributions) {
  return [...contributions].sort((a, b) => (MARK_ORDER[a.mark] ?? 2) - (MARK_ORDER[b.mark] ?? 2) || a.id - b.id);
}

export function conclusion({ room, state, me, can, record }) {
  return html`${can("post_learning") &&
    html`<${Section} id="s-learning" title=${t("section.your_learning")}><${LearningForm} room=${room} state=${state} record=${record} me=${me} /><//>`}
    ${can("submit_evaluation") &&
    html`<${Section} id="s-evaluation" title=${t("section.evaluation")}><${EvaluationForm} room=${room} record=${record} me=${me} /><//>`}
    <${Section} id="s-learnings" title=${t("section.learnings")}><${LearningList} state=${state} record=${record} /><//>`;
}

/** Lobby, openers and the end: the same for every member. */
export function opener({ room, state, me, can }) {
  switch (state.stage) {
    case "lobby":
      return html`<${Section} id="s-lobby" title=${t("lobby.title")}><p>${t("lobby.hint")}</p><//>`;
    case "check_in":
      return html`<${Section} id="s-check-in" title=${t("section.check_in")}><p>${t("check_in.hint")}</p><//>`;
    case "follow_up": {
      const reporter = state.plan.previous_plan?.reporter === me;
      return html`<${Section} id="s-follow-up" title=${t("section.follow_up")}>
        <${FollowUpView} state=${state} />
        ${reporter && can("report_follow_up") && html`<${FollowUpForm} room=${room} />`}
      <//>`;
    }
    case "client_choice":
      return html`<${Section} id="s-proposals" title=${t("section.proposals")}>
        <${ProposalList} state=${state} />
        ${can("propose_topic") && html`<${ProposeForm} room=${room} />`}
      <//>`;
    case "ended":
      return html`<${Section} id="s-ended" title=${t("ended.title")}><p>${t("ended.hint")}</p><//>`;
    default:
      return html`<${Empty}>${t(`purpose.${state.stage}`)}<//>`;
  }
}
