"""Console progress (plain, quiet, live) and the summary, with a fake clock and fake streams."""
import io
import os
import re
import threading
import time

import pytest

from c2d_runner.report import ConsoleProgress, format_summary
from c2d_runner.report.console import job_line

from .outcomes import errored, failed, passed, run, skipped


class FakeClock:
    def __init__(self, now=100.0):
        self.now = now

    def __call__(self):
        return self.now


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


class Broken(io.StringIO):
    def write(self, text):
        raise BrokenPipeError("reader went away")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")


FULL_RUN = run(passed(), failed(), errored(), skipped())
SUMMARY = """\
job train FAILED: 2 of 3 expectations did not hold (outputs[stats.json].sha256, logs.contains)
  (status 70 Job finished, job id 0xjob2, 3.2s)
  outputs[stats.json].sha256
    expected: ab12
    got:      cd34
  logs.contains
    expected: "done"
    got:      not found
  algorithm.log (last 3 lines):
    | epoch 1
    | epoch 2
    | loss=nan
job big ERROR: timeout after 10m; the job was stopped
  (status 40 Running algorithm, job id 0xjob3, 600.0s)
  stop answered 200
  algorithm.log (last 2 lines):
    | step 1
    | step 2
demo: 1 passed, 1 failed, 1 error, 1 skipped (4 jobs in 605.5s)
run folder: runs/demo/20261125-010203
FAILED"""


def drive(progress, clock):
    """The calls an engine makes for FULL_RUN, at known clock times."""
    progress.run_started("demo", "mock", ["stats", "train", "big", "later"])
    clock.now = 101.2
    progress.job_status("stats", 40, "Running algorithm", 1.0)
    clock.now = 101.5
    progress.job_status("stats", 40, "Running algorithm", 1.3)  # no change: no line
    progress.job_message("stats", "downloading 2 results")
    clock.now = 102.0
    progress.job_done(passed())
    clock.now = 103.0
    progress.job_status("train", 70, "Job finished", 2.5)
    progress.job_done(failed())
    clock.now = 700.0
    progress.job_message("big", "stopping: timeout")
    progress.job_done(errored())
    progress.run_done(FULL_RUN)


def test_summary_lists_failures_errors_counts_folder_and_verdict():
    assert format_summary(FULL_RUN) == SUMMARY


def test_summary_of_a_passing_run():
    assert format_summary(run(passed(), skipped(), duration=2.0)).splitlines() == [
        "demo: 1 passed, 0 failed, 0 errors, 1 skipped (2 jobs in 2.0s)",
        "run folder: runs/demo/20261125-010203",
        "PASSED"]


def test_summary_of_a_refused_plan_and_an_interrupted_run():
    text = format_summary(run(problems=("a.yaml:1:1: error: bad", "a.yaml:2:1: error: worse"), duration=0.0))
    assert text.splitlines()[:3] == ["plan refused, nothing was started (2 problems):",
                                     "  a.yaml:1:1: error: bad", "  a.yaml:2:1: error: worse"]
    assert text.endswith("\nFAILED")
    assert "interrupted before the run could finish" in format_summary(run(passed(), interrupted=True))


def test_summary_keeps_only_the_last_log_lines_and_neutralises_terminal_escapes():
    log = "".join(f"line {i}\n" for i in range(50)) + "\x1b]0;pwned\x07title \x1b[31mred\x1b[0m\n\n"
    lines = format_summary(run(failed(log_tail=log))).splitlines()
    tail = [line for line in lines if line.startswith("    | ")]
    assert len(tail) == 10
    assert tail[0] == "    | line 41"
    assert tail[-1] == "    | title red"
    assert not any("\x1b" in line or "\x07" in line for line in lines)


def test_summary_in_color_paints_the_verdicts():
    text = format_summary(FULL_RUN, color=True)
    assert "job train \x1b[31mFAILED\x1b[0m: 2 of 3" in text
    assert text.endswith("\x1b[31mFAILED\x1b[0m")


def test_job_line():
    assert job_line(passed()) == "stats: PASSED (70 Job finished, 1.8s, 2 results)"
    assert job_line(skipped()) == "later: SKIPPED (not selected by --only)"


def test_plain_mode_writes_one_line_per_change():
    clock, stream = FakeClock(), io.StringIO()
    progress = ConsoleProgress(stream, mode="auto", clock=clock)
    assert progress.mode == "plain" and not progress.color
    drive(progress, clock)
    assert stream.getvalue() == """\
[   0.0s] run demo on mock: 4 jobs
[   1.2s] stats: 40 Running algorithm
[   1.5s] stats: downloading 2 results
[   2.0s] stats: PASSED (70 Job finished, 1.8s, 2 results)
[   3.0s] train: 70 Job finished
[   3.0s] train: FAILED (70 Job finished, 3.2s, 2 results, 2 expectations failed)
[ 600.0s] big: stopping: timeout
[ 600.0s] big: ERROR (40 Running algorithm, 600.0s, timeout after 10m; the job was stopped)

""" + SUMMARY + "\n"


def test_plain_mode_reports_at_run_done_the_jobs_the_engine_never_finished():
    clock, stream = FakeClock(), io.StringIO()
    progress = ConsoleProgress(stream, mode="plain", clock=clock)
    progress.run_started("demo", "mock", ["stats", "later"])
    progress.run_done(run(passed(), skipped()))
    assert stream.getvalue().splitlines()[:3] == [
        "[   0.0s] run demo on mock: 2 jobs", "[   0.0s] stats: PASSED (70 Job finished, 1.8s, 2 results)", ""]


def test_quiet_mode_writes_only_the_summary():
    clock, stream = FakeClock(), io.StringIO()
    drive(ConsoleProgress(stream, mode="quiet", clock=clock), clock)
    assert stream.getvalue() == SUMMARY + "\n"


def screen(output):
    """What a terminal shows after `output`, for the few sequences the live mode uses."""
    rows, row = [""], 0
    for token in re.findall(r"\x1b\[[0-9;]*[A-Za-z]|\r|\n|[^\x1b\r\n]+", output):
        if token == "\n":
            row += 1
            if row == len(rows):
                rows.append("")
        elif token == "\r":
            pass  # every write the live mode makes starts at column 0
        elif token.endswith("A"):
            row -= int(token[2:-1] or 1)
            assert row >= 0, "cursor moved above the output"
        elif token.endswith("J"):
            del rows[row + 1:]
            rows[row] = ""
        elif token.endswith("m"):
            pass
        else:
            rows[row] += token
    return [re.sub(r"^ [|/\\-] ", " * ", row) for row in rows]  # the spinner frame is not under test


def test_live_mode_redraws_in_place_and_leaves_the_final_lines():
    clock, stream = FakeClock(), FakeTTY()
    progress = ConsoleProgress(stream, mode="auto", clock=clock)
    assert progress.mode == "live" and progress.color
    progress.run_started("demo", "mock", ["stats", "train", "big", "later"])
    clock.now = 101.2
    progress.job_status("stats", 40, "Running algorithm", 1.0)
    assert screen(stream.getvalue()) == ["run demo on mock: 4 jobs", " * stats: 40 Running algorithm (1.0s)",
                                         "   3 waiting", ""]
    clock.now = 101.5
    progress.job_status("train", 10, "Job started", 0.1)
    clock.now = 101.8
    progress.job_message("stats", "downloading 2 results")
    assert screen(stream.getvalue())[1:3] == [" * stats: 40 Running algorithm - downloading 2 results (1.6s)",
                                              " * train: 10 Job started (0.4s)"]
    clock.now = 102.0
    progress.job_done(passed())
    assert screen(stream.getvalue())[:4] == ["run demo on mock: 4 jobs",
                                             "stats: PASSED (70 Job finished, 1.8s, 2 results)",
                                             " * train: 10 Job started (0.6s)", "   2 waiting"]
    progress.job_done(failed())
    progress.job_done(errored())
    progress.run_done(FULL_RUN)
    output = stream.getvalue()
    assert "\x1b[J" in output and "\x1b[2A" in output and "\x1b[32mPASSED\x1b[0m" in output
    assert screen(output) == [
        "run demo on mock: 4 jobs",
        "stats: PASSED (70 Job finished, 1.8s, 2 results)",
        "train: FAILED (70 Job finished, 3.2s, 2 results, 2 expectations failed)",
        "big: ERROR (40 Running algorithm, 600.0s, timeout after 10m; the job was stopped)",
        "",
        *SUMMARY.splitlines(),
        ""]


def test_live_mode_is_throttled_but_never_drops_a_final_line():
    clock, stream = FakeClock(), FakeTTY()
    progress = ConsoleProgress(stream, mode="live", clock=clock)
    progress.run_started("demo", "mock", ["stats"])
    progress.job_status("stats", 40, "Running algorithm", 1.0)
    written = len(stream.getvalue())
    progress.job_status("stats", 40, "Running algorithm", 1.0)  # same instant: no redraw
    assert len(stream.getvalue()) == written
    progress.job_done(passed())  # same instant, but final: drawn
    assert screen(stream.getvalue())[1] == "stats: PASSED (70 Job finished, 1.8s, 2 results)"


def test_live_mode_draws_a_throttled_change_once_the_interval_is_over():
    clock, stream = FakeClock(), FakeTTY()
    progress = ConsoleProgress(stream, mode="live", clock=clock)
    progress.run_started("demo", "mock", ["stats"])
    progress.job_status("stats", 70, "Job finished", 1.0)
    progress.job_message("stats", "downloading 2 results")  # throttled: no call may follow for long
    assert "downloading" not in stream.getvalue()
    progress._timer.join(timeout=10)
    assert screen(stream.getvalue())[1] == " * stats: 70 Job finished - downloading 2 results (1.0s)"


def test_live_mode_caps_the_block_and_cuts_long_rows():
    clock, stream = FakeClock(), FakeTTY()
    progress = ConsoleProgress(stream, mode="live", clock=clock)
    names = [f"job{i}" for i in range(30)]
    progress.run_started("demo", "mock", names)
    for name in names:
        clock.now += 1
        progress.job_status(name, 40, "Running algorithm " + "x" * 200, 0.0)
    rows = screen(stream.getvalue())
    assert rows[-2] == "   ... and 11 more running"
    assert len(rows) == 1 + 20 + 1
    assert all(len(row) <= 79 for row in rows)


def test_no_color_keeps_the_live_display_but_drops_colors(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    clock, stream = FakeClock(), FakeTTY()
    progress = ConsoleProgress(stream, mode="auto", clock=clock)
    assert progress.mode == "live" and not progress.color
    drive(progress, clock)
    assert "\x1b[J" in stream.getvalue()
    assert not re.search(r"\x1b\[[0-9;]*m", stream.getvalue())


def test_a_dumb_terminal_gets_plain_lines(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    assert ConsoleProgress(FakeTTY(), mode="auto").mode == "plain"


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of auto, live, plain, quiet, not 'fancy'"):
        ConsoleProgress(io.StringIO(), mode="fancy")


def test_default_stream_is_the_current_stderr(capsys):
    progress = ConsoleProgress(mode="plain", clock=FakeClock())
    progress.job_message("stats", "hello")
    assert capsys.readouterr().err == "[   0.0s] stats: hello\n"


def test_a_broken_stream_silences_progress_instead_of_failing_the_run():
    clock = FakeClock()
    for mode in ("plain", "live", "quiet"):
        drive(ConsoleProgress(Broken(), mode=mode, clock=clock), clock)


@pytest.mark.parametrize("mode", ["live", "plain"])
def test_many_threads_at_once(mode):
    stream = FakeTTY() if mode == "live" else io.StringIO()
    progress = ConsoleProgress(stream, mode=mode)  # the real clock, so the throttle really works
    names = [f"job{i}" for i in range(8)]
    progress.run_started("demo", "mock", names)
    errors = []
    start = threading.Barrier(len(names))

    def worker(name):
        try:
            start.wait()
            for i in range(300):
                progress.job_status(name, 10 + i % 3 * 10, "Running", i / 10)
                if i % 50 == 0:
                    progress.job_message(name, f"step {i}")
            progress.job_done(passed(name))
        except Exception as exc:  # noqa: BLE001 - collected and reported in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress.run_done(run(*(passed(name) for name in names)))
    assert errors == []
    output = stream.getvalue()
    if mode == "live":
        final = screen(output)
        assert sorted(final[1:9]) == sorted(f"{n}: PASSED (70 Job finished, 1.8s, 2 results)" for n in names)
    else:
        assert sum("PASSED (70" in line for line in output.splitlines()) == len(names)


def test_live_rows_keep_ticking_without_engine_calls():
    # A job can sit in "Running algorithm" for minutes: its elapsed time must still move on screen.
    now = [100.0]
    stream = FakeTTY()
    progress = ConsoleProgress(stream, mode="live", clock=lambda: now[0])
    progress.run_started("spec", "mock", ["slow"])
    progress.job_status("slow", 40, "Running algorithm ", 0.5)
    time.sleep(0.3)  # past the throttle's own deferred redraw
    now[0] += 42.0  # no engine call from here on
    mark = len(stream.getvalue())
    deadline = time.monotonic() + 10
    while "(42.5s)" not in stream.getvalue()[mark:] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "slow: 40 Running algorithm (42.5s)" in stream.getvalue()[mark:]
    progress.run_done(run(passed()))


def test_a_dumb_terminal_gets_no_colors(monkeypatch):
    """Issue 14: TERM=dumb still got escape codes in the summary."""
    monkeypatch.setenv("TERM", "dumb")
    assert not ConsoleProgress(FakeTTY(), mode="auto").color


def test_a_terminal_without_a_size_is_not_zero_columns_wide(monkeypatch):
    """Issue 14: a 0x0 terminal cut job names to 'stat...'."""
    class SizelessTTY(FakeTTY):
        def fileno(self):
            return 2

    monkeypatch.setattr(os, "get_terminal_size", lambda fd=0: os.terminal_size((0, 0)))
    progress = ConsoleProgress(SizelessTTY(), mode="live", clock=FakeClock())
    assert progress._width() == 80


def test_run_warnings_are_said_once_even_when_quiet():
    stream = io.StringIO()
    progress = ConsoleProgress(stream, mode="quiet", clock=FakeClock())
    progress.run_started("demo", "mock", ["stats"], warnings=("the mock runs algorithms WITHOUT A SANDBOX: x",))
    assert stream.getvalue() == "WARNING: the mock runs algorithms WITHOUT A SANDBOX: x\n"
