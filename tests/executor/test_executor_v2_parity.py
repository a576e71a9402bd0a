"""Parity with a real Ocean Node: the probe algorithm sees and produces the same on the mock.

The expectations in tests/executor/parity/ were recorded on a real node (see its README).
Everything the node does deterministically is compared byte for byte; only the Podman-only
details named in the README are taken out of the recording first.
"""
from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from executor_helpers import BWRAP_REASON, bwrap_available, v2_outputs, v2_result
from mockprovider import dockerlog
from mockprovider.executor import InputDataset, UrlFile
from tests.loopback import serve
from test_executor_v2_layout import PROBE

RECORDED = Path(__file__).parent / "parity"
PODMAN_ONLY_ENV = ("TERM", "container")
REQUEST = {"algocustomdata": {"greeting": "hello", "n": 42, "nested": {"list": [1, 2.5, "x"]},
                              "unicode": "héllo"},
           "envs": {"MY_ENV_VAR": "my-value"}}
_FOLDER = re.compile(r"\./c2d_storage/\S+?/data/")

pytestmark = pytest.mark.skipif(not bwrap_available(), reason=BWRAP_REASON)


def _node_probe_text() -> str:
    """The node's probe.json without the Podman-only variables, re-serialised as the probe does."""
    recorded = (RECORDED / "node-probe.json").read_text(encoding="utf-8")
    report = json.loads(recorded)
    assert json.dumps(report, indent=1, sort_keys=True) + "\n" == recorded  # the re-dump is exact
    for name in PODMAN_ONLY_ENV:
        del report["env"][name]
    return json.dumps(report, indent=1, sort_keys=True) + "\n"


@pytest.fixture(scope="module")
def probe_run(executors, tmp_path_factory):
    """One probe job on the mock with the recorded request and dataset bytes."""
    import http.server

    served = (RECORDED / "served-data.csv").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(served)))
            self.end_headers()
            self.wfile.write(served)

        def log_message(self, *args) -> None:
            pass

    with serve(Handler) as (_, base):
        from mockprovider.executor import LAYOUT_V2, Algorithm, ExecutionRequest, Resources
        from executor_helpers import PYTHON_MAP
        job_dir = tmp_path_factory.mktemp("parity") / "job"
        url = f"{base}/data.csv"
        request = ExecutionRequest(
            "0xcluster/rawjob", job_dir, (InputDataset(None, (UrlFile(url),), None),),
            Algorithm(None, (PROBE.read_bytes(),), None, "python $ALGO", PYTHON_MAP),
            REQUEST["algocustomdata"], 600.0, False, layout=LAYOUT_V2, envs=REQUEST["envs"],
            resources=Resources(ram_bytes=1 << 30, cpus=1, disk_bytes=1 << 30),
            image="localhost:5000/python:3.11")
        yield executors["bwrap"].run(request)


def test_probe_json_is_byte_identical(probe_run):
    assert (probe_run.status, probe_run.exit_code, probe_run.oom_killed) == (70, 0, False)
    assert v2_outputs(probe_run)["outputs/probe.json"].decode("utf-8") == _node_probe_text()


def test_algorithm_log_has_the_nodes_frames(probe_run):
    node = dockerlog.demux((RECORDED / "node-algorithm.log").read_bytes())
    podman = tuple(f' "{name}": ' for name in PODMAN_ONLY_ENV)
    node = [(s, d) for s, d in node if not d.decode().lstrip().startswith(tuple(p.strip() for p in podman))]
    mock = dockerlog.demux(v2_result(probe_run, "algorithm.log"))
    # The last variable before the Podman ones loses its trailing comma in the mock's JSON.
    assert [(s, d.rstrip(b",\n")) for s, d in mock] == [(s, d.rstrip(b",\n")) for s, d in node]
    assert len(mock) == len(node) and {s for s, _ in mock} == {1, 2}


def test_configuration_log_matches_but_for_the_storage_folder(probe_run):
    node = _FOLDER.sub("./c2d_storage/<job>/data/", (RECORDED / "node-configuration.log").read_text())
    mock = _FOLDER.sub("./c2d_storage/<job>/data/", v2_result(probe_run, "configuration.log").decode())
    assert mock == node


def test_outputs_tar_has_the_nodes_entries_and_size(probe_run):
    recorded = json.loads((RECORDED / "node-outputs-tar.json").read_text())
    for member in recorded["members"]:          # probe.json is shorter by the Podman variables
        if member[0] == "outputs/probe.json":
            member[5] = len(_node_probe_text().encode())
    raw = v2_result(probe_run, "outputs.tar")
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = [[m.name, oct(m.mode), m.uid, m.gid, m.type.decode(), m.size] for m in tar.getmembers()]
    assert members == recorded["members"] and len(raw) == recorded["size"]
