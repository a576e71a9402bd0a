"""What an algorithm sees (layout, environment, custom data, $ALGO) and what gets published."""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from executor_helpers import (ALGO_DID, BWRAP_REASON, DATASET_A, DATASET_B, SANDBOX_KINDS, admin_log,
                              algorithm_log, bwrap_available, read_report)
from mockprovider.executor import InputDataset

# Writes everything it can observe about its runtime to /data/outputs/report.json.
REPORT_ALGO = """
import json, os, sys
volume = os.environ["VOLUME"]
tree = sorted(os.path.relpath(os.path.join(d, n), volume)
              for d, dirs, files in os.walk(volume) for n in dirs + files)
dids = json.loads(os.environ["DIDS"])
inputs = {did: {i: open(os.path.join(volume, "inputs", did, i)).read()
                for i in sorted(os.listdir(os.path.join(volume, "inputs", did)))} for did in dids}
report = {
    "env": dict(os.environ),
    "argv0": sys.argv[0],
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "tree": tree,
    "inputs": inputs,
    "relative_input": open("data/inputs/" + dids[0] + "/0").read(),
    "custom": json.load(open(os.path.join(volume, "inputs", "algoCustomData.json"))),
    "ddos": {n: json.load(open(os.path.join(volume, "ddos", n))) for n in os.listdir(os.path.join(volume, "ddos"))},
    "extra": {n: open(os.path.join(volume, "transformations", n)).read()
              for n in os.listdir(os.path.join(volume, "transformations")) if n != "algorithm"},
}
json.dump(report, open(os.path.join(os.environ["OUTPUTS"], "report.json"), "w"))
print("report written")
"""


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_layout_env_custom_data_and_algo_substitution(kind, executors, make_request, tmp_path, monkeypatch):
    monkeypatch.setenv("C2D_PRIVATE_KEY", "0xdeadbeef-host-secret")
    a0, a1, b0 = tmp_path / "a0.csv", tmp_path / "a1.csv", tmp_path / "b0.txt"
    a0.write_text("first file of A")
    a1.write_text("second file of A")
    b0.write_text("only file of B")
    inputs = (InputDataset(DATASET_A, (a0, a1), {"id": DATASET_A, "name": "A"}),
              InputDataset(DATASET_B, (b0,), {"id": DATASET_B, "name": "B"}))
    request = make_request(REPORT_ALGO, inputs=inputs, extra_files=(b"helper one", b"helper two"),
                           algocustomdata={"n_samples": 100}, entrypoint="python $ALGO --volume $VOLUME",
                           algo_ddo={"id": ALGO_DID, "metadata": {"type": "algorithm"}})
    seen: list[int] = []

    result = executors[kind].run(request, on_status=seen.append)

    assert (result.status, result.stopreq) == (70, 0)
    assert seen == [20, 30, 40, 60]
    report = read_report(result)
    root = "/data" if kind == "bwrap" else str(request.job_dir / "data")
    a, b, c = DATASET_A[7:], DATASET_B[7:], ALGO_DID[7:]
    env = report["env"]
    env.pop("PWD", None)                  # set by bwrap's chdir, not by us
    expected_keys = {"DIDS", "TRANSFORMATION_DID", "VOLUME", "LOGS", "INPUTS", "OUTPUTS", "secret",
                     "PATH", "HOME", "LANG"} | ({"TMPDIR"} if kind == "none" else set())
    assert set(env) == expected_keys      # nothing leaks from the host environment
    assert json.loads(env["DIDS"]) == [a, b]
    assert env["TRANSFORMATION_DID"] == c
    assert (env["VOLUME"], env["INPUTS"], env["OUTPUTS"], env["LOGS"]) == (
        root, f"{root}/inputs", f"{root}/outputs", f"{root}/logs")
    assert len(env["secret"]) >= 16
    assert report["argv0"] == f"{root}/transformations/algorithm"     # $ALGO substituted
    assert report["argv"] == ["--volume", root]                         # $VOLUME expanded like sh
    assert report["inputs"] == {a: {"0": "first file of A", "1": "second file of A"},
                                b: {"0": "only file of B"}}
    assert report["relative_input"] == "first file of A"                # cwd works like WORKDIR /
    assert report["custom"] == {"n_samples": 100}
    assert report["ddos"] == {a: {"id": DATASET_A, "name": "A"}, b: {"id": DATASET_B, "name": "B"},
                              c: {"id": ALGO_DID, "metadata": {"type": "algorithm"}}}
    assert report["extra"] == {"1": "helper one", "2": "helper two"}
    assert {"inputs", "transformations", "ddos", "outputs", "logs", "logs/algorithm.log",
            "transformations/algorithm", f"inputs/{a}/0", f"inputs/{a}/1", f"inputs/{b}/0",
            "inputs/algoCustomData.json", f"ddos/{c}"} <= set(report["tree"])
    assert not any("adminlogs" in p for p in report["tree"])
    if kind == "bwrap":
        assert report["cwd"] == "/"
    assert b"report written" in algorithm_log(result)


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_raw_algorithm_without_custom_data(kind, executors, make_request):
    code = """
    import json, os
    out = {"has_transformation_did": "TRANSFORMATION_DID" in os.environ,
           "custom": json.load(open(os.environ["INPUTS"] + "/algoCustomData.json")),
           "ddos": sorted(os.listdir(os.environ["VOLUME"] + "/ddos"))}
    json.dump(out, open(os.environ["OUTPUTS"] + "/report.json", "w"))
    """
    result = executors[kind].run(make_request(code, did=None, algocustomdata=None))
    report = read_report(result)
    assert report == {"has_transformation_did": False, "custom": {}, "ddos": [DATASET_A[7:]]}


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_stdout_stderr_in_log_and_nonzero_exit_still_finishes(kind, executors, make_request):
    code = """
    import sys
    print("to stdout", flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    sys.exit(3)
    """
    result = executors[kind].run(make_request(code))
    assert (result.status, result.stopreq) == (70, 0)
    log = algorithm_log(result)
    assert b"to stdout" in log and b"to stderr" in log
    assert "algorithm exit code: 3" in admin_log(result)


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_results_order_types_and_sizes(kind, executors, make_request):
    code = """
    import os
    out = os.environ["OUTPUTS"]
    for name, size in (("b.bin", 5), ("a.txt", 3), ("c", 0)):
        open(os.path.join(out, name), "wb").write(b"x" * size)
    os.mkdir(os.path.join(out, "subdir"))
    open(os.path.join(out, "subdir", "nested"), "w").write("not top level")
    print("done")
    """
    result = executors[kind].run(make_request(code))
    assert [(r.filename, r.type) for r in result.results] == [
        ("a.txt", "output"), ("b.bin", "output"), ("c", "output"),
        ("algorithm.log", "algorithmLog"), ("configure.log", "configrationLog")]
    for item in result.results:
        assert item.filesize == os.lstat(item.path).st_size
    assert [r.filesize for r in result.results[:3]] == [3, 5, 0]
    assert "not published: outputs/'subdir': not a regular file" in admin_log(result)


@pytest.mark.parametrize("kind", SANDBOX_KINDS)
def test_relative_job_dir_works(kind, executors, make_request, tmp_path, monkeypatch):
    import dataclasses
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    request = dataclasses.replace(make_request("import os; open(os.environ['OUTPUTS'] + '/r', 'w')"),
                                  job_dir=Path("relative-job"))
    result = executors[kind].run(request)
    assert [r.filename for r in result.results] == ["r", "algorithm.log", "configure.log"]
    assert all(r.path.is_absolute() and (tmp_path / "relative-job") in r.path.parents for r in result.results)


@pytest.mark.skipif(not bwrap_available(), reason=BWRAP_REASON)
def test_runtime_living_under_tmp_is_visible_in_the_sandbox(executors, make_request):
    # A project's .venv in a CI checkout under /tmp: the sandbox's private /tmp must not hide it.
    runtime = Path(tempfile.mkdtemp(prefix="c2d-runtime-", dir="/tmp")) / "venv"
    (runtime / "bin").mkdir(parents=True)
    os.symlink(os.path.realpath(sys.executable), runtime / "bin" / "python3")
    try:
        result = executors["bwrap"].run(make_request(
            "import json, os; json.dump({'ok': True}, open(os.environ['OUTPUTS'] + '/report.json', 'w'))",
            command_map={"python": str(runtime / "bin" / "python3")}))
        assert read_report(result) == {"ok": True}, algorithm_log(result)
    finally:
        shutil.rmtree(runtime.parent)
