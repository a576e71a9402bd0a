"""Text helpers shared by the reports: counting, plurals, log tails and safe printing."""
from __future__ import annotations

import re

from c2d_runner.engine.outcome import ERROR, FAILED, PASSED, SKIPPED, RunOutcome

# ANSI escape sequences (OSC strings such as window titles, CSI with parameters, and the
# two-character ESC forms): algorithm logs are often coloured, and removing only the ESC
# would leave "[31m" litter behind.
ANSI = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# C0 and C1 controls except tab and newline: untrusted text (logs, provider messages) must not
# move the cursor, retitle or reprogram the user's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def outcome_counts(run: RunOutcome) -> dict[str, int]:
    """How many jobs of the run ended in each outcome."""
    counts = {PASSED: 0, FAILED: 0, ERROR: 0, SKIPPED: 0}
    for job in run.jobs:
        counts[job.outcome] = counts.get(job.outcome, 0) + 1
    return counts


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 job`, `2 jobs`; `many` for irregular plurals."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def last_lines(text: str, count: int) -> list[str]:
    """The last `count` lines of `text`, trailing blank lines ignored."""
    lines = text.rstrip("\n").splitlines()
    return lines[-count:] if count > 0 else []


def printable(text: str) -> str:
    """`text` with ANSI sequences removed and other control characters shown as escapes."""
    text = ANSI.sub("", text).replace("\r\n", "\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def first_line(text: str) -> str:
    """The first non-blank line of `text`, stripped ("" when there is none)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def shorten(text: str, width: int) -> str:
    """`text` cut to at most `width` characters, with "..." when cut."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: max(width - 3, 0)] + "..."[: width]
