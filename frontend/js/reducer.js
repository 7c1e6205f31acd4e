// Folds one server event into the local meeting state: a mirror of app/stages/machine.py `evolve`.
// Pure: returns a new state and never touches the old one (so views can compare by identity).

export class SeqGap extends Error {
  constructor(have, got) {
    super(`event ${got} does not follow ${have}`);
    this.have = have;
    this.got = got;
  }
}

function emptyRecord() {
  return {
    case: null,
    questions: [],
    contract: [],
    rephrasings: [],
    contributions: [],
    signals: [],
    scribe_notes: [],
    synthesis: "",
    action_items: [],
    learnings: {},
    evaluations: {},
    shared: false,
  };
}

function updateRecord(state, index, change) {
  const consultations = state.consultations.slice();
  consultations[index] = { ...consultations[index], ...change(consultations[index]) };
  return { ...state, consultations };
}

/** The paused timer of each step left, by step (machine.py: it resumes when the step is entered). */
function leftTimers(state, event) {
  const left = { ...(state.left_timers ?? {}) };
  const timer = state.timer;
  if (timer) {
    const remaining = timer.deadline === null ? timer.paused_remaining : (Date.parse(timer.deadline) - Date.parse(event.at)) / 1000;
    left[timer.step] = { ...timer, deadline: null, paused_remaining: remaining };
  }
  delete left[event.step];
  return left;
}

export function evolve(state, event) {
  if (event.seq !== state.seq + 1) throw new SeqGap(state.seq, event.seq);
  const next = { ...state, seq: event.seq };
  const index = typeof event.consultation === "number" ? event.consultation : null;
  const record = (change) => updateRecord(next, index, change);
  switch (event.type) {
    case "stage_changed":
      return {
        ...next,
        left_timers: leftTimers(next, event),
        step: event.step,
        stage: event.stage,
        consultation: event.consultation,
        timer: event.timer,
        ready: [],
        hands: [],
        speaker: null,
      };
    case "timer_changed":
      return { ...next, timer: event.timer };
    case "follow_up_reported":
      return { ...next, follow_up_reports: [...next.follow_up_reports, event.report] };
    case "topic_proposed":
      return { ...next, proposals: [...next.proposals, event.proposal] };
    case "client_chosen":
      return { ...next, plan: event.plan };
    case "plan_changed": {
      const people = event.plan.participants;
      return {
        ...next,
        plan: event.plan,
        consultations: event.plan.consultations.map(() => emptyRecord()),
        ready: next.ready.filter((m) => m in people),
        hands: next.hands.filter((m) => m in people),
        speaker: next.speaker in people ? next.speaker : null,
      };
    }
    case "case_set":
      return record(() => ({ case: event.case }));
    case "question_asked":
      return record((r) => ({ questions: [...r.questions, event.question] }));
    case "question_answered":
      return record((r) => ({
        questions: r.questions.map((q) =>
          q.id === event.question_id ? { ...q, answer: event.answer, answered_at: event.at } : q,
        ),
      }));
    case "question_answered_aloud":
      return record((r) => ({
        questions: r.questions.map((q) => (q.id === event.question_id ? { ...q, answered_aloud: event.answered } : q)),
      }));
    case "contract_set":
      return record((r) => ({ contract: [...r.contract, event.contract] }));
    case "contract_rephrased":
      return record((r) => ({ rephrasings: [...r.rephrasings, event.rephrasing] }));
    case "contribution_added":
      return record((r) => ({ contributions: [...r.contributions, event.contribution] }));
    case "contribution_marked":
      return record((r) => ({
        contributions: r.contributions.map((x) => (x.id === event.contribution_id ? { ...x, mark: event.mark } : x)),
      }));
    case "client_signalled":
      return record((r) => ({ signals: [...r.signals, event.signal] }));
    case "display_timer_set":
      return { ...next, display_timer: event.shown };
    case "item_withdrawn": {
      const gone = (items) => items.filter((x) => x.id !== event.item_id);
      return record((r) => ({ questions: gone(r.questions), rephrasings: gone(r.rephrasings), contributions: gone(r.contributions) }));
    }
    case "item_edited": {
      const edit = (items) => items.map((x) => (x.id === event.item_id ? { ...x, text: event.text } : x));
      return record((r) => ({ questions: edit(r.questions), rephrasings: edit(r.rephrasings), contributions: edit(r.contributions) }));
    }
    case "item_set_aside":
      return next; // the author is told (store.js); the item_withdrawn that follows removes it
    case "signal_withdrawn":
      return record((r) => ({ signals: r.signals.filter((x) => x.id !== event.signal_id) }));
    case "scribe_note_added":
      return record((r) => ({ scribe_notes: [...r.scribe_notes, event.note] }));
    case "synthesis_set":
      return record(() => ({ synthesis: event.text }));
    case "action_item_saved":
      return record((r) => ({
        action_items: [...r.action_items.filter((i) => i.id !== event.item.id), event.item].sort((a, b) => a.id - b.id),
      }));
    case "action_item_removed":
      return record((r) => ({ action_items: r.action_items.filter((i) => i.id !== event.item_id) }));
    case "learning_posted":
      return record((r) => ({ learnings: { ...r.learnings, [event.learning.author]: event.learning } }));
    case "evaluation_submitted":
      return record((r) => ({ evaluations: { ...r.evaluations, [event.evaluation.author]: event.evaluation } }));
    case "record_shared":
      // What the record now shows us comes in a fresh snapshot right after.
      return record(() => ({ shared: event.shared }));
    case "private_note_added":
      return { ...next, private_notes: [...next.private_notes, event.note] };
    case "ready_changed": {
      const others = next.ready.filter((m) => m !== event.member_id);
      return { ...next, ready: event.ready ? [...others, event.member_id] : others };
    }
    case "hand_raised":
      return { ...next, hands: [...next.hands, event.member_id] };
    case "hand_lowered":
      return { ...next, hands: next.hands.filter((m) => m !== event.member_id) };
    case "speaker_called":
      return { ...next, speaker: event.member_id, hands: next.hands.filter((m) => m !== event.member_id) };
    case "queue_cleared":
      return { ...next, hands: [], speaker: null };
    case "content_purged": {
      // No-trace meeting ended: keep who reported last time, drop what they reported.
      const previous = next.plan.previous_plan;
      const kept = previous && { reporter: previous.reporter, headline: "", synthesis: "", action_items: [] };
      return {
        ...next,
        consultations: next.consultations.map(() => emptyRecord()),
        private_notes: [],
        proposals: [],
        follow_up_reports: [],
        plan: { ...next.plan, previous_plan: kept || null },
      };
    }
    case "attendance_confirmed":
      return { ...next, attendance: { ...next.attendance, [event.member_id]: event.status } };
    case "charter_shown":
      return { ...next, charter: event.charter };
    case "charter_hidden":
      return { ...next, charter: null };
    case "redacted":
      return next; // someone else's private note: only the seq moves on
    default:
      throw new Error(`unknown event type ${JSON.stringify(event.type)}`);
  }
}
