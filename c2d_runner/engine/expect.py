"""Check a finished job against its spec's expectations (pure, apart from reading its files)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from c2d_runner.engine.outcome import ExpectationResult, ResultRecord
from c2d_runner.spec.durations import format_duration
from c2d_runner.spec.model import Expectations, JsonExpectation, OutputExpectation, thaw
from c2d_runner.wire import STATUS_FINISHED

if TYPE_CHECKING:
    from c2d_runner.ocean.records import JobStatus

# Outputs bigger than this are not parsed as JSON or searched whole for `contains`.
MAX_READ_BYTES = 64 * 2**20
_MISSING = object()


def check_expectations(expect: Expectations, *, final: "JobStatus | None", duration: float | None,
                       outputs: Mapping[str, ResultRecord], log_text: str,
                       exit_code: int | None = None) -> tuple[ExpectationResult, ...]:
    """Every expectation of the job, each with what was expected and what was found.

    `exit_code` is the algorithm's, where the target reports one: it must be `expect.exit_code`,
    or 0 for a job expected to finish.
    """
    results = [_status(expect.status, final, exit_code, expect.exit_code)]
    wanted_exit = expect.exit_code if expect.exit_code is not None else (0 if expect.status == "finished" else None)
    if wanted_exit is not None and (exit_code is not None or expect.exit_code is not None):
        results.append(ExpectationResult("exit_code", exit_code == wanted_exit, str(wanted_exit),
                                         str(exit_code) if exit_code is not None else "not reported"))
    if expect.max_duration is not None:
        got = format_duration(duration) if duration is not None else "unknown"
        results.append(ExpectationResult("duration", duration is not None and duration <= expect.max_duration,
                                         f"at most {format_duration(expect.max_duration)}", got))
    for output in expect.outputs:
        results += _output(output, outputs.get(output.name))
    for text in expect.logs_contains:
        results.append(ExpectationResult("logs.contains", text in log_text, f"algorithm.log containing {text!r}",
                                         "found" if text in log_text else "not found"))
    for text in expect.logs_not_contains:
        results.append(ExpectationResult("logs.not_contains", text not in log_text,
                                         f"algorithm.log without {text!r}",
                                         "not found" if text not in log_text else "found"))
    return tuple(results)


_STOPPED = {1: "stopped on request", 2: "killed at the environment's maxJobDuration"}


def _status(wanted: str, final: "JobStatus | None", exit_code: int | None = None,
            expected_exit: int | None = None) -> ExpectationResult:
    """Decided on the client's verdict (terminal, succeeded), which applies the provider's own rules."""
    got = final.describe() if final is not None else "no status"
    if exit_code is not None:
        got += f", exit code {exit_code}"
    stopreq = final.stop_requested if final is not None else 0
    if stopreq in _STOPPED:
        got += f", {_STOPPED[stopreq]} (stopreq {stopreq})"
    if final is not None and final.reason:
        got += f" ({final.reason})"
    if wanted == "failed":
        crashed = final is not None and final.succeeded and exit_code not in (None, 0)
        return ExpectationResult("status", final is not None and final.terminal and (not final.succeeded or crashed),
                                 "failed (31/32, or a non-zero exit code)", got)
    if expected_exit is not None:  # an exit code is expected: finished = ran to its end and reported one
        ran = final is not None and final.terminal and exit_code is not None and not stopreq
        return ExpectationResult("status", ran, "finished (ran to its end)", got)
    # A stopped job may still end as a success with whatever it wrote so far: that is not a finished run.
    return ExpectationResult("status", final is not None and final.succeeded and not stopreq,
                             f"finished ({STATUS_FINISHED})", got)


def _output(expect: OutputExpectation, record: ResultRecord | None) -> list[ExpectationResult]:
    name = f"outputs[{expect.name}]"
    if not expect.present:
        return [ExpectationResult(name, record is None, "absent", "present" if record else "absent")]
    if record is None:
        return [ExpectationResult(name, False, "present", "missing")]
    results = [ExpectationResult(name, True, "present", f"present ({record.size} bytes)")]
    if expect.sha256:
        results.append(ExpectationResult(f"{name}.sha256", record.sha256 == expect.sha256, expect.sha256,
                                         record.sha256))
    if expect.min_size is not None or expect.max_size is not None:
        low, high = expect.min_size or 0, expect.max_size
        ok = record.size >= low and (high is None or record.size <= high)
        wanted = f"{low}..{high if high is not None else ''} bytes"
        results.append(ExpectationResult(f"{name}.size", ok, wanted, f"{record.size} bytes"))
    if expect.contains:
        text = _read_text(record.path, record.size)
        for needle in expect.contains:
            found = text is not None and needle in text
            results.append(ExpectationResult(f"{name}.contains", found, f"text containing {needle!r}",
                                             "found" if found else ("too large to search" if text is None
                                                                    else "not found")))
    if expect.json:
        results += _json(name, record, expect.json)
    return results


def _read_text(path: Path, size: int) -> str | None:
    if size > MAX_READ_BYTES:
        return None
    return Path(path).read_text("utf-8", errors="replace")


def _json(name: str, record: ResultRecord, checks: tuple[JsonExpectation, ...]) -> list[ExpectationResult]:
    text = _read_text(record.path, record.size)
    try:
        data = json.loads(text) if text is not None else _MISSING
    except ValueError as exc:
        return [ExpectationResult(f"{name}.json", False, "a JSON document", f"invalid JSON ({exc})")]
    if data is _MISSING:
        return [ExpectationResult(f"{name}.json", False, "a JSON document", "file too large to parse")]
    return [_json_check(f"{name}.json[{check.path}]", _lookup(data, check.path), check) for check in checks]


def _lookup(data, dotted: str):
    value = data
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _show(value) -> str:
    return "missing" if value is _MISSING else json.dumps(value)[:200]


def _same(a, b) -> bool:
    """JSON equality: true is not 1 and 1.0 is not true (Python's == says they are)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _json_check(name: str, value, check: JsonExpectation) -> ExpectationResult:
    if check.exists is not None:
        present = value is not _MISSING
        return ExpectationResult(name, present == check.exists, "present" if check.exists else "absent",
                                 "present" if present else "absent")
    if check.has_equals:
        wanted = thaw(check.equals)
        return ExpectationResult(name, value is not _MISSING and _same(value, wanted), json.dumps(wanted),
                                 _show(value))
    bounds = " and ".join(p for p in (f">= {check.min}" if check.min is not None else "",
                                      f"<= {check.max}" if check.max is not None else "") if p)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = number and (check.min is None or value >= check.min) and (check.max is None or value <= check.max)
    return ExpectationResult(name, bool(ok), f"a number {bounds}", _show(value))
