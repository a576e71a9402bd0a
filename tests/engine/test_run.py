"""`c2d run` end to end on the embedded mock: examples, expectations, plan refusals, timeouts."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from c2d_runner.cli import main

from .conftest import ROOT, raw_job, runs_of, write_spec

EXAMPLES = sorted((ROOT / "specs").glob("*.yaml"))


def c2d(*args, cwd: Path):
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)
    finally:
        os.chdir(old)


def journal(folder: Path) -> list[dict]:
    [path] = runs_of(folder, "runs/*/*/journal.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("protocol", ["provider", "ocean-node"])
@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_spec_runs_green(spec, protocol, tmp_path):
    """Each example, as written but for its target, passes on both protocols of the bundled mock."""
    import shutil

    copy = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", copy)
    text = (copy / spec.name).read_text()
    assert "\ntarget:" not in text  # the examples run on the default target; this test picks the protocol
    (copy / spec.name).write_text(text + f"target: {{mock: null, protocol: {protocol}}}\n")
    result = c2d("run", copy / spec.name, "--out", tmp_path / "runs", "--json", tmp_path / "report.json",
                 "--junit", tmp_path / "junit.xml", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["ok"] and report["summary"]["failed"] == 0 and report["summary"]["passed"] >= 1
    assert report["target"].endswith("Ocean Node)") == (protocol == "ocean-node")
    assert (tmp_path / "junit.xml").read_text().count("<testcase") == report["summary"]["passed"]


def test_readme_first_command_in_a_cold_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "c2d_runner.cli", "run", str(ROOT / "specs" / "hello.yaml")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "PASSED" in proc.stderr
    [record] = runs_of(tmp_path, "runs/hello/*/run.json")
    data = json.loads(record.read_text())
    assert data["ok"] and data["jobs"][0]["outcome"] == "passed"
    outputs = runs_of(tmp_path, "runs/hello/*/wordcount/outputs/wordcount.json")
    assert len(outputs) == 1 and json.loads(outputs[0].read_text())


def test_failed_expectations_exit_1_with_reasons(tmp_path, world):
    jobs = f"""  stats:
    dataset: {{did: "{world.table}"}}
    algorithm: {{did: "{world.stats}"}}
    expect:
      outputs:
        - name: stats.json
          sha256: "{'0' * 64}"
        - name: nothing.txt
      logs: {{contains: "a line that is never printed"}}
"""
    spec = write_spec(tmp_path, "expectations", jobs)
    result = c2d("run", spec, "--junit", tmp_path / "j.xml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "job stats FAILED: 3 of 6 expectations did not hold" in result.output
    lines = result.output.splitlines()
    for name, expected, got in [("outputs[stats.json].sha256", "0" * 64, None),
                                ("outputs[nothing.txt]", "present", "missing"),
                                ("logs.contains", "algorithm.log containing 'a line that is never printed'", "not found")]:
        at = lines.index(f"  {name}")
        assert lines[at + 1] == f"    expected: {expected}"
        assert lines[at + 2].startswith("    got:      ") and (got is None or lines[at + 2].endswith(got))
    assert 'type="expectation"' in (tmp_path / "j.xml").read_text()


def test_untrusted_algorithm_fails_at_plan_time_and_starts_nothing(tmp_path, world):
    jobs = f"""  ok:
    dataset: {{did: "{world.table}"}}
    algorithm: {{did: "{world.stats}"}}
  untrusted:
    dataset: {{did: "{world.table}"}}
    algorithm: {{did: "{world.other}"}}
  raw-on-locked:
{raw_job(world.locked, "print(1)").replace("    dataset", "    dataset", 1)}"""
    spec = write_spec(tmp_path, "trust", jobs)
    result = c2d("run", spec, cwd=tmp_path)
    assert result.exit_code == 1
    assert f"job untrusted: dataset {world.table} (service compute) does not list algorithm {world.other} " \
           "among its trusted algorithms: not_trusted_algo" in result.output
    assert "job raw-on-locked: dataset" in result.output and "no_raw_algo_allowed" in result.output
    # Nothing ordered, nothing started: no run folder is left behind (issue 14: an almost empty one was).
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").rglob("journal.jsonl"))
    assert "run folder: none kept (the plan was refused, nothing was started)" in result.output
    plan = c2d("plan", spec, cwd=tmp_path)
    assert plan.exit_code == 1 and "not_trusted_algo" in plan.output


def test_only_selects_jobs_and_matrix_templates(tmp_path):
    result = c2d("run", ROOT / "specs" / "matrix-sweep.yaml", "--only", "stats", "--json", tmp_path / "r.json",
                 cwd=tmp_path)
    assert result.exit_code == 0
    assert [j["name"] for j in json.loads((tmp_path / "r.json").read_text())["jobs"]] == [
        "stats[precision=1]", "stats[precision=2]", "stats[precision=4]"]
    bad = c2d("run", ROOT / "specs" / "matrix-sweep.yaml", "--only", "nope", cwd=tmp_path)
    assert bad.exit_code == 2 and "no job named 'nope'" in bad.output


def test_invalid_spec_exits_2_and_starts_nothing(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\nname: bad\njobs: {}\n")
    result = c2d("run", spec, cwd=tmp_path)
    assert result.exit_code == 2 and "bad.yaml:3:7: error: must not be empty [jobs]" in result.output
    assert not (tmp_path / "runs").exists()


def test_unreachable_provider_exits_3(tmp_path, world, monkeypatch):
    monkeypatch.setenv("C2D_PRIVATE_KEY", "0x" + "11" * 32)
    jobs = f"  j:\n    dataset: {{did: \"{world.table}\"}}\n    algorithm: {{did: \"{world.stats}\"}}\n"
    spec = write_spec(tmp_path, "remote", jobs, target="{provider: 'http://127.0.0.1:9', chain_id: 8996}",
                      extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")
    result = c2d("run", spec, cwd=tmp_path)
    assert result.exit_code == 3, result.output
    assert "Error: " in result.output and "11" * 32 not in result.output


def test_a_key_echoed_by_a_service_reaches_no_output_record_or_report(tmp_path, monkeypatch, httpserver):
    key = "0x" + "5e" * 32
    monkeypatch.setenv("C2D_PRIVATE_KEY", key)
    httpserver.expect_request("/api/aquarius/assets/ddo/" + "did:op:" + "ab" * 32).respond_with_json(
        {"error": f"Asset not found; request was {{'key': '{key.upper()}'}}"}, status=404)
    jobs = f"  j:\n    dataset: {{did: \"did:op:{'ab' * 32}\"}}\n    algorithm: {{did: \"did:op:{'cd' * 32}\"}}\n"
    provider = httpserver.url_for("/").rstrip("/")
    spec = write_spec(tmp_path, "echo", jobs, target=f"{{provider: '{provider}', chain_id: 8996}}",
                      extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")
    result = c2d("run", spec, "--json", tmp_path / "report.json", "--junit", tmp_path / "junit.xml", cwd=tmp_path)
    assert result.exit_code != 0 and "<redacted>" in result.output, result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl", ".xml")]
    # The plan is refused (the DDO is not found), so no run folder is kept: only the reports are written.
    assert {p.name for p in written} >= {"report.json", "junit.xml"}
    for text in [result.output] + [p.read_text() for p in written]:
        assert key[2:] not in text.lower()


def test_missing_key_variable_is_a_usage_error(tmp_path, world, monkeypatch):
    monkeypatch.delenv("C2D_TEST_KEY_UNSET", raising=False)
    jobs = f"  j:\n    dataset: {{did: \"{world.table}\"}}\n    algorithm: {{did: \"{world.stats}\"}}\n"
    spec = write_spec(tmp_path, "nokey", jobs, extra="consumer: {key: '${C2D_TEST_KEY_UNSET}'}\n")
    result = c2d("run", spec, cwd=tmp_path)
    assert result.exit_code == 2
    assert "environment variable C2D_TEST_KEY_UNSET is not set" in result.output


def test_lock_then_verify_holds_and_fails_when_the_algorithm_changes(tmp_path, world):
    (tmp_path / "algo.py").write_text("import os\nopen(os.environ['OUTPUTS'] + '/out.txt', 'w').write('42')\n")
    jobs = f"""  j:
    dataset: {{did: "{world.table}"}}
    algorithm:
      raw:
        file: algo.py
        container: {{entrypoint: python $ALGO, image: python, tag: '3.11', checksum: 'sha256:{'1' * 64}'}}
"""
    spec = write_spec(tmp_path, "locked", jobs)
    assert c2d("run", spec, "--lock", cwd=tmp_path).exit_code == 0
    lock = json.loads((tmp_path / "locked.lock.json").read_text())
    assert lock["jobs"]["j"]["outputs"]["out.txt"]["size"] == 2
    held = c2d("verify", spec, cwd=tmp_path)
    assert held.exit_code == 0 and "the lock holds" in held.output
    assert c2d("run", spec, "--check", cwd=tmp_path).exit_code == 0
    (tmp_path / "algo.py").write_text("import os\nopen(os.environ['OUTPUTS'] + '/out.txt', 'w').write('43')\n")
    changed = c2d("verify", spec, cwd=tmp_path)
    assert changed.exit_code == 1 and "changed: j.algorithm.filesChecksum: locked" in changed.output
    rerun = c2d("run", spec, "--check", cwd=tmp_path)
    assert rerun.exit_code == 1 and "lock.outputs[out.txt]" in rerun.output


def test_job_commands_read_the_run_record(tmp_path):
    assert c2d("run", ROOT / "specs" / "hello.yaml", cwd=tmp_path).exit_code == 0
    [started] = [e for e in journal(tmp_path) if e["event"] == "started"]
    job_id = started["job_id"]
    status = c2d("status", job_id, cwd=tmp_path)
    assert status.exit_code == 0 and json.loads(status.output)["status"] == 70
    logs = c2d("logs", job_id, cwd=tmp_path)
    assert logs.exit_code == 0 and "wordcount: done" in logs.output
    results = c2d("results", job_id, "--dest", tmp_path / "again", cwd=tmp_path)
    # The run's own download code: outputs/ and logs/, as in the run folder.
    assert results.exit_code == 0, results.output
    assert (tmp_path / "again" / "outputs" / "wordcount.json").exists()
    assert (tmp_path / "again" / "logs" / "algorithm.log").exists()
    assert c2d("stop", job_id, cwd=tmp_path).exit_code == 0
    missing = c2d("status", "0" * 32, cwd=tmp_path)
    assert missing.exit_code == 2 and "no run under runs started job" in missing.output


def test_awkward_result_names_arrive_intact_and_readable(tmp_path, world):
    code = """
    import os
    for name in ["a;b.txt", "a;c.txt", 'q"uote.txt', "日本.txt", ".hidden", "plain.txt"]:
        open(os.path.join(os.environ["OUTPUTS"], name), "w").write(name)
    """
    expect = "    expect:\n      outputs:\n" + "".join(
        f"        - {{name: {n!r}, contains: {n!r}}}\n" for n in ["a;b.txt", "a;c.txt", 'q"uote.txt', "日本.txt"])
    spec = write_spec(tmp_path, "names", "  j:\n" + raw_job(world.table, code, extra=expect))
    result = c2d("run", spec, "--json", tmp_path / "r.json", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    [job] = json.loads((tmp_path / "r.json").read_text())["jobs"]
    outputs = {r["filename"]: Path(r["path"]) for r in job["results"] if r["type"] == "output"}
    assert sorted(outputs) == sorted([".hidden", "a;b.txt", "a;c.txt", "plain.txt", 'q"uote.txt', "日本.txt"])
    for name, path in outputs.items():
        assert (tmp_path / path).read_text() == name
        assert (tmp_path / path).stat().st_mode & 0o044  # not left at a temp file's 0600


def test_verify_reports_a_corrupt_lock_without_a_traceback(tmp_path, world):
    spec = write_spec(tmp_path, "corrupt", f"  j:\n    dataset: {{did: \"{world.table}\"}}\n"
                                           f"    algorithm: {{did: \"{world.stats}\"}}\n")
    for content in ("{bad", "[]"):
        (tmp_path / "corrupt.lock.json").write_text(content)
        result = c2d("verify", spec, cwd=tmp_path)
        assert result.exit_code == 2 and result.output.startswith("Error: cannot read the lock file")


def test_lock_with_only_keeps_the_other_jobs(tmp_path, world):
    jobs = "".join(f"  {n}:\n    dataset: {{did: \"{world.table}\"}}\n    algorithm: {{did: \"{world.stats}\"}}\n"
                   for n in ("a", "b"))
    spec = write_spec(tmp_path, "partial", jobs)
    assert c2d("run", spec, "--lock", cwd=tmp_path).exit_code == 0
    assert c2d("run", spec, "--lock", "--only", "a", cwd=tmp_path).exit_code == 0
    assert sorted(json.loads((tmp_path / "partial.lock.json").read_text())["jobs"]) == ["a", "b"]
    assert c2d("verify", spec, cwd=tmp_path).exit_code == 0
