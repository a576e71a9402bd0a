"""`LocalChain`: an Ocean chain on this machine, in process (eth-tester + py-evm, web3 on top).

`LocalChain.boot()` gives a chain (id 8996, barge's `development`) with the TEST accounts funded
and Ocean's contracts deployed at deterministic addresses. The first boot deploys (~0.5 s) and
caches the post-deploy state (statecache); later boots load it in milliseconds.

eth-tester is not thread-safe: every request through `w3` is serialised by one lock, so the mock
(in its server threads), the bridge and the caller can share one LocalChain.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from c2d_runner.chain import statecache
from c2d_runner.chain.accounts import TEST_ETH, TEST_KEYS, known_account
from c2d_runner.chain.artifacts import EXTRA_HINT, ChainUnavailable, abi, artifacts_digest, contracts_version

DEVELOPMENT_CHAIN_ID = 8996  # barge's `development` network; ocean-lib maps this id to it


_ADDRESSES = b"c2d:addresses"
_PREPARED = b"c2d:prepared"


@dataclass(frozen=True)
class Preparation:
    """Set-up to run once after the deploy and cache with the state: `run(chain)` returns JSON data."""

    key: str  # everything the set-up depends on (e.g. a digest of a mock world's assets)
    run: Callable[["LocalChain"], dict[str, Any]]


@dataclass(frozen=True)
class BootInfo:
    """How a boot went: from the state cache or by deploying, and where the cache is."""

    from_cache: bool
    cache_file: Path | None


def _import_tester() -> tuple[Any, Any]:
    """(eth_tester module, web3 module), or ChainUnavailable naming the extra."""
    try:
        import eth_tester
        import web3
    except ImportError:
        raise ChainUnavailable(f"the local chain needs web3[tester] ({EXTRA_HINT})") from None
    return eth_tester, web3


def _versions() -> list[str]:
    from importlib import metadata

    return [metadata.version(d) for d in ("py-evm", "eth-tester", "web3")]


class LocalChain:
    """A booted local chain: `w3` (serialised), `addresses` (address.json's development entry), TEST accounts."""

    def __init__(self, w3: Any, tester: Any, addresses: dict[str, Any], info: BootInfo,
                 prepared: dict[str, Any] | None = None):
        self.w3 = w3
        self.tester = tester
        self.addresses = addresses
        self.info = info
        # What `boot(prepare=...)` set up after the deploy (e.g. a mock world's published assets).
        self.prepared: dict[str, Any] = prepared or {}
        self.lock: threading.RLock = w3.provider.lock
        self.chain_id = int(addresses["chainId"])

    # --- boot -----------------------------------------------------------------------------------
    @classmethod
    def boot(cls, chain_id: int = DEVELOPMENT_CHAIN_ID, use_cache: bool = True, cache_dir: Path | None = None,
             prepare: "Preparation | None" = None, state_file: Path | None = None) -> "LocalChain":
        """A chain with Ocean's contracts: from the state cache when it matches, else deployed (and cached).

        `prepare` runs once after the deploy (publishing a world, funding accounts); its JSON result
        is cached with the state (keyed by `prepare.key`) and kept as `prepared`. `state_file`, when
        it exists, is a state saved by `save_state` (a resumed run's chain) and wins over the cache.
        """
        from c2d_runner.chain.deploy import DEPLOYED, deploy_all

        _import_tester()
        key = statecache.cache_key([*_versions(), contracts_version(), artifacts_digest(DEPLOYED), str(chain_id),
                                    *sorted(TEST_KEYS.values()), statecache.FORMAT.decode(),
                                    prepare.key if prepare else ""])
        cache_file = (cache_dir or statecache.cache_dir()) / f"state-{key}.bin" if use_cache else None
        backend = _backend()
        for source in (state_file, cache_file):
            cached = statecache.load(source) if source else None
            if cached is not None and _ADDRESSES in cached:
                addresses = json.loads(cached.pop(_ADDRESSES))
                prepared = json.loads(cached.pop(_PREPARED, b"{}"))
                _load_state(backend, cached)
                _fast_estimates(backend)
                return cls(_web3(backend, chain_id), backend, addresses, BootInfo(True, source), prepared)
        _fast_estimates(backend)
        w3 = _web3(backend, chain_id)
        with w3.provider.lock:
            addresses = deploy_all(w3, known_account("deployer"))
        chain = cls(w3, backend, addresses, BootInfo(False, cache_file))
        if prepare is not None:
            chain.prepared = prepare.run(chain)
        if cache_file is not None:
            chain.save_state(cache_file)
        return chain

    def save_state(self, path: Path) -> None:
        """Write the whole chain state (and addresses, prepared results) to `path`, for `boot(state_file=...)`."""
        with self.lock:
            db = self.tester.backend.chain.chaindb.db
            items = dict(db.wrapped_db.kv_store)
        statecache.save(path, [*items.items(), (_ADDRESSES, json.dumps(self.addresses).encode()),
                               (_PREPARED, json.dumps(self.prepared).encode())])

    # --- use ------------------------------------------------------------------------------------
    def contract(self, name: str, address: str) -> Any:
        """A web3 contract of artifact `name` at `address`."""
        return self.w3.eth.contract(address=address, abi=abi(name))

    def deployed(self, key: str, artifact: str | None = None) -> Any:
        """The deployed contract under address.json key `key` (e.g. 'Escrow'; 'Ocean' is an OceanToken)."""
        address = self.addresses[key]
        if isinstance(address, dict):
            address = address["1"]
        return self.contract(artifact or {"Ocean": "OceanToken", "Router": "FactoryRouter",
                                          "FixedPrice": "FixedRateExchange"}.get(key, key), address)

    def now(self) -> int:
        """The chain's clock: the timestamp of the latest block (it runs ahead of wall time: +1 s per block)."""
        with self.lock:
            return int(self.w3.eth.get_block("latest")["timestamp"])

    def time_travel(self, timestamp: int) -> None:
        """Move the chain's clock forward to `timestamp` (mines a block stamped so); for expiry tests."""
        with self.lock:
            # eth-tester mines the travelled-to block one second before the time it is given, and
            # refuses a time before its pending block (wall time, or the head's when that is later):
            # a chain booted from an older cached state has a head far behind wall time.
            pending = int(self.tester.get_block_by_number("pending")["timestamp"])
            self.tester.time_travel(max(int(timestamp) + 1, pending + 1))

    def snapshot(self) -> Any:
        """A snapshot id of the current state, for `revert`."""
        with self.lock:
            return self.tester.take_snapshot()

    def revert(self, snapshot: Any) -> None:
        """Go back to a `snapshot` (every later block and transaction is forgotten)."""
        with self.lock:
            self.tester.revert_to_snapshot(snapshot)

    def address_file_content(self) -> dict[str, Any]:
        """An address.json (as ocean-lib reads through ADDRESS_FILE): {'development': addresses}."""
        return {"development": self.addresses}

    def write_address_file(self, path: Path) -> Path:
        """Write `address_file_content()` to `path`; the path."""
        from c2d_runner.atomic import write_json

        return write_json(path, self.address_file_content())


def _backend() -> Any:
    """A fresh eth-tester (py-evm) chain whose genesis funds the TEST accounts."""
    from eth_keys import keys
    from eth_tester import EthereumTester, PyEVMBackend

    state = {}
    for role in TEST_KEYS:
        address = bytes.fromhex(known_account(role).address[2:])
        state[address] = {"balance": TEST_ETH, "nonce": 0, "code": b"", "storage": {}}
    backend = PyEVMBackend(genesis_state=state)
    # eth_accounts (and so the sender of a call that names none) are the TEST accounts, deployer
    # first, instead of eth-tester's own keys, which this genesis does not fund.
    backend.account_keys = [keys.PrivateKey(bytes.fromhex(key[2:])) for key in TEST_KEYS.values()]
    return EthereumTester(backend, auto_mine_transactions=True)


def one_run_gas_estimate(state: Any, transaction: Any) -> int:
    """Gas for `transaction` from one execution at the block gas limit, with headroom for the 63/64
    rule: py-evm's default binary search runs the EVM ~11 times, which made an order ~4x slower."""
    from eth.vm.spoof import SpoofTransaction

    trial = SpoofTransaction(transaction, gas=state.gas_limit, gas_price=0)
    snapshot = state.snapshot()
    try:
        computation = state.apply_transaction(trial)
        if computation.is_error:
            raise computation.error
        used = state.gas_limit - computation.get_gas_remaining()
    finally:
        state.revert(snapshot)
    return min(state.gas_limit, used * 5 // 4 + 20_000)


def _fast_estimates(tester: Any) -> None:
    """Give the tester's chain the one-run gas estimator (the chain object is replaced on a cached boot)."""
    tester.backend.chain.gas_estimator = one_run_gas_estimate


def _load_state(tester: Any, items: dict[bytes, bytes]) -> None:
    """Replace the tester's chain by one over the cached database (its head is the cached head)."""
    from eth.db.atomic import AtomicDB

    backend = tester.backend
    backend.chain = type(backend.chain)(AtomicDB(_memory_db(items)))


def _memory_db(items: dict[bytes, bytes]) -> Any:
    from eth.db.backends.memory import MemoryDB

    return MemoryDB(items)


def _web3(tester: Any, chain_id: int) -> Any:
    """web3 over the tester, with eth_chainId answering `chain_id` and every request under one lock."""
    from web3 import Web3
    from web3.providers.eth_tester import EthereumTesterProvider
    from web3.providers.eth_tester.defaults import API_ENDPOINTS, static_return

    endpoints = {namespace: dict(calls) for namespace, calls in API_ENDPOINTS.items()}
    endpoints["eth"]["chainId"] = static_return(chain_id)
    endpoints["net"]["version"] = static_return(str(chain_id))

    class SerialisedProvider(EthereumTesterProvider):
        """eth-tester's provider with one lock around each request (eth-tester is not thread-safe)."""

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.lock = threading.RLock()

        def make_request(self, method: Any, params: Any) -> Any:
            with self.lock:
                return super().make_request(method, params)

    return Web3(SerialisedProvider(tester, api_endpoints=endpoints))


__all__ = ["DEVELOPMENT_CHAIN_ID", "Preparation", "BootInfo", "LocalChain"]
