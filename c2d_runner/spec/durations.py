"""Durations as people write them: 30s, 10m, 1h30m, 500ms, or a number of seconds."""
from __future__ import annotations

import math
import re

_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*")
MAX_SECONDS = 366 * 24 * 3600
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object) -> float:
    """Seconds for a duration; ValueError with a readable reason when it does not parse."""
    if isinstance(value, bool):
        raise ValueError("a duration cannot be a boolean")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        pos, seconds = 0, 0.0
        text = value.strip()
        while pos < len(text):
            match = _PART.match(text, pos)
            if not match:
                raise ValueError(f"cannot read duration {value!r}; write e.g. '30s', '10m' or '1h30m'")
            seconds += float(match.group(1)) * _UNIT[match.group(2)]
            pos = match.end()
        if not text:
            raise ValueError("empty duration")
    else:
        raise ValueError(f"a duration must be text or a number, got {type(value).__name__}")
    if not math.isfinite(seconds):
        raise ValueError(f"duration {value!r} must be a finite number of seconds")
    if seconds <= 0:
        raise ValueError(f"duration {value!r} must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError(f"duration {value!r} is longer than a year; no provider keeps a job that long")
    return seconds


def format_duration(seconds: float) -> str:
    """A short human form, e.g. 90 -> '1m30s'."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    whole = int(round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((h, "h"), (m, "m"), (s, "s")) if n) or "0s"
