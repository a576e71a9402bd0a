"""The v2 (Ocean Node) layout: what the algorithm sees, URL datasets, outputs.tar and the logs."""
from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest

from executor_helpers import BWRAP_REASON, SANDBOX_KINDS, bwrap_available, v2_outputs, v2_result
from mockprovider import dockerlog
from mockprovider.executor import Executor, InputDataset, UrlFile
from tests.loopback import serve

PROBE = Path(__file__).parent / "algorithms" / "probe.py"
ALGORITHMS = Path(__file__).parents[2] / "mockprovider" / "worlds" / "default" / "algorithms"
DATA_CSV = b"x,y\n1,2\n"
needs_bwrap = pytest.mark.skipif(not bwrap_available(), reason=BWRAP_REASON)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.seen.append(self.path)
        name = self.path.split("?")[0]
        if name == "/slow.csv":
            self.server.release.wait(30)
            return
        body = {"/data.csv": DATA_CSV, "/big.bin": b"b" * 4096, "/dir/": b"listing"}.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def data_server():
    """A loopback HTTP server for URL datasets; records every path it was asked for."""
    with serve(_Handler) as (server, url):
        server.seen, server.release = [], threading.Event()
        try:
            yield server, url
        finally:
            server.release.set()  # a handler held by a test must not block the shutdown


def _url_input(url: str, userdata=None) -> InputDataset:
    return InputDataset(None, (UrlFile(url),), None, userdata=userdata)


# ---------------------------------------------------------------- the probe (parity)

PROBE_REQUEST = {"algocustomdata": {"greeting": "hello", "n": 42, "nested": {"list": [1, 2.5, "x"]},
                                    "unicode": "héllo"},
                 "envs": {"MY_ENV_VAR": "my-value"}}


@needs_bwrap
def test_probe_sees_the_node_layout(executors, make_v2_request, data_server):
    _server, base = data_server
    request = make_v2_request(PROBE.read_text(), inputs=(_url_input(f"{base}/data.csv"),), **PROBE_REQUEST)
    result = executors["bwrap"].run(request)
    assert (result.status, result.exit_code) == (70, 0)
    report = json.loads(v2_outputs(result)["outputs/probe.json"])
    custom = json.dumps(PROBE_REQUEST["algocustomdata"], separators=(",", ":"), ensure_ascii=False)
    readonly = {"mode": "0o644", "writable": False}
    assert report["argv"] == ["data/transformations/algorithm"] and report["cwd"] == "/"
    assert (report["uid"], report["gid"]) == (1000, 1000)
    assert report["env"] == {"HOME": "/", "HOSTNAME": "<12 hex>", "LC_CTYPE": "C.UTF-8",
                             "MY_ENV_VAR": "my-value",
                             "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
    assert report["algoCustomData"] == custom
    assert report["inputs"] == {
        "algoCustomData.json": {**readonly, "sha256": hashlib.sha256(custom.encode()).hexdigest(),
                                "size": len(custom.encode())},
        "data.csv": {**readonly, "sha256": hashlib.sha256(DATA_CSV).hexdigest(), "size": len(DATA_CSV)}}
    assert report["transformations"]["algorithm"]["sha256"] == hashlib.sha256(PROBE.read_bytes()).hexdigest()
    assert report["transformations"]["algorithm"]["writable"] is False
    assert report["ddos"] == {} and set(report["logs"]) == {"configuration.log", "image.log"}
    assert report["data"]["mode"] == "0o777" and set(report["folder_modes"].values()) == {"0o777"}
    assert report["network"] == {"loopback_18000": "ECONNREFUSED", "bridge_10_88_0_1": "ENETUNREACH"}
    stderr = dockerlog.text_of(v2_result(result, "algorithm.log"), dockerlog.STDERR)
    assert stderr == b"probe: done\n"


@needs_bwrap
def test_provisioned_files_cannot_be_changed(executors, make_v2_request):
    result = executors["bwrap"].run(make_v2_request("""
        import os
        results = []
        for path in ("/data/inputs/data.csv", "/data/transformations/algorithm",
                     "/data/inputs/algoCustomData.json", "/data/logs/configuration.log"):
            for attempt in (lambda: open(path, "a"), lambda: os.chmod(path, 0o666), lambda: os.unlink(path)):
                try:
                    attempt()
                    results.append("changed " + path)
                except OSError:
                    pass
        print(results or "all refused", flush=True)
    """))
    assert dockerlog.text_of(v2_result(result, "algorithm.log")) == b"all refused\n"


# ---------------------------------------------------------------- URL datasets

@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_url_dataset_is_named_by_its_last_segment_with_userdata(kind, executors, make_v2_request, data_server):
    server, base = data_server
    request = make_v2_request("print('ok')", inputs=(_url_input(f"{base}/data.csv?a=1",
                                                                {"b": "two words", "n": 1.0, "t": True}),))
    result = executors[kind].run(request)
    assert result.status == 70
    assert server.seen == ["/data.csv?a=1&b=two+words&n=1&t=true"]
    assert (request.job_dir / "data" / "inputs" / "data.csv").read_bytes() == DATA_CSV


@pytest.mark.parametrize("path, options, reason", [
    ("/missing.csv", {}, "Request failed with status code 404"),
    ("/big.bin", {"fetch_max_bytes": 1000}, "file larger than the mock's cap of 1000 bytes"),
    ("/slow.csv", {"fetch_timeout": 0.5}, "timeout of 500ms exceeded"),
])
def test_url_fetch_failure_ends_at_31(path, options, reason, make_v2_request, data_server):
    _server, base = data_server
    executor = Executor(sandbox="none", **options)
    result = executor.run(make_v2_request("print('never')", inputs=(_url_input(base + path),)))
    assert result.status == 31 and result.exit_code is None and reason in result.reason
    name = path.strip("/")
    log = v2_result(result, "configuration.log").decode()
    assert log.splitlines()[-1] == (f"Unable to write input data to path: ./c2d_storage/{result_job(result)}"
                                    f"/data/inputs/{name}: {reason}")
    assert [(r.filename, r.filesize) for r in result.results][2] == ("algorithm.log", 0)
    assert [r.filename for r in result.results] == ["image.log", "configuration.log", "algorithm.log"]


def result_job(result) -> str:
    """The job id a v2 result's files name (the job folder's name in these tests)."""
    return result.results[0].path.parent.parent.name


def test_url_without_a_file_name_ends_at_31(executors, make_v2_request, data_server):
    _server, base = data_server
    result = executors["none"].run(make_v2_request("pass", inputs=(_url_input(f"{base}/"),)))
    assert result.status == 31 and "no file name" in result.reason


def test_unreachable_url_ends_at_31(executors, make_v2_request):
    # A port nobody listens on: bind one, note it, close it.
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = executors["none"].run(make_v2_request("pass", inputs=(_url_input(f"http://127.0.0.1:{port}/x.csv"),)))
    assert result.status == 31 and result.reason == f"input x.csv: connect ECONNREFUSED 127.0.0.1:{port}"


def test_a_later_input_with_the_same_name_replaces_the_earlier(executors, make_v2_request, tmp_path):
    a, b = tmp_path / "a" / "same.csv", tmp_path / "b" / "same.csv"
    for path, text in ((a, "first\n"), (b, "second\n")):
        path.parent.mkdir()
        path.write_text(text)
    request = make_v2_request("pass", inputs=(InputDataset(None, (a,), None), InputDataset(None, (b,), None)))
    result = executors["none"].run(request)
    assert result.status == 70
    assert (request.job_dir / "data" / "inputs" / "same.csv").read_text() == "second\n"


# ---------------------------------------------------------------- results

@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_results_in_the_node_order_with_its_types(kind, executors, make_v2_request):
    result = executors[kind].run(make_v2_request("print('hi')"))
    assert [(r.filename, r.type) for r in result.results] == [
        ("image.log", "imageLog"), ("configuration.log", "configurationLog"),
        ("algorithm.log", "algorithmLog"), ("outputs.tar", "output")]
    assert v2_result(result, "image.log") == b"Successfully pulled image: python:3.11\n"
    config = v2_result(result, "configuration.log").decode().splitlines()
    assert config[0] == "Writing algocustom data to '/data/inputs/algoCustomData.json'"
    assert config[-1] == "All good with data provisioning, will start uploading it..."


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_outputs_cannot_escape_the_archive(kind, executors, make_v2_request):
    result = executors[kind].run(make_v2_request("""
        import os
        out = "data/outputs"  # relative: never the host's /data when there is no sandbox
        os.makedirs(os.path.join(out, "sub"))
        open(os.path.join(out, "sub", "kept.txt"), "w").write("kept")
        os.symlink("/etc/passwd", os.path.join(out, "passwd"))
        os.symlink("..", os.path.join(out, "up"))
        os.mkfifo(os.path.join(out, "fifo"))
        open(os.path.join(out, "a"), "w").write("a")
        os.link(os.path.join(out, "a"), os.path.join(out, "b"))
    """))
    raw = v2_result(result, "outputs.tar")
    assert raw[257:265] == b"ustar\x0000"       # POSIX ustar, as Docker's archive
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {"outputs", "outputs/sub", "outputs/sub/kept.txt"}
    assert all(m.isfile() or m.isdir() for m in members.values())
    assert {(m.uid, m.gid) for m in members.values()} == {(1000, 1000)}
    log = v2_result(result, "configuration.log").decode()
    for name in ("passwd", "up", "fifo", "a", "b"):
        assert f"not archived: outputs/{name}" in log


# ---------------------------------------------------------------- the default world's algorithms

@needs_bwrap
@pytest.mark.parametrize("algorithm, output", [("stats.py", "stats.json"), ("wordcount.py", "wordcount.json")])
def test_default_algorithms_read_the_v2_layout(algorithm, output, executors, make_v2_request, tmp_path):
    data = tmp_path / "iris.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    request = make_v2_request((ALGORITHMS / algorithm).read_text(), inputs=(InputDataset(None, (data,), None),),
                              algocustomdata={"precision": 2})
    result = executors["bwrap"].run(request)
    assert (result.status, result.exit_code) == (70, 0)
    report = json.loads(v2_outputs(result)[f"outputs/{output}"])
    if output == "stats.json":
        assert report["datasets"]["inputs"]["iris.csv"]["rows"] == 2 and report["precision"] == 2
    else:
        assert report == {"files": {"iris.csv": 2}, "top": [["a", 1], ["b", 1]], "total": 2}
