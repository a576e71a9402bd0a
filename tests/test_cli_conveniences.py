"""What people expect of the CLI (issue 14): several specs or a folder, -V, --fail-fast, --faults,
--seed, --var and --env-file."""
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from c2d_runner.cli import main
from c2d_runner.envfile import EnvFileError, parse_env
from c2d_runner.specfiles import NoSpecFiles, spec_files
from tests.engine.test_run import c2d

IRIS = "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"
STATS = "did:op:06021804ada2eff0cbd121bc1a4074fef2ac069a86a27a81e68019358a1c5c92"
FAIL = "did:op:db43054613262fcd3364ee0228ee1e024784c927431f2e04911fb3966bf0161e"


@pytest.fixture
def environ(monkeypatch):
    """--var and --env-file export to os.environ: give each test its own copy."""
    monkeypatch.setattr(os, "environ", os.environ.copy())
    return os.environ


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


def test_init_writes_a_gitignore_and_a_ci_workflow(tmp_path):
    (tmp_path / ".gitignore").write_text("*.pyc")  # an existing one is added to, never replaced
    result = c2d("init", ".", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\nruns/\n.venv/\n__pycache__/\n.pytest_cache/\nc2d-junit.xml\n"
    workflow = (tmp_path / ".github" / "workflows" / "c2d.yml").read_text()
    import yaml

    steps = [s.get("run", "") for s in yaml.safe_load(workflow)["jobs"]["specs"]["steps"]]
    assert "c2d validate --format github specs" in steps and "c2d run specs --junit c2d-junit.xml" in steps
    again = c2d("init", ".", "--force", cwd=tmp_path)
    assert again.exit_code == 0 and (tmp_path / ".gitignore").read_text().count("runs/") == 1


def test_named_targets_from_the_project_config(tmp_path, environ):
    from c2d_runner.connect import parse_target
    from c2d_runner.projectconfig import ProjectConfigError
    from c2d_runner.spec.model import MockTarget, RemoteTarget

    (tmp_path / "mock").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.c2d.targets.base-node]\nprovider = "https://node.example/"\nchain_id = 8453\n'
        '\n[tool.c2d.targets.flaky]\nmock = "mock/world.yaml"\nfaults = "flaky"\nseed = 7\n')
    (tmp_path / "sub").mkdir()
    old = os.getcwd()
    os.chdir(tmp_path / "sub")  # found from below, as git finds its repository
    try:
        assert parse_target("base-node") == RemoteTarget("https://node.example", "https://node.example", 8453)
        assert parse_target("base-node", 1).chain_id == 1
        assert parse_target("flaky") == MockTarget(world=tmp_path / "mock" / "world.yaml", faults="flaky", seed=7)
        with pytest.raises(ProjectConfigError, match=r"no target named 'nope' in .*pyproject.toml; named targets: "
                                                     r"base-node, flaky"):
            parse_target("nope")
        (tmp_path / "sub" / "c2d.toml").write_text('[targets.here]\nmock = ""\n')  # nearer, and c2d.toml first
        assert parse_target("here") == MockTarget()
    finally:
        os.chdir(old)


def test_a_named_target_runs(tmp_path):
    (tmp_path / "c2d.toml").write_text('[targets.chaos]\nfaults = "failing"\n')
    path = spec(tmp_path, "hello", {"stats": STATS})
    result = c2d("run", path, "-q", "--target", "chaos", "--json", "r.json", cwd=tmp_path)
    assert result.exit_code == 1
    assert json.loads((tmp_path / "r.json").read_text())["target"] == "mock (default world, faults failing)"


def test_run_history_latest_list_show_clean(tmp_path):
    path = spec(tmp_path, "hello", {"stats": STATS})
    for _ in range(3):
        assert c2d("run", path, "-q", cwd=tmp_path).exit_code == 0
    runs = sorted(p.name for p in (tmp_path / "runs" / "hello").iterdir() if not p.is_symlink())
    latest = tmp_path / "runs" / "hello" / "latest"
    assert latest.is_symlink() and os.readlink(latest) == runs[-1]
    listed = c2d("runs", "list", cwd=tmp_path)
    assert [line.split()[1] for line in listed.stdout.splitlines()] == runs[::-1]
    assert all(line.split()[2] == "passed" for line in listed.stdout.splitlines())
    shown = c2d("runs", "show", "hello", cwd=tmp_path)
    assert shown.exit_code == 0 and f"run {runs[-1]} of" in shown.stdout and "hello: 1 passed" in shown.stdout
    assert c2d("runs", "show", "nope", cwd=tmp_path).exit_code == 2
    cleaned = c2d("runs", "clean", "--keep", "1", cwd=tmp_path)
    assert cleaned.exit_code == 0 and "2 run folders removed" in cleaned.stderr
    assert sorted(p.name for p in (tmp_path / "runs" / "hello").iterdir()) == sorted([runs[-1], "latest"])
    # The job commands find jobs in real run folders, not twice through the link.
    record = json.loads((latest / "run.json").read_text())
    status = c2d("status", record["jobs"][0]["job_id"], cwd=tmp_path)
    assert status.exit_code == 0, status.output
