"""Node status semantics: over when dateFinished is set, 70/71 success only with exit code 0."""
from __future__ import annotations

import pytest

from c2d_runner.ocean.node import status as st


def job(code, finished="1764590016.2", exit_code=0, oom=False, **extra):
    return {"status": code, "statusText": st.STATUS_TEXT.get(code, "?"), "dateCreated": "1764590000.1",
            "dateFinished": finished, "terminationDetails": {"exitCode": exit_code, "OOMKilled": oom},
            "maxJobDuration": 600, **extra}


def test_texts_are_the_nodes_verbatim():
    assert st.status_text(40) == "Running algorithm "  # trailing space, as on the wire
    assert st.status_text(71) == "Job settling" and st.status_text(42) == "Error: disk quota exceeded"
    assert st.status_text(99) == "Unknown status" and st.status_text(None) == "no status"
    assert set(st.STATUS_TEXT) == {0, 1, 2, 10, 11, 12, 13, 14, 20, 21, 22, 30, 31, 32, 33, 40, 41, 42,
                                   50, 60, 61, 62, 70, 71}


@pytest.mark.parametrize("code", [10, 20, 30, 40, 60])
def test_running_statuses_are_not_over(code):
    verdict = st.judge(job(code, finished=None, exit_code=None))
    assert not verdict.over and not verdict.succeeded and verdict.reason == ""


@pytest.mark.parametrize("code", [70, 71])
def test_settling_and_finished_with_exit_0_succeed(code):
    verdict = st.judge(job(code))
    assert verdict.over and verdict.succeeded and verdict.exit_code == 0 and verdict.reason == ""
    assert verdict.date_finished == pytest.approx(1764590016.2) and verdict.date_created == pytest.approx(1764590000.1)


def test_71_without_date_finished_is_not_over_yet():
    assert not st.judge(job(71, finished=None)).over


def test_nonzero_exit_at_71_fails_with_the_exit_code():
    verdict = st.judge(job(71, exit_code=3))
    assert verdict.over and not verdict.succeeded
    assert verdict.reason == "the algorithm exited with code 3"


def test_stop_and_timeout_kills_are_told_apart():
    stopped = st.judge(job(71, exit_code=137, stopRequested=True))
    assert stopped.stop_requested == 1 and stopped.reason == "the job was stopped on request (exit code 137)"
    killed = st.judge(job(70, exit_code=137, stopRequested=False, maxJobDuration=60,
                          algoStartTimestamp="1764590003.0", algoStopTimestamp="1764590065.0"))
    assert killed.stop_requested == 2 and "killed after maxJobDuration 60 s (exit code 137)" in killed.reason
    crashed = st.judge(job(71, exit_code=137, algoStartTimestamp="1764590003.0", algoStopTimestamp="1764590005.0"))
    assert crashed.stop_requested == 0 and crashed.reason == "the algorithm exited with code 137"


def test_oom_killed_is_reported_as_such():
    verdict = st.judge(job(71, exit_code=137, oom=True))
    assert not verdict.succeeded and verdict.oom_killed
    assert "running out of memory (OOMKilled" in verdict.reason


def test_no_exit_code_at_70_is_not_success():
    # the claim cron turns 41/42/61/62 into 70 too; without an exit code we cannot call it a success
    verdict = st.judge(job(70, exit_code=None))
    assert verdict.over and not verdict.succeeded and "no exit code" in verdict.reason


@pytest.mark.parametrize("code", sorted(st.FAILURE_STATUSES))
def test_failure_statuses_fail_with_the_status_text(code):
    verdict = st.judge(job(code, exit_code=None))
    assert verdict.over and not verdict.succeeded
    assert verdict.reason == f"status {code} {st.STATUS_TEXT[code]}"


def test_failure_without_date_finished_still_counts_as_over():
    assert st.judge(job(31, finished=None, exit_code=None)).over


def test_provisioning_failures_name_configuration_log_as_their_reason():
    assert st.judge(job(31, exit_code=None)).reason_log == "configurationLog"
    assert st.judge(job(11, exit_code=None)).reason_log == "imageLog"
    assert st.judge(job(22, exit_code=None)).reason_log is None
    assert st.judge(job(71)).reason_log is None


def test_reason_with_the_log_tail():
    log = ("Writing algocustom data to '/data/inputs/algoCustomData.json'\n\nDownloading asset 0 to /data/inputs/\n"
           "Unable to write input data to path: /x/inputs/missing.csv: Request failed with status code 404\n")
    reason = st.with_log_tail("status 31 Data provisioning failed", log, lines=2)
    assert reason == ("status 31 Data provisioning failed: Downloading asset 0 to /data/inputs/ | "
                      "Unable to write input data to path: /x/inputs/missing.csv: Request failed with status code 404")
    assert st.with_log_tail("r", "\n \n") == "r"


def test_odd_values_do_not_crash():
    verdict = st.judge({"status": "40", "dateFinished": "0", "terminationDetails": None})
    assert verdict.status == 40 and not verdict.over and verdict.status_text == "Running algorithm "
    assert st.judge({}).status is None


@pytest.mark.parametrize("hostile", ["9" * 5000, "1e1000000", "-1e400", 10**40, "nan", "inf"])
def test_hostile_numbers_from_a_node_are_unknown_not_a_crash(hostile):
    verdict = st.judge(job(hostile, finished=hostile, exit_code=hostile))
    assert verdict.date_finished is None and not verdict.succeeded
