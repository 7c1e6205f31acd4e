"""A meeting plan names who takes part and in which role; an incoherent plan is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.stages import ConsultationPlan, InvalidPlan, MeetingPlan, Participant, Preset, Role, Stage
from app.stages.plan import PRESET_MINUTES, check_plan

from .factories import (
    ALL_OPENERS,
    CLIENT,
    FACILITATOR,
    KAI,
    KIM,
    OBSERVER,
    SCRIBE,
    STRANGER,
    TIMEKEEPER,
    make_consultation,
    make_participants,
    make_plan,
    make_previous_plan,
)


def test_the_default_plan_is_valid() -> None:
    plan = make_plan(openers=ALL_OPENERS)
    check_plan(plan)
    assert plan.previous_plan == make_previous_plan()


@pytest.mark.parametrize(
    ("preset", "minutes"),
    [
        ("120", (15, 20, 10, 40, 15, 20)),
        ("90", (10, 15, 5, 30, 15, 15)),
        ("60", (5, 10, 5, 20, 10, 10)),
        ("45", (5, 8, 2, 15, 10, 5)),
    ],
)
def test_presets_fill_in_the_minutes_of_the_six_stages(
    preset: str, minutes: tuple[int, ...]
) -> None:
    consultation = ConsultationPlan(client=CLIENT, preset=Preset(preset))
    assert consultation.minutes == minutes == PRESET_MINUTES[Preset(preset)]
    assert consultation.stage_minutes(Stage.CONSULTATION) == minutes[3]


def test_a_custom_preset_needs_minutes() -> None:
    with pytest.raises(ValidationError, match="a custom preset needs minutes"):
        ConsultationPlan(client=CLIENT, preset=Preset.CUSTOM)
    custom = ConsultationPlan(client=CLIENT, preset=Preset.CUSTOM, minutes=(1, 2, 3, 4, 5, 6))
    assert custom.stage_minutes(Stage.CONCLUSION) == 6


def test_explicit_minutes_win_over_a_preset() -> None:
    plan = ConsultationPlan(client=CLIENT, preset=Preset.FLASH_45, minutes=(9, 9, 9, 9, 9, 9))
    assert plan.stage_minutes(Stage.PRESENTATION) == 9


@pytest.mark.parametrize("minutes", [0, 241])
def test_stage_minutes_stay_between_one_and_240(minutes: int) -> None:
    with pytest.raises(ValidationError):
        ConsultationPlan(client=CLIENT, preset=Preset.CUSTOM, minutes=(minutes, 1, 1, 1, 1, 1))


def _plan(**fields: Any) -> MeetingPlan:
    defaults: dict[str, Any] = {
        "facilitator": FACILITATOR,
        "participants": make_participants(FACILITATOR, CLIENT, SCRIBE, TIMEKEEPER, OBSERVER, KIM),
        "consultations": (make_consultation(),),
    }
    return MeetingPlan(**(defaults | fields))


INVALID_PLANS: list[tuple[str, dict[str, Any], str]] = [
    (
        "facilitator_not_a_participant",
        {"facilitator": STRANGER},
        "the facilitator must be one of the participants",
    ),
    (
        "more_than_ten_members",
        {"participants": make_participants(FACILITATOR, CLIENT, *(f"m{i}" for i in range(10)))},
        "at most 10 members and a facilitator",
    ),
    (
        "the_same_opener_twice",
        {"openers": (Stage.CHECK_IN, Stage.CHECK_IN)},
        "openers are check_in, follow_up and client_choice",
    ),
    (
        "a_stage_as_opener",
        {"openers": (Stage.CONTRACT,)},
        "openers are check_in, follow_up and client_choice",
    ),
    (
        "follow_up_without_previous_plan",
        {"openers": (Stage.FOLLOW_UP,)},
        "a follow-up needs a previous client's action plan",
    ),
    (
        "same_client_for_two_consultations",
        {"consultations": (make_consultation(), ConsultationPlan(client=CLIENT))},
        "each consultation needs its own client",
    ),
    (
        "client_not_a_participant",
        {"consultations": (make_consultation(client=STRANGER),)},
        "consultation 1 names 'zed', who is not a participant",
    ),
    (
        "observer_not_a_participant",
        {"consultations": (make_consultation(observers=(KAI,)),)},
        "consultation 1 names 'kai', who is not a participant",
    ),
    (
        "facilitator_as_scribe",
        {"consultations": (make_consultation(scribe=FACILITATOR),)},
        "the facilitator cannot hold another role in consultation 1",
    ),
    (
        "client_missing_without_client_choice",
        {"consultations": (make_consultation(client=None),)},
        "consultation 1 needs a client, or a client_choice opener",
    ),
    (
        "second_client_missing_without_client_choice",
        {"consultations": (make_consultation(), ConsultationPlan(client=KIM), ConsultationPlan())},
        "at most 2 items",
    ),
    (
        "duplicate_roles",
        {"consultations": (make_consultation(scribe=TIMEKEEPER),)},
        "one person holds two roles in consultation 1",
    ),
    (
        "client_who_observes",
        {"consultations": (make_consultation(observers=(CLIENT,)),)},
        "one person holds two roles in consultation 1",
    ),
    (
        "nobody_left_to_consult",
        {
            "participants": make_participants(FACILITATOR, CLIENT, OBSERVER),
            "consultations": (ConsultationPlan(client=CLIENT, observers=(OBSERVER,)),),
        },
        "consultation 1 needs at least one consultant",
    ),
    ("no_consultation", {"consultations": ()}, "at least 1 item"),
]


@pytest.mark.parametrize(
    ("fields", "message"),
    [pytest.param(fields, message, id=name) for name, fields, message in INVALID_PLANS],
)
def test_an_incoherent_plan_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _plan(**fields)


def test_check_plan_raises_invalid_plan_for_a_plan_built_without_validation() -> None:
    plan = _plan().model_copy(update={"facilitator": STRANGER})
    with pytest.raises(InvalidPlan, match="the facilitator must be one of the participants"):
        check_plan(plan)


def test_a_second_consultation_may_wait_for_client_choice() -> None:
    plan = _plan(
        openers=(Stage.CLIENT_CHOICE,),
        consultations=(make_consultation(client=None), ConsultationPlan()),
    )
    assert [c.client for c in plan.consultations] == [None, None]


def test_the_same_scribe_may_serve_both_consultations() -> None:
    plan = make_plan(
        consultations=(make_consultation(), ConsultationPlan(client=KIM, scribe=SCRIBE))
    )
    assert plan.role_in(1, SCRIBE) is Role.SCRIBE


def test_role_in_names_each_role_and_none_for_a_stranger() -> None:
    plan = make_plan()
    roles = {member: plan.role_in(0, member) for member in plan.participants}
    assert roles == {
        FACILITATOR: Role.FACILITATOR,
        CLIENT: Role.CLIENT,
        SCRIBE: Role.SCRIBE,
        TIMEKEEPER: Role.TIMEKEEPER,
        OBSERVER: Role.OBSERVER,
        KIM: Role.CONSULTANT,
        KAI: Role.CONSULTANT,
    }
    assert plan.role_in(0, STRANGER) is None


def test_with_client_returns_a_new_plan() -> None:
    plan = make_plan(
        openers=(Stage.CLIENT_CHOICE,), consultations=(make_consultation(client=None),)
    )
    chosen = plan.with_client(0, KIM)
    assert (plan.consultations[0].client, chosen.consultations[0].client) == (None, KIM)
    assert chosen.consultations[0].scribe == SCRIBE


def test_participant_language_is_english_or_french() -> None:
    assert Participant(name="Léa", language="fr").language == "fr"
    with pytest.raises(ValidationError):
        Participant(name="Lea", language="de")
    with pytest.raises(ValidationError):
        Participant(name="")


def test_plans_are_frozen() -> None:
    plan = make_plan()
    with pytest.raises(ValidationError):
        plan.facilitator = KIM  # type: ignore[misc]
