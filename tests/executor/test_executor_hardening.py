"""Issue 12's sandbox holes: nested user namespaces, host paths in /proc/1/cmdline, total output size."""
from __future__ import annotations

import pytest

from executor_helpers import BWRAP_REASON, admin_log, bwrap_available, read_report
from mockprovider import sandbox as sb
from mockprovider.executor import Executor

needs_bwrap = pytest.mark.skipif(not bwrap_available(), reason=BWRAP_REASON)

PROBE = """
import ctypes, json, os
cmdline = open("/proc/1/cmdline", "rb").read().decode("utf-8", "replace")
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
nested = "allowed" if libc.unshare(CLONE_NEWUSER) == 0 else "refused: " + os.strerror(ctypes.get_errno())
fds = sorted(os.listdir("/proc/self/fd"))
json.dump({"cmdline": cmdline, "nested": nested, "fds": fds}, open("/data/outputs/report.json", "w"))
"""


@needs_bwrap
def test_job_sees_no_host_path_and_cannot_nest_user_namespaces(executors, make_request, tmp_path):
    request = make_request(PROBE)
    report = read_report(executors["bwrap"].run(request))
    # The job folder, its id and the state dir reach bwrap through --args FD, not its argv.
    assert str(tmp_path) not in report["cmdline"] and request.job_id not in report["cmdline"]
    assert report["cmdline"].split("\0")[1:3] == ["--args", report["cmdline"].split("\0")[2]]
    if sb._bwrap_supports("--disable-userns"):
        assert report["nested"].startswith("refused"), report
    # bwrap closed the options file before the job started: only stdio (and the listing's own fd) remain.
    assert len(report["fds"]) <= 4


def test_outputs_past_the_total_cap_are_not_published(make_request, tmp_path):
    executor = Executor(sandbox="none", limits=sb.ResourceLimits(max_output_bytes=2500))
    code = """
    import os
    for name in ("a.bin", "b.bin", "c.bin"):
        open(os.environ["OUTPUTS"] + "/" + name, "wb").write(b"x" * 1000)
    """
    result = executor.run(make_request(code))
    outputs = [r.filename for r in result.results if r.type == "output"]
    assert outputs == ["a.bin", "b.bin"]
    assert "outputs/'c.bin': the job's outputs would exceed 2500 bytes in total" in admin_log(result)


FORK_BOMB = """
import json, os, time
children, error = 0, None
for _ in range(700):
    try:
        pid = os.fork()
    except OSError as exc:
        error = exc.strerror
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children += 1
json.dump({"children": children, "error": error}, open(os.environ["OUTPUTS"] + "/report.json", "w"))
"""


def test_a_v1_fork_bomb_stops_at_the_nodes_process_limit(executors, make_request):
    from mockprovider.executor import V1_MAX_PROCESSES

    executor = executors.get("bwrap") or executors["none"]
    if executor.limit_support.pids not in ("cgroup-v1", "cgroup-v2"):
        pytest.skip(f"no pids cgroup here ({executor.limit_support.pids}): the limit is not enforced")
    report = read_report(executor.run(make_request(FORK_BOMB, max_duration=20)))
    assert report["error"] is not None and report["children"] < V1_MAX_PROCESSES, report
