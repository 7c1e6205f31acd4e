"""Keep Python's cyclic garbage collector off the long-lived heap of a busy server.

With thousands of sockets, each waiting for its next frame for seconds at a time, every message
leaves a few dozen objects (coroutines, futures, timers, the last command) that live long enough
to be promoted to the oldest generation. A full collection then walks hundreds of thousands of
them, and the whole heap they point to, while every socket waits: 350 ms pauses in the bench,
which set the fan-out p99 (DESIGN §5).

The policy: collect the young generations as usual, but freeze whatever survives a middle
(generation 1) collection. Frozen objects are still freed by reference counting the moment
nothing points to them; only garbage *cycles* among them wait, until the process holds no
socket (``collect_when_idle``), when a full collection bothers nobody, or until so many piled
up that one long pause is better than more memory.
"""

from __future__ import annotations

import gc
from typing import Any

YOUNG_THRESHOLD = 10_000
"""Allocations between two young collections (CPython's default is 700): fewer, and fewer of
the objects that live a few milliseconds (a command in flight) are promoted."""

IDLE_COLLECT_GROWTH = 100_000
"""Frozen objects added since the last full collection that make an idle one worthwhile."""

BUSY_COLLECT_GROWTH = 2_000_000
"""Frozen objects added since the last full collection after which the collector gets them
back even though sockets are open: one long pause, rather than memory that only grows."""

_installed = False
_defaults = gc.get_threshold()
_frozen_after_full = 0
_unfrozen = False
"""True between giving frozen objects back (busy) and the full collection that walks them."""


def install() -> None:
    """Apply the policy to this process (idempotent)."""
    global _installed, _defaults
    if _installed:
        return
    _installed = True
    _defaults = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *_defaults[1:])
    gc.callbacks.append(_freeze_survivors)
    _full_collection()  # what start-up made lives as long as the process


def uninstall() -> None:
    """Back to CPython's defaults, with every frozen object collectable again."""
    global _installed
    if not _installed:
        return
    _installed = False
    gc.callbacks.remove(_freeze_survivors)
    gc.set_threshold(*_defaults)
    gc.unfreeze()


def collect_when_idle() -> None:
    """A full collection of everything, frozen or not, if enough piled up since the last one:
    call it when no socket is open."""
    if _installed and gc.get_freeze_count() > _frozen_after_full + IDLE_COLLECT_GROWTH:
        _full_collection()


def _full_collection() -> None:
    global _frozen_after_full
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _frozen_after_full = gc.get_freeze_count()


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    global _frozen_after_full, _unfrozen
    if phase != "stop":
        return
    if info["generation"] == 2:
        gc.freeze()
        if _unfrozen:  # this one walked everything
            _unfrozen = False
            _frozen_after_full = gc.get_freeze_count()
    elif info["generation"] == 1:
        if gc.get_freeze_count() > _frozen_after_full + BUSY_COLLECT_GROWTH:
            gc.unfreeze()  # the next full collection sees everything, once
            _unfrozen = True
        else:
            gc.freeze()
