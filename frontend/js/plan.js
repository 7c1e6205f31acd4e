// The agenda and roles, mirroring app/stages/state.py (agenda, consultation_index) and
// app/stages/plan.py (role_in). The server decides; these only say what to draw.

export const OPENERS = ["check_in", "follow_up", "client_choice"];
export const SIX_STAGES = ["presentation", "clarification", "contract", "consultation", "synthesis", "conclusion"];
export const LIVE_STAGES = [...OPENERS, ...SIX_STAGES];

/** Lobby, the chosen openers, six stages per consultation, the end: [{stage, consultation}]. */
export function agenda(plan) {
  const steps = [{ stage: "lobby", consultation: null }];
  for (const opener of plan.openers) steps.push({ stage: opener, consultation: null });
  plan.consultations.forEach((_, index) => {
    for (const stage of SIX_STAGES) steps.push({ stage, consultation: index });
  });
  steps.push({ stage: "ended", consultation: null });
  return steps;
}

/** The consultation whose roles apply now: the current one, else the next, else the last. */
export function consultationIndex(state) {
  const steps = agenda(state.plan);
  for (const step of steps.slice(state.step)) {
    if (step.consultation !== null) return step.consultation;
  }
  return state.plan.consultations.length - 1;
}

export function roleIn(plan, consultation, member) {
  if (member === plan.facilitator) return "facilitator";
  if (!(member in plan.participants)) return null;
  const c = plan.consultations[consultation];
  if (c.observers.includes(member)) return "observer";
  if (member === c.client) return "client";
  if (member === c.scribe) return "scribe";
  if (member === c.timekeeper) return "timekeeper";
  return "consultant";
}

export function roleOf(state, member) {
  return roleIn(state.plan, consultationIndex(state), member);
}

/** Whether the meeting has left that consultation's conclusion (or ended): its record is then
 * its client's (app/stages/state.py consultation_over). */
export function consultationOver(state, consultation) {
  const conclusion = 1 + state.plan.openers.length + SIX_STAGES.length * consultation + SIX_STAGES.length - 1;
  return state.step > conclusion;
}

/** The record of the consultation whose roles apply now. */
export function currentRecord(state) {
  return state.consultations[consultationIndex(state)];
}

export function currentConsultationPlan(state) {
  return state.plan.consultations[consultationIndex(state)];
}

export function nameOf(state, member) {
  if (!member) return "";
  return state.plan.participants[member]?.name ?? member;
}

/** The steps the facilitator may return to: earlier steps of the same consultation (or opener run). */
export function returnTargets(state) {
  const steps = agenda(state.plan);
  const here = steps[state.step];
  const targets = [];
  for (let index = state.step - 1; index > 0; index -= 1) {
    if (steps[index].consultation !== here.consultation) break;
    targets.push({ ...steps[index], index });
  }
  return targets;
}

/** The step after the current one, or null at the end. */
export function nextStep(state) {
  const steps = agenda(state.plan);
  return state.step + 1 < steps.length ? { ...steps[state.step + 1], index: state.step + 1 } : null;
}

/** Position of a stage among the six (1-6), or null for openers, lobby and end. */
export function stageNumber(stage) {
  const index = SIX_STAGES.indexOf(stage);
  return index === -1 ? null : index + 1;
}
