"""Job lifecycle: the status state machine (transitions are data) and the runner that drives jobs
through the executor on a thread pool, recording every step in the store.
"""
from __future__ import annotations

import logging
import os
import pathlib
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from c2d_runner import wire
from mockprovider import faults as faults_mod
from mockprovider.node import lifecycle as node_lifecycle
from mockprovider.store import Job, Store, epoch_text
from mockprovider.world import World

log = logging.getLogger(__name__)

# Allowed status moves of the v1 operator (reference §7).  31 / 32 end a job during provisioning;
# a stopped job still goes through 60 to 70.
TRANSITIONS: dict[int, frozenset[int]] = {
    1: frozenset({20, 31, 32}),
    20: frozenset({30, 31, 32}),
    30: frozenset({40, 60, 31, 32}),
    40: frozenset({50, 60}),
    50: frozenset({60}),
    60: frozenset({70}),
    31: frozenset(),
    32: frozenset(),
    70: frozenset(),
}
CONFIGURE_LOG = "configure.log"
TYPE_ORDER = {"output": 0, "algorithmLog": 1, "configrationLog": 2}


def can_move(current: int, new: int) -> bool:
    """True when the state machine allows `current` -> `new`."""
    return new in TRANSITIONS.get(current, frozenset())


def interrupted_status(status: int) -> int:
    """The honest final status of a job a previous mock process left unfinished.

    v1 has no "interrupted" code; 31 / 32 are its only failures, which clients (ocean.py's
    `status not in (31, 32)`) read as "did not work".  A job that never got past configuring
    volumes never had its data provisioned (31); any later job did not complete its algorithm (32).
    """
    return 31 if status in (1, 20) else 32


def order_results(results: list[dict]) -> list[dict]:
    """pod-publishing's order: outputs by filename, then algorithm.log, then the admin logs."""
    return sorted(results, key=lambda r: (TYPE_ORDER.get(r["type"], 3), r["filename"] if r["type"] == "output" else ""))


class JobRunner:
    """Runs stored jobs through an executor on a bounded thread pool."""

    def __init__(self, store: Store, world: World, state_dir: pathlib.Path, executor: Any,
                 ddo_of: Callable[[str], dict], fault_profile: faults_mod.FaultProfile, seed: int,
                 workers: int = 8):
        self.store = store
        self.world = world
        self.jobs_dir = state_dir / "jobs"
        self.executor = executor
        self.ddo_of = ddo_of
        self.profile = fault_profile
        self.seed = seed
        self.errors: list[str] = []  # mock bugs seen in job threads, raised to tests at teardown
        self._stops: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mock-job")
        self._closing = threading.Event()
        self._live_logs: dict[str, pathlib.Path] = {}

    @property
    def closing(self) -> bool:
        """True once shutdown has begun."""
        return self._closing.is_set()

    def set_live_log(self, job_id: str, path: pathlib.Path | None) -> None:
        """Record (or forget) where a running job's algorithm log grows."""
        with self._lock:
            if path is None:
                self._live_logs.pop(job_id, None)
            else:
                self._live_logs[job_id] = path

    def live_log(self, job_id: str) -> str | None:
        """The growing algorithm log of a running job, or None."""
        with self._lock:
            path = self._live_logs.get(job_id)
        return str(path) if path is not None else None

    def job_dir(self, job_id: str) -> pathlib.Path:
        """Where a job's files live."""
        return self.jobs_dir / job_id

    def recover(self) -> list[str]:
        """Mark jobs left unfinished by a previous process as failed (see interrupted_status)."""
        done = []
        for job in self.store.unfinished_jobs():
            if _is_node(job):
                node_lifecycle.recover(self, job)
                done.append(job.job_id)
                continue
            final = interrupted_status(job.status)
            admin = self.job_dir(job.job_id) / "adminlogs"
            admin.mkdir(parents=True, exist_ok=True)
            path = admin / CONFIGURE_LOG
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"{_stamp()} the mock Provider restarted while this job was at status {job.status} "
                         f"({wire.status_text(job.status).strip()}); it did not complete and its outputs are "
                         f"not published; final status {final} ({wire.status_text(final)})\n")
            self.store.finish(job.job_id, final, [_result(path, "configrationLog", self.job_dir(job.job_id))], epoch_text())
            done.append(job.job_id)
        return done

    def submit(self, job: Job) -> None:
        """Run a freshly created job in the background."""
        stop = threading.Event()
        with self._lock:
            self._stops[job.job_id] = stop
        self._pool.submit(self._run_safely, job, stop)

    def stop(self, job_id: str) -> None:
        """Ask a running job to stop (stopreq 1); it still publishes what it produced."""
        self.store.request_stop(job_id, 1)
        with self._lock:
            event = self._stops.get(job_id)
        if event is not None:
            event.set()

    def shutdown(self) -> None:
        """Stop every running job and wait for the pool."""
        self._closing.set()
        with self._lock:
            events = list(self._stops.values())
        for e in events:
            e.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        close = getattr(self.executor, "close", None)  # test doubles may have none
        if close is not None:
            close()

    # --- one job ------------------------------------------------------------------------------
    def _run_safely(self, job: Job, stop: threading.Event) -> None:
        try:
            self._run(job, stop)
        except Exception:  # a bug of the mock: the job must still end, and the test must hear of it
            text = traceback.format_exc()
            self.errors.append(f"job {job.job_id}: {text}")
            log.error("job %s crashed: %s", job.job_id, text)
            if _is_node(job):
                node_lifecycle.fail(self, job, 32, f"internal error of the mock: {text.strip().splitlines()[-1]}")
                return
            self._fail(job, 32, f"internal error of the mock Provider: {text.strip().splitlines()[-1]}")
        finally:
            with self._lock:
                self._stops.pop(job.job_id, None)

    def _run(self, job: Job, stop: threading.Event) -> None:
        if _is_node(job):
            node_lifecycle.run(self, job, stop)
            return
        fault = faults_mod.job_fault(self.profile, self.seed, job.ordinal)
        if fault.hold_status is not None:
            stop.wait(fault.hold_seconds)  # held in Warming up, like a busy cluster
        if fault.fail_status is not None:
            self._fail(job, fault.fail_status, f"fault profile {self.profile.name!r}: "
                       f"{'data' if fault.fail_status == 31 else 'algorithm'} provisioning made to fail")
            return
        if stop.is_set() and self._closing.is_set():
            return  # shutting down before the job began: a restart will mark it honestly
        request = self._request(job)
        if request is None:
            return
        current = [job.status]

        def on_status(status: int) -> None:
            # Status callbacks that the state machine does not allow are ignored, never stored.
            if can_move(current[0], status):
                current[0] = status
                self.store.set_status(job.job_id, status)

        result = self.executor.run(request, on_status=on_status, stop=stop)
        results = []
        job_dir = self.job_dir(job.job_id).resolve()
        for r in result.results:
            path = pathlib.Path(r.path)
            try:
                rel = path.resolve().relative_to(job_dir)
            except ValueError:  # defence in depth: the executor promises paths inside job_dir
                self.errors.append(f"job {job.job_id}: result outside the job folder refused: {r.filename}")
                continue
            results.append({"filename": r.filename, "filesize": int(r.filesize), "type": r.type, "path": str(rel)})
        final = result.status if result.status in wire.TERMINAL_STATUSES else 32
        for step in (60,) if final == 70 else ():
            on_status(step)
        self.store.finish(job.job_id, final, order_results(results), epoch_text(), result.stopreq)

    def _request(self, job: Job):
        from mockprovider.executor import Algorithm, ExecutionRequest, InputDataset

        spec = job.request
        inputs = []
        for item in spec["inputs"]:
            asset = self.world.by_did(item["did"])
            if asset is None:  # the world changed under a restarted state dir
                self._fail(job, 31, f"dataset {item['did']} is not in this world any more")
                return None
            inputs.append(InputDataset(asset.did, asset.files, self.ddo_of(asset.did)))
        algo = spec["algorithm"]
        if algo.get("did"):
            asset = self.world.by_did(algo["did"])
            if asset is None or asset.container is None:
                self._fail(job, 32, f"algorithm {algo['did']} is not in this world any more")
                return None
            files, ddo, container = asset.file_bytes(), self.ddo_of(asset.did), asset.container
            entrypoint, image, tag = container.entrypoint, container.image, container.tag
        else:
            files, ddo = (algo["rawcode"].encode("utf-8"),), None
            c = algo["container"]
            entrypoint, image, tag = c["entrypoint"], c["image"], c.get("tag", "")
        commands = self.world.command_map(image, tag) or {}
        env = self.world.environment(job.environment)
        return ExecutionRequest(
            job_id=job.job_id,
            job_dir=self.job_dir(job.job_id),
            inputs=tuple(inputs),
            algorithm=Algorithm(algo.get("did") or None, files, ddo, entrypoint, commands),
            algocustomdata=spec.get("algocustomdata"),
            max_duration=float(env.maxJobDuration) if env else 60.0,
            allow_network=bool(spec.get("allow_network", False)),
        )

    def _fail(self, job: Job, status: int, reason: str) -> None:
        job_dir = self.job_dir(job.job_id)
        admin = job_dir / "adminlogs"
        admin.mkdir(parents=True, exist_ok=True)
        path = admin / CONFIGURE_LOG
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{_stamp()} provisioning failed ({status}): {reason}\n")
        current = self.store.job(job.job_id)
        if current is not None and current.finished:
            return
        self.store.finish(job.job_id, status, [_result(path, "configrationLog", job_dir)], epoch_text())


def _is_node(job: Job) -> bool:
    """True for a job started through the Ocean Node routes."""
    return job.request.get("protocol") == "ocean-node"


def _result(path: pathlib.Path, kind: str, job_dir: pathlib.Path) -> dict:
    return {"filename": path.name, "filesize": os.path.getsize(path), "type": kind,
            "path": str(path.resolve().relative_to(job_dir.resolve()))}


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
