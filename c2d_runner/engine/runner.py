"""Plan then run a spec on an open connection: the engine behind `c2d run`.

The connection comes from `c2d_runner.connect` (which alone opens targets); signals are the
front end's: it sets `RunOptions.cancel`, and the run stops its remote jobs.
"""
from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
import traceback
from decimal import Decimal
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from c2d_runner.atomic import remove_stale_temps, write_json
from c2d_runner.engine.journal import MOCK_STATE, RECORD, Journal, RunFolderUnwritable, hold_run_folder, new_run_id
from c2d_runner.engine.history import discard_run_folder, point_latest
from c2d_runner.engine.jobrun import JobRun, RunContext
from c2d_runner.engine.orderbook import OrderBook, paid_orders
from c2d_runner.engine.outcome import ERROR, FAILED, SKIPPED, JobOutcome, RunOutcome, job_from_dict, job_to_dict
from c2d_runner.engine.ports import ComputeClient, Progress, Wallet
from c2d_runner.engine.resolve import InfrastructureError, ResolvedJob, Resolver
from c2d_runner.errors import InvalidInput
from c2d_runner.redaction import Redactor
from c2d_runner.ocean.config import ClientConfig
from c2d_runner.spec.model import MockTarget, RemoteTarget, SpecPlan, Target

if TYPE_CHECKING:  # the connect layer sits above the engine: a type only, never imported at run time
    from c2d_runner.connect import Connection


log = logging.getLogger(__name__)

# A run rides out transient faults longer than a single client call would: at a 1-in-8 fault
# rate, 3 retries still lose about one call in 4,000, and a run makes hundreds of calls.
RUN_CLIENT = ClientConfig(retries=8, retry_backoff=0.1, retry_backoff_max=4.0)


class UsageError(InvalidInput):
    """The run was asked for something that cannot be (unknown --only job, bad resume folder)."""


@dataclass(frozen=True)
class RunOptions:
    """How to run a spec (command-line choices)."""

    target: Target | None = None  # overrides the spec's target
    jobs: int = 4  # jobs in flight at once
    only: tuple[str, ...] = ()  # job names (or matrix templates) to run
    out: Path = Path("runs")
    timeout: float | None = None  # overrides every job's timeout
    resume: Path | None = None  # an earlier run folder to continue
    lock: bool = False  # write the lock file after a passing run
    check: bool = False  # fail when outputs differ from the lock
    cancel: threading.Event | None = None  # set by the front end (Ctrl-C, SIGTERM): stop the jobs, record, return
    fail_fast: bool = False  # after the first job that does not pass, start no more (running ones finish)
    max_spend: Decimal | None = None  # on a chain: refuse a run whose estimated provider fees exceed it (whole tokens)
    all_logs: bool = False  # fetch the infrastructure's logs of jobs that pass too
    # Jobs of the run share orders that are still valid (Provider protocol); False: one order per job.
    order_reuse: bool = True


def select_jobs(plan: SpecPlan, only: tuple[str, ...], timeout: float | None) -> tuple:
    """The jobs to run: all, or those named (a matrix template name selects all its variants)."""
    jobs = plan.jobs
    if only:
        known = {j.name for j in jobs} | {j.template for j in jobs}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise UsageError(f"no job named {', '.join(map(repr, unknown))} in {plan.path} "
                             f"(jobs: {', '.join(j.name for j in jobs)})")
        jobs = tuple(j for j in jobs if j.name in only or j.template in only)
    if timeout is not None:
        jobs = tuple(replace(j, timeout=timeout) for j in jobs)
    return jobs


def plan_digest(jobs) -> str:
    """sha256 of the jobs as planned: catches changed ${VAR} values, which the file hash cannot."""
    import hashlib

    return hashlib.sha256(repr(tuple(jobs)).encode("utf-8")).hexdigest()


def target_record(target: Target) -> dict:
    """The target as stored in the run journal (no secrets)."""
    if isinstance(target, RemoteTarget):
        return {"kind": "provider", "provider": target.provider, "aquarius": target.aquarius,
                "chain_id": target.chain_id, "protocol": target.protocol,
                "requests_per_minute": target.requests_per_minute}
    return {"kind": "mock", "world": str(target.world) if target.world else None, "faults": target.faults,
            "seed": target.seed, "protocol": target.protocol, "chain": target.chain}


def target_from_record(data: dict) -> Target:
    """The Target a journal header describes."""
    if data.get("kind") == "provider":
        chain = data.get("chain_id")
        return RemoteTarget(data["provider"], data["aquarius"], int(chain) if chain is not None else None,
                            data.get("protocol"), data.get("requests_per_minute"))
    return MockTarget(world=Path(data["world"]) if data.get("world") else None, faults=data.get("faults"),
                      seed=int(data.get("seed") or 0), protocol=data.get("protocol"),
                      chain=bool(data.get("chain", False)))


def provider_warnings(target_provider: str, job_providers: list[str]) -> tuple[str, ...]:
    """A warning per provider that jobs go to (the DDO's serviceEndpoint) other than the target's."""
    others = sorted({p.rstrip("/") for p in job_providers} - {target_provider.rstrip("/")})
    return tuple(f"jobs go to the provider named in their DDO's serviceEndpoint, {p}, not to the target's "
                 f"provider {target_provider}" for p in others)


def resolve_all(jobs, compute: ComputeClient, wallet: Wallet, chain_id: int | None, target_url: str | None = None
                ) -> tuple[list[ResolvedJob], list[str]]:
    """Resolve every job; all problems of all jobs at once."""
    resolver = Resolver(compute, wallet, chain_id, target_url)
    redact = Redactor.of(wallet)  # a problem may quote a service's answer, which may echo anything
    resolved, problems = [], []
    for job in jobs:
        ready, found = resolver.resolve(job)
        if ready is not None:
            resolved.append(ready)
        problems += [f"job {job.name}: {redact(p)}" for p in found]
    return resolved, problems


class Run:
    """One run of a spec: folder, journal, target, plan, jobs, record."""

    def __init__(self, plan: SpecPlan, options: RunOptions, progress: Progress):
        self.plan = plan
        self.options = options
        self.progress = progress
        self.target = options.target or plan.target
        self.jobs = select_jobs(plan, options.only, options.timeout)
        self.lock_doc = self._read_lock() if options.check else None  # before anything runs
        if options.resume:
            self.folder = Path(options.resume)
            self.journal = Journal(self.folder)
            header = self.journal.header()
            if header is None:
                raise UsageError(f"{self.folder} is not a run folder (no journal)")
            # --timeout overrides how long jobs may take, not what they compute: not a change of the spec.
            digests = {plan_digest(self.jobs), plan_digest(select_jobs(plan, options.only, None))}
            if header.get("spec_sha256") != plan.sha256 or header.get("plan_sha256") not in digests:
                raise UsageError(f"the spec (or a variable it reads) changed since run {self.folder.name}; "
                                 "resuming would mix two specs")
            if options.target is None:
                self.target = target_from_record(header["target"])
            self.run_id = header["run_id"]
            self._hold = hold_run_folder(self.folder)
            self.journal.repair()
        else:
            self.run_id = new_run_id()
            self.folder = Path(options.out) / plan.name / self.run_id
            try:
                self.folder.mkdir(parents=True, exist_ok=False)
            except OSError as exc:
                raise RunFolderUnwritable(f"cannot create the run folder {self.folder}: {exc.strerror or exc}; "
                                          "choose a writable folder with --out") from None
            point_latest(self.folder)  # runs/<spec>/latest
            self.journal = Journal(self.folder)
            self._hold = hold_run_folder(self.folder)
            # Written before the target is opened, so a run whose target failed can still be resumed.
            self.journal.write("run", run_id=self.run_id, spec=str(plan.path), spec_name=plan.name,
                               spec_sha256=plan.sha256,
                               plan_sha256=plan_digest(select_jobs(plan, options.only, None)),
                               target=target_record(self.target), jobs=[j.name for j in self.jobs],
                               consumer={"env": plan.consumer.env,
                                         "file": str(plan.consumer.file) if plan.consumer.file else None})
        self.cancel = options.cancel or threading.Event()
        self._halted = ""  # with --fail-fast: the first job that did not pass
        self.discard = False  # a refused plan of a fresh run: remove its folder on exit
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.began = time.monotonic()  # the run's duration includes opening its target

    @property
    def mock_state(self) -> Path | None:
        """Where an embedded mock keeps this run's jobs (in the run folder), for a mock target."""
        return self.folder / MOCK_STATE if isinstance(self.target, MockTarget) else None

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, *exc) -> None:
        self._hold.close()  # releases the run folder
        if self.discard:  # after the target (and its embedded mock, which kept state here) is closed
            discard_run_folder(self.folder)

    def _read_lock(self) -> dict:
        from c2d_runner.engine.lock import LockUnreadable, read_lock

        try:
            return read_lock(self.plan.path)
        except LockUnreadable as exc:
            raise UsageError(f"--check needs a readable lock file: {exc}") from None

    def execute(self, conn: Connection) -> RunOutcome:
        """Plan, run every job on the open connection (bounded concurrency), write run.json;
        never leaves a job running."""
        began = self.began
        self.warnings = tuple(conn.warnings)  # said once, recorded in run.json and the reports
        self.progress.run_started(self.plan.name, conn.description, [j.name for j in self.jobs],
                                  warnings=self.warnings)
        self.journal.redact = Redactor.of(conn.wallet)
        ctx = RunContext(conn.compute, conn.wallet, self.journal, self.folder, self.progress, self.cancel,
                         payer=conn.payer, all_logs=self.options.all_logs, orders=self._order_book(conn))
        resolved, problems = resolve_all(self.jobs, conn.compute, conn.wallet, conn.chain_id, conn.provider)
        self.warnings += provider_warnings(conn.provider, [j.provider for j in resolved])
        for warning in self.warnings[len(conn.warnings):]:
            self.progress.warn(warning)
        if not problems and conn.payer is None:
            from c2d_runner.engine.costs import unpayable

            problems = unpayable(resolved)
        # A resumed run has paid part of its orders already: its inputs check the funds as they pay.
        if not problems and conn.payer is not None and (self.options.max_spend is not None or not self.options.resume):
            problems = self._spend_problems(resolved, conn)
        if problems:
            # Nothing was ordered or started: a fresh run leaves no folder (the summary and reports
            # say why); a resumed one keeps its history.
            self.discard = not self.options.resume
            self.journal.write("refused", problems=problems)
            return self._record(began, conn, (), problems, resolved=[])
        outcomes = self._run_jobs(resolved, ctx, conn)
        if self.options.check:
            outcomes = self._check_lock(outcomes)
        run = self._record(began, conn, outcomes, (), resolved, interrupted=self.cancel.is_set())
        if self.options.lock and run.ok:
            from c2d_runner.engine.lock import write_lock

            path = write_lock(self.plan, resolved, {o.name: o for o in outcomes})
            self.journal.write("locked", path=str(path))
        return run

    def _order_book(self, conn: Connection) -> OrderBook | None:
        """The run's shared orders (a resumed run's paid ones in it already), or None: one order per job."""
        if not self.options.order_reuse:
            return None
        book = OrderBook()
        if self.options.resume:
            for key, tx, until in paid_orders(self.journal.events(), conn.wallet.address):
                book.record(key, tx, until)
        return book

    def _run_jobs(self, resolved: list[ResolvedJob], ctx: RunContext, conn: Connection) -> tuple[JobOutcome, ...]:
        previous = self.journal.jobs() if self.options.resume else {}
        if self.options.resume:  # downloads a kill cut short left their temporary files behind
            stale = remove_stale_temps(self.folder)
            if stale:
                self.journal.write("cleaned", files=[str(p.relative_to(self.folder)) for p in stale])
        outcomes: dict[str, JobOutcome] = {}
        todo = []
        for job in resolved:
            past = previous.get(job.plan.name)
            if past is not None and past.done is not None and past.done.get("outcome") != ERROR:
                outcomes[job.plan.name] = job_from_dict(past.done)  # finished before: not run again
                self.progress.job_done(outcomes[job.plan.name])
            elif past is not None and (past.job_id or past.orders is not None) and not past.stopped \
                    and not conn.embedded_mock:
                todo.append(JobRun(job, ctx, resume=past))  # find it again at the provider; never start twice
            else:
                # Never started, or stopped by the earlier attempt (a stopped job cannot pass), or it
                # ran in an embedded mock that died with the earlier process: start it afresh (with
                # the orders it already paid for, if the chain still has them).
                todo.append(JobRun(job, ctx, paid=past.paid if past is not None else None))
        # Resumed jobs first: each holds its dataset order (its agreementId) until it ends, and most
        # only wait for a job already running, so the fresh jobs behind them find their orders free.
        todo.sort(key=lambda run: run.resume is None)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, self.options.jobs),
                                                   thread_name_prefix="c2d-job") as pool:
            futures = {pool.submit(self._guarded, run): run for run in todo}
            pending = set(futures)
            while pending:  # short waits keep the main thread free to take signals
                done, pending = concurrent.futures.wait(pending, timeout=0.2)
                for future in done:
                    outcome = future.result()
                    outcomes[outcome.name] = outcome
                    self.progress.job_done(outcome)
        return tuple(outcomes[j.plan.name] for j in resolved)

    def _guarded(self, run: JobRun) -> JobOutcome:
        if run.ctx.cancel.is_set() and run.job_id is None:
            return JobOutcome(name=run.name, outcome=SKIPPED, error="interrupted before it started",
                              environment=run.job.environment.id)
        if self._halted and run.job_id is None:
            return JobOutcome(name=run.name, outcome=SKIPPED, environment=run.job.environment.id,
                              error=f"not started: --fail-fast after job {self._halted} did not pass")
        try:
            outcome = run.run()
            if self.options.fail_fast and outcome.outcome in (FAILED, ERROR) and not self._halted:
                self._halted = outcome.name  # in the worker, so the next queued job already sees it
            return outcome
        except Exception as exc:  # a bug must not leave the remote job running or hide other jobs
            # ... nor lose its traceback: kept in the journal, and on stderr with `c2d --debug`.
            trace = traceback.format_exc()
            log.debug("internal error in job %s", run.name, exc_info=True)
            self.journal.write("internal_error", job=run.name, error=f"{type(exc).__name__}: {exc}", traceback=trace)
            run.stop_remote(f"runner error: {type(exc).__name__}")
            return JobOutcome(name=run.name, outcome=ERROR, job_id=run.job_id,
                              error=self.journal.redact(f"internal error: {type(exc).__name__}: {exc} "
                                                        f"(traceback in {self.journal.path})"))

    def _check_lock(self, outcomes: tuple[JobOutcome, ...]) -> tuple[JobOutcome, ...]:
        from c2d_runner.engine.lock import check_outputs

        checked = []
        for outcome in outcomes:
            extra = tuple(check_outputs(self.lock_doc, outcome)) if outcome.outcome not in (ERROR, SKIPPED) else ()
            verdict = FAILED if any(not e.ok for e in extra) else outcome.outcome
            checked.append(replace(outcome, outcome=verdict, expectations=outcome.expectations + extra))
        return tuple(checked)

    def _spend_problems(self, resolved: list[ResolvedJob], conn: Connection) -> list[str]:
        """Before anything is paid, the estimate of every job's orders (initializeCompute, gas estimates;
        nothing sent) against --max-spend and, for a fresh run, against what the consumer's account holds."""
        from c2d_runner.engine.costs import (NATIVE, SpendLimitExceeded, add_totals, check_spend, job_costs,
                                             shared_costs, wallet_needs)

        costs = [job_costs(job, conn.compute, conn.wallet, conn.payer) for job in resolved]
        if self.options.order_reuse:
            costs = shared_costs(resolved, costs, max(1, self.options.jobs))
        costs = [c for c in costs if c is not None]
        totals = add_totals(costs)
        problems = []
        datatokens = frozenset(o["datatoken"] for cost in costs for o in cost["orders"])
        if self.options.max_spend is not None:
            try:
                check_spend(totals, self.options.max_spend, datatokens,
                            conn.payer.symbols([t for t in totals if t not in datatokens and t != NATIVE]))
            except SpendLimitExceeded as exc:
                problems.append(str(exc))
        if not self.options.resume:  # what the Escrow already holds is the node start's to check
            tokens, gas = wallet_needs(costs)
            problems += conn.payer.shortfalls(tokens, gas, datatokens)
        return problems

    def _record(self, began: float, conn: Connection, outcomes, problems, resolved, interrupted=False) -> RunOutcome:
        run = RunOutcome(spec_name=self.plan.name, spec_path=self.plan.path, run_id=self.run_id,
                         folder=self.folder, target=conn.description, started_at=self.started_at,
                         duration=time.monotonic() - began, jobs=tuple(outcomes), problems=tuple(problems),
                         interrupted=interrupted, warnings=self.warnings)
        if self.discard:
            self.progress.run_done(run)
            return run
        write_json(self.folder / RECORD, self.journal.redact.value({
            "run_id": self.run_id, "spec": {"path": str(self.plan.path), "name": self.plan.name,
                                             "sha256": self.plan.sha256},
            "target": target_record(self.target), "provider": conn.provider, "aquarius": conn.aquarius,
            "chain_id": conn.chain_id, "sandbox": conn.sandbox or None, "warnings": list(self.warnings),
            "started_at": self.started_at, "duration": run.duration,
            "ok": run.ok, "interrupted": interrupted, "problems": list(problems),
            "resolved": {j.plan.name: {"dataset": j.dataset.did, "service": j.dataset.service_id,
                                       "environment": j.environment.id, "ddo_sha256": dict(j.ddo_hashes)}
                         for j in resolved},
            "jobs": [job_to_dict(o) for o in outcomes],
            # What was paid on chain, with transaction hashes (every attempt's: a payment is never undone):
            # orders, and on an Ocean Node the Escrow's approve, deposit and authorize.
            "payments": [{k: e.get(k) for k in PAYMENT_FIELDS[e["event"]]}
                         for e in self.journal.events() if e.get("event") in PAYMENT_FIELDS],
        }))
        self.progress.run_done(run)
        return run


PAYMENT_FIELDS = {
    "paid": ("job", "input", "did", "service", "datatoken", "how", "tx", "fee_token", "fee_amount"),
    "escrow": ("job", "how", "tx", "escrow", "token", "amount", "payee"),
}

__all__ = ["RunOptions", "Run", "select_jobs", "resolve_all", "UsageError", "InfrastructureError",
           "target_from_record", "target_record"]
