"""A tiny signing client for the mock's tests: requests + wire.sign_request, nothing from c2d_runner.ocean."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import requests
from eth_account import Account

from c2d_runner import wire
# Hardhat/Anvil dev account #2, the local chain's "other consumer": a published throwaway TEST key.
from c2d_runner.chain.accounts import TEST_OTHER_CONSUMER_KEY as OTHER_TEST_KEY
CONSUMER = Account.from_key(wire.TEST_CONSUMER_KEY)
OTHER = Account.from_key(OTHER_TEST_KEY)
TIMEOUT = 10


class Consumer:
    """One consumer talking to a mock Provider the way ocean.py does (query strings, v 0/1, int nonces)."""

    def __init__(self, url: str, account=CONSUMER):
        self.url = url
        self.s = f"{url}/api/services"
        self.account = account
        self.address = account.address
        self.http = requests.Session()

    def next_nonce(self) -> int:
        """Stored nonce + 1, as ocean.py computes it."""
        r = self.http.get(f"{self.s}/nonce", params={"userAddress": self.address}, timeout=TIMEOUT)
        return int(float(r.json()["nonce"])) + 1

    def sign(self, message: str, nonce: Any) -> str:
        return wire.sign_request(self.account, message, nonce)

    def initialize(self, datasets: list[tuple[str, str]], algorithm: tuple[str, str] | dict | None,
                   env: str = "ocean-compute", consumer: str | None = None, valid_for: int = 600) -> requests.Response:
        body: dict[str, Any] = {
            "datasets": [{"documentId": d, "serviceId": s} for d, s in datasets],
            "compute": {"env": env, "validUntil": int(time.time()) + valid_for},
            "consumerAddress": consumer or self.address,
        }
        if isinstance(algorithm, tuple):
            body["algorithm"] = {"documentId": algorithm[0], "serviceId": algorithm[1]}
        elif algorithm is not None:
            body["algorithm"] = algorithm
        return self.http.post(f"{self.s}/initializeCompute", json=body, timeout=TIMEOUT)

    def start_body(self, dataset: tuple[str, str, str], algorithm: dict, env: str = "ocean-compute",
                   nonce: Any = None, extra: list | None = None, signer=None) -> dict:
        nonce = self.next_nonce() if nonce is None else nonce
        did, service, order = dataset
        body = {
            "dataset": {"documentId": did, "serviceId": service, "transferTxId": order},
            "algorithm": algorithm, "environment": env, "consumerAddress": self.address,
            "nonce": nonce, "signature": wire.sign_request(signer or self.account, self.address + did, nonce),
        }
        if extra is not None:
            body["additionalDatasets"] = extra
        return body

    def start(self, body: dict) -> requests.Response:
        return self.http.post(f"{self.s}/compute", json=body, timeout=TIMEOUT)

    def run(self, dataset: str, algorithm: str | dict, env: str = "ocean-compute", algocustomdata: dict | None = None,
            extra: list[str] = ()) -> dict:
        """initializeCompute + start with the issued orders; returns the first job object."""
        algo_item = (algorithm, "compute") if isinstance(algorithm, str) else {"meta": algorithm}
        init = self.initialize([(dataset, "compute")] + [(d, "compute") for d in extra], algo_item, env)
        assert init.status_code == 200, init.text
        orders = init.json()
        if isinstance(algorithm, str):
            algo = {"documentId": algorithm, "serviceId": "compute", "transferTxId": orders["algorithm"]["validOrder"]}
        else:
            algo = {"meta": algorithm}
        if algocustomdata is not None:
            algo["algocustomdata"] = algocustomdata
        extras = [{"documentId": d, "serviceId": "compute", "transferTxId": o["validOrder"]}
                  for d, o in zip(extra, orders["datasets"][1:])]
        r = self.start(self.start_body((dataset, "compute", orders["datasets"][0]["validOrder"]), algo, env,
                                       extra=extras if extra else None))
        assert r.status_code == 200, r.text
        return r.json()[0]

    def status(self, job_id: str | None = None) -> requests.Response:
        params = {"consumerAddress": self.address}
        if job_id:
            params["jobId"] = job_id
        return self.http.get(f"{self.s}/compute", params=params, timeout=TIMEOUT)

    def wait(self, job_id: str, timeout: float = 30, until=wire.TERMINAL_STATUSES) -> dict:
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            job = self.status(job_id).json()[0]
            if job["status"] in until or time.monotonic() > deadline:
                return job
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def signed_job_call(self, method: str, job_id: str, document_id: str = "", nonce: Any = None) -> requests.Response:
        nonce = self.next_nonce() if nonce is None else nonce
        params = {"consumerAddress": self.address, "jobId": job_id, "documentId": document_id, "nonce": nonce,
                  "signature": self.sign(self.address + job_id + document_id, nonce)}
        return self.http.request(method, f"{self.s}/compute", params=params, timeout=TIMEOUT)

    def result(self, job_id: str, index: int, nonce: Any = None, signer=None) -> requests.Response:
        nonce = self.next_nonce() if nonce is None else nonce
        params = {"consumerAddress": self.address, "jobId": job_id, "index": index, "nonce": nonce,
                  "signature": wire.sign_request(signer or self.account, self.address + job_id + str(index), nonce)}
        return self.http.get(f"{self.s}/computeResult", params=params, timeout=TIMEOUT)


def sleeper_meta(seconds: float = 30) -> dict:
    """A raw algorithm that runs for a while (to test stop and maxJobDuration)."""
    return {"rawcode": f"import time\nprint('sleeping', flush=True)\ntime.sleep({seconds})\nprint('woke')\n",
            "language": "python", "version": "0.1",
            "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11",
                          "checksum": "sha256:" + "0" * 64}}


def served_chain(state_dir: Path) -> tuple[str, Path]:
    """(JSON-RPC URL, address.json) of a `c2d mock serve --chain` on `state_dir` (from its chain.json)."""
    import json

    handle = json.loads((state_dir / "chain.json").read_text())
    return handle["rpc"], Path(handle["addressFile"])


@contextlib.contextmanager
def served_mock(state_dir: Path, world: Path | None = None, *options: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`c2d mock serve [options]` in a subprocess on a free port: yields (url, {asset name: DID}); always stopped."""
    command = [sys.executable, "-m", "c2d_runner.cli", "mock", "serve", "--port", "0", "--state-dir", str(state_dir)]
    if world is not None:
        command += ["--world", str(world)]
    command += list(options)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = proc.stdout.readline()
        match = re.search(r"ready at (http://\S+)", first)
        assert match, first + (proc.stdout.read() if proc.poll() is not None else "")
        dids = {}
        for line in iter(proc.stdout.readline, ""):  # one "name kind did" row per asset, then the sandbox line
            parts = line.split()
            if len(parts) != 3 or not parts[2].startswith("did:op:"):
                break
            dids[parts[0]] = parts[2]
        yield match.group(1), dids
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
