"""Issue 14's first-hour surprises on the run path: each test failed before its fix."""
import json

from c2d_runner.engine.commands import timeout_warnings

from .conftest import ROOT
from .test_run import c2d

HELLO = ROOT / "specs" / "hello.yaml"


def test_timeout_beyond_max_job_duration_is_a_warning():
    [warning] = timeout_warnings(600, 60)
    assert warning.startswith("the timeout (10m) exceeds the environment's maxJobDuration (1m)")
    assert timeout_warnings(60, 60) == [] and timeout_warnings(600, None) == [] and timeout_warnings(600, 0) == []


def test_plan_warns_that_the_default_timeout_exceeds_the_free_environment(tmp_path):
    result = c2d("plan", HELLO, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "  warning      the timeout (10m) exceeds the environment's maxJobDuration (1m)" in result.output
    report = json.loads(c2d("plan", HELLO, "--format", "json", cwd=tmp_path).output)
    assert report["jobs"][0]["warnings"][0].startswith("the timeout (10m)")
