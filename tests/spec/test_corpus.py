"""Every malformed spec gives exactly the diagnostics (position, message, path) we promise."""
import json

import pytest
from click.testing import CliRunner

from c2d_runner.cli import main
from c2d_runner.spec import check_file

from .corpus import CASES, VALID


@pytest.mark.parametrize("text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_spec_diagnostics(tmp_path, monkeypatch, text, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_bytes(text if isinstance(text, bytes) else text.encode())
    plan, problems = check_file("spec.yaml", env={})
    assert plan is None
    assert [d.format() for d in problems] == expected


def test_corpus_is_big_enough():
    assert len(CASES) >= 40


def test_valid_base_spec_is_valid(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(VALID)
    plan, problems = check_file("spec.yaml", env={})
    assert problems == [] and [j.name for j in plan.jobs] == ["j"]


def test_all_problems_reported_sorted_by_position(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = VALID.replace("version: 1", "version: 3").replace("name: t", "name: 'a b'") + "extra: 1\n"
    (tmp_path / "spec.yaml").write_text(text)
    _, problems = check_file("spec.yaml", env={})
    assert [(d.line, d.path) for d in problems] == [(1, "version"), (2, "name"), (7, "extra")]


def test_cli_validate_reports_and_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(VALID)
    (tmp_path / "bad.yaml").write_text(VALID.replace("version: 1", "version: 2"))
    result = CliRunner().invoke(main, ["validate", "good.yaml", "bad.yaml"])
    assert result.exit_code == 2
    assert "good.yaml: ok (1 job)" in result.output
    assert "bad.yaml:1:10: error: must be 1, got 2 [version]" in result.output
    assert "Traceback" not in result.output


def test_cli_validate_json_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("version: 1\nname: t\njobs: {}\n")
    result = CliRunner().invoke(main, ["validate", "--format", "json", "bad.yaml"])
    assert result.exit_code == 2
    assert json.loads(result.output) == [{"file": "bad.yaml", "valid": False, "jobs": 0, "problems": [
        {"file": "bad.yaml", "line": 3, "col": 7, "message": "must not be empty", "path": "jobs"}]}]


def test_cli_validate_missing_file_is_a_diagnostic_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", "absent.yaml"])
    assert result.exit_code == 2
    assert result.output.startswith("absent.yaml:1:1: error: cannot read file: No such file or directory")
