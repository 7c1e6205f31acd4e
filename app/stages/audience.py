"""Who may see what: one rule for events, snapshots, replays, fan-out and exports.

Every piece of content has an audience:

* **the meeting** (``None``): what is said in the room while it happens;
* **its author**: private notes;
* **a consultation's owners**, its client and the facilitator: the client's keep / maybe marks,
  and the whole record once the consultation is over, unless the client shares it with the
  group. A consultant then keeps what they wrote themselves: their contributions, their learning
  and their evaluation (and their private notes, which were always theirs alone).

A consultation is over once the meeting has left its conclusion, or ended.
"""

from __future__ import annotations

from . import events as e
from .plan import MeetingPlan
from .state import ConsultationRecord, MeetingState

Audience = frozenset[str]
"""The members who may see something; ``None`` where it is used means the whole meeting."""


def owners(plan: MeetingPlan, consultation: int) -> Audience:
    """Whose record a consultation is: its client's, held with the facilitator."""
    client = plan.consultations[consultation].client
    return frozenset({plan.facilitator} if client is None else {plan.facilitator, client})


def audience_of(event: e.Event, plan: MeetingPlan) -> Audience | None:
    """Who may receive ``event``; everyone else gets it ``redacted`` (None: the whole meeting)."""
    if isinstance(event, e.PrivateNoteAdded):
        return frozenset({event.note.author})
    if isinstance(event, e.ItemSetAside):
        return frozenset({event.author, plan.facilitator})
    if isinstance(event, e.ContributionMarked | e.ClientSignalled | e.SignalWithdrawn):
        # The client's sorting and signals are for the facilitator, not a public box
        return owners(plan, event.consultation)
    return None


def changes_views(event: e.Event) -> bool:
    """Whether ``event`` changes what people may see of content sent before it: a consultation
    closing (its record goes to its owners) or a client sharing or unsharing a record. A socket
    then gets a fresh snapshot, and a replay across such an event is replaced by one."""
    if isinstance(event, e.RecordShared):
        return True
    return isinstance(event, e.StageChanged) and bool(event.closes)


def seen_by(state: MeetingState, member: str | None) -> MeetingState:
    """``state`` as ``member`` may see it (``None``: someone who is nobody in particular)."""
    records = [record_seen_by(state, index, member) for index in range(len(state.consultations))]
    notes = [note for note in state.private_notes if note.author == member]
    return state.model_copy(update={"consultations": records, "private_notes": notes})


def record_seen_by(
    state: MeetingState, consultation: int, member: str | None
) -> ConsultationRecord:
    record = state.consultations[consultation]
    if member in owners(state.plan, consultation):
        return record
    unmarked = [x.model_copy(update={"mark": None}) if x.mark else x for x in record.contributions]
    if not keeps_private(state, consultation, member):
        return record.model_copy(update={"contributions": unmarked, "signals": []})
    return ConsultationRecord(
        contributions=[x for x in unmarked if x.author == member],
        learnings={a: x for a, x in record.learnings.items() if a == member},
        evaluations={a: x for a, x in record.evaluations.items() if a == member},
    )


def keeps_private(state: MeetingState, consultation: int, member: str | None) -> bool:
    """Whether ``member`` sees only their own part of that consultation's record."""
    return (
        member not in owners(state.plan, consultation)
        and state.consultation_over(consultation)
        and not state.consultations[consultation].shared
    )
