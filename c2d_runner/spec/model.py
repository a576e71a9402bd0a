"""The plan: immutable objects a valid spec turns into, and the only thing the engine reads."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Union

DEFAULT_TIMEOUT = 600.0
DEFAULT_ENVIRONMENT = "free"
DEFAULT_SERVICE = "compute"


def freeze(value):
    """A read-only deep copy of JSON data (mappings become mapping proxies, lists tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value):
    """Plain JSON-ready data from a frozen value."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class MockTarget:
    """The bundled mock Ocean (world None = its default world), started by the runner."""

    world: Path | None = None
    faults: str | None = None
    seed: int = 0
    protocol: str | None = None  # "ocean-node": the mock poses as an Ocean Node
    chain: bool = False  # on a local chain with Ocean's contracts (the `chain` extra): paid compute

    def describe(self) -> str:
        """Short human form."""
        where = str(self.world) if self.world else "default world"
        node = ", Ocean Node" if self.protocol == "ocean-node" else ""
        return (f"mock ({where}{node}{', faults ' + self.faults if self.faults else ''}"
                f"{', on a local chain' if self.chain else ''})")


@dataclass(frozen=True)
class RemoteTarget:
    """A real Ocean Node, or an Ocean Provider and Aquarius (its root document says which)."""

    provider: str
    aquarius: str
    chain_id: int | None = None
    protocol: str | None = None  # "provider" | "ocean-node" to insist; None: detect
    requests_per_minute: int | None = None
    rpc: str | None = None  # the chain's JSON-RPC URL: orders are paid there with the consumer's key
    address_file: Path | None = None  # Ocean's contracts on that chain (default: the ocean-contracts wheel's)

    def describe(self) -> str:
        """Short human form (the RPC URL is left out: a public one carries an API key)."""
        kind = {"ocean-node": "Ocean Node", "provider": "provider"}.get(self.protocol or "", "provider")
        chain = f" (chain {self.chain_id})" if self.chain_id is not None else ""
        paid = ", paying on chain" if self.rpc else ""
        return f"{kind} {self.provider}{chain}{paid}"


Target = Union[MockTarget, RemoteTarget]


@dataclass(frozen=True)
class KeySource:
    """Where the consumer's private key comes from; never the key itself."""

    env: str | None = None
    file: Path | None = None

    def describe(self) -> str:
        """Short human form, safe to print."""
        if self.env:
            return f"${self.env}"
        if self.file:
            return f"key file {self.file}"
        return "the mock's well-known test key"


@dataclass(frozen=True)
class DatasetRef:
    """A dataset by DID and service (a service id, or the type 'compute'/'access')."""

    did: str
    service: str = DEFAULT_SERVICE
    userdata: Mapping | None = None


@dataclass(frozen=True)
class UrlDatasetRef:
    """A dataset file by URL (an Ocean Node downloads it into /data/inputs/)."""

    url: str
    method: str = "get"
    headers: Mapping | None = None


Dataset = Union[DatasetRef, UrlDatasetRef]


@dataclass(frozen=True)
class PublishedAlgorithm:
    """An algorithm published as an asset."""

    did: str
    service: str | None = None


@dataclass(frozen=True)
class RawAlgorithm:
    """Algorithm code sent with the job (needs allowRawAlgorithm on the dataset)."""

    code: str
    entrypoint: str
    image: str
    tag: str
    checksum: str = ""
    language: str = ""
    version: str = ""
    source: Path | None = None


Algorithm = Union[PublishedAlgorithm, RawAlgorithm]


@dataclass(frozen=True)
class JsonExpectation:
    """A value at a dotted path of a JSON output: equal to, within bounds, present or absent."""

    path: str
    equals: object = field(default=None)
    has_equals: bool = False
    min: float | None = None
    max: float | None = None
    exists: bool | None = None


@dataclass(frozen=True)
class OutputExpectation:
    """What one output file must be."""

    name: str
    present: bool = True
    sha256: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    contains: tuple[str, ...] = ()
    json: tuple[JsonExpectation, ...] = ()


@dataclass(frozen=True)
class Expectations:
    """What must hold when a job ends."""

    status: str = "finished"
    max_duration: float | None = None
    outputs: tuple[OutputExpectation, ...] = ()
    logs_contains: tuple[str, ...] = ()
    logs_not_contains: tuple[str, ...] = ()
    exit_code: int | None = None  # None: 0 where the target reports exit codes


@dataclass(frozen=True)
class JobPlan:
    """One job to run (a matrix job is already expanded into one plan per combination)."""

    name: str
    template: str
    dataset: Dataset
    algorithm: Algorithm
    environment: str = DEFAULT_ENVIRONMENT
    timeout: float = DEFAULT_TIMEOUT
    additional_datasets: tuple[Dataset, ...] = ()
    algocustomdata: Mapping | None = None
    envs: Mapping | None = None  # algorithm.envs: the container's environment variables
    resources: Mapping | None = None  # {cpu: cores, ram: GB, disk: GB, <gpu id>: n}
    matrix_values: tuple[tuple[str, object], ...] = ()
    expect: Expectations = Expectations()


@dataclass(frozen=True)
class SpecPlan:
    """A whole validated spec."""

    path: Path
    name: str
    sha256: str
    target: Target
    consumer: KeySource
    jobs: tuple[JobPlan, ...]

    def job(self, name: str) -> JobPlan:
        """The job with this name; KeyError when there is none."""
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(name)
