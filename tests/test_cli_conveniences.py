"""What people expect of the CLI (issue 14): several specs or a folder, -V, --fail-fast, --faults,
--seed, --var and --env-file."""
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from c2d_runner.cli import main
from c2d_runner.envfile import EnvFileError, parse_env
from c2d_runner.specfiles import NoSpecFiles, spec_files

ROOT = Path(__file__).resolve().parents[1]
IRIS = "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"
STATS = "did:op:06021804ada2eff0cbd121bc1a4074fef2ac069a86a27a81e68019358a1c5c92"
FAIL = "did:op:db43054613262fcd3364ee0228ee1e024784c927431f2e04911fb3966bf0161e"


@pytest.fixture
def environ(monkeypatch):
    """--var and --env-file export to os.environ: give each test its own copy."""
    monkeypatch.setattr(os, "environ", os.environ.copy())
    return os.environ


def c2d(*args, cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)
    finally:
        os.chdir(old)


def spec(folder: Path, name: str, jobs: dict[str, str], extra: str = "") -> Path:
    text = f"version: 1\nname: {name}\ndefaults: {{timeout: 1m}}\n{extra}jobs:\n" + "".join(
        f"  {job}:\n    dataset: {{did: '{IRIS}'}}\n    algorithm: {{did: '{algo}'}}\n" for job, algo in jobs.items())
    path = folder / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_version_short_flag():
    result = CliRunner().invoke(main, ["-V"])
    assert result.exit_code == 0 and result.output.startswith("c2d, version ")


def test_a_folder_names_its_specs_and_nothing_else(tmp_path):
    spec(tmp_path / "specs", "a", {"one": STATS})
    spec(tmp_path / "specs" / "more", "b", {"two": STATS})
    (tmp_path / "specs" / "world.yaml").write_text("version: 1\ndatasets: []\n")
    (tmp_path / "specs" / "runs" / "x").mkdir(parents=True)
    spec(tmp_path / "specs" / "runs" / "x", "old", {"z": STATS})
    assert spec_files([tmp_path / "specs"]) == [tmp_path / "specs" / "a.yaml", tmp_path / "specs" / "more" / "b.yaml"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoSpecFiles, match="holds no spec files"):
        spec_files([tmp_path / "empty"])


def test_run_a_folder_one_summary_one_report(tmp_path):
    spec(tmp_path / "specs", "good", {"stats": STATS})
    spec(tmp_path / "specs", "bad", {"crash": FAIL})
    result = c2d("run", "specs", "-q", "--json", "r.json", "--junit", "j.xml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "2 specs: 1 passed, 1 failed, 0 errors, 0 skipped\nFAILED" in result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert [r["spec_name"] for r in report["runs"]] == ["bad", "good"]
    assert report["summary"] == {"passed": 1, "failed": 1, "error": 0, "skipped": 0, "ok": False}
    junit = (tmp_path / "j.xml").read_text()
    assert junit.count("<testsuite ") == 2 and '<testsuites name="c2d" tests="2" failures="1"' in junit


def test_validate_and_plan_take_a_folder(tmp_path):
    spec(tmp_path / "specs", "a", {"one": STATS})
    spec(tmp_path / "specs", "b", {"two": STATS})
    valid = c2d("validate", "specs", cwd=tmp_path)
    assert valid.exit_code == 0 and valid.output.count(": ok (1 job)") == 2
    planned = c2d("plan", "specs", "--format", "json", cwd=tmp_path)
    assert planned.exit_code == 0
    assert [d["jobs"][0]["job"] for d in json.loads(planned.stdout)] == ["one", "two"]


def test_fail_fast_starts_nothing_after_a_failure(tmp_path):
    spec(tmp_path / "specs", "a", {"crash": FAIL, "later": STATS})
    spec(tmp_path / "specs", "b", {"never": STATS})
    result = c2d("run", "specs", "-q", "--jobs", "1", "--fail-fast", "--json", "r.json", cwd=tmp_path)
    assert result.exit_code == 1
    [run] = json.loads((tmp_path / "r.json").read_text())["runs"]  # spec b never ran
    jobs = {j["name"]: j for j in run["jobs"]}
    assert jobs["crash"]["outcome"] == "failed" and jobs["later"]["outcome"] == "skipped"
    assert jobs["later"]["error"] == "not started: --fail-fast after job crash did not pass"
    assert "1 of 2 specs run" in result.stderr


def test_faults_and_seed_override_the_specs_mock(tmp_path):
    path = spec(tmp_path, "hello", {"stats": STATS})
    result = c2d("run", path, "-q", "--faults", "failing", "--seed", "3", "--json", "r.json", cwd=tmp_path)
    assert result.exit_code == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["target"] == "mock (default world, faults failing)"
    assert report["jobs"][0]["status"] in (31, 32)
    remote = c2d("run", path, "--faults", "flaky", "--target", "https://p.example", "--chain-id", "1", cwd=tmp_path)
    assert remote.exit_code == 2 and "--faults and --seed need a mock target" in remote.output


def test_var_and_env_file_feed_spec_variables(tmp_path, environ):
    text = spec(tmp_path, "vars", {"stats": STATS}).read_text().replace("jobs:", "jobs:", 1)
    (tmp_path / "vars.yaml").write_text(text.replace("name: vars", "name: ${RUN_NAME}"))
    (tmp_path / "ci.env").write_text("# CI settings\nexport RUN_NAME='from-file'\n\nOTHER=\"x y\"\n")
    from_file = c2d("validate", "vars.yaml", "--env-file", "ci.env", cwd=tmp_path)
    assert from_file.exit_code == 0, from_file.output
    result = c2d("run", "vars.yaml", "-q", "--env-file", "ci.env", "--var", "RUN_NAME=from-var", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "runs").iterdir()) == [tmp_path / "runs" / "from-var"]
    bad = c2d("validate", "vars.yaml", "--var", "no-equals", cwd=tmp_path)
    assert bad.exit_code == 2 and "expected KEY=VALUE, got 'no-equals'" in bad.output


def test_env_file_lines():
    assert parse_env("A=1\n# c\n export B = 'two words' \nC=\"q\"\nD=a=b\n") == {
        "A": "1", "B": "two words", "C": "q", "D": "a=b"}
    with pytest.raises(EnvFileError, match=r"ci.env:2: expected KEY=VALUE, got 'oops'"):
        parse_env("A=1\noops\n", "ci.env")
