"""JUnit XML: structure, counts, escaping, and that what is written parses back."""
import xml.etree.ElementTree as ET
from dataclasses import replace

from c2d_runner.engine.outcome import ExpectationResult
from c2d_runner.report import junit_xml, write_junit

from .outcomes import errored, failed, passed, run, skipped


def parse(text):
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    return root, suites[0]


def counts(element):
    return {key: element.get(key) for key in ("tests", "failures", "errors", "skipped")}


def test_one_case_per_job_with_counts_on_suite_and_root():
    root, suite = parse(junit_xml(run(passed(), failed(), errored(), skipped())))
    expected = {"tests": "4", "failures": "1", "errors": "1", "skipped": "1"}
    assert counts(suite) == expected
    assert counts(root) == expected
    assert suite.get("name") == "demo"
    assert suite.get("time") == "605.500"
    assert suite.get("timestamp") == "2026-11-25T01:02:03Z"
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in cases] == [
        ("demo", "stats", "1.800"), ("demo", "train", "3.250"), ("demo", "big", "600.000"), ("demo", "later", "0.000")]
    properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert properties == {"run_id": "20261125-010203", "target": "mock (bundled world)",
                          "spec": "specs/demo.yaml", "folder": "runs/demo/20261125-010203", "interrupted": "false"}


def test_passed_job_has_no_failure_and_reports_ids_history_and_results():
    _, suite = parse(junit_xml(run(passed())))
    case = suite.find("testcase")
    assert case.find("failure") is None and case.find("error") is None and case.find("skipped") is None
    out = case.find("system-out").text
    assert "job id: 0xjob1" in out
    assert "environment: env-free" in out
    assert "status: 70 Job finished" in out
    assert "40 Running algorithm" in out
    assert f"[0] stats.json (output, 42 bytes) sha256:{'ab' * 32}" in out
    assert f"[1] algorithm.log (algorithmLog, 1500 bytes) sha256:{'cd' * 32}" in out


def test_failed_job_lists_every_failed_expectation_then_the_log_tail():
    _, suite = parse(junit_xml(run(failed())))
    failure = suite.find("testcase/failure")
    assert failure.get("type") == "expectation"
    assert failure.get("message") == "2 of 3 expectations did not hold (outputs[stats.json].sha256, logs.contains)"
    assert failure.text.splitlines() == [
        "job train FAILED: 2 of 3 expectations did not hold (outputs[stats.json].sha256, logs.contains)",
        "  (status 70 Job finished, job id 0xjob2, 3.2s)",
        "  outputs[stats.json].sha256",
        "    expected: ab12",
        "    got:      cd34",
        "  logs.contains",
        '    expected: "done"',
        "    got:      not found",
        "  algorithm.log (last 3 lines):",
        "    | epoch 1", "    | epoch 2", "    | loss=nan"]


def test_failed_job_without_expectations_says_why():
    job = replace(failed(), expectations=(), status=31, status_text="Failed", error="", log_tail="")
    _, suite = parse(junit_xml(run(job)))
    failure = suite.find("testcase/failure")
    assert failure.get("message") == "ended with status 31 Failed"
    assert failure.text.splitlines() == ["job train FAILED: ended with status 31 Failed",
                                         "  (status 31 Failed, job id 0xjob2, 3.2s)",
                                         "  algorithm.log: empty or absent"]


def test_error_job_carries_the_error_and_the_log_tail():
    _, suite = parse(junit_xml(run(errored())))
    error = suite.find("testcase/error")
    assert error.get("message") == "timeout after 10m; the job was stopped"
    assert error.text.splitlines() == [
        "job big ERROR: timeout after 10m; the job was stopped",
        "  (status 40 Running algorithm, job id 0xjob3, 600.0s)",
        "  stop answered 200",
        "  algorithm.log (last 2 lines):",
        "    | step 1", "    | step 2"]
    assert "stop requested: 1" in suite.find("testcase/system-out").text


def test_skipped_job():
    root, suite = parse(junit_xml(run(skipped())))
    assert suite.find("testcase/skipped").get("message") == "not selected by --only"
    assert counts(suite) == {"tests": "1", "failures": "0", "errors": "0", "skipped": "1"}


def test_plan_problems_become_one_plan_case_with_an_error():
    problems = ("specs/demo.yaml:4:3: error: unknown dataset did:op:00 [jobs.a.dataset]",
                "specs/demo.yaml:9:5: error: no free environment [defaults.environment]")
    _, suite = parse(junit_xml(run(problems=problems, duration=0.0)))
    assert counts(suite) == {"tests": "1", "failures": "0", "errors": "1", "skipped": "0"}
    case = suite.find("testcase")
    assert (case.get("classname"), case.get("name")) == ("demo", "plan")
    error = case.find("error")
    assert error.get("type") == "plan"
    assert error.get("message") == "2 plan problems; nothing was started"
    assert error.text.splitlines() == list(problems)


def test_xml_hostile_log_text_is_escaped_or_stripped_and_parses():
    hostile = ('ok "quoted" & \'single\' <tag attr="x">\n'
               "]]> cdata end\n"
               "bell\x07 nul\x00 esc\x1b[31mred\x1b[0m vt\x0b ff\x0c del\x7f\n"
               "lone surrogate \udcff and U+FFFE \ufffe and emoji \U0001f600\n"
               "tab\tcr\r\n")
    job = failed(name='we<ird> "name" & co', log_tail=hostile)
    text = junit_xml(run(job))
    _, suite = parse(text)  # a forbidden character anywhere would make this raise
    case = suite.find("testcase")
    assert case.get("name") == 'we<ird> "name" & co'
    body = case.find("failure").text
    assert 'ok "quoted" & \'single\' <tag attr="x">' in body
    assert "]]> cdata end" in body
    # Control characters are shown as escapes, as on the console; the ANSI colours are gone.
    assert r"bell\x07 nul\x00 escred vt\x0b ff\x0c del\x7f" in body
    assert "lone surrogate  and U+FFFE  and emoji \U0001f600" in body
    assert "tab\tcr" in body
    assert "]]>" not in text.replace("]]&gt;", "")


def test_hostile_expectation_text_in_attributes_and_body():
    job = replace(failed(), expectations=(ExpectationResult('logs\x01<contains>', False, '"a\x1b[1m<b>"', "x\ny"),))
    _, suite = parse(junit_xml(run(job)))
    failure = suite.find("testcase/failure")
    assert failure.get("message") == r"1 of 1 expectation did not hold (logs\x01<contains>)"
    assert failure.text.splitlines()[2:5] == [r"  logs\x01<contains>", '    expected: "a<b>"',
                                              "    got:      x"]
    assert failure.text.splitlines()[5] == "              y"


def test_write_junit_writes_atomically_into_new_folders(tmp_path):
    target = tmp_path / "reports" / "junit.xml"
    assert write_junit(run(passed(), failed()), target) == target
    _, suite = parse(target.read_text(encoding="utf-8"))
    assert suite.get("tests") == "2"
    assert sorted(p.name for p in target.parent.iterdir()) == ["junit.xml"]
