"""pytest-xdist spreads spec jobs over worker processes, each with its own session mocks."""
from __future__ import annotations

import pytest

from tests.plugin.conftest import FAILING_SPEC, write

pytest.importorskip("xdist", reason="pytest-xdist is in the test extras: pip install -e '.[test]'")


def test_spec_items_run_on_two_workers(project: pytest.Pytester):
    write(project, "specs/failing.c2d.yaml", FAILING_SPEC)
    result = project.runpytest_subprocess("specs", "-p", "no:cacheprovider", "-n", "2", "--junitxml=report.xml")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*expected: 15*", "*got:      14*"], consecutive=False)
    assert (project.path / "report.xml").read_text().count("<testcase ") == 4
