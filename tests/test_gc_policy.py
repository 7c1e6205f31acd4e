"""The GC policy keeps long-lived objects out of full collections, and can be undone."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app import gc_policy


@pytest.fixture
def policy() -> Iterator[None]:
    gc_policy.install()
    yield
    gc_policy.uninstall()


def test_objects_that_survive_a_middle_collection_are_frozen(policy: None) -> None:
    before = gc.get_freeze_count()
    survivors = [[n] for n in range(1_000)]  # tracked containers, still referenced

    gc.collect(1)

    assert gc.get_freeze_count() >= before + len(survivors)


def test_uninstalling_restores_the_thresholds_and_unfreezes_everything() -> None:
    defaults = gc.get_threshold()
    gc_policy.install()
    assert gc.get_threshold()[0] == gc_policy.YOUNG_THRESHOLD

    gc_policy.uninstall()

    assert gc.get_threshold() == defaults
    assert gc.get_freeze_count() == 0


def test_an_idle_full_collection_frees_cycles_that_were_frozen(policy: None) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    collected: list[int] = []
    gc.callbacks.append(lambda phase, info: collected.append(info.get("collected", 0)))
    try:
        cycles = [Node() for _ in range(gc_policy.IDLE_COLLECT_GROWTH + 1_000)]
        gc.collect(1)  # promoted and frozen: a full collection would not see them now
        del cycles  # garbage, but only a collection of frozen objects can find the cycles
        assert gc.collect() < gc_policy.IDLE_COLLECT_GROWTH
        collected.clear()

        gc_policy.collect_when_idle()

        assert sum(collected) >= gc_policy.IDLE_COLLECT_GROWTH
    finally:
        gc.callbacks.pop()


def test_a_busy_process_gives_frozen_objects_back_to_the_collector_once_they_pile_up(
    policy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gc_policy, "BUSY_COLLECT_GROWTH", 1_000)
    survivors = [[n] for n in range(2_000)]
    gc.collect(1)  # frozen: under the limit when the collection began
    assert gc.get_freeze_count() >= len(survivors)

    gc.collect(1)  # past the limit: unfrozen, for the next full collection to walk

    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gc.get_freeze_count() >= len(survivors)  # and frozen again after it
