"""`c2d results` downloads through the run's own code, without sockets: same folders, same names."""

from c2d_runner import exitcodes
from c2d_runner.engine.commands import job_results
from c2d_runner.engine.records import JobRecord
from c2d_runner.engine.results import Downloaded, ResultsIncomplete
from c2d_runner.ocean.records import JobResult
from c2d_runner.spec.model import KeySource, MockTarget

from .fakes import DATASET_DID, JOB_ID, PROVIDER, FakeCompute, FakeWallet, status


def test_results_of_a_recorded_job_land_in_outputs_and_logs(tmp_path):
    listing = (JobResult(0, "output", "../escape.json"), JobResult(1, "algorithmLog", "algorithm.log"))
    compute = FakeCompute(script=[status(70, "Job finished", listing)], files={0: b"{}", 1: b"log"})
    record = JobRecord(JOB_ID, "j", tmp_path, MockTarget(), PROVIDER, DATASET_DID, "compute", KeySource())
    got = job_results(record, compute, FakeWallet(), tmp_path / "again")
    assert got.problems == () and not got.unreachable
    assert [r.path for r in got.records] == [tmp_path / "again" / "outputs" / "escape.json",
                                             tmp_path / "again" / "logs" / "algorithm.log"]
    assert compute.called("status") == [("status", JOB_ID)]


def test_missing_results_exit_1_or_3_when_no_service_answered():
    refused = ResultsIncomplete(Downloaded((), ("result 0 (x) could not be downloaded: 404",)))
    assert refused.exit_code == exitcodes.FAILED and str(refused).startswith("result 0 (x)")
    unanswered = ResultsIncomplete(Downloaded((), ("result 0 (x) could not be downloaded: timeout",), True))
    assert unanswered.exit_code == exitcodes.INFRASTRUCTURE
