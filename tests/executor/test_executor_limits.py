"""Duration limit, stop, log cap, provisioning failures (31/32) and the no-sandbox fallback."""
from __future__ import annotations

import os
import sys
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest

from executor_helpers import DATASET_A, SANDBOX_KINDS, admin_log, algorithm_log
from mockprovider import sandbox as sb
from mockprovider.executor import ExecutionRequest, Executor, InputDataset, Algorithm


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if token.encode() in Path("/proc", entry, "cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


def _wait_until_gone(token: str, bound: float = 10.0) -> list[int]:
    # Not a timing assertion: the kernel tears a PID namespace down asynchronously, so give it a
    # generous bound and report whatever is left.
    end = time.monotonic() + bound
    while _processes_with(token) and time.monotonic() < end:
        time.sleep(0.05)
    return _processes_with(token)


# Starts a grandchild that would outlive it, then hangs; the token marks both in /proc.
HANGING_ALGO = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{token}"])
print("child started", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_max_duration_kills_algorithm_and_children(kind, executors, make_request):
    token = f"c2d-test-{uuid.uuid4().hex}"
    request = make_request(HANGING_ALGO.format(token=token), max_duration=1.5)
    try:
        result = executors[kind].run(request)
        assert (result.status, result.stopreq) == (70, 2)
        assert b"child started" in algorithm_log(result)
        assert "maximum duration of 1.5s exceeded" in admin_log(result)
        assert _wait_until_gone(token) == []
    finally:
        for pid in _processes_with(token):
            os.kill(pid, 9)


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_stop_event_kills_and_publishes(kind, executors, make_request):
    token = f"c2d-test-{uuid.uuid4().hex}"
    stop = threading.Event()
    seen_running: list[int] = []

    def stop_once_grandchild_runs() -> None:
        # Stop only after the grandchild is visible on the host, which also proves that the
        # /proc scan used to check the kill really finds these processes.
        end = time.monotonic() + 30
        while not seen_running and time.monotonic() < end:
            seen_running.extend(_processes_with(token))
            time.sleep(0.05)
        stop.set()

    watcher = threading.Thread(target=stop_once_grandchild_runs)
    watcher.start()
    try:
        result = executors[kind].run(make_request(HANGING_ALGO.format(token=token)), stop=stop)
        assert seen_running
        assert (result.status, result.stopreq) == (70, 1)
        assert [r.type for r in result.results] == ["algorithmLog", "configrationLog"]
        assert "stop requested" in admin_log(result)
        assert _wait_until_gone(token) == []
    finally:
        stop.set()
        watcher.join()
        for pid in _processes_with(token):
            os.kill(pid, 9)


def test_stop_before_start_does_not_run(executors, make_request, tmp_path):
    stop = threading.Event()
    stop.set()
    marker = tmp_path / "ran"
    result = executors["none"].run(make_request(f"open({str(marker)!r}, 'w')"), stop=stop)
    assert (result.status, result.stopreq) == (70, 1)
    assert not marker.exists()


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_fifty_megabytes_of_log_are_capped_and_memory_stays_flat(kind, executors, make_request):
    cap = 1 << 20
    code = """
    import sys
    line = b"y" * 1023 + b"\\n"
    block = line * 1024
    for _ in range(50):
        sys.stdout.buffer.write(block)
    sys.stdout.flush()
    print("stderr after the flood", file=sys.stderr)
    """
    tracemalloc.start()
    try:
        result = executors[kind].run(make_request(code, max_log_bytes=cap))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.status, result.stopreq) == (70, 0)
    log = algorithm_log(result)
    assert cap < len(log) <= cap + 200
    assert log[:cap] == b"y" * 1023 + b"\n" + log[1024:cap]
    assert b"algorithm.log truncated at 1048576 bytes" in log[cap:]
    assert peak < 4 * 2**20                  # streamed in chunks, never accumulated (50 MB produced)
    assert "bytes dropped" in admin_log(result)


@pytest.mark.parametrize("problem", ["missing", "directory"])
def test_unreadable_dataset_file_is_status_31(problem, executors, make_request, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("ok")
    bad = tmp_path / "absent.csv"
    if problem == "directory":
        bad.mkdir()
    marker = tmp_path / "ran"
    request = make_request(f"open({str(marker)!r}, 'w')",
                           inputs=(InputDataset(DATASET_A, (good, bad), {"id": DATASET_A}),))
    seen: list[int] = []
    result = executors["none"].run(request, on_status=seen.append)
    assert (result.status, result.stopreq) == (31, 0)
    assert seen == [20]
    assert [r.type for r in result.results] == ["algorithmLog", "configrationLog"]
    log = admin_log(result)
    assert f"dataset {DATASET_A} file 1" in log and "provisioning failed (31)" in log
    assert str(tmp_path) not in log          # host paths never reach the consumer
    assert not marker.exists()


@pytest.mark.parametrize("code, entrypoint, reason", [
    ("", "python $ALGO", "algorithm code is empty"),
    ("   \n", "python $ALGO", "algorithm code is empty"),
    ("print(1)", "Rscript $ALGO", "no local runtime for entrypoint program 'Rscript'"),
    ("print(1)", "python '$ALGO", "entrypoint cannot be parsed"),
])
def test_algorithm_provisioning_failure_is_status_32(code, entrypoint, reason, executors, make_request):
    seen: list[int] = []
    result = executors["none"].run(make_request(code, entrypoint=entrypoint), on_status=seen.append)
    assert (result.status, result.stopreq) == (32, 0)
    assert seen == [20]
    assert [r.type for r in result.results] == ["algorithmLog", "configrationLog"]
    assert reason in admin_log(result)


def test_multiword_runtime_key_and_shebang_algorithm(executors, make_request):
    # The longest matching key wins; `$ALGO` alone runs the file through its shebang.
    request = make_request("import os; open(os.environ['OUTPUTS'] + '/x', 'w').write('y')",
                           entrypoint="python -u $ALGO", command_map={"python": "/nonexistent",
                                                                      "python -u": sys.executable})
    assert [r.filename for r in executors["none"].run(request).results][0] == "x"
    shebang = make_request("#!/bin/sh\necho from-shebang > \"$OUTPUTS/s\"\n", entrypoint="$ALGO",
                           command_map={})
    result = executors["none"].run(shebang)
    assert result.results[0].path.read_text() == "from-shebang\n"


def test_no_bwrap_falls_back_loudly_and_still_runs(monkeypatch, make_request):
    real_which = sb.shutil.which
    monkeypatch.setattr(sb.shutil, "which", lambda name: None if name == "bwrap" else real_which(name))
    executor = Executor(sandbox="auto")
    assert executor.sandbox_kind == "none"
    assert "FALLING BACK TO NO SANDBOX" in executor.sandbox_warning
    with pytest.raises(sb.SandboxUnavailable):
        Executor(sandbox="bwrap")
    result = executor.run(make_request("import os; open(os.environ['OUTPUTS'] + '/r', 'w').write('ok')"))
    assert (result.status, [r.filename for r in result.results]) == (70, ["r", "algorithm.log", "configure.log"])
    assert "WARNING: bubblewrap unusable" in admin_log(result)


def test_explicit_none_also_warns():
    executor = Executor(sandbox="none")
    assert executor.sandbox_kind == "none" and "sandbox disabled" in executor.sandbox_warning
    with pytest.raises(ValueError):
        Executor(sandbox="docker")


def test_did_that_could_climb_out_of_data_is_rejected():
    with pytest.raises(ValueError):
        InputDataset("did:op:../../etc", (), {})
    with pytest.raises(ValueError):
        Algorithm("did:op:a/b", (b"x",), None, "python $ALGO", {})


def test_reused_job_dir_is_refused(executors, make_request):
    request = make_request("print(1)")
    executors["none"].run(request)
    with pytest.raises(FileExistsError):
        executors["none"].run(request)


def test_request_is_frozen(make_request):
    request = make_request("print(1)")
    assert isinstance(request, ExecutionRequest)
    with pytest.raises(AttributeError):
        request.max_duration = 5  # type: ignore[misc]


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_concurrent_jobs_share_one_executor(kind, executors, make_request):
    # The server runs jobs on a thread pool with one Executor; jobs must not see each other.
    from concurrent.futures import ThreadPoolExecutor

    code = """
    import os
    names = os.listdir(os.environ["OUTPUTS"])
    open(os.path.join(os.environ["OUTPUTS"], "seen"), "w").write(",".join(names))
    open(os.path.join(os.environ["OUTPUTS"], "mine"), "w").write(os.environ["secret"])
    """
    requests = [make_request(code) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(executors[kind].run, requests))
    secrets = set()
    for request, result in zip(requests, results):
        assert result.status == 70
        by_name = {r.filename: r for r in result.results}
        assert by_name["seen"].path.read_text() == ""
        assert request.job_dir in by_name["mine"].path.parents
        secrets.add(by_name["mine"].path.read_text())
    assert len(secrets) == 6
