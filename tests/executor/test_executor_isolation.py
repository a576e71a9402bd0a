"""What the sandbox denies (network, writes outside /data, host files) and what publishing refuses."""
from __future__ import annotations

import os
import socket
import uuid

import pytest

from executor_helpers import BWRAP_REASON, SANDBOX_KINDS, admin_log, bwrap_available, read_report

needs_bwrap = pytest.mark.skipif(not bwrap_available(), reason=BWRAP_REASON + " (the 'none' fallback "
                                 "does not isolate the network or the filesystem, by design)")

CONNECT_ALGO = """
import json, os, socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
    outcome = "connected"
except OSError as exc:
    outcome = "refused: " + type(exc).__name__
json.dump({{"outcome": outcome}}, open(os.environ["OUTPUTS"] + "/report.json", "w"))
"""


@pytest.fixture
def listener():
    """A loopback TCP listener the algorithm tries to reach."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    yield server.getsockname()[1]
    server.close()


@needs_bwrap
def test_network_denied_unless_allowed(executors, make_request, listener):
    denied = executors["bwrap"].run(make_request(CONNECT_ALGO.format(port=listener), allow_network=False))
    assert read_report(denied)["outcome"].startswith("refused")
    allowed = executors["bwrap"].run(make_request(CONNECT_ALGO.format(port=listener), allow_network=True))
    assert read_report(allowed)["outcome"] == "connected"


@needs_bwrap
def test_writes_outside_data_and_host_files_are_out_of_reach(executors, make_request, tmp_path):
    token = uuid.uuid4().hex
    code = f"""
    import json, os
    results = {{}}
    def attempt(label, fn):
        try:
            fn()
            results[label] = "ok"
        except OSError as exc:
            results[label] = type(exc).__name__
    attempt("tmp", lambda: open("/tmp/escape-{token}", "w").write("x"))
    attempt("etc", lambda: open("/etc/escape-{token}", "w").write("x"))
    attempt("usr", lambda: open("/usr/escape-{token}", "w").write("x"))
    attempt("parent", lambda: open("/data/../escape-{token}", "w").write("x"))
    attempt("job_parent", lambda: open({str(tmp_path)!r} + "/escape-{token}", "w").write("x"))
    attempt("shadow", lambda: open("/etc/shadow").read())
    attempt("hostname", lambda: open("/etc/hostname").read())
    attempt("root_home", lambda: os.listdir("/root/.ssh"))
    results["passwd"] = open("/etc/passwd").read()
    results["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    results["uid"] = os.getuid()
    json.dump(results, open(os.environ["OUTPUTS"] + "/report.json", "w"))
    """
    result = executors["bwrap"].run(make_request(code))
    report = read_report(result)
    assert report["tmp"] == "ok"                      # a private tmpfs, not the host's /tmp
    assert not os.path.exists(f"/tmp/escape-{token}")
    assert report["etc"] != "ok" and report["usr"] != "ok"
    assert not os.path.exists(f"/etc/escape-{token}") and not os.path.exists(f"/usr/escape-{token}")
    assert not any(p.name.startswith("escape-") for p in tmp_path.rglob("*"))
    assert report["job_parent"] != "ok"
    assert report["shadow"] == "FileNotFoundError" and report["hostname"] == "FileNotFoundError"
    assert report["root_home"] == "FileNotFoundError"
    assert "root:" not in report["passwd"] and report["passwd"].startswith("algorithm:x:1000:")
    assert report["uid"] == 1000
    assert max(report["pids"]) < 10                   # its own PID namespace: no host processes


TRICKS_ALGO = """
import os
out = os.environ["OUTPUTS"]
open(os.path.join(out, "good.txt"), "w").write("fine")
os.symlink("/etc/passwd", os.path.join(out, "passwd"))
os.symlink("../../../../../../etc/passwd", os.path.join(out, "relative-link"))
open(os.path.join(out, "..evil"), "w").write("dots")
open(os.path.join(out, "bad\\nname"), "w").write("newline")
open(os.path.join(out, "linked.txt"), "w").write("two names")
os.link(os.path.join(out, "linked.txt"), os.path.join(out, "hardlink"))
os.mkdir(os.path.join(out, "folder"))
print("tricks laid")
"""


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_publishing_refuses_links_dots_and_folders(kind, executors, make_request):
    result = executors[kind].run(make_request(TRICKS_ALGO))
    # Both names of a hard-linked file are refused: without bwrap one could alias a host file.
    assert [r.filename for r in result.results] == ["good.txt", "algorithm.log", "configure.log"]
    for item in result.results:
        assert item.path.resolve().is_relative_to(item.path.parents[2])
        assert b"root:x:0:0" not in item.path.read_bytes()
    log = admin_log(result)
    for name, reason in (("passwd", "symbolic link"), ("relative-link", "symbolic link"),
                         ("..evil", "'..'"), ("bad\\nname", "control characters"),
                         ("folder", "not a regular file"), ("hardlink", "hard links")):
        assert name in log and reason in log


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_outputs_folder_replaced_by_symlink_publishes_nothing(kind, executors, make_request):
    code = """
    import os, shutil
    shutil.rmtree(os.environ["OUTPUTS"])
    os.symlink("/etc", os.environ["OUTPUTS"])
    os.remove(os.environ["LOGS"] + "/algorithm.log")
    os.symlink("/etc/passwd", os.environ["LOGS"] + "/algorithm.log")
    """
    result = executors[kind].run(make_request(code))
    assert result.status == 70
    assert [r.filename for r in result.results] == ["configure.log"]
    log = admin_log(result)
    assert "outputs/ is not a real folder" in log
    assert "'algorithm.log': symbolic link" in log


LIMITS_ALGO = """
import errno, json, os, resource
report = {"core": resource.getrlimit(resource.RLIMIT_CORE)[0],
          "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
          "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}
try:
    with open(os.environ["OUTPUTS"] + "/big", "wb") as f:
        f.write(b"z" * (3 * 2**20))
    report["big"] = "ok"
except OSError as exc:
    report["big"] = errno.errorcode[exc.errno]
if os.path.isdir("/tmp") and os.environ["VOLUME"] == "/data":
    report["tmp_mode"] = oct(os.stat("/tmp").st_mode & 0o7777)
    try:
        for i in range(12):                      # 6 MiB in files under the 1 MiB RLIMIT_FSIZE
            with open(f"/tmp/fill{i}", "wb") as f:
                f.write(b"t" * 2**19)
        report["tmp_fill"] = "ok"
    except OSError as exc:
        report["tmp_fill"] = errno.errorcode[exc.errno]
json.dump(report, open(os.environ["OUTPUTS"] + "/report.json", "w"))
"""


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_resource_limits_apply(kind, make_request):
    from mockprovider import sandbox as sb
    from mockprovider.executor import Executor

    limits = sb.ResourceLimits(max_file_bytes=2**20, max_open_files=256, tmp_bytes=4 * 2**20)
    result = Executor(sandbox=kind, limits=limits).run(make_request(LIMITS_ALGO))
    report = read_report(result)
    assert (report["core"], report["fsize"], report["nofile"]) == (0, 2**20, 256)
    assert report["big"] == "EFBIG"
    big = next(r for r in result.results if r.filename == "big")
    assert big.filesize == 2**20
    if kind == "bwrap":
        assert report["tmp_mode"] == "0o1777"
        assert report["tmp_fill"] == "ENOSPC"          # /tmp is a size-capped private tmpfs


@needs_bwrap
def test_sandbox_has_its_own_loopback(executors, make_request):
    code = """
    import json, os, socket
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
    socket.create_connection(server.getsockname(), timeout=5).close()
    json.dump({"ok": True}, open(os.environ["OUTPUTS"] + "/report.json", "w"))
    """
    assert read_report(executors["bwrap"].run(make_request(code)))["ok"] is True
