"""Bounded loopback load test of the mock Ocean: N clients poll status and download results.

    python bench/bench_mock_load.py [--clients 50] [--seconds 5] [--max-requests 50000]

Each client owns one finished job (its own throwaway key, derived from a counter, so nonces never
race), then loops: GET status, GET computeResult (signed, streamed, 256 KiB output).  Prints
requests/s, p50/p99 latency, errors and lost responses.  Bounded in time and count; loopback only.
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from c2d_runner import wire  # noqa: E402

OUTPUT_BYTES = 256 * 1024
RAW = {
    "rawcode": f"import os\nopen(os.environ['OUTPUTS'] + '/blob.bin', 'wb').write(b'x' * {OUTPUT_BYTES})\nprint('ok')\n",
    "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": "sha256:" + "0" * 64},
}


@dataclass
class LoadReport:
    """What a load run saw."""

    sent: int = 0
    answered: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        """Requests without any answer (dropped connections, timeouts)."""
        return self.sent - self.answered


def _account(i: int):
    from eth_account import Account

    return Account.from_key(hashlib.sha256(f"c2d-runner bench client {i}".encode()).hexdigest())


def _prepare(url: str, i: int) -> tuple:
    acct = _account(i)
    s = requests.Session()
    did = None
    env = s.get(f"{url}/api/services/computeEnvironments", timeout=10).json()
    env_id = next(iter(env.values()))[0]["id"]
    ddos = s.post(f"{url}/api/aquarius/assets/query", json={"query": {"term": {"metadata.name": "iris"}}}, timeout=10).json()
    did = ddos["hits"]["hits"][0]["_id"]
    init = s.post(f"{url}/api/services/initializeCompute", json={
        "datasets": [{"documentId": did, "serviceId": "compute"}], "algorithm": {"meta": RAW},
        "compute": {"env": env_id, "validUntil": int(time.time()) + 600}, "consumerAddress": acct.address}, timeout=10).json()
    nonce = 1000
    r = s.post(f"{url}/api/services/compute", json={
        "dataset": {"documentId": did, "serviceId": "compute", "transferTxId": init["datasets"][0]["validOrder"]},
        "algorithm": {"meta": RAW}, "environment": env_id, "consumerAddress": acct.address,
        "nonce": nonce, "signature": wire.sign_request(acct, acct.address + did, nonce)}, timeout=10)
    r.raise_for_status()
    job_id = r.json()[0]["jobId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = s.get(f"{url}/api/services/compute", params={"consumerAddress": acct.address, "jobId": job_id}, timeout=10).json()[0]
        if job["status"] in wire.TERMINAL_STATUSES:
            break
        time.sleep(0.05)
    assert job["status"] == 70, job
    return acct, s, job_id, job["results"], nonce


def run_load(url: str, clients: int = 50, seconds: float = 5.0, max_requests: int = 50_000) -> LoadReport:
    """Run the load and return the report (bounded by `seconds` and `max_requests`)."""
    from concurrent.futures import ThreadPoolExecutor

    # Fewer preparers than the environment's maxJobs (10), so no start is refused as "full".
    with ThreadPoolExecutor(max_workers=8) as pool:
        prepared = list(pool.map(lambda i: _prepare(url, i), range(clients)))
    report = LoadReport()
    lock = threading.Lock()
    budget = [max_requests]
    start = time.monotonic()
    stop_at = start + seconds

    def take() -> bool:
        with lock:
            if budget[0] <= 0 or time.monotonic() > stop_at:
                return False
            budget[0] -= 1
            report.sent += 1
            return True

    def client(i: int) -> None:
        acct, s, job_id, results, nonce = prepared[i]
        turn = 0
        while take():
            turn += 1
            t0 = time.perf_counter()
            try:
                if turn % 2:
                    r = s.get(f"{url}/api/services/compute", params={"consumerAddress": acct.address, "jobId": job_id}, timeout=30)
                    ok = r.status_code == 200 and r.json()[0]["status"] == 70
                else:
                    nonce += 1
                    r = s.get(f"{url}/api/services/computeResult", params={
                        "consumerAddress": acct.address, "jobId": job_id, "index": 0, "nonce": nonce,
                        "signature": wire.sign_request(acct, acct.address + job_id + "0", nonce)}, timeout=30)
                    ok = r.status_code == 200 and len(r.content) == results[0]["filesize"] == OUTPUT_BYTES
                dt = time.perf_counter() - t0
                with lock:
                    report.answered += 1
                    report.latencies.append(dt)
                    if not ok:
                        report.errors.append(f"{r.status_code} {r.text[:200]}")
            except requests.RequestException as exc:
                with lock:
                    report.errors.append(f"no answer: {exc}")

    workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    report.seconds = time.monotonic() - start
    for _, s, *_ in prepared:
        s.close()
    return report


def served_load(clients: int = 50, seconds: float = 5.0, max_requests: int = 50_000,
                url: str | None = None, python: str = sys.executable) -> LoadReport:
    """Load `c2d mock serve` started in its own process (client and server do not share a GIL) with
    `python` (another checkout's interpreter for an A/B), or the mock at `url`."""
    import os
    import re
    import signal
    import subprocess

    server = None
    if url is None:
        server = subprocess.Popen([python, "-m", "c2d_runner.cli", "mock", "serve", "--port", "0"],
                                  stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        url = re.search(r"(http://\S+)", server.stdout.readline()).group(1)
    try:
        return run_load(url, clients, seconds, max_requests)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def main() -> None:
    """Load the mock and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--url", help="load an already running mock instead of starting one")
    args = parser.parse_args()
    report = served_load(args.clients, args.seconds, args.max_requests, args.url)
    lat = sorted(report.latencies)
    p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
    print(f"clients {args.clients}, {report.seconds:.2f} s, {report.sent} requests "
          f"(half status, half signed {OUTPUT_BYTES // 1024} KiB result downloads)")
    print(f"requests/s {report.answered / report.seconds:.0f}   p50 {p(0.5):.1f} ms   p99 {p(0.99):.1f} ms   "
          f"mean {statistics.fmean(lat) * 1000 if lat else float('nan'):.1f} ms")
    print(f"errors {len(report.errors)}   lost responses {report.lost}")
    for e in report.errors[:5]:
        print("  ", e)
    sys.exit(1 if report.errors or report.lost else 0)


if __name__ == "__main__":
    main()
