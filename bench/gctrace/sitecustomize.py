"""Loaded by the server under test when the bench runs with ``--gc-trace`` (via PYTHONPATH).

Records every garbage collection's generation, pause (ms) and garbage found, and writes them as
JSON to ``$BENCH_GC_TRACE`` when the process exits. Nothing else in the server changes.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import time

_path = os.environ.get("BENCH_GC_TRACE")
if _path:
    _pauses: list[tuple[int, float, int]] = []
    _started = [0.0]

    def _on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            _started[0] = time.perf_counter()
        else:
            pause = (time.perf_counter() - _started[0]) * 1000
            _pauses.append((info["generation"], pause, info["collected"]))

    def _dump() -> None:
        with open(_path, "w") as f:
            json.dump(_pauses, f)

    gc.callbacks.append(_on_gc)
    atexit.register(_dump)
