"""Run one resolved job: order, start (never twice), wait on the numeric status, download, check."""
from __future__ import annotations

import contextlib
import functools
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from c2d_runner.engine.costs import input_names, named_inputs, node_order_inputs, order_items
from c2d_runner.engine.expect import check_expectations
from c2d_runner.engine.journal import Journal, JobJournal, job_folder_name
from c2d_runner.engine.orderbook import (MARGIN, ORDER_VALIDITY, OrderBook, OrderKey, acquire, refuses_order,
                                        usable_until)
from c2d_runner.engine.outcome import (ERROR, FAILED, PASSED, JobOutcome, NotFetched, ResultRecord,
                                       StatusChange, job_to_dict)
from c2d_runner.engine.ports import ComputeClient, Payer, Progress, Wallet
from c2d_runner.engine.resolve import ResolvedJob
from c2d_runner.engine.results import PROVISIONING_LOGS, download_results, is_unreachable, split_results
from c2d_runner.engine.starting import StartPolicy, reconcile, start_once
from c2d_runner.ocean.errors import ServiceError  # light: no requests
from c2d_runner.wire import exit_code_from_log

if TYPE_CHECKING:
    from typing import Sequence

    from c2d_runner.ocean.records import JobResult, JobStatus, ResultFile

LOG_TAIL_BYTES = 4096
START_POLICY = StartPolicy()
# After a timeout stop, how long to wait for the provider to publish the logs of the stopped job.
STOP_GRACE = 15.0


class Interrupted(Exception):
    """The run was asked to stop (Ctrl-C, SIGTERM).

    Control flow inside a job, not a C2DError: the job run turns it into an outcome; it never
    reaches a user.
    """


def interruptible_sleep(cancel: threading.Event, seconds: float) -> None:
    """Sleep that ends early, raising Interrupted, when `cancel` is set."""
    if cancel.wait(seconds):
        raise Interrupted()


def stop_if_cancelled(cancel: threading.Event) -> None:
    """Raise Interrupted when the run was cancelled."""
    if cancel.is_set():
        raise Interrupted()


@contextlib.contextmanager
def turn(lock: threading.Lock, cancel: threading.Event) -> Iterator[None]:
    """Hold `lock` unless the run is cancelled, waiting or once it is ours (then Interrupted): a job
    queued behind another must neither hang a Ctrl-C nor pay and start after one."""
    check = functools.partial(stop_if_cancelled, cancel)
    acquire(lock, check)
    try:
        check()
        yield
    finally:
        lock.release()


@dataclass
class RunContext:
    """What every job of a run shares."""

    compute: ComputeClient
    wallet: Wallet
    journal: Journal
    folder: Path
    progress: Progress
    cancel: threading.Event = field(default_factory=threading.Event)
    payer: Payer | None = None  # on a target with a chain: inputs the provider asks orders for are paid
    # Held from covering an Ocean Node's Escrow until that job's start is answered: the node's lock
    # takes the funds, so the next job's cover sees them gone and deposits its own.
    escrow_lock: threading.Lock = field(default_factory=threading.Lock)
    all_logs: bool = False  # fetch the infrastructure's logs of jobs that passed too (engine/results.py)
    # The run's orders, shared by its jobs on the Provider protocol (engine/orderbook.py); None: one per job.
    orders: OrderBook | None = None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return self.clock() - self.started


def _order_ids(orders: dict) -> set[str]:
    ids = {orders.get("dataset"), orders.get("algorithm"), *orders.get("additional", [])}
    return {i.lower().removeprefix("0x") for i in ids if i}


# How far the provider's clock may lag ours when a job's dateCreated is compared with its "starting" event.
CLOCK_SKEW = 300.0


def started_job(jobs: "Sequence[JobStatus]", orders: dict | None, start_token: str | None = None,
                since: float | None = None, known: frozenset[str] | set[str] = frozenset()) -> str | None:
    """The id of the listed job a start created: the one carrying its token (an Ocean Node keeps the
    start's metadata), else the one started with its orders (a Provider's agreementId); None: absent.

    Jobs of one run may share orders, so several of the consumer's jobs can carry the same
    agreementId: jobs in `known` (the journal's, any job's, any attempt's) are not this start's, nor
    are jobs created before its "starting" event (`since`, less CLOCK_SKEW); of the rest, the newest.
    A shared dataset order is lent to one running job at a time, so that one is unique.
    """
    if start_token:
        for job in jobs:
            if job.job_id and job.start_token == start_token:
                return job.job_id
    wanted = _order_ids(orders or {})
    found = [job for job in jobs
             if job.job_id and job.job_id not in known and job.agreement_id.lower().removeprefix("0x") in wanted
             and (since is None or job.date_created is None or job.date_created >= since - CLOCK_SKEW)]
    return max(found, key=lambda job: job.date_created or 0.0).job_id if found else None


def find_started_job(ctx: RunContext, provider: str, orders: dict | None, start_token: str | None = None,
                     since: float | None = None) -> str | None:
    """The id of a job the provider already runs for this start (one whose answer was lost)."""
    known = {e.get("job_id") for e in ctx.journal.events() if e.get("event") == "started"}
    return started_job(ctx.compute.jobs(provider, ctx.wallet), orders, start_token, since, known)


class JobRun:
    """One job from order to verdict."""

    def __init__(self, resolved: ResolvedJob, ctx: RunContext, resume: JobJournal | None = None,
                 paid: dict | None = None):
        self.job = resolved
        self.ctx = ctx
        self.resume = resume
        # Orders an earlier attempt paid for (input -> tx), offered again before paying anything.
        self.paid = dict(paid if paid is not None else (resume.paid if resume else {}))
        self.name = resolved.plan.name
        self.folder = ctx.folder / job_folder_name(self.name)
        self.history: list[StatusChange] = []
        self.job_id: str | None = resume.job_id if resume else None
        self.began: float | None = None
        self.unreachable = False  # a download failed for want of an answer
        self.escrow_payment = None  # a paid node job's Escrow payment block (EscrowPayment), once initialized
        self._taken: set[Path] = set()  # the paths this job's results were given
        self.shared: dict[str, str] = {}  # input -> order taken from the run's book (no initializeCompute)
        self.lent: str | None = None  # the book's order this job holds as its agreementId while it runs
        if resume and resume.orders:  # it may run at the provider already: held before any job of the run starts
            self._borrow(resume.orders.get("dataset"))

    # -- the pieces ------------------------------------------------------------------------
    def _inputs(self, orders: dict | None):
        job = self.job
        dataset, additional, algorithm = job.dataset, job.additional, job.algorithm
        if orders:
            dataset = dataset.with_transfer_tx_id(orders["dataset"])
            additional = tuple(a.with_transfer_tx_id(o) for a, o in zip(additional, orders.get("additional", [])))
            if algorithm is not None and orders.get("algorithm"):
                algorithm = algorithm.with_transfer_tx_id(orders["algorithm"])
        return dataset, additional, algorithm

    def _order(self) -> dict:
        job, ctx = self.job, self.ctx
        if job.node_start is not None:
            return {} if job.node_start.choice.free else self._node_orders()
        if ctx.orders is not None:
            return self._shared_orders()
        return self._initialized_orders()

    def _initialized_orders(self, offered: dict[str, str] | None = None, ends: dict | None = None) -> dict:
        """Orders by initializeCompute: paid on a chain (`offered` first), or the provider's own."""
        job, ctx = self.job, self.ctx
        if ctx.payer is not None:
            return self._paid_orders(offered, ends)
        dataset, additional, algorithm = ctx.compute.order_inputs(ctx.wallet, job.dataset, job.environment.id,
                                                                  job.algorithm, job.algorithm_meta, job.additional)
        return {"dataset": dataset.transfer_tx_id, "additional": [a.transfer_tx_id for a in additional],
                "algorithm": algorithm.transfer_tx_id if algorithm is not None else None}

    def _as_orders(self, txs: dict[str, str | None]) -> dict:
        """Orders by input ("dataset", "additional.N", "algorithm") in the shape of the journal's orders."""
        return {"dataset": txs.get("dataset"), "algorithm": txs.get("algorithm"),
                "additional": [txs.get(f"additional.{i}") for i in range(len(self.job.additional))]}

    def _earlier_orders(self) -> dict | None:
        """The orders an earlier attempt paid for, in the shape of the journal's orders (None: none)."""
        return self._as_orders(self.paid) if self.paid else None

    def _paid_orders(self, offered: dict[str, str] | None = None, ends: dict | None = None) -> dict:
        """On a chain: initializeCompute with the orders offered (the run's book) or an earlier attempt
        paid for (the provider says whether they still hold), then pay what it asks."""
        job, ctx = self.job, self.ctx
        dataset, additional, algorithm = self._inputs(self._as_orders({**self.paid, **(offered or {})}))
        init = ctx.compute.initialize(ctx.wallet, dataset, job.environment.id, algorithm, job.algorithm_meta,
                                      additional)
        return self._pay(init, named_inputs(dataset, additional, algorithm), ends)

    def _order_keys(self) -> dict[str, tuple[OrderKey, "ComputeInput"]]:
        """The book's key of each input that takes an order ("dataset", "additional.N", "algorithm")."""
        job, ctx = self.job, self.ctx
        return {name: (OrderKey.of(job.provider, ctx.wallet.address, item.did, item.service_id, job.environment.id),
                       item) for name, item in input_names(job)}

    def _shared_orders(self, refused: bool = False) -> dict:
        """The run's orders where all of this job's inputs have one (no initializeCompute), else
        initializeCompute offered those there are, paying what it asks; the book keeps what came.

        Jobs with the same inputs wait for the one ordering them. The order this job starts with as
        its agreementId is lent to it until it ends (one running job per agreementId)."""
        book, keys = self.ctx.orders, self._order_keys()
        # another job orders these inputs: Ctrl-C must not wait for it
        with book.holding((key for key, _ in keys.values()), functools.partial(stop_if_cancelled, self.ctx.cancel)):
            found = {name: book.usable(key, lent_ok=name != "dataset") for name, (key, _) in keys.items()}
            if all(found.values()) and not refused:
                self.shared = found
                self.ctx.journal.write("shared", job=self.name, orders=found)
                orders = self._as_orders(found)
            else:
                self.shared = {}
                ends: dict[str, float] = {}
                now = book.clock()
                orders = self._initialized_orders({n: t for n, t in found.items() if t}, ends)
                txs = {"dataset": orders["dataset"], "algorithm": orders["algorithm"],
                       **{f"additional.{i}": t for i, t in enumerate(orders["additional"])}}
                for name, (key, item) in keys.items():
                    if txs.get(name):
                        # No fee in the answer: the order holds now, for as long as the book knew,
                        # or a validity the provider itself gave (chain-free), else briefly.
                        fee_end = ends.get(name) or (now + (ORDER_VALIDITY if self.ctx.payer is None else 2 * MARGIN))
                        book.record(key, txs[name], usable_until(now, item.service.timeout, fee_end))
            self._borrow(orders["dataset"])
        return orders

    def _borrow(self, tx: str | None) -> None:
        """This job runs with `tx` as its agreementId (Provider protocol, shared orders)."""
        if tx and self.ctx.orders is not None and self.job.node_start is None:
            self.ctx.orders.lend(tx)
            self.lent = tx

    def _give_back(self) -> None:
        """This job no longer runs with its agreementId: another job may start with that order."""
        if self.lent and self.ctx.orders is not None:
            self.ctx.orders.give_back(self.lent)
        self.lent = None

    def _node_orders(self) -> dict:
        """A paid Ocean Node environment: the node's initializeCompute (offered the orders an earlier
        attempt paid for), then the orders it asks for, placed for the environment's consumerAddress."""
        job = self.job
        if self.ctx.payer is None:
            from c2d_runner.ocean.errors import OceanError

            raise OceanError(f"environment {job.environment.id} is paid: paying on an Ocean Node needs a chain "
                             "(a target with `chain: true` or an RPC URL); nothing was paid")
        init = self._node_initialize(self._earlier_orders() or {})
        self.escrow_payment = init.payment
        return self._pay(init, node_order_inputs(job))

    def _node_entries(self, orders: dict) -> tuple[dict, list[dict]]:
        """The node start's algorithm and datasets entries, each carrying its order's transferTxId."""
        from c2d_runner.ocean.node.paid import with_order

        start = self.job.node_start
        txs = [orders.get("dataset"), *orders.get("additional", [])]
        return (with_order(start.algorithm, orders.get("algorithm")),
                [with_order(entry, txs[i] if i < len(txs) else None) for i, entry in enumerate(start.datasets)])

    def _node_initialize(self, orders: dict):
        start, ctx = self.job.node_start, self.ctx
        algorithm, datasets = self._node_entries(orders)
        node = ctx.compute.nodes.for_url(self.job.provider)
        return node.initialize(ctx.wallet.address, start.choice, algorithm, datasets)

    def _pay(self, init, inputs: list, ends: dict | None = None) -> dict:
        """Order each input as initializeCompute asks (`inputs`: (name, ComputeInput) in its order; None
        for a URL dataset, which has no order); every payment is journaled as soon as it is mined, so a
        run resumed after a crash offers it again instead of paying twice. `ends` gets each paid
        order's provider fee validUntil (epoch seconds)."""
        ctx = self.ctx
        txs: dict[str, str] = {}
        for (key, item_input), item in order_items(init, inputs):
            if item_input is None:
                continue
            payment = ctx.payer.pay(item, item_input)
            valid_until = int(item.provider_fee["validUntil"]) if item.provider_fee else None
            if payment.how != "validOrder":
                ctx.journal.write("paid", job=self.name, input=key, did=payment.did, service=payment.service_id,
                                  datatoken=payment.datatoken, how=payment.how, tx=payment.tx,
                                  fee_token=payment.fee_token, fee_amount=str(payment.fee_amount),
                                  provider=self.job.provider, environment=self.job.environment.id,
                                  valid_until=valid_until)
                ctx.progress.job_message(self.name, f"paid for {key}: {payment.how} {payment.tx}")
            if ends is not None and valid_until:
                ends[key] = valid_until
            txs[key] = payment.tx
        return self._as_orders(txs)

    def _start_request(self, orders: dict, start_token: str | None) -> str:
        start, ctx = self.job.node_start, self.ctx
        if start is not None:
            node = ctx.compute.nodes.for_url(self.job.provider)
            if start.choice.free:
                return node.start(ctx.wallet, start.choice, start.algorithm, start.datasets, start_token=start_token)
            algorithm, datasets = self._node_entries(orders)
            with turn(ctx.escrow_lock, ctx.cancel):
                self._cover_escrow(orders)
                return node.start(ctx.wallet, start.choice, algorithm, datasets, start_token=start_token)
        dataset, additional, algorithm = self._inputs(orders)
        return ctx.compute.start_job(ctx.wallet, dataset, self.job.environment.id, algorithm,
                                     self.job.algorithm_meta, self.job.custom_data, additional)

    def _cover_escrow(self, orders: dict) -> None:
        """Make the node's Escrow cover this job, as the node's payment block says (asked again on a
        resumed run); the chain is read first, so a second send or a resumed run finds what an earlier
        one deposited and sends nothing more. Each tx is journaled as soon as it is mined."""
        ctx = self.ctx
        payment = self.escrow_payment = self.escrow_payment or self._node_initialize(orders).payment

        def journal(done) -> None:
            ctx.journal.write("escrow", job=self.name, how=done.step, tx=done.tx, amount=str(done.amount),
                              escrow=payment.escrow_address, token=payment.token, payee=payment.payee)
            ctx.progress.job_message(self.name, f"escrow: {done.step} {done.tx}")

        ctx.payer.cover_escrow(payment, journal)

    def start(self) -> str:
        """Start the job exactly once: journal first, and never send again while it may exist
        (engine/starting.py: a lost answer is reconciled by listing the consumer's jobs; an Ocean
        Node start is found by the token it carries in its metadata, journaled before it is sent)."""
        ctx, provider, node_start = self.ctx, self.job.provider, self.job.node_start
        sleep = functools.partial(interruptible_sleep, ctx.cancel)
        resumed = self.resume is not None and self.resume.orders is not None
        orders = self.resume.orders if resumed else None
        token = None
        if node_start is not None:  # a resumed start keeps its token: sent again only once the node lacks it
            token = (self.resume.start_token if resumed else None) or secrets.token_hex(16)

        def lookup() -> str | None:
            found = find_started_job(ctx, provider, orders, token, self._starting_at())
            if found and node_start is not None:  # a node lists raw ids; later calls need the prefix
                from c2d_runner.ocean.node.client import prefixed_job_id

                return prefixed_job_id(self.job.environment.id, found)
            return found

        if resumed:  # a previous attempt recorded "starting" but never saw the answer
            found = reconcile(lookup, "the previous run ended before the start's answer came", policy=START_POLICY,
                              sleep=sleep, clock=ctx.clock)
            if found:
                ctx.journal.write("started", job=self.name, job_id=found, provider=provider, reconciled=True)
                return found
        else:
            verb = "starting free compute" if node_start is not None and node_start.choice.free else "ordering"
            ctx.progress.job_message(self.name, f"{verb} in environment {self.job.environment.id}")
            orders = self._order()

        def send() -> str:
            stop_if_cancelled(ctx.cancel)  # cancelled while ordering: what was paid is journaled, no job is started
            ctx.journal.write("starting", job=self.name, orders=orders, provider=provider,
                              environment=self.job.environment.id, dataset=self.job.dataset.did,
                              service=self.job.dataset.service_id, **({"start_token": token} if token else {}))
            return start_once(lambda: self._start_request(orders, token), lookup, policy=START_POLICY, sleep=sleep,
                              clock=ctx.clock, note=lambda message: ctx.progress.job_message(self.name, message))

        try:
            job_id = send()
        except ServiceError as exc:
            if not (self.shared and refuses_order(exc.status, f"{exc.detail} {exc.body}")):
                raise
            orders = self._after_refusal(exc)
            job_id = send()  # once: this start's orders came from initializeCompute
        ctx.journal.write("started", job=self.name, job_id=job_id, provider=provider)
        return job_id

    def _starting_at(self) -> float | None:
        """When this job's latest "starting" event was written (epoch seconds), if it was."""
        times = [e.get("at") for e in self.ctx.journal.events()
                 if e.get("event") == "starting" and e.get("job") == self.name]
        return times[-1] if times else None

    def _after_refusal(self, exc) -> dict:
        """The provider refused a shared order: the book forgets it (only the dataset's, when its
        agreementId is taken by a job this run does not know), and this job orders for itself."""
        in_use = "agreementid" in f"{exc.detail} {exc.body}".lower()
        for name, (key, _) in self._order_keys().items():
            if self.shared.get(name) and (name == "dataset" or not in_use):
                self.ctx.orders.drop(key, self.shared[name])
        self._give_back()
        self.ctx.journal.write("shared_refused", job=self.name, orders=self.shared, error=exc.detail)
        self.ctx.progress.job_message(self.name, f"the provider refused the run's orders ({exc.detail}); ordering anew")
        return self._shared_orders(refused=True)

    def _on_status(self, job: "JobStatus") -> None:
        status = job.status or 0
        self.history.append(StatusChange(round(self.ctx.elapsed(), 3), status, job.status_text))
        since = self.ctx.clock() - (self.began if self.began is not None else self.ctx.started)
        self.ctx.progress.job_status(self.name, status, job.status_text, since)

    def wait(self, timeout: float) -> "JobStatus":
        """Poll until the client says the job is over (for the Python Provider: 31/32/70, on the number only)."""
        job = self.job
        return self.ctx.compute.wait(job.dataset.ddo, job.dataset.service, self.job_id, self.ctx.wallet,
                                     timeout=timeout, on_status=self._on_status)

    def stop_remote(self, reason: str) -> None:
        """Ask the provider to stop the job and record it; errors are reported, not raised."""
        if not self.job_id:
            return
        job, ctx = self.job, self.ctx
        ctx.progress.job_message(self.name, f"stopping job {self.job_id}: {reason}")
        try:
            ctx.compute.stop_job(job.dataset.ddo, job.dataset.service, self.job_id, ctx.wallet)
            ctx.journal.write("stopped", job=self.name, job_id=self.job_id, reason=reason)
        except Exception as exc:  # we are already failing; say so and carry on
            ctx.journal.write("stop_failed", job=self.name, job_id=self.job_id, reason=reason, error=str(exc))

    def download(self, final: "JobStatus", listing: tuple["JobResult", ...]) -> tuple[list[ResultRecord], list[str]]:
        """Stream these results to outputs/ or logs/; problems are collected, not raised."""
        job, ctx = self.job, self.ctx
        count = len(listing)
        if count:
            ctx.progress.job_message(self.name, f"downloading {count} result{'s' if count != 1 else ''}")

        def journal(record: ResultRecord, got: "ResultFile") -> None:
            ctx.journal.write("result", job=self.name, index=record.index, filename=got.filename, type=record.type,
                              size=got.size, sha256=got.sha256)

        got = download_results(ctx.compute, ctx.wallet, job.dataset.ddo, job.dataset.service, self.job_id or "",
                               listing, self.folder, on_result=journal, taken=self._taken)
        self.unreachable = self.unreachable or got.unreachable
        return list(got.records), list(got.problems)

    # -- the whole job ---------------------------------------------------------------------
    def run(self) -> JobOutcome:
        """Start (or resume), wait, download and check; never raises for job-level failures."""
        try:
            return self._run()
        finally:
            self._give_back()  # however it ended, this job no longer holds its agreementId

    def _run(self) -> JobOutcome:
        from c2d_runner.ocean.errors import ComputeTimeout, OceanError

        ctx, plan = self.ctx, self.job.plan
        began = self.began = ctx.clock()
        final: JobStatus | None = None
        error = ""
        timed_out = False
        try:
            if self.job_id is None:
                self.job_id = self.start()
            final = self.wait(plan.timeout)
            if self._failed_by_outage(final):
                final = self._start_again(final, plan.timeout)
        except ComputeTimeout as exc:
            timed_out = True
            self.stop_remote("timeout")
            last = exc.last_status.describe() if exc.last_status else "none"
            error = f"timed out after {plan.timeout:g} s; stopped at the provider; last status {last}"
            final = self._after_stop()
        except Interrupted:
            self.stop_remote("interrupted")
            return self._finish(ERROR, error="interrupted; the job was stopped at the provider" if self.job_id
                                else "interrupted before it started", began=began)
        except OceanError as exc:
            # The provider could not be asked (or refused): a job we started must not run on unwatched.
            self.stop_remote(f"runner error: {type(exc).__name__}")
            return self._finish(ERROR, error=str(exc), began=began, infrastructure=is_unreachable(exc))
        duration = ctx.clock() - began
        # A job that passes needs its outputs and its algorithm's log; the rest waits for the verdict.
        fetch, left = split_results(final.results, succeeded=final.succeeded, every=ctx.all_logs,
                                    exit_code_reported=final.exit_code is not None) if final else ((), ())
        try:
            records, problems = self.download(final, fetch) if final else ([], [])
            verdict, expectations, exit_code, log_text = self._verdict(final, duration, records, problems, error)
            if left and verdict != PASSED:  # the infrastructure's logs say why: fetched after all
                more, more_problems = self.download(final, left)
                records, problems, left = records + more, problems + more_problems, ()
                verdict, expectations, exit_code, log_text = self._verdict(final, duration, records, problems, error)
        except Interrupted:
            return self._finish(ERROR, final=final, duration=duration, began=began,
                                error="interrupted while downloading results")
        provisioning = _log_text(records, PROVISIONING_LOGS)
        return self._finish(verdict, final=final, duration=duration, results=records,
                            expectations=expectations, error="; ".join(filter(None, [error, *problems])),
                            log_tail=log_text[-LOG_TAIL_BYTES:], began=began,
                            infrastructure=self.unreachable and not timed_out, exit_code=exit_code,
                            provisioning_tail=provisioning[-LOG_TAIL_BYTES:] if _failed(final) else "",
                            not_fetched=tuple(NotFetched(r.index, r.filename, r.type, r.size) for r in left))

    def _verdict(self, final: "JobStatus | None", duration: float, records: list[ResultRecord], problems: list[str],
                 error: str) -> tuple[str, tuple, int | None, str]:
        """(verdict, expectations, the algorithm's exit code, its log) from what was fetched."""
        log_text = _log_text(records)
        # The algorithm's exit code where the target reports one: in the status (Ocean Node), or the mock's log line.
        exit_code = final.exit_code if final is not None and final.exit_code is not None else \
            exit_code_from_log(_log_text(records, PROVISIONING_LOGS))
        if error or problems:
            return ERROR, (), exit_code, log_text
        outputs = {r.filename: r for r in records if r.type == "output"}
        expectations = check_expectations(self.job.plan.expect, final=final, duration=duration, outputs=outputs,
                                          log_text=log_text, exit_code=exit_code)
        return (PASSED if all(e.ok for e in expectations) else FAILED), expectations, exit_code, log_text

    def _failed_by_outage(self, final: "JobStatus") -> bool:
        """A resumed job that the provider failed while the earlier run could not reach it (the
        provider died, and marked its unfinished jobs failed on restart): it never had its chance."""
        past = self.resume.done if self.resume else None
        return bool(past and past.get("infrastructure") and _failed(final))

    def _start_again(self, final: "JobStatus", timeout: float) -> "JobStatus":
        """Give up the job an outage failed and run the job afresh (new orders, new start)."""
        self.ctx.journal.write("abandoned", job=self.name, job_id=self.job_id, status=final.status,
                               reason="failed by the provider while the run could not reach it")
        self.ctx.progress.job_message(self.name, f"job {self.job_id} was failed by the provider during the outage "
                                                 f"({final.describe()}); starting it again")
        self.resume, self.job_id = None, None
        self._give_back()
        self.job_id = self.start()
        return self.wait(timeout)

    def _after_stop(self) -> "JobStatus | None":
        """After a timeout stop, give the provider a moment to publish the stopped job's logs."""
        from c2d_runner.ocean.errors import OceanError

        try:
            return self.wait(STOP_GRACE)
        except (OceanError, Interrupted):
            return None

    def _finish(self, verdict: str, *, began: float, final: "JobStatus | None" = None,
                duration: float | None = None, results=(), expectations=(), error: str = "", log_tail: str = "",
                infrastructure: bool = False, exit_code: int | None = None,
                provisioning_tail: str = "", not_fetched: tuple[NotFetched, ...] = ()) -> JobOutcome:
        if final is not None:
            status, text, stopreq = final.status, final.status_text, final.stop_requested
        elif self.history:
            status, text, stopreq = self.history[-1].status, self.history[-1].text, 0
        else:
            status, text, stopreq = None, "", 0
        outcome = JobOutcome(
            name=self.name, outcome=verdict, job_id=self.job_id, environment=self.job.environment.id,
            status=status, status_text=text, stopreq=stopreq, duration=duration,
            history=tuple(self.history), results=tuple(results), expectations=tuple(expectations),
            error=error, infrastructure=infrastructure, log_tail=log_tail, folder=self.folder,
            exit_code=exit_code, provisioning_tail=provisioning_tail, not_fetched=not_fetched,
        )
        self.ctx.journal.write("done", job=self.name, outcome=job_to_dict(outcome))
        return outcome


def _failed(final: "JobStatus | None") -> bool:
    """The job is over and did not succeed by the provider's rules (the Python Provider's 31/32)."""
    return final is not None and final.terminal and not final.succeeded


def _log_text(records: list[ResultRecord], types: tuple[str, ...] = ("algorithmLog",)) -> str:
    for record in records:
        if record.type in types:
            return Path(record.path).read_text("utf-8", errors="replace")
    return ""
