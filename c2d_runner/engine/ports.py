"""What the engine needs from the outside: a compute client, a consumer wallet and a progress sink.

`OceanCompute` is the compute client today; a second protocol's client (or a unit test's fake)
fits by offering the same methods and returning the same records (c2d_runner/ocean/records.py).
Only types are imported here, so the engine stays cheap to import.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

if TYPE_CHECKING:
    from c2d_runner.engine.outcome import JobOutcome, RunOutcome
    from c2d_runner.ocean.ddo import DDO, Service
    from c2d_runner.ocean.inputs import AlgorithmMetadata, ComputeInput
    from c2d_runner.ocean.escrow import EscrowFunding, EscrowTx
    from c2d_runner.ocean.payer import Payment
    from c2d_runner.ocean.records import (ComputeEnvironment, EscrowPayment, InitializeResult, JobStatus, OrderItem,
                                         ResultFile)


class Wallet(Protocol):
    """A consumer wallet: the engine only needs its address; the client signs with it."""

    address: str


class Metadata(Protocol):
    """Where DDOs come from (Aquarius)."""

    def resolve(self, did: str) -> "DDO":
        """The DDO of `did`; DDONotFound when there is none."""


class Payer(Protocol):
    """Pays for one compute input on a chain (c2d_runner.ocean.payer.ChainPayer)."""

    def pay(self, item: "OrderItem", compute_input: "ComputeInput", consumer: str | None = None) -> "Payment":
        """Order the input as initializeCompute's `item` asks; what was paid (and its tx)."""

    def order_gas(self, item: "OrderItem", compute_input: "ComputeInput") -> Any:
        """The gas `pay` would spend on the input (a GasEstimate: gas, estimated); nothing is sent."""

    def gas_price(self) -> int:
        """The chain's gas price, wei per gas."""

    def cover_escrow(self, payment: "EscrowPayment", on_tx: Callable[["EscrowTx"], None] | None = None
                     ) -> "EscrowFunding":
        """Make an Ocean Node's Escrow cover one job, sending only what is missing; each tx to `on_tx` once mined."""

    def shortfalls(self, tokens: Mapping[str, int], gas_cost: int = 0, datatokens: frozenset[str] = frozenset()
                   ) -> list[str]:
        """What the paying account lacks for `tokens` (address -> wei) and `gas_cost` of the native coin."""

    def escrow_gas(self, payment: "EscrowPayment") -> tuple[tuple[str, ...], Any]:
        """The Escrow transactions covering one job would send now and their gas (a GasEstimate); nothing sent."""

    def symbols(self, tokens: Sequence[str]) -> dict[str, str]:
        """{address: ERC20 symbol} of these tokens, where they have one (each asked once)."""


class ComputeClient(Protocol):
    """The compute calls the engine makes; every answer is a record, never a provider's dict."""

    @property
    def aquarius(self) -> Metadata:
        """The metadata source for DDOs."""

    def get_c2d_environments(self, service_endpoint: str, chain_id: int | None = None
                             ) -> Sequence["ComputeEnvironment"]:
        """The provider's environments for the chain."""

    def is_consumable(self, ddo: "DDO", service: "Service", address: str,
                      with_connectivity_check: bool = True) -> int:
        """ocean.py's ConsumableCodes for the consumer at `address`."""

    def initialize(self, consumer_wallet: Any, dataset: "ComputeInput", compute_environment: str,
                   algorithm: "ComputeInput | None" = None, algorithm_meta: "AlgorithmMetadata | None" = None,
                   additional_datasets: Sequence["ComputeInput"] = ()) -> "InitializeResult":
        """initializeCompute: which orders hold and which fees are due (unsigned, nothing paid)."""

    def order_inputs(self, consumer_wallet: Any, dataset: "ComputeInput", compute_environment: str,
                     algorithm: "ComputeInput | None" = None, algorithm_meta: "AlgorithmMetadata | None" = None,
                     additional_datasets: Sequence["ComputeInput"] = (),
                     ) -> tuple["ComputeInput", tuple["ComputeInput", ...], "ComputeInput | None"]:
        """The inputs, each carrying its order."""

    def start_job(self, consumer_wallet: Any, dataset: "ComputeInput", compute_environment: str,
                  algorithm: "ComputeInput | None" = None, algorithm_meta: "AlgorithmMetadata | None" = None,
                  algorithm_algocustomdata: Mapping[str, Any] | None = None,
                  additional_datasets: Sequence["ComputeInput"] = (),
                  ) -> str:
        """Start with explicit orders; the job id (never retried)."""

    def wait(self, ddo: Any, service: Any, job_id: str, wallet: Any, timeout: float = 3600.0,
             on_status: Callable[["JobStatus"], None] | None = None) -> "JobStatus":
        """Poll until the job is over; ComputeTimeout after `timeout` s."""

    def job_status(self, ddo: Any, service: Any, job_id: str, wallet: Any) -> "JobStatus":
        """The job's status now."""

    def jobs(self, service_endpoint: Any, wallet: Any) -> Sequence["JobStatus"]:
        """All of the consumer's jobs at a provider."""

    def stop_job(self, ddo: Any, service: Any, job_id: str, wallet: Any) -> "JobStatus":
        """Ask the provider to stop the job."""

    def download_result(self, ddo: Any, service: Any, job_id: str, index: int, wallet: Any,
                        dest_path: str | Path) -> "ResultFile":
        """Stream result `index` to `dest_path`."""


class Progress(Protocol):
    """Where a run reports what happens (the console, or nothing)."""

    def run_started(self, spec_name: str, target: str, jobs: list[str]) -> None:
        """The run has connected and is about to plan its jobs."""

    def job_status(self, name: str, status: int, status_text: str, elapsed: float) -> None:
        """A job's provider status changed."""

    def job_message(self, name: str, text: str) -> None:
        """Something worth telling about a job (ordering, downloading, stopping)."""

    def job_done(self, outcome: "JobOutcome") -> None:
        """A job ended."""

    def run_done(self, run: "RunOutcome") -> None:
        """The run ended."""
