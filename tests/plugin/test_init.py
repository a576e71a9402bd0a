"""`c2d init`: the scaffold passes `c2d validate`, `c2d run` and `pytest` in a fresh directory,
and never overwrites files without --force."""
from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from c2d_runner.cli import main
from c2d_runner.scaffold import FILES


def test_init_then_validate_run_and_pytest_pass(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    init = runner.invoke(main, ["init", "demo"])
    assert init.exit_code == 0, init.output
    assert "next: cd demo && c2d run specs/summary.c2d.yaml && pytest" in init.output

    monkeypatch.chdir(tmp_path / "demo")
    validate = runner.invoke(main, ["validate", "specs/summary.c2d.yaml"])
    assert validate.exit_code == 0, validate.output
    run = runner.invoke(main, ["run", "--quiet", "specs/summary.c2d.yaml"])
    assert run.exit_code == 0, run.output
    assert "summary: 3 passed, 0 failed" in run.output

    # A fresh process, as a user would run it (the plugin comes from the entry point).
    tests = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
                           cwd=tmp_path / "demo", capture_output=True, text=True, timeout=120)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "6 passed" in tests.stdout


def test_init_refuses_to_overwrite_without_force(tmp_path):
    runner = CliRunner()
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "summary.c2d.yaml").write_text("mine\n")
    refused = runner.invoke(main, ["init", str(tmp_path)])
    assert refused.exit_code == 2
    assert "would overwrite" in refused.output and "summary.c2d.yaml" in refused.output
    assert "--force" in refused.output
    assert (tmp_path / "specs" / "summary.c2d.yaml").read_text() == "mine\n"
    assert not (tmp_path / "mock" / "world.yaml").exists()  # all or nothing

    forced = runner.invoke(main, ["init", "--force", str(tmp_path)])
    assert forced.exit_code == 0, forced.output
    assert all((tmp_path / name).is_file() for name in FILES)
    assert (tmp_path / "specs" / "summary.c2d.yaml").read_text() != "mine\n"


def test_world_follows_the_schema_and_the_spec_names_its_dids(tmp_path):
    from mockprovider import load_world

    from c2d_runner.scaffold import scaffold
    from c2d_runner.spec import load_spec

    scaffold(tmp_path)
    world = load_world(tmp_path / "mock" / "world.yaml")
    dids = {a.name: a.did for a in world.assets}
    plan = load_spec(tmp_path / "specs" / "summary.c2d.yaml", env={})
    assert {j.dataset.did for j in plan.jobs} == {dids["weather"]}
    assert {j.algorithm.did for j in plan.jobs} == {dids["summary"]}
