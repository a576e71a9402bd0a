"""`c2d init`: a small project that passes `c2d validate`, `c2d run` and `pytest` as written.

The templates are plain strings with @NAME@ placeholders (str.format would trip over the braces
of YAML flow mappings and the ${VAR} of specs). The DIDs are derived here, with the rule the
mock and Aquarius use, from the nft addresses written into the world, so the spec names exactly
the assets the world serves.
"""
from __future__ import annotations

from pathlib import Path

from c2d_runner.errors import InvalidInput

__all__ = ["ScaffoldExists", "FILES", "project_files", "scaffold"]

CHAIN_ID = 8996
# Deterministic, made-up addresses (no key behind them): only their DIDs matter to the mock.
DATASET_NFT = "0x5caff01da7a5e70000000000000000000000c2d1"  # "scaffold data"
ALGORITHM_NFT = "0x5caff01a1a00000000000000000000000000c2d2"  # "scaffold algo"

PYTEST_INI = """\
# pytest runs the tests in tests/ and every job of every *.c2d.yaml spec in specs/ as a test.
[pytest]
testpaths = tests specs
# The world the c2d_mock fixtures serve (relative to this file).
c2d_world = mock/world.yaml
# Spec files collected as tests (space-separated patterns; this is the default).
c2d_spec_glob = *.c2d.yaml
"""

WORLD = """\
# The mock Ocean world of this project: what `c2d run` and `pytest` serve offline.
# Format: c2d_runner/schemas/world.schema.json. DIDs are derived from nft_address and chain_id
# (did:op: + sha256(EIP-55 address + chain id)), so these are stable:
#   weather  @DATASET_DID@
#   summary  @ALGORITHM_DID@
# Change an nft_address and its DID changes: `c2d mock serve --world mock/world.yaml` prints them.
version: 1
chain_id: @CHAIN_ID@
trust_policy: provider-py

datasets:
  - name: weather
    nft_address: "@DATASET_NFT@"
    description: Two weeks of made-up daily weather readings (temperature, rain).
    license: CC0-1.0
    tags: [tabular, csv]
    files: [data/weather.csv]        # never served raw: only the algorithm's outputs leave
    services:
      - id: compute
        type: compute
        compute:
          allowRawAlgorithm: false
          allowNetworkAccess: false
          publisherTrustedAlgorithms:
            - {algorithm: summary}   # checksums computed from the algorithm's file and container
          publisherTrustedAlgorithmPublishers: []

algorithms:
  - name: summary
    nft_address: "@ALGORITHM_NFT@"
    description: Count, mean, min and max of one CSV column, written to /data/outputs/summary.json.
    files: [../algorithm/summary.py]
    container:
      entrypoint: python $ALGO
      image: python
      tag: "3.11"
      # A placeholder: the mock pulls no image (runtimes below map `python` to this interpreter).
      checksum: "sha256:0000000000000000000000000000000000000000000000000000000000000000"

environments:
  - id: free
    desc: Free compute environment of this project's mock
    cpuNumber: 1
    ramGB: 1
    diskGB: 1
    priceMin: 0
    maxJobDuration: 60
    maxJobs: 4

runtimes:
  - image: python
    commands: {python: this-interpreter, python3: this-interpreter}
"""

WEATHER_CSV = """\
day,temperature_c,rain_mm
2024-04-01,11.2,0.0
2024-04-02,12.8,1.4
2024-04-03,9.6,6.2
2024-04-04,10.4,3.0
2024-04-05,13.1,0.0
2024-04-06,15.0,0.0
2024-04-07,16.3,0.2
2024-04-08,14.7,2.8
2024-04-09,12.2,8.1
2024-04-10,11.9,4.5
2024-04-11,13.8,0.0
2024-04-12,17.4,0.0
2024-04-13,18.1,0.6
2024-04-14,15.5,1.9
"""

ALGORITHM = '''\
"""Summary statistics of one column of every dataset: a Compute-to-Data algorithm (stdlib only).

It reads the real C2D layout, as on an Ocean Provider's compute cluster:
  /data/inputs/<did>/0              the first file of each dataset; $DIDS lists the dids (JSON)
  /data/inputs/algoCustomData.json  the job's custom data, e.g. {"column": "rain_mm", "precision": 2}
  /data/outputs/                    every file written here is a result the consumer can download
What it prints goes to algorithm.log. The mock Ocean points $INPUTS and $OUTPUTS at the job's
own folders; on a real cluster the /data paths are used.
"""
import csv
import json
import os
import statistics

INPUTS = os.environ.get("INPUTS", "/data/inputs")
OUTPUTS = os.environ.get("OUTPUTS", "/data/outputs")


def custom_data():
    try:
        with open(os.path.join(INPUTS, "algoCustomData.json"), encoding="utf-8") as fh:
            return json.load(fh) or {}
    except FileNotFoundError:
        return {}


def read_column(path, column):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if rows and column not in rows[0]:
        raise SystemExit(f"summary: no column {column!r} in the dataset (columns: {', '.join(rows[0])})")
    return [float(row[column]) for row in rows]


def main():
    custom = custom_data()
    column = custom.get("column", "temperature_c")
    precision = int(custom.get("precision", 2))
    values = []
    for did in json.loads(os.environ.get("DIDS", "[]")):
        found = read_column(os.path.join(INPUTS, did, "0"), column)
        print(f"summary: {did}/0: {len(found)} rows", flush=True)
        values += found
    if not values:
        raise SystemExit("summary: no rows in the inputs")
    summary = {
        "column": column,
        "rows": len(values),
        "mean": round(statistics.fmean(values), precision),
        "min": min(values),
        "max": max(values),
    }
    os.makedirs(OUTPUTS, exist_ok=True)
    with open(os.path.join(OUTPUTS, "summary.json"), "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2, sort_keys=True)
    print("summary: done", flush=True)


if __name__ == "__main__":
    main()
'''

SPEC = """\
# Which dataset the algorithm runs on, with what custom data, and what must come out.
#   c2d validate specs/summary.c2d.yaml   check it
#   c2d run specs/summary.c2d.yaml        run it (offline, on the world in ../mock/world.yaml)
#   pytest                                every job below is a test (specs/summary.c2d.yaml::temperature)
# On a real Ocean Provider: publish the dataset and the algorithm, add
#   consumer:
#     key: ${C2D_PRIVATE_KEY}
# and set C2D_DATASET_DID and C2D_ALGORITHM_DID; the defaults after :- are the mock world's DIDs.
version: 1
name: summary
target: {mock: ../mock/world.yaml}
defaults:
  environment: free
  timeout: 2m
jobs:
  temperature:
    dataset: {did: "${C2D_DATASET_DID:-@DATASET_DID@}"}      # weather
    algorithm: {did: "${C2D_ALGORITHM_DID:-@ALGORITHM_DID@}"}  # summary
    algocustomdata: {column: temperature_c, precision: 1}
    expect:
      status: finished
      outputs:
        - name: summary.json
          json: {column: temperature_c, rows: 14, mean: {min: 10, max: 20}, max: 18.1}
      logs: {contains: "summary: done", not_contains: "Traceback"}

  # A matrix: one job (and one test) per value, named columns[column=rain_mm] ...
  columns:
    dataset: {did: "${C2D_DATASET_DID:-@DATASET_DID@}"}
    algorithm: {did: "${C2D_ALGORITHM_DID:-@ALGORITHM_DID@}"}
    algocustomdata: {column: temperature_c}
    matrix:
      algocustomdata.column: [temperature_c, rain_mm]
    expect:
      outputs:
        - name: summary.json
          json: {rows: 14}
"""

TEST = '''\
"""The algorithm on this project's mock Ocean, from Python (the specs in specs/ run as tests too).

`c2d_mock` is a fresh mock Ocean per test, serving the world named in pytest.ini (c2d_world):
.url, .chain_id, .assets, .did(name), .consumer (a test wallet that needs no funds),
.compute (an OceanCompute client, ocean.py's method names) and .run(spec).
Mark a test with @pytest.mark.c2d_faults("flaky") to see it survive a misbehaving provider.
"""
import json
from pathlib import Path

import pytest

from c2d_runner import ComputeInput

SPEC = Path(__file__).resolve().parent.parent / "specs" / "summary.c2d.yaml"


def test_spec_job_passes_on_the_mock(c2d_mock):
    run = c2d_mock.run(SPEC, only=["temperature"])
    job = run.jobs[0]
    assert job.outcome == "passed", [e.describe() for e in job.failed_expectations] or job.error
    output = next(r.path for r in job.results if r.filename == "summary.json")
    assert json.loads(output.read_text())["rows"] == 14


def test_unknown_column_is_told_in_the_log(c2d_mock):
    oc, consumer = c2d_mock.compute, c2d_mock.consumer
    dataset = oc.aquarius.resolve(c2d_mock.did("weather"))
    algorithm = oc.aquarius.resolve(c2d_mock.did("summary"))
    service = dataset.get_service_by_id("compute")
    environment = oc.get_free_c2d_environment(service.service_endpoint, c2d_mock.chain_id)
    job_id = oc.start(consumer, ComputeInput(dataset, service), environment.id,
                      algorithm=ComputeInput(algorithm, "compute"), algorithm_algocustomdata={"column": "wind"})
    oc.wait(dataset, service, job_id, consumer, timeout=60)
    log = b"".join(oc.compute_job_result_logs(dataset, service, job_id, consumer, "algorithmLog")).decode()
    assert "no column 'wind'" in log


@pytest.mark.c2d_faults("flaky", seed=1)
def test_runner_survives_a_flaky_provider(c2d_mock):
    assert c2d_mock.run(SPEC, only=["temperature"]).ok
'''

WORKFLOW = """\
# CI for this project: validate the specs (problems become annotations), run them on the bundled
# mock Ocean, run the tests. Written by `c2d init`.
name: c2d
on: [push, pull_request]
jobs:
  specs:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install bubblewrap (the mock's sandbox) and c2d-runner
        run: |
          sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap
          pip install c2d-runner pytest   # pin the version you use, e.g. c2d-runner==@VERSION@
      - name: Validate the specs
        run: c2d validate --format github specs
      - name: Run the specs on the mock Ocean
        run: c2d run specs --junit c2d-junit.xml
      - name: Run the tests
        run: pytest
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: c2d-runs
          path: |
            runs/
            c2d-junit.xml
"""

# Lines the project's .gitignore needs: run folders hold results and logs, not sources. Added to an
# existing .gitignore (never overwritten); lock files (*.lock.json) are meant to be committed.
GITIGNORE_LINES = ("runs/", ".venv/", "__pycache__/", ".pytest_cache/", "c2d-junit.xml")

# Relative path -> template, in the order they are written and listed.
FILES = {
    "pytest.ini": PYTEST_INI,
    "mock/world.yaml": WORLD,
    "mock/data/weather.csv": WEATHER_CSV,
    "algorithm/summary.py": ALGORITHM,
    "specs/summary.c2d.yaml": SPEC,
    "tests/test_summary.py": TEST,
    ".github/workflows/c2d.yml": WORKFLOW,
}


class ScaffoldExists(InvalidInput):
    """Files of the scaffold are already there and --force was not given."""

    def __init__(self, paths: list[Path]):
        self.paths = paths
        names = ", ".join(str(p) for p in paths)
        super().__init__(f"would overwrite {names}; nothing was written (use --force to overwrite)")


def project_files() -> dict[str, str]:
    """Relative path -> text of every scaffold file, with the DIDs derived from the world's nft addresses."""
    from c2d_runner import __version__
    from c2d_runner.wire import checksum_address, derive_did

    values = {
        "@VERSION@": __version__,
        "@CHAIN_ID@": str(CHAIN_ID),
        "@DATASET_NFT@": checksum_address(DATASET_NFT),
        "@ALGORITHM_NFT@": checksum_address(ALGORITHM_NFT),
        "@DATASET_DID@": derive_did(DATASET_NFT, CHAIN_ID),
        "@ALGORITHM_DID@": derive_did(ALGORITHM_NFT, CHAIN_ID),
    }
    out = {}
    for name, text in FILES.items():
        for key, value in values.items():
            text = text.replace(key, value)
        out[name] = text
    return out


def scaffold(directory: str | Path, force: bool = False) -> list[Path]:
    """Write the project into `directory`; ScaffoldExists (nothing written) if a file exists and not force."""
    root = Path(directory)
    files = project_files()
    existing = [root / name for name in files if (root / name).exists()]
    if existing and not force:
        raise ScaffoldExists(existing)
    written = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if _merge_gitignore(root / ".gitignore"):
        written.append(root / ".gitignore")
    return written


def _merge_gitignore(path: Path) -> bool:
    """Add the lines the project needs to its .gitignore (created if absent); True when it changed."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    have = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in have]
    if not missing:
        return False
    lead = "" if not text or text.endswith("\n") else "\n"
    header = "" if text else "# written by c2d init\n"
    path.write_text(text + lead + header + "\n".join(missing) + "\n", encoding="utf-8")
    return True
