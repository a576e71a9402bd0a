"""Compute on one Ocean Node: request bodies, initialize, start (free or paid), watch, fetch results,
stop, follow logs.

Sits on NodeClient (the routes) and the pure rules (status, environments, results, outputs); the
OceanCompute facade and the runner call this for node targets.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from c2d_runner.ocean.errors import ComputeTimeout, OceanError
from c2d_runner.ocean.node import paid
from c2d_runner.ocean.node.client import NodeClient, NodeError, raw_job_id
from c2d_runner.ocean.node.environments import Choice, NodeEnvironment, parse_node_environments
from c2d_runner.ocean.node.results import (ALGORITHM_LOG, OUTPUT, LogDemuxer, NodeResult, demux_log,
                                           frames_to_text, parse_results, pick_result)
from c2d_runner.ocean.node.status import NodeVerdict, judge, with_log_tail
from c2d_runner.ocean.pacing import PollPolicy, RunTimes, next_delay
from c2d_runner.ocean.records import InitializeResult, JobStatus
from c2d_runner.redaction import redacts_wallet_key

_CHUNK = 1 << 20
# A node refuses a free start while its cores or free-job slots are taken (400, nothing started);
# these are waited out, up to BUSY_WAIT seconds, polling every BUSY_POLL.
_BUSY = ("Not enough available", "Too many running")
BUSY_WAIT = 900.0
BUSY_POLL = 10.0
# The `metadata` key of the runner's per-start token: the node keeps a start's metadata with the job
# and lists it by consumer, so a start whose answer was lost is found by it (node jobs carry no
# agreementId). Namespaced, flat (the node types metadata as {key: string | number | boolean}) and
# far below the node's 1024-character limit.
START_TOKEN_KEY = "c2d-runner.start"


class NeedsPayment(OceanError):
    """A paid environment asked of a call that does not pay (OceanCompute.start_free): nothing was sent."""


@dataclass(frozen=True)
class UrlDataset:
    """A dataset given by URL (a node `fileObject` of type url)."""

    url: str
    method: str = "get"
    headers: Mapping[str, str] | None = None

    def as_file_object(self) -> dict[str, Any]:
        """The node's `{type: "url", url, method, headers?}`."""
        obj: dict[str, Any] = {"type": "url", "url": self.url, "method": self.method.lower()}
        if self.headers:
            obj["headers"] = dict(self.headers)
        return obj


def dataset_entry(item: Any) -> dict[str, Any]:
    """One `datasets[]` entry: a URL fileObject, or a DDO's {documentId, serviceId, userdata?}."""
    if isinstance(item, UrlDataset):
        return {"fileObject": item.as_file_object()}
    entry: dict[str, Any] = {"documentId": item.did, "serviceId": item.service_id}
    if getattr(item, "userdata", None):
        entry["userdata"] = dict(item.userdata)
    return entry


def algorithm_entry(meta: Any = None, published: Any = None, custom_data: Mapping[str, Any] | None = None,
                    envs: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The `algorithm` object: raw `{meta}` or published `{documentId, serviceId, meta}`.

    A free start does not fill `meta` from the algorithm's DDO (the node then fails with "Unable
    to extract docker image"), so a published algorithm's metadata.algorithm is sent as its meta.
    """
    if published is not None:
        algo: dict[str, Any] = {"documentId": published.did, "serviceId": published.service_id,
                                "meta": dict(published.ddo.metadata.get("algorithm") or {})}
    elif meta is not None:
        algo = {"meta": meta.as_dictionary() if hasattr(meta, "as_dictionary") else dict(meta)}
    else:
        raise ValueError("an algorithm needs raw metadata or a published algorithm")
    if custom_data is not None:
        algo["algocustomdata"] = dict(custom_data)
    if envs:
        algo["envs"] = {str(k): str(v) for k, v in envs.items()}
    return algo


def start_metadata(start_token: str | None) -> dict[str, str] | None:
    """The start's `metadata` carrying the runner's token (None without one: nothing is sent)."""
    return {START_TOKEN_KEY: start_token} if start_token else None


def start_token_of(job: Mapping[str, Any]) -> str:
    """The runner's token in a listed job's `metadata` ("" when it has none)."""
    metadata = job.get("metadata")
    token = metadata.get(START_TOKEN_KEY) if isinstance(metadata, Mapping) else None
    return token if isinstance(token, str) else ""


def free_start_body(choice: Choice, algorithm: Mapping[str, Any], datasets: Sequence[Mapping[str, Any]],
                    queue_max_wait: float | None = None, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The freeCompute body without its signature fields (`metadata` sent when given)."""
    body: dict[str, Any] = {
        "environment": choice.env.id,
        "algorithm": dict(algorithm),
        "datasets": [dict(d) for d in datasets],
        "resources": [{"id": rid, "amount": amount} for rid, amount in choice.resources],
    }
    if choice.duration:
        body["maxJobDuration"] = int(choice.duration)
    if queue_max_wait:
        body["queueMaxWaitTime"] = int(queue_max_wait)
    if metadata:
        body["metadata"] = dict(metadata)
    return body


class NodeCompute:
    """Jobs on one node for one run; thread-safe (jobs of a run share it)."""

    def __init__(self, client: NodeClient, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, coalesce: float = 1.0) -> None:
        self.client = client
        self._sleep = sleep
        self._clock = clock
        self._coalesce = coalesce
        self._watching: set[str] = set()
        self.run_times = RunTimes()  # what this run's jobs took here: when to look again
        self._listing: tuple[float, dict[str, dict]] | None = None
        self._results: dict[str, tuple[NodeResult, ...]] = {}  # last listing seen per job
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The node's base URL."""
        return self.client.url

    def environments(self) -> tuple[NodeEnvironment, ...]:
        """The node's environments (live: counters change)."""
        try:
            return parse_node_environments(self.client.environments())
        except ValueError as exc:
            raise NodeError(str(exc), status=200, endpoint=" ".join(self.client.endpoint("computeEnvironments"))) from None

    def initialize(self, consumer_address: str, choice: Choice, algorithm: Mapping[str, Any],
                   datasets: Sequence[Mapping[str, Any]]) -> InitializeResult:
        """initializeCompute for a paid Choice (unsigned, nothing paid): the orders the node wants
        for the environment's consumerAddress, and the Escrow payment it will lock at start.

        Entries carrying an earlier order's `transferTxId` come back as `validOrder` while it holds.
        """
        answer = self.client.initialize(paid.initialize_body(choice, algorithm, datasets, consumer_address))
        try:
            return paid.parse_paid_initialize(answer, len(datasets))
        except ValueError as exc:
            raise NodeError(str(exc), status=200, endpoint=" ".join(self.client.endpoint("initializeCompute")),
                            body=answer) from None

    @redacts_wallet_key
    def start(self, wallet: Any, choice: Choice, algorithm: Mapping[str, Any],
              datasets: Sequence[Mapping[str, Any]], queue_max_wait: float | None = None,
              start_token: str | None = None) -> str:
        """Start a job in the chosen environment; the prefixed job id.

        A paid Choice sends the paid start: its entries must carry their orders' `transferTxId`s and
        the Escrow must cover the job already (the node locks it before it answers). A `start_token`
        goes in the start's metadata, so the job can be found by it if the answer is lost.
        """
        metadata = start_metadata(start_token)
        if choice.free:
            body, send = free_start_body(choice, algorithm, datasets, queue_max_wait, metadata), self.client.free_start
        else:
            body = paid.paid_start_body(choice, algorithm, datasets, queue_max_wait, metadata)
            send = self.client.paid_start
        # One start at a time: while the node is busy, one job asks again every BUSY_POLL seconds
        # and the others queue here instead of spending the node's request allowance.
        with self._start_lock:
            deadline = self._clock() + BUSY_WAIT
            while True:
                try:
                    return str(send(wallet, body)["jobId"])
                except NodeError as exc:
                    if exc.status != 400 or not any(b in exc.detail for b in _BUSY) or self._clock() >= deadline:
                        raise
                self._sleep(BUSY_POLL)  # busy with other jobs (ours or others'): wait for a slot

    # -- status ----------------------------------------------------------------------------
    @redacts_wallet_key
    def status(self, wallet: Any, job_id: str) -> tuple[dict[str, Any], NodeVerdict]:
        """The job object and what it means.

        While several jobs of this run are watched on the node, one listing of the consumer's jobs
        answers all of them (fetched at most once per `coalesce` seconds): ten jobs cost one
        request per poll round, not ten.
        """
        with self._lock:
            shared = len(self._watching) > 1 and job_id in self._watching
        job = self._from_listing(wallet.address, job_id) if shared else None
        if job is None:
            job = self.client.status(wallet.address, job_id)
        with self._lock:
            self._results[job_id] = parse_results(job.get("results"))
        return job, judge(job)

    def result_entry(self, wallet: Any, job_id: str, index: int) -> NodeResult | None:
        """What result `index` of the job is (from the last status seen, else a fresh one)."""
        with self._lock:
            known = self._results.get(job_id)
        if known is None or not any(r.index == index for r in known):
            self.status(wallet, job_id)
            with self._lock:
                known = self._results.get(job_id, ())
        return next((r for r in known if r.index == index), None)

    def _from_listing(self, address: str, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            listing = self._listing
            if listing is None or self._clock() - listing[0] > self._coalesce:
                jobs = {str(j.get("jobId")): j for j in self.client.jobs(address)}
                self._listing = listing = (self._clock(), jobs)
        return listing[1].get(raw_job_id(job_id))

    @redacts_wallet_key
    def wait(self, wallet: Any, job_id: str, timeout: float,
             on_status: Callable[[dict[str, Any], NodeVerdict], None] | None = None,
             interval_min: float = 1.0, interval_max: float = 5.0) -> tuple[dict[str, Any], NodeVerdict]:
        """Poll until the job is over (dateFinished set); ComputeTimeout after `timeout` seconds.

        Paced by the run times of the jobs waited on here so far (ocean/pacing.py), between
        `interval_min` and `interval_max`.
        """
        policy = PollPolicy(interval_min, max(interval_max, interval_min))
        with self._lock:
            self._watching.add(job_id)
        try:
            began = self._clock()
            deadline = began + timeout
            last = None
            # The start answer has just said where the job is: the first look waits, as later ones do.
            self._sleep(min(next_delay(0.0, self.run_times.expected(), policy), timeout))
            while True:
                job, verdict = self.status(wallet, job_id)
                if (last is None or verdict.status != last.status) and on_status is not None:
                    on_status(job, verdict)
                last = verdict
                if verdict.over:
                    self.run_times.learn(job_status(job_id, job, verdict))
                    return job, verdict
                now = self._clock()
                if now >= deadline:
                    raise ComputeTimeout(job_id, timeout, job_status(job_id, job, verdict))
                self._sleep(min(next_delay(now - began, self.run_times.expected(), policy), deadline - now))
        finally:
            with self._lock:
                self._watching.discard(job_id)

    @redacts_wallet_key
    def failure_reason(self, wallet: Any, job_id: str, job: Mapping[str, Any], verdict: NodeVerdict) -> str:
        """The verdict's reason, with the tail of the log that explains it (configuration.log for 31-33)."""
        if not verdict.reason_log:
            return verdict.reason
        entry = pick_result(parse_results(job.get("results")), verdict.reason_log)
        if entry is None:
            return verdict.reason
        try:
            return with_log_tail(verdict.reason, demux_log(self.fetch(wallet, job_id, entry.index)))
        except OceanError:
            return verdict.reason

    # -- results ---------------------------------------------------------------------------
    @redacts_wallet_key
    def fetch(self, wallet: Any, job_id: str, index: int) -> bytes:
        """The bytes of result `index`, as served."""
        with self.client.result(wallet, job_id, index) as response:
            return response.content

    def save(self, wallet: Any, job_id: str, result: NodeResult, target: Path) -> tuple[int, str]:
        """Stream one result to `target` (atomically): (bytes written, sha256 hex of them).

        algorithm.log is written as plain text, its Docker frame headers removed.
        """
        from c2d_runner.atomic import atomic_file

        demux = LogDemuxer() if result.type == ALGORITHM_LOG else None
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0

        def write(data: bytes) -> None:
            nonlocal size
            out.write(data)
            digest.update(data)
            size += len(data)

        with self.client.result(wallet, job_id, result.index) as response, atomic_file(target) as out:
            for chunk in response.iter_content(_CHUNK):
                write(frames_to_text(demux.feed(chunk)).encode() if demux else chunk)
            if demux:
                write(frames_to_text(demux.close()).encode())
        return size, digest.hexdigest()

    # -- stop and logs ---------------------------------------------------------------------
    @redacts_wallet_key
    def stop(self, wallet: Any, job_id: str) -> dict[str, Any] | None:
        """Ask the node to stop the job (it stops on its next loop, ~2 s; the job then ends at 71)."""
        return self.client.stop(wallet, job_id)

    @redacts_wallet_key
    def follow_logs(self, wallet: Any, job_id: str, write: Callable[[str], None]) -> None:
        """Stream a running job's output as text until the algorithm ends (404 once it is not running)."""
        demux = LogDemuxer()
        with self.client.streamable_logs(wallet, job_id) as response:
            for chunk in response.iter_content(None):
                text = frames_to_text(demux.feed(chunk))
                if text:
                    write(text)
        rest = frames_to_text(demux.close())
        if rest:
            write(rest)


def job_status(job_id: str, job: Mapping[str, Any], verdict: NodeVerdict) -> JobStatus:
    """A node job as the record the engine reads (ocean/records.py); the node's own verdict decides."""
    return JobStatus(job_id, verdict.status, verdict.status_text, verdict.date_created, verdict.date_finished,
                     parse_results(job.get("results")), terminal=verdict.over, succeeded=verdict.succeeded, exit_code=verdict.exit_code,
                     stop_requested=verdict.stop_requested, reason=verdict.reason, start_token=start_token_of(job))
