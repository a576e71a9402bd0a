"""The v2 (Ocean Node) runtime's limits: memory, processes, disk, duration, stop, exit codes."""
from __future__ import annotations

import threading

import pytest

from executor_helpers import SANDBOX_KINDS, v2_result
from mockprovider import dockerlog
from mockprovider import limits as job_limits
from mockprovider.executor import Executor, Resources, algorithm_log_path, v2_result_files

MiB = 1 << 20


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_memory_past_the_ram_amount_is_oom_killed(kind, executors, make_v2_request):
    executor = executors[kind]
    request = make_v2_request("""
        import sys
        print("allocating", flush=True)
        blocks = [bytearray(16 << 20) for _ in range(32)]   # 512 MiB, every page touched
        print("survived", len(blocks), flush=True)
    """, resources=Resources(ram_bytes=64 * MiB, cpus=1))
    result = executor.run(request)
    out = dockerlog.text_of(v2_result(result, "algorithm.log"), dockerlog.STDOUT)
    assert b"survived" not in out
    if executor.limit_support.memory == job_limits.RLIMIT:
        # Honest fallback: the allocation fails inside the algorithm; the warning says so.
        assert result.exit_code not in (0, None) and result.oom_killed is False
        assert "RLIMIT_AS" in executor.limits_warning
    else:
        assert (result.status, result.exit_code, result.oom_killed) == (70, 137, True)


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_a_job_within_its_memory_is_not_flagged(kind, executors, make_v2_request):
    result = executors[kind].run(make_v2_request("x = bytearray(8 << 20)\nprint('ok')",
                                                 resources=Resources(ram_bytes=256 * MiB)))
    assert (result.status, result.exit_code, result.oom_killed) == (70, 0, False)


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_process_limit_stops_a_fork_bomb(kind, executors, make_v2_request):
    executor = executors[kind]
    if executor.limit_support.pids == job_limits.NOT_ENFORCED:
        pytest.skip("no pids cgroup here and RLIMIT_NPROC does not bind root: " + executor.limits_warning)
    request = make_v2_request("""
        import errno, os, time
        children = 0
        failure = None
        for _ in range(200):
            try:
                pid = os.fork()
            except OSError as exc:
                failure = errno.errorcode.get(exc.errno)
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children += 1
        print(children, failure, flush=True)
    """, resources=Resources(ram_bytes=1 << 30, max_processes=16))
    result = executor.run(request)
    children, failure = dockerlog.text_of(v2_result(result, "algorithm.log")).split()
    assert failure == b"EAGAIN" and 0 < int(children) < 16
    assert result.exit_code == 0


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_disk_past_the_amount_ends_at_42(kind, executors, make_v2_request):
    request = make_v2_request("""
        import os, time
        folder = "data/outputs"  # relative: the v2 cwd is / in the sandbox and the job folder without one
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "big.bin"), "wb") as fh:
            for _ in range(8):
                fh.write(b"x" * (1 << 20))
                fh.flush()
        print("written", flush=True)
        time.sleep(60)
    """, resources=Resources(ram_bytes=1 << 30, disk_bytes=2 * MiB))
    result = executors[kind].run(request)
    # As a real node: 42, no terminationDetails, and no outputs.tar.
    assert (result.status, result.exit_code, result.oom_killed, result.reason) == (
        42, None, None, "disk quota exceeded")
    assert [r.filename for r in result.results] == ["image.log", "configuration.log", "algorithm.log"]


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_max_duration_kills_with_137(kind, executors, make_v2_request):
    result = executors[kind].run(make_v2_request("import time\nprint('sleeping', flush=True)\ntime.sleep(60)",
                                                 max_duration=1.0))
    assert (result.status, result.stopreq, result.exit_code, result.oom_killed) == (70, 2, 137, False)
    assert b"sleeping" in dockerlog.text_of(v2_result(result, "algorithm.log"))


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_stop_kills_with_137(kind, executors, make_v2_request):
    stop = threading.Event()

    def on_status(status: int) -> None:
        if status == 40:
            stop.set()

    result = executors[kind].run(make_v2_request("import time\ntime.sleep(60)"), on_status=on_status, stop=stop)
    assert (result.status, result.stopreq, result.exit_code) == (70, 1, 137)


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
@pytest.mark.parametrize("code, expected", [
    ("pass", 0),
    ("import sys\nsys.exit(3)", 3),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)", 128 + 15),
    ("raise SystemExit('boom')", 1),
])
def test_exit_codes_are_reported_as_docker_does(kind, code, expected, executors, make_v2_request):
    result = executors[kind].run(make_v2_request(code))
    assert (result.status, result.exit_code, result.oom_killed) == (70, expected, False)


def test_statuses_in_order_live_log_and_results_while_running(executors, make_v2_request):
    request = make_v2_request("print('hi', flush=True)")
    live = algorithm_log_path(request)
    seen = []

    def on_status(status: int) -> None:
        seen.append((status, live.exists(), [r.filename for r in v2_result_files(request.job_dir)]))

    result = executors["none"].run(request, on_status=on_status)
    logs = ["image.log", "configuration.log"]
    assert seen == [(20, False, []), (30, False, ["image.log"]), (40, True, logs),
                    (60, False, logs + ["algorithm.log"])]
    assert [r.filename for r in v2_result_files(request.job_dir)] == [r.filename for r in result.results]
    assert dockerlog.text_of(v2_result(result, "algorithm.log")) == b"hi\n"


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_algorithm_log_is_framed_by_stream(kind, executors, make_v2_request):
    result = executors[kind].run(make_v2_request("""
        import sys
        print("out one", flush=True)
        print("err one", file=sys.stderr, flush=True)
        print("out two", flush=True)
    """))
    frames = dockerlog.demux(v2_result(result, "algorithm.log"))
    assert {stream for stream, _ in frames} == {1, 2}
    assert b"".join(d for s, d in frames if s == 1) == b"out one\nout two\n"
    assert b"".join(d for s, d in frames if s == 2) == b"err one\n"


def test_log_cap_keeps_whole_frames(executors, make_v2_request):
    result = executors["none"].run(make_v2_request("for i in range(2000): print('x' * 100, flush=True)",
                                                   max_log_bytes=4096))
    frames = dockerlog.demux(v2_result(result, "algorithm.log"))  # raises on a torn frame
    assert frames[-1][0] == 2 and b"truncated" in frames[-1][1]


def test_without_cgroups_memory_falls_back_to_rlimit_as(make_v2_request):
    executor = Executor(sandbox="none")
    executor.limit_support = job_limits.LimitSupport(job_limits.RLIMIT, job_limits.NOT_ENFORCED,
                                                     job_limits.NOT_ENFORCED)
    result = executor.run(make_v2_request("x = bytearray(512 << 20)\nprint('survived')",
                                          resources=Resources(ram_bytes=256 * MiB)))
    stderr = dockerlog.text_of(v2_result(result, "algorithm.log"), dockerlog.STDERR)
    assert (result.exit_code, result.oom_killed) == (1, False) and b"MemoryError" in stderr


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_empty_code_runs_and_fails_as_on_a_node(kind, executors, make_v2_request):
    result = executors[kind].run(make_v2_request(""))
    assert (result.status, result.exit_code) == (70, 2)      # python: can't open file
    assert b"can't open file" in dockerlog.text_of(v2_result(result, "algorithm.log"), dockerlog.STDERR)
    assert "Could not extract any files object from the compute algorithm, skipping..." in \
        v2_result(result, "configuration.log").decode()
