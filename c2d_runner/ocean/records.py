"""What crosses from the client to the engine: frozen records, never a provider's raw dicts.

The client (compute.py, parsing in messages.py) builds these from each provider's answers and
applies that provider's rules while doing so (which status codes end a job, which mean success,
where an exit code is reported). The engine reads only these fields, so a second protocol fits
behind the same engine by filling the same records.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, NamedTuple


@dataclass(frozen=True)
class JobResult:
    """One entry of a job's results listing."""

    index: int  # what the result download asks for
    type: str  # output | algorithmLog | configurationLog | imageLog | ... (the provider's word)
    filename: str = ""
    size: int | None = None  # bytes, where the provider says


@dataclass(frozen=True)
class JobStatus:
    """A compute job as a provider reported it at one moment."""

    job_id: str
    status: int | None  # the provider's numeric status code
    status_text: str = ""
    date_created: float | None = None  # epoch seconds
    date_finished: float | None = None
    results: tuple[JobResult, ...] = ()
    terminal: bool = False  # the job will not change any more (the provider's rule)
    succeeded: bool = False  # it ended the way a job that worked ends (the provider's rule)
    exit_code: int | None = None  # the algorithm's exit code, where the provider reports one
    stop_requested: int = 0  # 0 none, 1 stopped through the API, 2 stopped for running too long
    agreement_id: str = ""  # the order the job was started with, where the provider says
    start_token: str = ""  # the runner's token its start carried, where the provider keeps one (Ocean Node)
    reason: str = ""  # one line saying why a job that is over did not succeed, where the client can tell

    @property
    def ok(self) -> bool:
        """ocean.py's `ok`: a status is known and it is not a failure."""
        return self.status is not None and (self.succeeded or not self.terminal)

    def describe(self) -> str:
        """'70 Job finished', or 'no status' when the provider gave no code."""
        return f"{self.status} {self.status_text.strip()}".strip() if self.status is not None else "no status"


@dataclass(frozen=True)
class Resource:
    """One resource of a compute environment (cpu cores, ram and disk in GB, a gpu)."""

    id: str
    type: str = ""
    total: float | None = None
    max: float | None = None
    min: float | None = None
    in_use: float | None = None


@dataclass(frozen=True)
class Fee:
    """What an environment charges on one chain, in one token, per resource unit."""

    chain_id: int | None
    fee_token: str
    prices: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ComputeEnvironment:
    """A provider's compute environment.

    ocean.py code reads environments as dicts (env["id"], env["priceMin"]): `env[key]` and
    `env.get(key)` read the provider's object for that, while the fields are what the runner uses.
    """

    id: str
    price_min: float  # float("inf") when the provider's price cannot be read: never mistaken for free
    consumer_address: str = ""
    max_jobs: int | None = None
    current_jobs: int | None = None
    max_job_duration: float | None = None  # seconds
    fee_token: str = ""
    fees: tuple[Fee, ...] = ()
    resources: tuple[Resource, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_free(self) -> bool:
        """True when priceMin is 0 (ocean.py's definition of a free environment)."""
        return self.price_min == 0

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def get(self, key: str, default: Any = None) -> Any:
        """The provider's field `key` (ocean.py-style dict reading)."""
        return self.raw.get(key, default)

    def keys(self) -> Iterator[str]:
        """The provider's field names, so dict(env) gives the provider's object."""
        return iter(self.raw)


@dataclass(frozen=True)
class OrderItem:
    """One initializeCompute item: a reusable order and/or the provider fee still to pay."""

    datatoken: str = ""
    valid_order: str | None = None
    provider_fee: Mapping[str, Any] | None = None
    consumer_address: str = ""  # whom the order is for (an Ocean Node's environment address); "" = the payer

    @property
    def reusable(self) -> bool:
        """True when the order can be used as is (validOrder and no new fee)."""
        return bool(self.valid_order) and not self.provider_fee


@dataclass(frozen=True)
class EscrowPayment:
    """An Ocean Node's `payment` block: what its Escrow contract must hold before a paid start.

    The node locks `amount` (wei of `token`) from the payer for `payee` (the environment's
    consumerAddress) for at most `min_lock_seconds`; the payer's authorization must allow that.
    """

    escrow_address: str
    payee: str
    chain_id: int
    token: str
    amount: int
    min_lock_seconds: int


@dataclass(frozen=True)
class InitializeResult:
    """initializeCompute's answer: one item per dataset (same order) and one for a published algorithm;
    on an Ocean Node's paid environment also the Escrow `payment` it will lock at start."""

    datasets: tuple[OrderItem, ...]
    algorithm: OrderItem | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    payment: EscrowPayment | None = None

    @property
    def needs_order(self) -> bool:
        """True when any item asks for an on-chain order (providerFee present, or no validOrder)."""
        items = list(self.datasets) + ([self.algorithm] if self.algorithm else [])
        return any(not item.reusable for item in items)


class ResultFile(NamedTuple):
    """A downloaded result: the provider's file name, its size in bytes and sha256 hex."""

    filename: str
    size: int
    sha256: str


class OutputsArchive(ResultFile):
    """A downloaded tar of the job's whole outputs folder (an Ocean Node's outputs.tar), to unpack."""

    __slots__ = ()
