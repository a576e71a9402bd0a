"""Open a target: the one module that starts the embedded mock and builds the client and the wallet.

Front ends (the CLI, the pytest plugin, `c2d_runner.testing`) come here; the engine receives an
open `Connection` and never starts a mock itself (an import contract in pyproject.toml checks it).
"""
from __future__ import annotations

import contextlib
import functools
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from c2d_runner.errors import InvalidInput
from c2d_runner.redaction import Redactor
from c2d_runner.ocean.config import ClientConfig
from c2d_runner.spec.model import KeySource, MockTarget, RemoteTarget, SpecPlan, Target

if TYPE_CHECKING:
    from c2d_runner.engine.ports import ComputeClient, Wallet


class TargetError(InvalidInput):
    """The target is asked for wrongly (a bad --target value, no consumer key for a real provider)."""


@dataclass(frozen=True)
class Endpoint:
    """Where a live target answers: base URLs, chain, and whether it is a mock started by us."""

    provider: str
    aquarius: str
    chain_id: int
    description: str
    embedded_mock: bool = False
    sandbox: str = ""  # how a mock runs algorithms: "bwrap" or "none"; "" for a real provider
    warnings: tuple[str, ...] = ()  # said once per run, on stderr and in the reports
    rpc: str | None = None  # a chain's JSON-RPC URL (the local chain's loopback bridge, a public RPC) to pay on
    address_file: Path | None = None  # Ocean's contracts on that chain (None: the ocean-contracts wheel's)


def mock_endpoint(mock: Any, description: str, chain: "ChainHandle | None" = None) -> Endpoint:
    """A running MockOcean as an Endpoint, with its sandbox mode and a loud warning when it has none."""
    kind, why = mock.sandbox
    warnings = (f"the mock runs algorithms WITHOUT A SANDBOX: {why}",) if why else ()
    return Endpoint(mock.url, mock.url, mock.chain_id, description, embedded_mock=True, sandbox=kind,
                    warnings=warnings, rpc=chain and chain.rpc, address_file=chain and chain.address_file)


@dataclass(frozen=True)
class Connection:
    """An open target as the engine gets it: where it answers, the client, and the consumer's wallet."""

    provider: str
    aquarius: str
    chain_id: int
    description: str
    embedded_mock: bool
    compute: "ComputeClient"  # an OceanCompute, closed with the connection
    wallet: "Wallet"  # the consumer's key (a KeyWallet or an eth-account LocalAccount)
    sandbox: str = ""  # the mock's sandbox mode ("bwrap", "none"); "" for a real provider
    warnings: tuple[str, ...] = ()  # for the run to say once and record
    payer: Any = None  # a ChainPayer when the target has a chain (orders are paid on it), else None


def parse_target(value: str, chain_id: int | None = None) -> Target:
    """A --target value: 'mock', 'mock:WORLD.yaml', or 'PROVIDER_URL[,AQUARIUS_URL]'."""
    if value == "mock":
        return MockTarget()
    if value.startswith("mock:"):
        world = Path(value[5:]).expanduser()
        if not world.is_file():
            raise TargetError(f"mock world file {world} not found")
        return MockTarget(world=world.resolve())
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):  # a target named in the project config
        from c2d_runner.projectconfig import find_config, named_target

        return named_target(value, find_config(), chain_id)
    parts = [p.strip().rstrip("/") for p in value.split(",")]
    if len(parts) > 2 or not all(p.startswith(("http://", "https://")) for p in parts):
        raise TargetError(f"--target must be 'mock', 'mock:WORLD.yaml' or 'PROVIDER_URL[,AQUARIUS_URL]', "
                          f"got {value!r}")
    # An Ocean Node's free compute needs no chain id; a Provider target without one is refused at plan time.
    return RemoteTarget(provider=parts[0], aquarius=parts[-1], chain_id=chain_id)


def mock_ocean(world: Any = None, faults: str | None = None, seed: int = 0, state_dir: Any = None,
               host: str = "127.0.0.1", port: int = 0, protocol: str = "provider", rate_limit: int | None = None,
               settle_seconds: float = 1.0, chain: Any = None) -> Any:
    """A mockprovider.MockOcean (not started yet), its server's request log kept to warnings.

    protocol: "provider" (Provider v2 + Aquarius) or "ocean-node"; rate_limit and settle_seconds are
    Ocean Node settings (see MockOcean); chain: a LocalChain from `local_chain` (assets published on it)."""
    from mockprovider import MockOcean

    # Set when a mock is made on a user's behalf, not at import: a library leaves logging to its host.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return MockOcean(world=world, state_dir=state_dir, faults=faults, host=host, port=port, seed=seed,
                     protocol=protocol, rate_limit=rate_limit, settle_seconds=settle_seconds, chain=chain)


@dataclass(frozen=True)
class ChainHandle:
    """A running local chain: the LocalChain (in process), its JSON-RPC URL and address.json for other processes."""

    chain: Any
    rpc: str
    address_file: Path


@contextlib.contextmanager
def local_chain(world: Any = None, state_dir: Path | None = None) -> Iterator[ChainHandle]:
    """Boot a local chain with `world` (a world file, None = default) published, and serve it on loopback.

    The chain's state is kept in `state_dir` (chain-state.bin, with address.json and chain.json, the
    JSON-RPC URL, beside it), so a
    mock restarted on that folder (a resumed run) finds its earlier orders; without it a temporary
    folder holds address.json. Needs the chain extra (ChainUnavailable, exit 2, says so).
    """
    import tempfile

    from c2d_runner.atomic import write_json
    from c2d_runner.chain.bridge import RpcBridge
    from c2d_runner.chain.local import LocalChain
    from mockprovider import load_world
    from mockprovider.chainworld import preparation

    loaded = load_world(world)
    with contextlib.ExitStack() as stack:
        folder = state_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="c2d-chain-")))
        folder.mkdir(parents=True, exist_ok=True)
        state_file = folder / "chain-state.bin" if state_dir else None
        chain = LocalChain.boot(chain_id=loaded.chain_id, prepare=preparation(loaded), state_file=state_file)
        if state_file is not None:  # saved however the run ends: an interrupted run is the one resumed
            stack.callback(chain.save_state, state_file)
        bridge = stack.enter_context(RpcBridge(chain))
        address_file = chain.write_address_file(folder / "address.json")
        # Where other processes find the chain (the bridge's port is picked at start).
        write_json(folder / "chain.json", {"rpc": bridge.url, "chainId": chain.chain_id, "addressFile": str(address_file)})
        yield ChainHandle(chain, bridge.url, address_file)


@contextlib.contextmanager
def open_target(target: Target, mock_state: Path | None = None) -> Iterator[Endpoint]:
    """Yield the target's Endpoint; an embedded mock is started here (state kept in `mock_state`) and stopped after."""
    if isinstance(target, RemoteTarget):
        yield Endpoint(target.provider, target.aquarius, target.chain_id, target.describe(), rpc=target.rpc,
                       address_file=target.address_file)
        return
    # An invalid world or fault profile raises the mock's own InvalidInput errors (exit 2).
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(local_chain(target.world, mock_state)) if target.chain else None
        mock = mock_ocean(target.world, target.faults, target.seed, mock_state, protocol=target.protocol or "provider",
                          chain=handle and handle.chain)
        stack.enter_context(mock)
        yield mock_endpoint(mock, target.describe(), handle)


def consumer_wallet(source: KeySource, target: Target):
    """The consumer's LocalAccount: from the environment, a key file, or the mock's test key."""
    from c2d_runner.ocean import wallet_from_env, wallet_from_key_file
    from c2d_runner.ocean.wallet import wallet_from_key

    if source.env:
        return wallet_from_env(source.env, light=True)
    if source.file:
        return wallet_from_key_file(source.file, light=True)
    if isinstance(target, RemoteTarget):
        raise TargetError("a real Ocean Node or Provider needs a consumer key: set consumer.key in the spec")
    from c2d_runner.wire import TEST_CONSUMER_KEY

    return wallet_from_key(TEST_CONSUMER_KEY, "the mock's well-known test key", light=True)


def target_client_settings(target: Target) -> dict:
    """The client settings a target asks for: the protocol it insists on, its request budget."""
    if isinstance(target, RemoteTarget):
        return {"protocol": target.protocol, "requests_per_minute": target.requests_per_minute}
    # The embedded mock has no rate limit: a node's default budget (25 a minute) would only make a
    # 12-job sweep on the mock's Ocean Node take minutes instead of seconds.
    return {"protocol": target.protocol, "requests_per_minute": EMBEDDED_MOCK_REQUESTS_PER_MINUTE}


EMBEDDED_MOCK_REQUESTS_PER_MINUTE = 1_000_000


def chain_payer(where: Endpoint, wallet: Any) -> Any:
    """A ChainPayer paying from `wallet` on the endpoint's chain, or None when it has none (web3 loads only then).

    The RPC's chain must be the assets' (ChainMismatch) and one Ocean is deployed on (UnknownChain),
    checked before anything is asked of the provider or paid."""
    if not where.rpc:
        return None
    from c2d_runner.chain.addresses import network_addresses
    from c2d_runner.ocean.payer import ChainPayer

    payer = ChainPayer(where.rpc, wallet, where.chain_id)
    payer.addresses = network_addresses(payer.chain_id, where.address_file)
    return payer


@contextlib.contextmanager
def connect(target: Target, consumer: KeySource, mock_state: Path | None = None, *,
            endpoint: Endpoint | None = None, sleep=None, config: ClientConfig | None = None) -> Iterator[Connection]:
    """Open the target (or use a running `endpoint`) and yield the Connection; closed after.

    `sleep` is the client's pause between polls and retries (a run passes one that a cancel cuts
    short); `config` holds the client's settings (retries...), the target's URLs and chain are added.
    """
    from c2d_runner.ocean import OceanCompute

    opened = contextlib.nullcontext(endpoint) if endpoint else open_target(target, mock_state)
    with opened as where:
        wallet = consumer_wallet(consumer, MockTarget() if where.embedded_mock else target)
        try:
            payer = chain_payer(where, wallet)
            # A target without a chain id pays, and so runs, on the chain its RPC serves.
            chain_id = where.chain_id if where.chain_id is not None or payer is None else payer.chain_id
            settings = replace(config or ClientConfig(), metadata_cache_uri=where.aquarius, chain_id=chain_id,
                               **target_client_settings(target))
            with (OceanCompute(settings, sleep=sleep) if sleep else OceanCompute(settings)) as compute:
                yield Connection(where.provider, where.aquarius, chain_id, where.description,
                                 where.embedded_mock, compute, wallet, where.sandbox, where.warnings, payer)
        except Exception as exc:  # what leaves the wallet's scope is printed by callers: no key in it
            Redactor.of(wallet).scrub(exc)
            raise


def run_spec(plan: SpecPlan, options: Any, progress: Any, endpoint: Endpoint | None = None) -> Any:
    """Run a spec (engine RunOptions) on its target, or on a running `endpoint`; the RunOutcome.

    Raises UsageError, TargetError or InfrastructureError before any job starts.
    """
    from c2d_runner.engine.jobrun import interruptible_sleep
    from c2d_runner.engine.runner import RUN_CLIENT, Run

    with Run(plan, options, progress) as run:
        # The client sleeps between polls and retries through this, so a cancel cuts a wait short.
        sleep = functools.partial(interruptible_sleep, run.cancel)
        with connect(run.target, plan.consumer, run.mock_state, endpoint=endpoint, sleep=sleep,
                     config=RUN_CLIENT) as conn:
            return run.execute(conn)


def plan_spec(plan: SpecPlan, target: Target | None = None, only: tuple[str, ...] = ()) -> Any:
    """What `c2d run` would do on the target (an embedded mock runs in a temporary state); a PlanReport."""
    from c2d_runner.engine.commands import plan_report
    from c2d_runner.engine.runner import RUN_CLIENT, select_jobs

    jobs = select_jobs(plan, only, None)
    with connect(target or plan.target, plan.consumer, config=RUN_CLIENT) as conn:
        return plan_report(jobs, conn)


def verify_spec(plan: SpecPlan, target: Target | None = None) -> tuple[list[str], list[str]]:
    """(differences from the lock, plan problems); both empty means the lock still holds."""
    from c2d_runner.engine.commands import verify_lock
    from c2d_runner.engine.lock import read_lock
    from c2d_runner.engine.runner import RUN_CLIENT

    lock = read_lock(plan.path)
    with connect(target or plan.target, plan.consumer, config=RUN_CLIENT) as conn:
        return verify_lock(plan, lock, conn)


@contextlib.contextmanager
def job_session(job_id: str, runs: Path) -> Iterator[tuple[Any, Connection]]:
    """(JobRecord, Connection) for a job of an earlier run; an embedded mock is restarted on a copy
    of that run's saved state, so its jobs still answer and the run folder is neither locked nor
    written (it may be a read-only CI artifact)."""
    import shutil
    import tempfile

    from c2d_runner.engine.journal import RunFolderBusy, run_folder_busy
    from c2d_runner.engine.records import find_job

    record = find_job(job_id, runs)
    with contextlib.ExitStack() as stack:
        state = None
        if record.mock_state:
            if run_folder_busy(record.run_folder):  # its jobs live in that process's embedded mock
                raise RunFolderBusy(f"run {record.run_folder} is in progress in another process "
                                    "(its jobs run in that process's embedded mock); wait for it to end")
            state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="c2d-mock-state-"))) / "state"
            if record.mock_state.is_dir():
                shutil.copytree(record.mock_state, state)
        conn = stack.enter_context(connect(record.target, record.consumer, state))
        provider = conn.provider if conn.embedded_mock else record.provider
        yield replace(record, provider=provider), conn


__all__ = ["Connection", "Endpoint", "ChainHandle", "TargetError", "parse_target", "mock_ocean", "local_chain",
           "open_target", "consumer_wallet",
           "connect", "run_spec", "plan_spec", "verify_spec", "job_session"]
