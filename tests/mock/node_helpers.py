"""A tiny signing client for the mock Ocean Node's tests: requests + wire.node_sign_request, the way
ocean.js 8.x talks to a node (stored nonce + 1 as a string, checksummed address, prefixed job ids)."""
from __future__ import annotations

import time
from typing import Any

import requests

from c2d_runner import wire
from tests.mock.helpers import CONSUMER, OTHER, TIMEOUT

__all__ = ["NodeConsumer", "CONSUMER", "OTHER", "raw_algorithm", "PYTHON"]

PYTHON = {"image": "python", "tag": "3.11", "entrypoint": "python $ALGO", "checksum": ""}


def raw_algorithm(code: str = "print('hi')", **extra: Any) -> dict[str, Any]:
    """A raw-code algorithm as ocean.js sends it (meta.rawcode + meta.container)."""
    return {"meta": {"rawcode": code, "container": dict(PYTHON)}, **extra}


class NodeConsumer:
    """One consumer talking to a mock Ocean Node."""

    def __init__(self, url: str, account=CONSUMER, address: str | None = None):
        self.url = url
        self.s = f"{url}/api/services"
        self.account = account
        self.address = address or account.address  # the exact string sent (its case matters)
        self.http = requests.Session()

    def next_nonce(self) -> str:
        """Stored nonce + 1 as a string, as ocean.js computes it."""
        r = self.http.get(f"{self.s}/nonce", params={"userAddress": self.address}, timeout=TIMEOUT)
        return str(int(r.json()["nonce"]) + 1)

    def signed(self, command: str, nonce: Any = None) -> dict[str, str]:
        """consumerAddress, nonce and signature for one command."""
        nonce = self.next_nonce() if nonce is None else nonce
        return {"consumerAddress": self.address, "nonce": nonce,
                "signature": wire.node_sign_request(self.account, nonce, command, self.address)}

    def environments(self) -> list[dict[str, Any]]:
        return self.http.get(f"{self.s}/computeEnvironments", timeout=TIMEOUT).json()

    def free_env(self) -> str:
        return next(e["id"] for e in self.environments() if e.get("free"))

    def start_body(self, algorithm: dict | None = None, datasets: list | None = None, env: str | None = None,
                   **extra: Any) -> dict[str, Any]:
        body = {**self.signed("freeStartCompute"), "environment": env or self.free_env(),
                "datasets": [] if datasets is None else datasets,
                "algorithm": raw_algorithm() if algorithm is None else algorithm}
        body.update(extra)
        return body

    def free_start(self, **kw: Any) -> requests.Response:
        return self.http.post(f"{self.s}/freeCompute", json=self.start_body(**kw), timeout=TIMEOUT)

    def started(self, **kw: Any) -> str:
        """Start a free job and return its prefixed job id."""
        r = self.free_start(**kw)
        assert r.status_code == 200, r.text
        return r.json()[0]["jobId"]

    def status(self, job_id: str | None = None, **params: Any) -> requests.Response:
        q = {"consumerAddress": self.address, **({"jobId": job_id} if job_id else {}), **params}
        return self.http.get(f"{self.s}/compute", params=q, timeout=TIMEOUT)

    def job(self, job_id: str) -> dict[str, Any]:
        r = self.status(job_id)
        assert r.status_code == 200, r.text
        return r.json()[0]

    def wait(self, job_id: str, until=lambda j: j["dateFinished"] is not None, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if until(job):
                return job
            assert time.monotonic() < deadline, f"job {job_id} stuck at {job['status']}"
            time.sleep(0.05)

    def result_url(self, job_id: str, index: Any) -> tuple[str, dict[str, Any]]:
        """What ocean.js getComputeResultUrl returns: the URL and its signed query."""
        return f"{self.s}/computeResult", {**self.signed("getComputeResult"), "jobId": job_id, "index": index}

    def result(self, job_id: str, index: Any) -> requests.Response:
        url, params = self.result_url(job_id, index)
        return self.http.get(url, params=params, timeout=TIMEOUT)

    def stop(self, job_id: str, **override: Any) -> requests.Response:
        params = {**self.signed("stopCompute"), "jobId": job_id, **override}
        return self.http.put(f"{self.s}/compute", params=params, timeout=TIMEOUT)

    def logs(self, job_id: str, **override: Any) -> requests.Response:
        params = {**self.signed("getComputeStreamableLogs"), "jobId": job_id, **override}
        return self.http.get(f"{self.s}/computeStreamableLogs", params=params, timeout=TIMEOUT)


def demux(framed: bytes) -> list[tuple[int, bytes]]:
    """Docker's 8-byte frames -> [(stream, payload)]."""
    out, i = [], 0
    while i < len(framed):
        stream, size = framed[i], int.from_bytes(framed[i + 4:i + 8], "big")
        out.append((stream, framed[i + 8:i + 8 + size]))
        i += 8 + size
    return out


__all__ += ["demux", "OTHER"]
