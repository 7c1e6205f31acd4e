// Who may send which command in which stage: a copy of app/stages/permissions.py, kept literal so
// the two tables can be compared line by line (tests/browser/test_contract_mirror.py does).
// The UI offers exactly these actions; the server still checks every command.
import { LIVE_STAGES, OPENERS } from "./plan.js";

const F = "facilitator";
const C = "client";
const K = "consultant";
const S = "scribe";
const T = "timekeeper";
const O = "observer";

const CONSULTING = [K, S, T];
const MEMBERS = [...CONSULTING, C];
const EVERYONE = [...MEMBERS, F, O];
const TIMEKEEPING = [F, T];
const FACILITATION = [F];
const LOBBY = "lobby";

function inStages(stages, roles) {
  return Object.fromEntries(stages.map((stage) => [stage, roles]));
}

export const PERMISSIONS = {
  advance_stage: inStages([LOBBY, ...LIVE_STAGES], FACILITATION),
  return_to_stage: inStages(LIVE_STAGES, FACILITATION),
  end_meeting: inStages([LOBBY, ...LIVE_STAGES], FACILITATION),
  pause_timer: inStages(LIVE_STAGES, TIMEKEEPING),
  resume_timer: inStages(LIVE_STAGES, TIMEKEEPING),
  extend_timer: inStages(LIVE_STAGES, TIMEKEEPING),
  report_follow_up: { follow_up: MEMBERS },
  propose_topic: { client_choice: MEMBERS },
  choose_client: { client_choice: FACILITATION },
  set_case: { presentation: [C] },
  ask_question: { clarification: CONSULTING },
  answer_question: { clarification: [C] },
  mark_answered_aloud: { clarification: [C] },
  set_contract: { contract: [C] },
  rephrase_contract: { contract: CONSULTING },
  add_contribution: { consultation: CONSULTING },
  mark_contribution: { consultation: [C], synthesis: [C] },
  signal: { consultation: [C] },
  withdraw_signal: { consultation: [C] },
  withdraw_item: { clarification: CONSULTING, contract: CONSULTING, consultation: CONSULTING },
  edit_item: { clarification: CONSULTING, contract: CONSULTING, consultation: CONSULTING },
  set_item_aside: { clarification: FACILITATION, contract: FACILITATION, consultation: FACILITATION },
  add_scribe_note: { consultation: [S] },
  set_synthesis: { synthesis: [C] },
  save_action_item: { synthesis: [C] },
  remove_action_item: { synthesis: [C] },
  post_learning: { conclusion: EVERYONE },
  submit_evaluation: { conclusion: EVERYONE.filter((r) => r !== F) },
  share_record: inStages([...LIVE_STAGES, "ended"], [C]),
  add_private_note: inStages([LOBBY, ...LIVE_STAGES], EVERYONE),
  set_ready: inStages(LIVE_STAGES, EVERYONE.filter((r) => r !== F)),
  raise_hand: {
    ...inStages(OPENERS, MEMBERS),
    clarification: CONSULTING,
    contract: MEMBERS,
    consultation: CONSULTING,
    conclusion: [...MEMBERS, O],
  },
  lower_hand: inStages(LIVE_STAGES, EVERYONE.filter((r) => r !== F)),
  set_display_timer: inStages([LOBBY, ...LIVE_STAGES], FACILITATION),
  call_on: inStages(LIVE_STAGES, FACILITATION),
  clear_queue: inStages(LIVE_STAGES, FACILITATION),
  confirm_attendance: inStages([...LIVE_STAGES, "ended"], FACILITATION),
  show_charter: inStages([LOBBY, ...LIVE_STAGES], FACILITATION),
  hide_charter: inStages([LOBBY, ...LIVE_STAGES], FACILITATION),
};

export const STRICT_SILENT_CLIENT_REFUSES = ["signal"];

/** Whether ``role`` may send ``command`` in ``stage`` (the strict variant silences the client). */
export function can(command, stage, role, { strict = false } = {}) {
  const roles = PERMISSIONS[command]?.[stage];
  if (!roles || !roles.includes(role)) return false;
  return !(strict && role === C && STRICT_SILENT_CLIENT_REFUSES.includes(command));
}
