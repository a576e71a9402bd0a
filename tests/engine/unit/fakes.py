"""A fake compute client with the engine's typed interface (engine/ports.py): no sockets, no threads.

It answers from what a test sets up (environments, a status script, a job list, result bytes) and
records every call, so a test can say exactly what the engine asked for.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from c2d_runner.engine.jobrun import RunContext
from c2d_runner.engine.journal import Journal
from c2d_runner.engine.resolve import ResolvedJob
from c2d_runner.ocean import DDO, ComputeInput
from c2d_runner.ocean.errors import ComputeTimeout, DDONotFound
from c2d_runner.ocean.records import ComputeEnvironment, JobResult, JobStatus, ResultFile
from c2d_runner.spec.model import DatasetRef, Expectations, JobPlan, RawAlgorithm
from c2d_runner.wire import derive_did

PROVIDER = "http://provider.invalid"
CHAIN_ID = 8996
DATASET_DID = derive_did("0x1111111111111111111111111111111111111111", CHAIN_ID)
JOB_ID = "job-1"


def dataset_ddo(did: str = DATASET_DID) -> DDO:
    """A v4.1.0 compute dataset served by PROVIDER that allows raw algorithms."""
    return DDO.from_dict({
        "@context": ["https://w3id.org/did/v1"], "id": did, "version": "4.1.0", "chainId": CHAIN_ID,
        "nftAddress": "0x1111111111111111111111111111111111111111",
        "metadata": {"type": "dataset", "name": "table", "description": "d", "author": "a", "license": "MIT"},
        "services": [{"id": "compute", "type": "compute", "datatokenAddress": "0x" + "0" * 39 + "1",
                      "serviceEndpoint": PROVIDER, "files": "0x00", "timeout": 0,
                      "compute": {"allowRawAlgorithm": True, "allowNetworkAccess": False,
                                  "publisherTrustedAlgorithmPublishers": [], "publisherTrustedAlgorithms": []}}],
        "credentials": {"allow": [], "deny": []},
        "nft": {"address": "0x1111111111111111111111111111111111111111", "state": 0, "owner": "0x0"},
    })


def env(env_id: str, price: float = 0, **fields: Any) -> ComputeEnvironment:
    """A compute environment record."""
    return ComputeEnvironment(id=env_id, price_min=price, **fields)


def status(code: int, text: str = "", results: Sequence[JobResult] = (), job_id: str = JOB_ID,
           **fields: Any) -> JobStatus:
    """A JobStatus as the Python Provider's client builds it (terminal at 31, 32, 70; success at 70)."""
    fields = {"terminal": code in (31, 32, 70), "succeeded": code == 70, **fields}
    return JobStatus(job_id, code, text, results=tuple(results), **fields)


RAW = RawAlgorithm(code="print(1)", entrypoint="python $ALGO", image="python", tag="3.11")


def job_plan(name: str = "j", environment: str = "free", timeout: float = 60.0,
             expect: Expectations = Expectations()) -> JobPlan:
    """A job on DATASET_DID with a raw algorithm."""
    return JobPlan(name=name, template=name, dataset=DatasetRef(DATASET_DID), algorithm=RAW,
                   environment=environment, timeout=timeout, expect=expect)


def resolved(plan: JobPlan | None = None, environment: ComputeEnvironment | None = None) -> ResolvedJob:
    """A ResolvedJob as the Resolver makes it, without asking anyone."""
    ddo = dataset_ddo()
    return ResolvedJob(plan=plan or job_plan(), dataset=ComputeInput(ddo, ddo.services[0]),
                       environment=environment or env("free"))


class FakeAquarius:
    """DDOs by DID."""

    def __init__(self, ddos: Sequence[DDO]):
        self.ddos = {d.did: d for d in ddos}

    def resolve(self, did: str) -> DDO:
        """The DDO, or DDONotFound."""
        if did not in self.ddos:
            raise DDONotFound(f"{did} is not in the fake Aquarius")
        return self.ddos[did]


@dataclass
class FakeWallet:
    address: str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@dataclass
class FakeCompute:
    """The engine's ComputeClient, scripted.

    `script` is what wait() sees, one JobStatus per poll: each is reported through on_status; the
    first terminal one is returned; running off the end raises ComputeTimeout with the last one.
    """

    environments: Sequence[ComputeEnvironment] = (env("free"),)
    script: list[JobStatus] = field(default_factory=lambda: [status(70, "Job finished")])
    listed: list[JobStatus] = field(default_factory=list)  # what jobs() answers
    start_errors: list[Exception] = field(default_factory=list)  # raised by the next start_job calls
    files: dict[int, bytes] = field(default_factory=dict)  # result bytes by index
    order_id: str = "0x" + "ab" * 32
    calls: list[tuple] = field(default_factory=list)
    aquarius: FakeAquarius = field(default_factory=lambda: FakeAquarius([dataset_ddo()]))

    def get_c2d_environments(self, service_endpoint: str, chain_id: int | None = None):
        self.calls.append(("environments", service_endpoint, chain_id))
        return list(self.environments)

    def is_consumable(self, ddo, service, address, with_connectivity_check=True) -> int:
        return 0

    def order_inputs(self, consumer_wallet, dataset, compute_environment, algorithm=None, algorithm_meta=None,
                     additional_datasets=()):
        self.calls.append(("order", compute_environment))
        return (dataset.with_transfer_tx_id(self.order_id),
                tuple(d.with_transfer_tx_id(self.order_id) for d in additional_datasets), algorithm)

    def start_job(self, consumer_wallet, dataset, compute_environment, algorithm=None, algorithm_meta=None,
                  algorithm_algocustomdata=None, additional_datasets=()) -> str:
        self.calls.append(("start", dataset.transfer_tx_id))
        if self.start_errors:
            raise self.start_errors.pop(0)
        return JOB_ID

    def wait(self, ddo, service, job_id: str, wallet, timeout: float = 3600.0,
             on_status: Callable[[JobStatus], None] | None = None) -> JobStatus:
        self.calls.append(("wait", job_id, timeout))
        last = None
        while self.script:
            last = self.script.pop(0)
            if on_status is not None:
                on_status(last)
            if last.terminal:
                return last
        raise ComputeTimeout(job_id, timeout, last)

    def job_status(self, ddo, service, job_id: str, wallet) -> JobStatus:
        self.calls.append(("status", job_id))
        return self.script[-1]

    def jobs(self, service_endpoint, wallet) -> tuple[JobStatus, ...]:
        self.calls.append(("jobs", service_endpoint))
        return tuple(self.listed)

    def stop_job(self, ddo, service, job_id: str, wallet) -> JobStatus:
        self.calls.append(("stop", job_id))
        return status(70, "Job finished", stop_requested=1)

    def download_result(self, ddo, service, job_id: str, index: int, wallet, dest_path) -> ResultFile:
        self.calls.append(("download", job_id, index))
        data = self.files[index]
        Path(dest_path).write_bytes(data)
        return ResultFile(Path(dest_path).name, len(data), hashlib.sha256(data).hexdigest())

    def called(self, name: str) -> list[tuple]:
        """The calls of one method, in order."""
        return [c for c in self.calls if c[0] == name]


class SilentProgress:
    """A progress sink that keeps the messages."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def run_started(self, spec_name, target, jobs) -> None:
        pass

    def job_status(self, name, status, status_text, elapsed) -> None:
        pass

    def job_message(self, name, text) -> None:
        self.messages.append(text)

    def job_done(self, outcome) -> None:
        pass

    def run_done(self, run) -> None:
        pass


def context(compute: FakeCompute, folder: Path) -> RunContext:
    """A RunContext on the fake client, journaling to `folder`, with a fixed clock."""
    folder.mkdir(parents=True, exist_ok=True)
    return RunContext(compute, FakeWallet(), Journal(folder), folder, SilentProgress(), threading.Event(),
                      clock=lambda: 100.0, started=100.0)
