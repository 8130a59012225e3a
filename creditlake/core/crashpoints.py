"""Named crash points for recovery tests: CREDITLAKE_CRASH_AT=<point>:<n>.

The n-th time (1-based) the process passes `crashpoint(point)` it dies with os._exit(137),
as a killed worker would: no cleanup, no finally blocks, no flushed buffers. Unset, a
crash point costs one dictionary lookup. Connectors and the lakehouse both call it.
"""

from __future__ import annotations

import os

_passes: dict[str, int] = {}


def crashpoint(point: str) -> None:
    spec = os.environ.get("CREDITLAKE_CRASH_AT")
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != point:
        return
    _passes[point] = _passes.get(point, 0) + 1
    if _passes[point] == int(nth or 1):
        os._exit(137)
