"""The state a running mock serves: the world, its DDOs, the store, the job runner, fault settings."""
from __future__ import annotations

import pathlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from mockprovider import faults as faults_mod
from mockprovider.ddo import build_ddos
from mockprovider.jobs import JobRunner
from mockprovider.store import Store
from mockprovider.world import World


@dataclass
class MockState:
    """Everything the handlers read or change; built once per server start."""

    world: World
    url: str
    ddos: dict[str, dict[str, Any]]
    store: Store
    runner: JobRunner
    state_dir: pathlib.Path
    profile: faults_mod.FaultProfile
    seed: int
    protocol: str = "provider"  # "provider" (Provider v2 + Aquarius) or "ocean-node"
    settle_seconds: float = 1.0  # node: how long a job stays at 71 "Job settling" before 70
    chain: Any = None  # a LocalChain: then every job is paid with orders checked on it (mockprovider.payment)

    def __post_init__(self) -> None:
        self._counts: dict[str, int] = {}  # calls per route so far
        self._lock = threading.Lock()
        self.request_count = 0

    @classmethod
    def create(cls, world: World, url: str, state_dir: pathlib.Path, executor: Any,
               profile: faults_mod.FaultProfile, seed: int, protocol: str = "provider",
               settle_seconds: float = 1.0, chain: Any = None) -> "MockState":
        """Open the store under state_dir, build DDOs for `url`, recover jobs a previous run left."""
        store = Store(state_dir / "mock.sqlite3")
        ddos = build_ddos(world, url)
        runner = JobRunner(store, world, state_dir, executor, ddos.__getitem__, profile, seed)
        runner.recover()
        return cls(world, url, ddos, store, runner, state_dir, profile, seed, protocol, settle_seconds, chain)

    def next_call(self, route: str) -> int:
        """How many calls of `route` came before this one (for seeded fault decisions)."""
        with self._lock:
            self.request_count += 1
            before = self._counts.get(route, 0)
            self._counts[route] = before + 1
            return before

    def requests_by_route(self) -> dict[str, int]:
        """Requests served per route name (computeStatus, computeResult, ...) since start."""
        with self._lock:
            return dict(self._counts)

    def environments(self) -> list[dict[str, Any]]:
        """The environments as computeEnvironments serves them (operator-engine's announce + id, lastSeen, feeToken)."""
        now = repr(round(time.time(), 6))
        return [
            {
                "id": e.id, "cpuNumber": e.cpuNumber, "cpuType": "", "gpuNumber": 0, "gpuType": "",
                "ramGB": e.ramGB, "diskGB": e.diskGB, "priceMin": e.priceMin, "desc": e.desc,
                "currentJobs": self.store.running_count(e.id), "maxJobs": e.maxJobs,
                "consumerAddress": e.consumerAddress, "storageExpiry": e.storageExpiry,
                "maxJobDuration": e.maxJobDuration, "lastSeen": now, "feeToken": e.feeToken,
            }
            for e in self.world.environments
        ]

    def close(self) -> None:
        """Stop jobs and close the store."""
        self.runner.shutdown()
        self.store.close()
