"""A consultation's record as Markdown, for the person who asks: what they may see
(``stages.audience``, as in their snapshot), and their own notes."""

from __future__ import annotations

from collections.abc import Callable

from app.stages import MeetingState
from app.stages.audience import keeps_private, seen_by
from app.stages.state import ConsultationRecord

STAGE_TITLES = {
    "presentation": "1. Presentation",
    "clarification": "2. Clarification",
    "contract": "3. Contract",
    "consultation": "4. Consultation",
    "synthesis": "5. Synthesis and action plan",
    "conclusion": "6. Conclusion",
}


def to_markdown(state: MeetingState, title: str, reader: str) -> str:
    """The meeting as ``reader`` may see it: other people's private notes never appear, nor
    the client's marks, nor a closed record its client keeps private (but the reader's part)."""
    names = {member: p.name for member, p in state.plan.participants.items()}
    seen = seen_by(state, reader)

    def who(member: str) -> str:
        return names.get(member, "someone")

    lines = [f"# {title}", ""]
    for index, record in enumerate(seen.consultations):
        client = state.plan.consultations[index].client
        lines += [f"## Consultation {index + 1}" + (f" — client: {who(client)}" if client else "")]
        if client and keeps_private(state, index, reader):
            lines += ["", f"*{who(client)} keeps this record private: here is your part of it.*"]
        lines += _consultation(record, who)
    mine = seen.private_notes
    if mine:
        lines += ["## My private notes", ""]
        lines += [f"- {note.text}" for note in mine]
    return "\n".join(lines).rstrip() + "\n"


def _consultation(record: ConsultationRecord, name: Callable[[str], str]) -> list[str]:
    out: list[str] = [""]
    if record.case:
        case = record.case
        out += [
            f"### {STAGE_TITLES['presentation']}",
            "",
            f"**{case.headline}** ({case.topic_type})",
        ]
        out += [
            x for x in (case.context, f"Question: {case.question}" if case.question else "") if x
        ]
        out.append("")
    if record.questions:
        out += [f"### {STAGE_TITLES['clarification']}", ""]
        for q in record.questions:
            out.append(f"- {q.text} — *{name(q.author)}*")
            if q.answer:
                out.append(f"  - {q.answer}")
        out.append("")
    if record.contract:
        latest = record.contract[-1]
        out += [f"### {STAGE_TITLES['contract']}", "", latest.text]
        if latest.help_wanted:
            out.append("Help wanted: " + ", ".join(latest.help_wanted))
        out.append("")
    if record.contributions or record.scribe_notes:
        out += [f"### {STAGE_TITLES['consultation']}", ""]
        for x in record.contributions:
            mark = f" **[{x.mark}]**" if x.mark else ""
            out.append(f"- ({x.kind}) {x.text} — *{name(x.author)}*{mark}")
        for note in record.scribe_notes:
            out.append(f"- Scribe's note: {note.text}")
        out.append("")
    if record.synthesis or record.action_items:
        out += [f"### {STAGE_TITLES['synthesis']}", ""]
        if record.synthesis:
            out += [record.synthesis, ""]
        for item in record.action_items:
            details = [
                d
                for d in (
                    f"due {item.due}" if item.due else "",
                    f"indicator: {item.indicator}" if item.indicator else "",
                    f"follow-up {item.follow_up}" if item.follow_up else "",
                )
                if d
            ]
            out.append(f"- [ ] {item.action}" + (f" ({'; '.join(details)})" if details else ""))
        out.append("")
    if record.learnings:
        out += [f"### {STAGE_TITLES['conclusion']}", ""]
        out += [f"- {name(a)}: {learning.text}" for a, learning in record.learnings.items()]
        out.append("")
    return out
