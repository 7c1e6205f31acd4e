// The room display (a projector in a room): big stage name and timer, who is speaking, and what is
// being said, readable from five metres. No controls. The page never scrolls: stage, speaker, timer
// and the newest items always stay on screen; older items fade out at the top of their column.
import { html } from "../html.js";
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n.js";
import { currentConsultationPlan, currentRecord, nameOf } from "../plan.js";
import { Empty, StageRail } from "./common.js";
import {
  ActionItems,
  CaseCard,
  ContractView,
  ContributionList,
  FollowUpView,
  LearningList,
  ProposalList,
  QuestionList,
  RephrasingList,
} from "./parts.js";

export function DisplayView({ state }) {
  const record = currentRecord(state);
  return html`<main id="main" class="display-main" data-testid="display">
    <${Speaker} state=${state} />
    <div class="display-content">${content(state, record)}</div>
    <div class="display-rail"><${StageRail} state=${state} /></div>
  </main>`;
}

/** Who has the floor: the person called on, else the client while they present. */
function Speaker({ state }) {
  const client = currentConsultationPlan(state)?.client;
  let text = null;
  let presenting = false;
  if (state.speaker) text = t("queue.speaking", { name: nameOf(state, state.speaker) });
  else if (state.stage === "presentation" && client) {
    text = t("display.presenting", { name: nameOf(state, client) });
    presenting = true;
  }
  if (!text) return null;
  return html`<p class=${`display-speaker${presenting ? " presenting" : ""}`} data-testid="display-speaker" dir="auto">${text}</p>`;
}

/**
 * A titled column whose newest items (at the bottom) always show: when it holds more than fits, it
 * keeps its end in view and fades what is above. Nothing scrolls, nothing moves under the reader.
 */
function Column({ id, title, count = null, children, grow = true }) {
  const ref = useRef(null);
  const [hidden, setHidden] = useState(false);
  useEffect(() => {
    const box = ref.current;
    if (!box) return undefined;
    const keepEnd = () => {
      box.scrollTop = box.scrollHeight;
      setHidden(box.scrollHeight > box.clientHeight + 1);
    };
    keepEnd();
    const observer = new ResizeObserver(keepEnd);
    observer.observe(box);
    if (box.firstElementChild) observer.observe(box.firstElementChild);
    return () => observer.disconnect();
  });
  return html`<section class=${`display-column${grow ? " grow" : ""}`} aria-labelledby=${id}>
    <h2 id=${id} class="display-heading">${title}${count !== null && count > 0 ? html` <span class="count">(${count})</span>` : ""}</h2>
    <div class=${`display-fit${hidden ? " overflowing" : ""}`} ref=${ref} data-testid=${`${id}-fit`}>
      <div class="display-fit-inner">${children}</div>
    </div>
  </section>`;
}

function ContractBox({ record }) {
  const latest = record.contract[record.contract.length - 1];
  if (!latest) return null;
  return html`<section class="display-contract" aria-labelledby="d-contract" data-testid="display-contract">
    <h2 id="d-contract" class="display-heading">${t("section.contract")}</h2>
    <p class="text" dir="auto">${latest.text}</p>
    ${latest.help_wanted.length > 0 &&
    html`<p class="chips">${latest.help_wanted.map((h) => html`<span class="chip" key=${h}>${t(`help.${h}`)}</span>`)}</p>`}
  </section>`;
}

function content(state, record) {
  if (!record && !["lobby", "check_in", "follow_up", "client_choice", "ended"].includes(state.stage)) {
    return html`<${Empty}>${t(`purpose.${state.stage}`)}<//>`;
  }
  switch (state.stage) {
    case "presentation":
      return record.case
        ? html`<${Column} id="d-case" title=${t("section.case")}><${CaseCard} record=${record} big=${true} /><//>`
        : null;
    case "clarification":
      return html`${record.case && html`<div class="display-case"><${CaseCard} record=${record} big=${true} headingLevel=${2} /></div>`}
        <${Column} id="d-questions" title=${t("section.questions")} count=${record.questions.length}>
          <${QuestionList} state=${state} record=${record} display=${true} />
        <//>`;
    case "contract":
      return html`<div class="display-split">
        <${Column} id="d-contract-now" title=${t("section.contract")}><${ContractView} state=${state} record=${record} big=${true} /><//>
        <${Column} id="d-rephrasings" title=${t("section.rephrasings")} count=${record.rephrasings.length}>
          <${RephrasingList} state=${state} record=${record} />
        <//>
      </div>`;
    case "consultation":
      return html`<${ContractBox} record=${record} />
        <${Column} id="d-contributions" title=${t("section.contributions")} count=${record.contributions.length}>
          <${ContributionList} state=${state} record=${record} big=${true} />
        <//>`;
    case "synthesis":
      // what the client keeps stays in view; the action plan below keeps its newest item in view
      return html`${record.synthesis
          ? html`<section class="display-contract display-synthesis" aria-labelledby="d-synthesis">
              <h2 id="d-synthesis" class="display-heading">${t("section.synthesis")}</h2>
              <p class="text" dir="auto" data-testid="synthesis-text">${record.synthesis}</p>
            </section>`
          : null}
        <${Column} id="d-actions" title=${t("section.action_plan")} count=${record.action_items.length}>
          <${ActionItems} record=${record} />
        <//>`;
    case "conclusion":
      return html`<${Column} id="d-learnings" title=${t("section.learnings")} count=${Object.keys(record.learnings).length}>
        <${LearningList} state=${state} record=${record} big=${true} />
      <//>`;
    case "follow_up":
      return html`<${Column} id="d-follow-up" title=${t("section.follow_up")}><${FollowUpView} state=${state} /><//>`;
    case "client_choice":
      return html`<${Column} id="d-proposals" title=${t("section.proposals")} count=${state.proposals.length}><${ProposalList} state=${state} /><//>`;
    default:
      return null;
  }
}
