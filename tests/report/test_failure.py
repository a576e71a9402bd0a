"""One failure text: the console summary, JUnit XML and the pytest plugin tell a failed job alike."""
import xml.etree.ElementTree as ET
from dataclasses import replace

from c2d_runner.engine.outcome import FAILED
from c2d_runner.pytest_items import describe_failure
from c2d_runner.report import format_summary, junit_xml
from c2d_runner.report.failure import failure_lines, failure_reason

from .outcomes import errored, failed, run


def test_console_junit_and_pytest_show_the_same_text():
    for job in (failed(), errored()):
        text = "\n".join(failure_lines(job))
        assert text in format_summary(run(job))
        tag = "failure" if job.outcome == FAILED else "error"
        assert ET.fromstring(junit_xml(run(job))).find(f"testsuite/testcase/{tag}").text == text
        assert describe_failure(run(job), job) == text + f"\nrun folder: {job.folder}"


def test_reason_falls_back_from_expectations_to_error_to_status():
    job = failed()
    assert failure_reason(job) == "2 of 3 expectations did not hold (outputs[stats.json].sha256, logs.contains)"
    assert failure_reason(replace(job, expectations=(), error="\n  order expired\nmore")) == "order expired"
    assert failure_reason(replace(job, expectations=(), status=32, status_text="Failed")) == "ended with status 32 Failed"
    assert failure_reason(replace(errored(), error="", status=None)) == "could not be run to the end"


def test_the_error_is_told_once_and_a_job_that_never_ran_has_no_log_line():
    job = replace(errored(), job_id=None, status=None, duration=None, log_tail="",
                  error="DDO not found\n\x1b[31mdid:op:00\x1b[0m")
    assert failure_lines(job) == ["job big ERROR: DDO not found", "  did:op:00"]
