"""Spec files as pytest items, run in a pytest subprocess on a scaffolded project: one item per
job, readable failures, invalid specs as one failing item, -k / -x / node ids, --junitxml, the
spec glob ini option, explicit files, and --c2d-target."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.plugin.conftest import ALGORITHM_DID, DATASET_DID, FAILING_SPEC, INVALID_SPEC, write

JOBS = ["temperature", "columns[column=temperature_c]", "columns[column=rain_mm]"]


def literal(text: str) -> str:
    """`text` as an fnmatch pattern that matches only itself (matrix names hold brackets)."""
    return "".join(f"[{c}]" if c in "[]*?" else c for c in text)


def test_jobs_pass_and_fail_with_expectations_log_tail_diagnostics_and_junit(project: pytest.Pytester):
    write(project, "specs/failing.c2d.yaml", FAILING_SPEC)
    write(project, "specs/broken.c2d.yaml", INVALID_SPEC)
    result = project.runpytest_subprocess("specs", "-p", "no:cacheprovider", "-v", "--junitxml=report.xml")

    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines([literal(f"specs/summary.c2d.yaml::{job}") + " PASSED*" for job in JOBS], consecutive=False)
    result.stdout.fnmatch_lines([
        "*failing::wrong-rows*",
        "job wrong-rows FAILED: 2 of 5 expectations did not hold (outputs*.json*rows*, logs.contains)",
        "  (status 70 Job finished, job id *, *s)",
        literal("  outputs[summary.json].json[rows]"),
        "    expected: 15",
        "    got:      14",
        "  logs.contains",
        "  algorithm.log (last 2 lines):",
        "    | summary: * 14 rows",
        "    | summary: done",
        "run folder: *wrong-rows*",
    ])
    result.stdout.fnmatch_lines(["FAILED specs/failing.c2d.yaml::wrong-rows - job wrong-rows FAILED: 2 of 5*"])
    result.stdout.fnmatch_lines([
        "*broken.c2d.yaml: invalid spec*",
        "specs/broken.c2d.yaml:6:20: error: must be a DID*[[]jobs.j.dataset.did[]]",
        "specs/broken.c2d.yaml:8:14: error: must be a duration*[[]jobs.j.timeout[]]",
        "invalid spec: 2 problems; no job was run",
    ])
    assert "Traceback" not in result.stdout.str()

    cases = ET.parse(project.path / "report.xml").getroot().iter("testcase")
    by_name = {(c.get("classname"), c.get("name")): c for c in cases}
    assert set(by_name) == {("specs.summary.c2d.yaml", job) for job in JOBS} | {
        ("specs.failing.c2d.yaml", "wrong-rows"), ("specs.broken.c2d.yaml", "validate")}
    failure = by_name["specs.failing.c2d.yaml", "wrong-rows"].find("failure")
    assert failure is not None and "expected: 15" in failure.text
    props = {p.get("name"): p.get("value") for p in by_name["specs.summary.c2d.yaml", "temperature"].iter("property")}
    assert props.keys() >= {"c2d_job_id", "c2d_run_folder"}


def test_k_x_and_node_ids_select_single_jobs(project: pytest.Pytester):
    write(project, "specs/failing.c2d.yaml", FAILING_SPEC)
    picked = project.runpytest_subprocess("specs", "-p", "no:cacheprovider", "-v", "-k", "columns and rain")
    picked.assert_outcomes(passed=1, deselected=3)
    picked.stdout.fnmatch_lines(["specs/summary.c2d.yaml::columns[[]column=rain_mm[]] PASSED*"])

    # A matrix job's template name selects all of its variants, like a parametrized test's name.
    by_id = project.runpytest_subprocess("-p", "no:cacheprovider", "-x", "specs/summary.c2d.yaml::columns",
                                         "specs/failing.c2d.yaml", "specs/summary.c2d.yaml::temperature")
    by_id.assert_outcomes(passed=2, failed=1)  # -x: temperature, after the failure, never ran


def test_spec_glob_ini_and_files_named_on_the_command_line(project: pytest.Pytester):
    # A project that keeps only specs in specs/ can collect every *.yaml there.
    write(project, "specs/plain.yaml", FAILING_SPEC.replace("failing", "plain"))
    write(project, "pytest.ini", "[pytest]\nc2d_spec_glob = *.c2d.yaml specs/*.yaml\n")
    collected = project.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider", "specs")
    collected.stdout.fnmatch_lines(["specs/plain.yaml::wrong-rows", "specs/summary.c2d.yaml::temperature"],
                                   consecutive=False)

    # Without the pattern, a spec is still collected when named explicitly; a world file is not.
    write(project, "pytest.ini", "[pytest]\n")
    named = project.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider", "specs/plain.yaml")
    named.stdout.fnmatch_lines(["specs/plain.yaml::wrong-rows"])
    world = project.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider", "mock/world.yaml")
    assert "world.yaml::" not in world.stdout.str()
    assert world.ret != 0


def test_c2d_target_runs_specs_elsewhere(project: pytest.Pytester):
    # This spec names no world, so on its own it runs on the bundled world, where these DIDs do not
    # exist; --c2d-target points it at the project's world instead.
    write(project, "specs/default-target.c2d.yaml", f"""\
        version: 1
        name: default-target
        jobs:
          summary:
            dataset: {{did: "{DATASET_DID}"}}
            algorithm: {{did: "{ALGORITHM_DID}"}}
            expect: {{outputs: [{{name: summary.json}}]}}
        """)
    own = project.runpytest_subprocess("-p", "no:cacheprovider", "specs/default-target.c2d.yaml")
    own.assert_outcomes(failed=1)
    own.stdout.fnmatch_lines(["plan refused, nothing was started: job summary: DDO not found*"])

    moved = project.runpytest_subprocess("-p", "no:cacheprovider", "--c2d-target", "mock:mock/world.yaml",
                                         "specs/default-target.c2d.yaml")
    moved.assert_outcomes(passed=1)

    bad = project.runpytest_subprocess("-p", "no:cacheprovider", "--c2d-target", "ftp://127.0.0.1:9", "specs")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--c2d-target: --target must be 'mock'*"])
    # A URL without a chain id may be an Ocean Node (free compute needs none): accepted here, and the
    # runs then say what is missing (this one: the consumer key a real service needs).
    keyless = project.runpytest_subprocess("-p", "no:cacheprovider", "--c2d-target", "http://127.0.0.1:9", "specs")
    assert keyless.ret == pytest.ExitCode.TESTS_FAILED
    keyless.stdout.fnmatch_lines(["*needs a consumer key*"])


def test_c2d_rpc_goes_with_a_provider_url_target(project: pytest.Pytester):
    alone = project.runpytest_subprocess("-p", "no:cacheprovider", "--c2d-rpc", "http://127.0.0.1:9", "specs")
    assert alone.ret == pytest.ExitCode.USAGE_ERROR
    alone.stderr.fnmatch_lines(["*--c2d-rpc needs a provider URL --c2d-target*"])
    on_mock = project.runpytest_subprocess("-p", "no:cacheprovider", "--c2d-target", "mock", "--c2d-rpc",
                                           "http://127.0.0.1:9", "specs")
    assert on_mock.ret == pytest.ExitCode.USAGE_ERROR
    on_mock.stderr.fnmatch_lines(["*a mock pays on its own local chain*"])


def test_provider_target_with_a_consumer_key(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    # What "switch to a real provider" does, against a mock served on loopback as if it were one:
    # a provider URL target, a chain id and the consumer key from the environment.
    from c2d_runner.testing import C2DMock
    from c2d_runner.wire import TEST_CONSUMER_KEY

    spec = (project.path / "specs" / "summary.c2d.yaml").read_text()
    write(project, "specs/summary.c2d.yaml", spec.replace("version: 1\n", "version: 1\nconsumer:\n  key: ${C2D_PRIVATE_KEY}\n"))
    monkeypatch.setenv("C2D_PRIVATE_KEY", TEST_CONSUMER_KEY)
    with C2DMock.start(world=project.path / "mock" / "world.yaml") as provider:
        result = project.runpytest_subprocess("-p", "no:cacheprovider", "-v", "specs", "-k", "temperature and not column",
                                              "--c2d-target", provider.url, "--c2d-chain-id", str(provider.chain_id))
        assert provider.ocean.request_count > 0  # the job went to this server, not to a session mock
    result.assert_outcomes(passed=1, deselected=2)


def test_a_mock_without_a_sandbox_is_said_once_at_the_end(project: pytest.Pytester, monkeypatch):
    """Issue 14: pytest was silent when spec jobs ran unsandboxed."""
    monkeypatch.setenv("C2D_MOCK_SANDBOX", "none")
    result = project.runpytest_subprocess("specs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert result.stdout.str().count("c2d: WARNING: the mock runs algorithms WITHOUT A SANDBOX") == 1
