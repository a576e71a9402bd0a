"""Never start a job twice, without sockets: a start whose answer was lost is looked up in the
provider's job list (by the orders it spent) before anything is started again."""
import pytest

from c2d_runner.engine.jobrun import JobRun
from c2d_runner.engine.journal import JobJournal
from c2d_runner.engine.runner import target_from_record, target_record
from c2d_runner.ocean.errors import ProviderError
from c2d_runner.spec.model import MockTarget, RemoteTarget

from .fakes import JOB_ID, PROVIDER, FakeCompute, context, resolved, status

ORDER = "0x" + "cd" * 32
ORDERS = {"dataset": ORDER, "additional": [], "algorithm": None}


def starting(orders=ORDERS) -> JobJournal:
    """What the journal holds for a job whose "starting" was written but whose answer never came."""
    return JobJournal(name="j", orders=orders, provider=PROVIDER)


def journal_events(ctx, event):
    return [e for e in ctx.journal.events() if e["event"] == event]


def test_resumed_job_found_in_the_job_list_is_not_started_again(tmp_path):
    # The provider lists the order id with another case and without 0x: still the same order.
    listed = [status(40, job_id="other", agreement_id="0x" + "ef" * 32),
              status(40, job_id="found", agreement_id=ORDER.upper().removeprefix("0X"))]
    compute = FakeCompute(listed=listed)
    ctx = context(compute, tmp_path)
    assert JobRun(resolved(), ctx, resume=starting()).start() == "found"
    assert compute.called("start") == [] and compute.called("order") == []
    [started] = journal_events(ctx, "started")
    assert started["job_id"] == "found" and started["reconciled"] is True


def test_resumed_job_not_in_the_job_list_is_started_once_with_the_recorded_orders(tmp_path):
    compute = FakeCompute(listed=[status(70, job_id="old", agreement_id="0x" + "ef" * 32)])
    ctx = context(compute, tmp_path)
    assert JobRun(resolved(), ctx, resume=starting()).start() == JOB_ID
    assert compute.called("order") == []  # the recorded orders are spent again, not new ones
    assert compute.called("start") == [("start", ORDER)]
    assert [e["orders"] for e in journal_events(ctx, "starting")] == [ORDERS]
    assert [e["job_id"] for e in journal_events(ctx, "started")] == [JOB_ID]


def test_a_fresh_start_journals_its_orders_before_the_request(tmp_path):
    compute = FakeCompute()
    ctx = context(compute, tmp_path)
    assert JobRun(resolved(), ctx).start() == JOB_ID
    assert [c[0] for c in compute.calls] == ["order", "start"]
    assert [e["event"] for e in ctx.journal.events()] == ["starting", "started"]
    assert journal_events(ctx, "starting")[0]["orders"]["dataset"] == compute.order_id


@pytest.mark.parametrize("listed, starts", [
    ([status(10, job_id="found", agreement_id="0x" + "ab" * 32)], 1),  # the lost start did start the job
    ([], 2),  # it did not: started once more
])
def test_a_lost_start_answer_is_reconciled_before_starting_again(tmp_path, listed, starts):
    compute = FakeCompute(listed=listed, start_errors=[ProviderError("no answer", status=None, uncertain=True)])
    ctx = context(compute, tmp_path)
    job_id = JobRun(resolved(), ctx).start()
    assert job_id == ("found" if listed else JOB_ID)
    assert len(compute.called("jobs")) == 1 and len(compute.called("start")) == starts


def test_a_refused_start_is_not_retried_nor_looked_up(tmp_path):
    compute = FakeCompute(start_errors=[ProviderError("bad request", status=400)])
    ctx = context(compute, tmp_path)
    with pytest.raises(ProviderError):
        JobRun(resolved(), ctx).start()
    assert compute.called("jobs") == [] and len(compute.called("start")) == 1


@pytest.mark.parametrize("target", [
    MockTarget(), MockTarget(protocol="ocean-node", faults="flaky", seed=7), MockTarget(protocol="provider"),
    RemoteTarget("http://node.example", "http://node.example", None, "ocean-node", 20),
])
def test_the_journal_keeps_the_whole_target(target):
    """A resumed run reopens the same target: a mock's protocol included (it was dropped)."""
    assert target_from_record(target_record(target)) == target
