"""The local chain (`chain` extra): boot costs, transactions and orders per second, and the hello spec's
boot to first result with `target: {mock: null, chain: true}` (a paid job) against the chain-free default.

    python bench/bench_chain.py [--runs 3] [--txs 20]

Figures (medians of --runs): web3 + eth-tester import in a cold process; a boot that deploys
Ocean's contracts; a boot from the state cache; publishing one data NFT with a datatoken; ERC20
transfers per second in process and over the loopback JSON-RPC bridge; startOrder and reuseOrder per
second with the client's order code; and `c2d run` of the hello spec as a cold process, with and
without the chain (on the chain it pays two orders; the chain-free path must not pay for web3).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _median(fn, runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))


def cold_import() -> float:
    """Seconds to import web3 and eth_tester in a fresh interpreter."""
    code = "import time; t=time.perf_counter(); import web3, eth_tester; print(time.perf_counter()-t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def boot(cache_dir: Path) -> float:
    """Seconds for LocalChain.boot with the given cache folder."""
    from c2d_runner.chain.local import LocalChain

    started = time.perf_counter()
    LocalChain.boot(cache_dir=cache_dir)
    return time.perf_counter() - started


def txs_per_second(w3, chain, n: int) -> float:
    """ERC20 transfers (signed, sent, receipt read) per second through `w3`."""
    from c2d_runner.chain.accounts import known_account
    from c2d_runner.chain.tx import send

    ocean = w3.eth.contract(address=chain.addresses["Ocean"], abi=chain.deployed("Ocean").abi)
    deployer, to = known_account("deployer"), known_account("consumer").address
    started = time.perf_counter()
    for _ in range(n):
        send(w3, deployer, ocean.functions.transfer(to, 1), "transfer", gas=100_000)
    return n / (time.perf_counter() - started)


def publish_seconds(chain) -> float:
    """Seconds to publish one data NFT with one datatoken."""
    from c2d_runner.chain.accounts import known_account
    from c2d_runner.chain.publish import publish_nft

    started = time.perf_counter()
    publish_nft(chain.w3, chain.addresses["ERC721Factory"], known_account("deployer"), "bench", "B", ["compute"])
    return time.perf_counter() - started


def orders_per_second(chain, n: int) -> tuple[float, float]:
    """(startOrder/s, reuseOrder/s) by the client's order code over the JSON-RPC bridge, each with a
    provider fee signed by the mock's key, as the mock's initializeCompute signs it."""
    from types import SimpleNamespace

    from web3 import Web3

    from c2d_runner.chain.accounts import known_account
    from c2d_runner.chain.bridge import RpcBridge
    from c2d_runner.ocean.orders import ProviderFee, reuse_order, start_order
    from mockprovider.chainworld import attach
    from mockprovider.provider import provider_fee
    from mockprovider.world import load_world

    world = attach(chain, load_world(None))
    asset = world.assets[0]
    datatoken = asset.services[0].datatoken
    env = world.environments[0]
    state = SimpleNamespace(world=world)
    consumer = known_account("consumer")

    def fee() -> ProviderFee:
        now = time.time()
        return ProviderFee.from_wire(provider_fee(state, env, datatoken, asset.services[0].id, int(now) + 3600, now,
                                                  False))

    with RpcBridge(chain) as bridge:
        w3 = Web3(Web3.HTTPProvider(bridge.url))
        fees = [fee() for _ in range(n)]
        started = time.perf_counter()
        txs = [start_order(w3, consumer, datatoken, consumer.address, 0, f) for f in fees]
        starts = n / (time.perf_counter() - started)
        fees = [fee() for _ in range(n)]
        started = time.perf_counter()
        for tx, f in zip(txs, fees):
            reuse_order(w3, consumer, datatoken, tx, f)
        reuses = n / (time.perf_counter() - started)
    return starts, reuses


def hello_run(spec: Path, workdir: Path) -> float:
    """Wall seconds of a cold `c2d run SPEC` (boot to first result) in `workdir`."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "c2d_runner.cli", "run", str(spec)], cwd=workdir, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--txs", type=int, default=20)
    args = parser.parse_args(argv)
    from web3 import Web3

    from c2d_runner.chain.bridge import RpcBridge
    from c2d_runner.chain.local import LocalChain

    print(f"import web3 + eth_tester (cold process): {_median(cold_import, args.runs):.3f} s")
    deploy = _median(lambda: boot(Path(tempfile.mkdtemp())), args.runs)
    cache = Path(tempfile.mkdtemp())
    boot(cache)
    cached = _median(lambda: boot(cache), args.runs)
    print(f"boot, deploying Ocean's contracts: {deploy:.3f} s; from the state cache: {cached * 1000:.1f} ms "
          f"({deploy / cached:.0f}x)")
    chain = LocalChain.boot(cache_dir=cache)
    print(f"publish a data NFT with a datatoken: {_median(lambda: publish_seconds(chain), args.runs) * 1000:.0f} ms")
    in_process = _median(lambda: txs_per_second(chain.w3, chain, args.txs), args.runs)
    with RpcBridge(chain) as bridge:
        over_http = _median(lambda: txs_per_second(Web3(Web3.HTTPProvider(bridge.url)), chain, args.txs), args.runs)
    print(f"ERC20 transfers/s: in process {in_process:.1f}; over the JSON-RPC bridge {over_http:.1f}")
    starts, reuses = orders_per_second(chain, args.txs)
    print(f"orders/s over the bridge (client's order code, signed provider fee): startOrder {starts:.1f}; "
          f"reuseOrder {reuses:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        hello = ROOT / "specs" / "hello.yaml"
        chained = work / "hello-chain.yaml"
        text = hello.read_text().replace("name: hello\n", "name: hello-chain\ntarget: {mock: null, chain: true}\n")
        chained.write_text(text.replace("../schemas/", str(ROOT / "schemas") + "/"))
        hello_run(chained, work)  # warm the state cache (the world's publish) once
        free = _median(lambda: hello_run(hello, work), args.runs)
        paid = _median(lambda: hello_run(chained, work), args.runs)
    print(f"hello spec, cold `c2d run` to first result: chain-free {free:.2f} s; on the local chain {paid:.2f} s "
          f"(+{paid - free:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
