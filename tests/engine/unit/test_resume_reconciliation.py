"""Never start a job twice, without sockets: a start whose answer was lost is looked up in the
provider's job list (by the orders it spent) before anything is started again."""
from dataclasses import replace

import pytest

from c2d_runner.engine.jobrun import JobRun
from c2d_runner.engine.journal import JobJournal
from c2d_runner.engine.runner import target_from_record, target_record
from c2d_runner.ocean.errors import ProviderError
from c2d_runner.spec.model import MockTarget, RemoteTarget

from .fakes import JOB_ID, PROVIDER, FakeCompute, context, env, resolved, status

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


# -- Ocean Node starts: no agreementId; the start carries a token in its metadata ----------------
CLUSTER = "0x" + "c1" * 32
NODE_ENV = f"{CLUSTER}-free"
RAW_ID = "ab" * 32


def test_a_listed_job_is_matched_by_its_token_or_by_its_orders():
    from c2d_runner.engine.jobrun import started_job

    listed = [status(40, job_id="other", start_token="t-other"), status(40, job_id="by-token", start_token="t-1"),
              status(40, job_id="by-order", agreement_id=ORDER)]
    assert started_job(listed, {}, "t-1") == "by-token"
    assert started_job(listed, ORDERS, None) == "by-order"  # a Provider start: no token
    assert started_job(listed, {}, "t-2") is None  # the node answered and has no such job
    assert started_job(listed, None, None) is None
    assert started_job([status(40, job_id="", start_token="t-1")], {}, "t-1") is None  # an id is needed


class FakeNode:
    """NodeCompute.start scripted: raises the next error (after taking the start) or answers the job id."""

    def __init__(self, compute, errors=()):
        self.compute, self.errors, self.tokens = compute, list(errors), []

    def for_url(self, url):
        return self

    def start(self, wallet, choice, algorithm, datasets, queue_max_wait=None, start_token=None):
        self.tokens.append(start_token)
        self.compute.calls.append(("start", None))
        if self.errors:
            raise self.errors.pop(0)
        return f"{CLUSTER}-{RAW_ID}"


def free_node_job():
    from types import SimpleNamespace

    from c2d_runner.engine.noderesolve import NodeStart

    job = resolved(environment=env(NODE_ENV))
    return replace(job, node_start=NodeStart(SimpleNamespace(free=True), {"meta": {}}, ({"fileObject": {}},)))


def node_context(tmp_path, listed, errors=()):
    compute = FakeCompute(listed=listed)
    compute.nodes = node = FakeNode(compute, errors)
    return compute, node, context(compute, tmp_path)


@pytest.mark.parametrize("found", [True, False])
def test_a_lost_node_start_is_found_by_the_token_journaled_before_it_was_sent(tmp_path, found):
    from c2d_runner.ocean.node.client import NodeError

    lost = NodeError("no answer", status=None, uncertain=True)
    compute, node, ctx = node_context(tmp_path, [], [lost])

    def jobs(provider, wallet):  # the node lists raw ids and the metadata it kept
        return (status(10, job_id=RAW_ID, start_token=node.tokens[0]),) if found else ()

    compute.jobs = jobs
    assert JobRun(free_node_job(), ctx).start() == f"{CLUSTER}-{RAW_ID}"  # the prefixed id, either way
    [starting] = journal_events(ctx, "starting")
    assert starting["orders"] == {} and node.tokens == [starting["start_token"]] * (1 if found else 2)
    assert len(starting["start_token"]) == 32


def test_a_resumed_free_node_start_is_found_by_its_journaled_token(tmp_path):
    listed = [status(40, job_id="cd" * 32, start_token="other"), status(40, job_id=RAW_ID, start_token="t-1")]
    compute, node, ctx = node_context(tmp_path, listed)
    past = JobJournal(name="j", orders={}, provider=PROVIDER, start_token="t-1")
    assert JobRun(free_node_job(), ctx, resume=past).start() == f"{CLUSTER}-{RAW_ID}"
    assert node.tokens == []  # never sent again
    [started] = journal_events(ctx, "started")
    assert started["reconciled"] is True


def test_a_resumed_node_start_the_node_does_not_have_is_sent_again_with_the_same_token(tmp_path):
    compute, node, ctx = node_context(tmp_path, [status(70, job_id=RAW_ID, start_token="older")])
    past = JobJournal(name="j", orders={}, provider=PROVIDER, start_token="t-1")
    assert JobRun(free_node_job(), ctx, resume=past).start() == f"{CLUSTER}-{RAW_ID}"
    assert node.tokens == ["t-1"] and journal_events(ctx, "starting")[0]["start_token"] == "t-1"


def test_the_journal_reads_the_start_token_back(tmp_path):
    from c2d_runner.engine.journal import Journal

    journal = Journal(tmp_path)
    journal.write("starting", job="j", orders={}, provider=PROVIDER, start_token="t-1")
    journal.write("starting", job="p", orders=ORDERS, provider=PROVIDER)
    jobs = journal.jobs()
    assert (jobs["j"].orders, jobs["j"].start_token) == ({}, "t-1") and jobs["p"].start_token is None
