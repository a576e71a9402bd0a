"""Jobs of one run share their orders (engine/orderbook.py through JobRun), without sockets: one
order per input set, a refused shared order falls back to ordering once, and a lost start is found
among jobs with the same agreementId."""
import dataclasses

import pytest

from c2d_runner.engine.jobrun import JobRun, find_started_job
from c2d_runner.engine.orderbook import OrderBook
from c2d_runner.ocean.errors import ProviderError

from .fakes import JOB_ID, FakeCompute, context, job_plan, resolved, status

ORDER = "0x" + "ab" * 32


def shared_context(compute, folder, clock=lambda: 1000.0):
    return dataclasses.replace(context(compute, folder), orders=OrderBook(clock))


def test_a_sweep_orders_once_and_the_other_jobs_start_with_that_order(tmp_path):
    compute = FakeCompute()
    ctx = shared_context(compute, tmp_path)
    runs = [JobRun(resolved(job_plan(f"j{n}")), ctx) for n in range(3)]
    for run in runs:
        assert run.start() == JOB_ID
        run._give_back()  # the job ended: its agreementId is free again
    assert len(compute.called("order")) == 1
    assert compute.called("start") == [("start", ORDER)] * 3
    shared = [e for e in ctx.journal.events() if e["event"] == "shared"]
    assert [e["job"] for e in shared] == ["j1", "j2"] and shared[0]["orders"] == {"dataset": ORDER}


def test_a_running_job_keeps_its_order_as_agreement_id_so_the_next_orders_its_own(tmp_path):
    compute = FakeCompute()
    ctx = shared_context(compute, tmp_path)
    first, second = JobRun(resolved(job_plan("a")), ctx), JobRun(resolved(job_plan("b")), ctx)
    first.start()
    compute.order_id = "0x" + "ef" * 32
    second.start()  # a still runs with the order as its agreementId
    assert compute.called("start") == [("start", ORDER), ("start", compute.order_id)]
    assert len(compute.called("order")) == 2
    first._give_back()
    JobRun(resolved(job_plan("c")), ctx).start()
    assert len(compute.called("order")) == 2 and compute.called("start")[-1] == ("start", ORDER)  # a's, now free


def test_an_expired_entry_is_not_shared(tmp_path):
    now = [1000.0]
    compute = FakeCompute()
    ctx = shared_context(compute, tmp_path, clock=lambda: now[0])
    JobRun(resolved(job_plan("a")), ctx).start()
    ctx.orders.give_back(ORDER)
    now[0] += 3600
    JobRun(resolved(job_plan("b")), ctx).start()
    assert len(compute.called("order")) == 2


@pytest.mark.parametrize("refusal", [{"error": {"order": "order_invalid"}},
                                     {"error": "`agreementId` already in use for other job."}])
def test_a_start_refusing_a_shared_order_orders_once_and_starts(tmp_path, refusal):
    compute = FakeCompute()
    ctx = shared_context(compute, tmp_path)
    first = JobRun(resolved(job_plan("a")), ctx)
    first.start()
    first._give_back()
    compute.start_errors = [ProviderError(str(refusal["error"]), status=400, body=refusal)]
    compute.order_id = "0x" + "ef" * 32
    assert JobRun(resolved(job_plan("b")), ctx).start() == JOB_ID
    assert len(compute.called("order")) == 2
    assert compute.called("start")[-2:] == [("start", ORDER), ("start", compute.order_id)]
    starting = [e["orders"]["dataset"] for e in ctx.journal.events() if e["event"] == "starting" and e["job"] == "b"]
    assert starting == [ORDER, compute.order_id]  # the second start's orders are journaled before it is sent
    assert ctx.orders.usable(first._order_keys()["dataset"][0], lent_ok=False) is None  # b runs with the new one
    assert ctx.orders.until(first._order_keys()["dataset"][0], ORDER) is None  # the refused order is forgotten


def test_a_refusal_of_another_kind_is_the_jobs_error(tmp_path):
    compute = FakeCompute()
    ctx = shared_context(compute, tmp_path)
    first = JobRun(resolved(job_plan("a")), ctx)
    first.start()
    first._give_back()
    compute.start_errors = [ProviderError("not trusted", status=400, body={"error": {"dataset": "not_trusted_algo"}})]
    with pytest.raises(ProviderError):
        JobRun(resolved(job_plan("b")), ctx).start()
    assert len(compute.called("order")) == 1


def test_a_lost_start_is_found_among_jobs_with_the_same_agreement_id(tmp_path):
    compute = FakeCompute()
    ctx = context(compute, tmp_path)
    ctx.journal.write("started", job="a", job_id="job-a")
    compute.listed = [status(70, job_id="job-a", agreement_id=ORDER, date_created=2000.0),  # another job's
                      status(70, job_id="old", agreement_id=ORDER, date_created=100.0),  # before this start
                      status(10, job_id="mine", agreement_id=ORDER, date_created=2001.0)]
    orders = {"dataset": ORDER, "additional": [], "algorithm": None}
    assert find_started_job(ctx, "http://p", orders, since=2000.0) == "mine"
    compute.listed = compute.listed[:2]
    assert find_started_job(ctx, "http://p", orders, since=2000.0) is None


def test_cancel_interrupts_a_job_waiting_on_another_jobs_order_key(tmp_path):
    """Ctrl-C while a job waits for the one ordering its inputs: it ends "interrupted", it does not hang."""
    import threading

    from c2d_runner.engine.outcome import ERROR

    compute = FakeCompute()
    ctx = shared_context(compute, tmp_path)
    waiting = JobRun(resolved(job_plan("b")), ctx)
    keys = [key for key, _ in waiting._order_keys().values()]
    outcomes = []
    with ctx.orders.holding(keys):  # another job is ordering these inputs (and never finishes)
        worker = threading.Thread(target=lambda: outcomes.append(waiting.run()), daemon=True)
        worker.start()
        ctx.cancel.set()
        worker.join(30)  # a hang guard, not a timing assertion
        assert not worker.is_alive(), "the job still waits on the other job's order key"
    assert outcomes[0].outcome == ERROR and "interrupted before it started" in outcomes[0].error
    assert compute.called("order") == [] and compute.called("start") == []


@pytest.mark.parametrize("job_id", [None, JOB_ID])
def test_a_resumed_job_holds_its_agreement_id_from_the_start_of_the_run(tmp_path, job_id):
    """A resumed run's job that may still run at the provider (started, or "starting" with its answer
    lost) holds its dataset order before any job of the run starts: a fresh job given that order from
    the book (a paid run's "paid" events refill it) would be refused as agreementId in use, and the
    book would drop the order and pay again."""
    from c2d_runner.engine.journal import JobJournal

    compute = FakeCompute()
    ctx = shared_context(compute, tmp_path)
    key = JobRun(resolved(job_plan("a")), ctx)._order_keys()["dataset"][0]
    ctx.orders.record(key, ORDER, 9000.0)  # refilled from the earlier attempt's "paid" event
    orders = {"dataset": ORDER, "additional": [], "algorithm": None}
    resumed = JobRun(resolved(job_plan("a")), ctx, resume=JobJournal("a", orders=orders, job_id=job_id))
    assert ctx.orders.usable(key, lent_ok=False) is None  # before its thread has run
    compute.listed = [status(10, job_id=JOB_ID, agreement_id=ORDER, date_created=2000.0)]
    if job_id is None:
        assert resumed.start() == JOB_ID  # found at the provider, not started again
        assert compute.called("start") == []
    assert ctx.orders.usable(key, lent_ok=False) is None
    resumed._give_back()
    assert ctx.orders.usable(key, lent_ok=False) == ORDER


@pytest.mark.parametrize("shared", [True, False])
def test_a_cancel_while_a_job_orders_sends_no_start(tmp_path, shared):
    """Ctrl-C while initializeCompute (or a payment) runs: the orders stay (journaled, offered again on
    --resume), but no job is started only to be stopped."""
    from c2d_runner.engine.outcome import ERROR

    compute = FakeCompute()
    ctx = shared_context(compute, tmp_path) if shared else context(compute, tmp_path)
    order_inputs = compute.order_inputs

    def ordering_then_cancel(*args, **kwargs):
        got = order_inputs(*args, **kwargs)
        ctx.cancel.set()
        return got
    compute.order_inputs = ordering_then_cancel
    outcome = JobRun(resolved(job_plan("a")), ctx).run()
    assert outcome.outcome == ERROR and "interrupted before it started" in outcome.error
    assert len(compute.called("order")) == 1 and compute.called("start") == []


def test_a_resumed_run_runs_its_resumed_jobs_first(tmp_path):
    """A resumed job holds its dataset order from the start of the run until it ends; queued behind
    fresh jobs (--jobs 1), it would make each of them order anew even when its remote job is over."""
    from types import SimpleNamespace

    from c2d_runner.engine.runner import Run, RunOptions

    compute = FakeCompute()
    compute.script = [status(70, "Job finished"), status(70, "Job finished")]
    ctx = shared_context(compute, tmp_path)
    ctx.journal.write("starting", job="a", orders={"dataset": ORDER, "additional": [], "algorithm": None},
                      provider="http://p")
    ctx.journal.write("started", job="a", job_id=JOB_ID, provider="http://p")
    run = Run.__new__(Run)
    run.options, run.journal, run.folder, run.progress = RunOptions(jobs=1, resume=tmp_path), ctx.journal, \
        tmp_path, ctx.progress
    run._halted = ""
    run._run_jobs([resolved(job_plan("b")), resolved(job_plan("a"))], ctx, SimpleNamespace(embedded_mock=False))
    assert [c[0] for c in compute.calls if c[0] in ("wait", "order")][:2] == ["wait", "order"]  # a, then b
