"""Ctrl-C while paid Ocean Node jobs queue for the run's Escrow turn (one cover + paid start at a
time): the queued jobs end without covering the Escrow or starting, and do not wait for the turn."""
import dataclasses
import threading
from types import SimpleNamespace

from c2d_runner.engine.jobrun import Interrupted, JobRun

from .fakes import FakeCompute, context, job_plan, resolved


class Node:
    def __init__(self, calls):
        self.calls = calls

    def start(self, wallet, choice, algorithm, datasets, start_token=None):
        self.calls.append("start")
        return "node-job"


def paid_node_run(tmp_path):
    calls: list[str] = []
    compute = FakeCompute()
    compute.nodes = SimpleNamespace(for_url=lambda url: Node(calls))
    ctx = dataclasses.replace(context(compute, tmp_path),
                              payer=SimpleNamespace(cover_escrow=lambda payment, journal: calls.append("cover")))
    start = SimpleNamespace(choice=SimpleNamespace(free=False), algorithm={}, datasets=[{}])
    run = JobRun(dataclasses.replace(resolved(job_plan("paid")), node_start=start), ctx)
    run.escrow_payment = object()  # initialized already
    return run, ctx, calls


def _start_in_thread(run, errors):
    def go():
        try:
            run._start_request({"dataset": "0xd", "additional": [], "algorithm": "0xa"}, "token")
        except Interrupted as exc:
            errors.append(exc)
    worker = threading.Thread(target=go, daemon=True)
    worker.start()
    return worker


def test_a_job_whose_escrow_turn_comes_after_a_cancel_neither_covers_nor_starts(tmp_path):
    run, ctx, calls = paid_node_run(tmp_path)
    errors: list[Exception] = []
    with ctx.escrow_lock:  # another job is covering the Escrow and starting
        worker = _start_in_thread(run, errors)
        ctx.cancel.set()
    worker.join(30)  # a hang guard, not a timing assertion
    assert not worker.is_alive()
    assert calls == [] and len(errors) == 1


def test_a_cancel_ends_the_wait_for_the_escrow_turn(tmp_path):
    run, ctx, calls = paid_node_run(tmp_path)
    errors: list[Exception] = []
    with ctx.escrow_lock:  # the other job's node start is busy-waiting (up to 15 minutes)
        worker = _start_in_thread(run, errors)
        ctx.cancel.set()
        worker.join(30)  # a hang guard, not a timing assertion
        assert not worker.is_alive(), "the job still waits for the Escrow turn after Ctrl-C"
    assert calls == [] and len(errors) == 1
