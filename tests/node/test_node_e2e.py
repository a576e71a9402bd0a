"""End to end on the mock's Ocean Node flavour: `c2d run` / `c2d plan` of node specs (URL and DID
datasets, raw and published algorithms, envs, exit codes, unpacked outputs), and the seed API."""
from __future__ import annotations

import functools
import http.server
import json
import textwrap
from pathlib import Path

import pytest

from tests.engine.conftest import runs_of
from tests.engine.test_run import c2d
from tests.loopback import serve

IRIS = "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"
STATS = "did:op:06021804ada2eff0cbd121bc1a4074fef2ac069a86a27a81e68019358a1c5c92"
CONTAINER = "{entrypoint: python $ALGO, image: python, tag: '3.11'}"
ALGO = """\
import json, os, sys
rows = open('/data/inputs/data.csv').read().splitlines()
print(f"read {len(rows)} lines; mode={os.environ.get('MODE')}")
print('a warning', file=sys.stderr)
os.makedirs('/data/outputs/sub', exist_ok=True)
json.dump({'rows': len(rows) - 1, 'custom': json.load(open('/data/inputs/algoCustomData.json'))},
          open('/data/outputs/result.json', 'w'))
open('/data/outputs/sub/nested.txt', 'w').write('nested output')
"""


@pytest.fixture
def data_url(tmp_path):
    """A loopback HTTP server with data.csv (what the node downloads for a URL dataset)."""
    folder = tmp_path / "www"
    folder.mkdir()
    (folder / "data.csv").write_text("a,b,c\n1,2,3\n4,5,6\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    with serve(functools.partial(Quiet, directory=str(folder))) as (_, url):
        yield url


def spec(tmp_path: Path, jobs: str) -> Path:
    (tmp_path / "algo.py").write_text(ALGO)
    path = tmp_path / "node.yaml"
    path.write_text("version: 1\nname: node\ntarget: {mock: null, protocol: ocean-node}\njobs:\n"
                    + textwrap.indent(textwrap.dedent(jobs), "  "))
    return path


def test_run_a_url_dataset_with_a_raw_algorithm(tmp_path, data_url):
    path = spec(tmp_path, f"""\
        csv:
          dataset: {{url: '{data_url}/data.csv'}}
          algorithm:
            raw: {{file: algo.py, container: {CONTAINER}}}
            envs: {{MODE: fast}}
          algocustomdata: {{n: 42}}
          expect:
            outputs:
              - {{name: result.json, json: {{rows: 2, custom.n: 42}}}}
              - {{name: sub/nested.txt, contains: nested output}}
            logs: {{contains: 'read 3 lines; mode=fast', not_contains: "\\x01"}}
        """)
    result = c2d("run", path, "--jobs", "1", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "csv: PASSED (71 Job settling" in result.output
    [job] = runs_of(tmp_path, "runs/node/*/csv")
    # A job that passed: its outputs and its algorithm's log; the node's own logs stay there, recorded.
    assert sorted(p.relative_to(job).as_posix() for p in job.rglob("*") if p.is_file()) == [
        "logs/algorithm.log", "outputs.tar", "outputs/result.json", "outputs/sub/nested.txt"]
    log = (job / "logs" / "algorithm.log").read_text()
    assert "read 3 lines; mode=fast\n" in log and "a warning\n" in log and "\x00" not in log  # plain text
    record = json.loads(runs_of(tmp_path, "runs/node/*/run.json")[0].read_text())
    assert {r["filename"] for r in record["jobs"][0]["results"] if r["type"] == "output"} == {
        "result.json", "sub/nested.txt"}
    assert {r["filename"] for r in record["jobs"][0]["not_fetched"]} == {"image.log", "configuration.log"}


def test_exit_codes_and_provisioning_failures(tmp_path, data_url):
    path = spec(tmp_path, f"""\
        crash:
          dataset: {{url: '{data_url}/data.csv'}}
          algorithm: {{raw: {{code: "import sys; print('bye'); sys.exit(3)", container: {CONTAINER}}}}}
        crash-expected:
          dataset: {{url: '{data_url}/data.csv'}}
          algorithm: {{raw: {{code: "import sys; sys.exit(3)", container: {CONTAINER}}}}}
          expect: {{exit_code: 3}}
        missing:
          dataset: {{url: '{data_url}/missing.csv'}}
          algorithm: {{raw: {{code: "print('never')", container: {CONTAINER}}}}}
        """)
    result = c2d("run", path, "--jobs", "1", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert "crash-expected: PASSED" in result.output
    crash = result.output.split("job crash FAILED")[1].split("job missing")[0]
    assert "got:      71 Job settling, exit code 3 (the algorithm exited with code 3)" in crash and "| bye" in crash, crash
    assert "missing: FAILED (31 Data provisioning failed" in result.output
    missing = result.output.split("job missing FAILED")[1]
    assert "got:      31 Data provisioning failed (" in missing and "status code 404" in missing  # the log tail


def test_published_algorithm_on_a_did_dataset(tmp_path):
    path = spec(tmp_path, f"""\
        stats:
          dataset: {{did: "{IRIS}"}}
          algorithm: {{did: "{STATS}"}}
          resources: {{cpu: 1, ram: 1}}
        """)
    result = c2d("run", path, "--jobs", "1", cwd=tmp_path)
    assert result.exit_code == 0, result.output


def test_plan_shows_the_free_block_and_caps_the_timeout(tmp_path, data_url):
    path = spec(tmp_path, f"""\
        csv:
          dataset: {{url: '{data_url}/data.csv'}}
          algorithm: {{raw: {{file: algo.py, container: {CONTAINER}}}}}
          timeout: 10h
        too-big:
          dataset: {{url: '{data_url}/data.csv'}}
          algorithm: {{raw: {{file: algo.py, container: {CONTAINER}}}}}
          resources: {{cpu: 64}}
        """)
    result = c2d("plan", path, cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert "free limits  maxJobDuration" in result.output and "access: anyone" in result.output
    assert "warning      timeout 36000 s is above the environment's maximum" in result.output
    assert "Not enough cpu resources. Requested 64, but max is 1" in result.output


def test_seed_api_on_the_mock_node(tmp_path, data_url):
    from c2d_runner import wire
    from c2d_runner.connect import mock_ocean
    from c2d_runner.ocean import AlgorithmMetadata, OceanCompute
    from c2d_runner.ocean.node.compute import UrlDataset

    wallet = wire.key_wallet(wire.TEST_CONSUMER_KEY)
    meta = AlgorithmMetadata({"rawcode": ALGO, "container": {"entrypoint": "python $ALGO", "image": "python",
                                                             "tag": "3.11", "checksum": ""}})
    with mock_ocean(protocol="ocean-node", state_dir=tmp_path / "state") as mock, \
            OceanCompute({"METADATA_CACHE_URI": mock.url}) as oc:
        env = oc.get_free_c2d_environment(mock.url)
        job_id = oc.start_free(mock.url, wallet, env["id"], [UrlDataset(f"{data_url}/data.csv")],
                               algorithm_meta=meta, envs={"MODE": "seed"})
        final = oc.wait(mock.url, mock.url, job_id, wallet, timeout=120)
        assert final.ok and final.succeeded and final.exit_code == 0 and final.job_id == job_id
        assert oc.status(mock.url, mock.url, job_id, wallet)["exitCode"] == 0  # ocean.py's dict, with ok
        [log] = oc.compute_job_result_logs(mock.url, mock.url, job_id, wallet, "algorithmLog")
        assert b"mode=seed" in log
        assert oc.requests_by_endpoint["GET /"] == 1 and oc.requests_by_endpoint["GET /api/services/nonce"] == 1


def test_an_image_the_node_cannot_find_is_refused_once(tmp_path, data_url):
    path = spec(tmp_path, f"""\
        csv:
          dataset: {{url: '{data_url}/data.csv'}}
          algorithm: {{raw: {{code: "print(1)", container: {{entrypoint: python $ALGO, image: nope, tag: '1'}}}}}}
        """)
    result = c2d("run", path, "--jobs", "1", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert "Cannot find image nope:1" in result.output and "start answer lost" not in result.output
    [journal] = [p for p in tmp_path.glob("runs/node/*/journal.jsonl") if not p.parent.is_symlink()]  # not latest
    assert journal.read_text().count('"event": "starting"') == 1
