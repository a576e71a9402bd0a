"""The node side of OceanCompute: which URLs are Ocean Nodes, and ocean.py's seed methods on them.

OceanCompute asks `NodeTargets.for_url(url)` before each seed call; a URL whose root document
(read once per run) says Ocean Node gets a NodeCompute, with a request budget on its base URL.
Everything the seed API returns keeps ocean.py's shape (environments as dicts with `id`, job
dicts with `ok`), filled by the node's rules.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Mapping

from c2d_runner.ocean.budget import DEFAULT_PER_MINUTE, RequestBudget
from c2d_runner.ocean.errors import ProviderError
from c2d_runner.ocean.http import HttpClient, base_url
from c2d_runner.ocean.node.client import NodeClient
from c2d_runner.ocean.node.compute import NodeCompute
from c2d_runner.ocean.node.environments import NodeEnvironment
from c2d_runner.ocean.node.results import ALGORITHM_LOG, demux_log, parse_results
from c2d_runner.ocean.node.status import RAN, NodeVerdict, judge
from c2d_runner.ocean.protocol import OCEAN_NODE, UnknownService, check_protocol, detect_protocol
from c2d_runner.ocean.wallet import NonceTracker


class NodeTargets:
    """NodeCompute per Ocean Node base URL, created on first use; None for Provider URLs."""

    def __init__(self, http: HttpClient, root: Callable[[str], Mapping[str, Any]], nonces: NonceTracker, *,
                 requests_per_minute: int | None = None, protocol: str | None = None,
                 sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self._http = http
        self._root = root
        self._nonces = nonces
        self._per_minute = requests_per_minute
        self._protocol = protocol
        self._sleep = sleep
        self._clock = clock
        self._nodes: dict[str, NodeCompute | None] = {}
        self._lock = threading.Lock()

    def protocol(self, url: str) -> str:
        """"ocean-node" or "provider" for a service URL (root read once; UnknownService otherwise)."""
        base = base_url(url)
        try:
            root = self._root(base)
        except ProviderError as exc:
            if exc.status is None or exc.status >= 500:
                raise  # unreachable or failing: not a verdict on what it is
            raise UnknownService(f"{base} is neither an Ocean Provider nor an Ocean Node: GET / answered "
                                 f"HTTP {exc.status}: {exc.detail}") from None
        found = detect_protocol(root, base)
        check_protocol(found, self._protocol, base)
        return found

    def for_url(self, url: str) -> NodeCompute | None:
        """The NodeCompute of the node serving `url`, or None when it is a Provider.

        A root document that is neither counts as a Provider here (its own calls then say what is
        wrong); the runner refuses such a target up front with `protocol()`.
        """
        base = base_url(url)
        # Held while the root is read: threads asking at once wait for one read (the root is read
        # once per run) and get one NodeCompute and one request budget.
        with self._lock:
            if base not in self._nodes:
                self._nodes[base] = self._open(base)
            return self._nodes[base]

    def _open(self, base: str) -> NodeCompute | None:
        try:
            found = detect_protocol(self._root(base), base)
        except UnknownService:
            if self._protocol == OCEAN_NODE:
                raise
            return None
        check_protocol(found, self._protocol, base)
        if found != OCEAN_NODE:
            return None
        self._http.set_budget(base, RequestBudget(self._per_minute or DEFAULT_PER_MINUTE,
                                                  clock=self._clock, sleep=self._sleep))
        return NodeCompute(NodeClient(base, self._http, self._root(base), self._nonces),
                           sleep=self._sleep, clock=self._clock)


def environment_dict(env: NodeEnvironment) -> dict[str, Any]:
    """An environment as ocean.py code reads it: the node's object plus priceMin (0 with a free block)."""
    return {**env.raw, "priceMin": 0 if env.free is not None else _min_price(env)}


def _min_price(env: NodeEnvironment) -> float:
    prices = [p for fee in env.fees for p in fee.prices.values()]
    return min(prices) if prices else float("inf")


def job_dict(job: Mapping[str, Any], verdict: NodeVerdict | None = None) -> dict[str, Any]:
    """The node's job object plus ocean.py's `ok` and the runner's reading of it."""
    verdict = verdict or judge(job)
    return {**job, "ok": verdict.status is not None and (verdict.succeeded or not verdict.over),
            "over": verdict.over, "succeeded": verdict.succeeded, "ran": verdict.ran, "exitCode": verdict.exit_code,
            "stopreq": verdict.stop_requested, "reason": verdict.reason}


def failure_detail(node: NodeCompute, wallet: Any, job_id: str, job: Mapping[str, Any], verdict: NodeVerdict) -> str:
    """What the status line alone does not say about a failed job: the log lines behind a failure
    status (31: configuration.log), or why a job that ran failed (exit code, OOM, stop, timeout)."""
    if verdict.succeeded or not verdict.over:
        return ""
    if verdict.reason_log:
        full = node.failure_reason(wallet, job_id, job, verdict)
        return full.removeprefix(verdict.reason + ": ") if full != verdict.reason else ""
    return verdict.reason if verdict.status in RAN else ""  # "22 Container creation failed" says it all


def result_logs(node: NodeCompute, wallet: Any, job_id: str, log_type: str) -> list[bytes]:
    """Bytes of every result of `log_type`; algorithm logs as plain text (Docker framing removed)."""
    job, _ = node.status(wallet, job_id)
    out = []
    for result in parse_results(job.get("results")):
        if result.type == log_type:
            data = node.fetch(wallet, job_id, result.index)
            out.append(demux_log(data).encode("utf-8") if log_type == ALGORITHM_LOG else data)
    return out
