"""One Ocean Node's HTTP routes, signed the node's way (ocean-node-api.md Part A §1-2).

- The root document is read once (by the caller) and its `serviceEndpoints` names are matched
  ignoring case, as ocean.js does; the node's documented paths stand in for missing names.
- Signed calls send `consumerAddress`, `nonce` (a string, strictly above the node's stored one)
  and `signature` over `address + nonce + command`. The node's nonce is read once per address; after
  that this client counts up from the last nonce it sent, and reads it again only when the node
  refuses one (another process signing with the same key): one request per signed call, not three.
- The consumer address string is the wallet's checksummed address on every call: the node keys
  nonces and compares job owners by the exact string.
- Job ids keep their cluster prefix (`<clusterHash>-<rawId>`) on every call; status answers carry
  the raw id, so callers keep the id the start returned.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from c2d_runner import exitcodes, wire
from c2d_runner.ocean.errors import JobNotFound, ProviderError, WalletError
from c2d_runner.ocean.http import HttpClient, base_url
from c2d_runner.ocean.node.replies import BARE_500, error_text, explain
from c2d_runner.ocean.wallet import NonceTracker, parse_nonce

ROUTES: dict[str, tuple[str, str]] = {
    "nonce": ("GET", "/api/services/nonce"),
    "computeEnvironments": ("GET", "/api/services/computeEnvironments"),
    "initializeCompute": ("POST", "/api/services/initializeCompute"),
    "freeCompute": ("POST", "/api/services/freeCompute"),
    "computeStart": ("POST", "/api/services/compute"),
    "computeStatus": ("GET", "/api/services/compute"),
    "computeStop": ("PUT", "/api/services/compute"),
    "computeResult": ("GET", "/api/services/computeResult"),
    "computeStreamableLogs": ("GET", "/api/services/computeStreamableLogs"),
}
# Signature commands (ocean-node src/utils/constants.ts PROTOCOL_COMMANDS).
FREE_START = "freeStartCompute"
PAID_START = "startCompute"
STOP = "stopCompute"
GET_RESULT = "getComputeResult"
GET_STREAMABLE_LOGS = "getComputeStreamableLogs"
START_ROUTES = frozenset({"freeCompute", "computeStart"})
LOG_READ_TIMEOUT = 3600.0  # computeStreamableLogs stays open while the algorithm runs


class NodeError(ProviderError):
    """An Ocean Node answered with an error, or could not be reached."""

    service = "Ocean Node"


class NodeClient:
    """The routes of the Ocean Node at `url`, over a shared HttpClient."""

    def __init__(self, url: str, http: HttpClient, root: Mapping[str, Any],
                 nonces: NonceTracker | None = None) -> None:
        self.url = url.rstrip("/")
        self.http = http
        self.root = root
        self._nonces = nonces or NonceTracker()
        services = root.get("serviceEndpoints") if isinstance(root.get("serviceEndpoints"), Mapping) else {}
        self._routes = {str(k).lower(): v for k, v in services.items()
                        if isinstance(v, (list, tuple)) and len(v) == 2}

    # -- plumbing -------------------------------------------------------------------------
    def endpoint(self, name: str) -> tuple[str, str]:
        """(METHOD, absolute URL) of a route name from the node's map (case-insensitive)."""
        method, path = self._routes.get(name.lower()) or ROUTES[name]
        path = str(path)
        return str(method).upper(), self.url + (path if path.startswith("/") else "/" + path)

    def _send(self, name: str, *, idempotent: bool, ok: tuple[int, ...] = (200,), **kwargs: Any):
        method, url = self.endpoint(name)
        try:
            return self.http.request(method, url, error_cls=NodeError, idempotent=idempotent,
                                     ok_statuses=ok, **kwargs)
        except NodeError as exc:
            raise _reworded(exc, name) from None

    def _json(self, name: str, response) -> Any:
        try:
            return response.json()
        except ValueError:
            snippet = " ".join((response.text or "").split())[:200]
            raise NodeError(f"answer is not JSON: {snippet!r}", status=response.status_code,
                            endpoint=" ".join(self.endpoint(name))) from None
        finally:
            response.close()

    # -- nonces and signatures ------------------------------------------------------------
    def nonce(self, address: str) -> int:
        """The nonce the node has stored for this exact address string (a string on the wire)."""
        response = self._send("nonce", idempotent=True, params={"userAddress": address})
        body = self._json("nonce", response)
        if not isinstance(body, Mapping) or "nonce" not in body:
            raise NodeError("nonce answer has no 'nonce'", status=200, endpoint=" ".join(self.endpoint("nonce")),
                            body=body)
        return parse_nonce(body["nonce"], " ".join(self.endpoint("nonce")))

    def _signed(self, wallet: Any, command: str, call: Callable[[dict[str, str]], Any]) -> Any:
        """`call(auth)` with auth = {consumerAddress, nonce, signature}, under the consumer's lock.

        A refused nonce means the node did nothing (the check runs first): read the node's nonce
        and sign once more above it.
        """
        address = _address(wallet)
        for attempt in (1, 2):
            with self._nonces.lock_for(self.url, address):
                known = self._nonces.last(self.url, address)
                floor = self.nonce(address) if known is None or attempt == 2 else known
                nonce = str(self._nonces.next(self.url, address, floor))
                try:
                    signature = wire.node_sign_request(wallet, nonce, command, address)
                except Exception as exc:  # a foreign wallet; never echo key material
                    raise WalletError(f"cannot sign with the consumer wallet ({type(exc).__name__})") from None
                try:
                    return call({"consumerAddress": address, "nonce": nonce, "signature": signature})
                except NodeError as exc:
                    if attempt == 2 or not stale_nonce(exc):
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- routes ---------------------------------------------------------------------------
    def environments(self) -> Any:
        """GET computeEnvironments without chainId (a chainId drops free-only environments)."""
        return self._json("computeEnvironments", self._send("computeEnvironments", idempotent=True))

    def free_start(self, wallet: Any, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST freeCompute: the new job (its jobId carries the cluster prefix). Never retried."""
        return self._start(wallet, "freeCompute", FREE_START, body)

    def initialize(self, body: Mapping[str, Any]) -> Any:
        """POST initializeCompute (unsigned, pays nothing, so safe to retry): the node's answer."""
        return self._json("initializeCompute", self._send("initializeCompute", idempotent=True, json_body=dict(body)))

    def paid_start(self, wallet: Any, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST compute signed `startCompute`: the new job, once the node locked the Escrow. Never retried."""
        return self._start(wallet, "computeStart", PAID_START, body)

    def _start(self, wallet: Any, route: str, command: str, body: Mapping[str, Any]) -> dict[str, Any]:
        def call(auth: dict[str, str]) -> Any:
            return self._json(route, self._send(route, idempotent=False, json_body={**auth, **body}))

        job = _first_job(answer := self._signed(wallet, command, call), None)
        if job is None or not job.get("jobId"):
            raise NodeError("start answer names no job", status=200, endpoint=" ".join(self.endpoint(route)),
                            body=answer)
        return job

    def status(self, address: str, job_id: str) -> dict[str, Any]:
        """GET compute?consumerAddress&jobId (unsigned): the job; JobNotFound when the node has none."""
        response = self._send("computeStatus", idempotent=True,
                              params={"consumerAddress": address, "jobId": job_id})
        answer = self._json("computeStatus", response)
        job = _first_job(answer, job_id)
        if job is None:
            raise JobNotFound(f"the node has no job {job_id} for {address}",
                              status=200, endpoint=" ".join(self.endpoint("computeStatus")), body=answer)
        return job

    def jobs(self, address: str) -> list[dict[str, Any]]:
        """GET compute?consumerAddress: every job of this consumer on the node."""
        answer = self._json("computeStatus", self._send("computeStatus", idempotent=True,
                                                        params={"consumerAddress": address}))
        return [j for j in answer if isinstance(j, dict)] if isinstance(answer, list) else []

    def stop(self, wallet: Any, job_id: str) -> dict[str, Any] | None:
        """PUT compute with the signed query string (the node reads no body); the job, or None."""
        def call(auth: dict[str, str]) -> Any:
            return self._json("computeStop", self._send("computeStop", idempotent=False,
                                                        params={**auth, "jobId": job_id}))

        return _first_job(self._signed(wallet, STOP, call), job_id)

    def result(self, wallet: Any, job_id: str, index: int):
        """GET computeResult, signed afresh (each signed URL works once): the open streaming response."""
        def call(auth: dict[str, str]) -> Any:
            return self._send("computeResult", idempotent=False, stream=True,
                              params={**auth, "jobId": job_id, "index": int(index)})

        return self._signed(wallet, GET_RESULT, call)

    def streamable_logs(self, wallet: Any, job_id: str):
        """GET computeStreamableLogs: the open response, framed like algorithm.log; 404 once not running."""
        def call(auth: dict[str, str]) -> Any:
            return self._send("computeStreamableLogs", idempotent=False, stream=True,
                              timeout=(self.http.timeout[0], LOG_READ_TIMEOUT),
                              params={**auth, "jobId": job_id})

        return self._signed(wallet, GET_STREAMABLE_LOGS, call)


def stale_nonce(exc: ProviderError) -> bool:
    """The node refused the nonce as not above its stored one (401 "nonce: N is not a valid nonce")."""
    return exc.status == 401 and "not a valid nonce" in f"{exc.detail}"


def _reworded(exc: NodeError, route: str) -> NodeError:
    """The error with the node's words unwrapped (JSON strings, HTML) and bare 500s explained."""
    if exc.status is None:
        return exc
    raw = exc.body if isinstance(exc.body, str) else None
    detail = error_text(raw, exc.detail) if raw is not None else exc.detail
    error = type(exc)(explain(route, exc.status, detail), status=exc.status, endpoint=exc.endpoint, body=exc.body)
    if route in START_ROUTES and exc.status == 500 and detail.strip() != BARE_500:
        # The start handler's own answer ("Cannot find image ...", "Invalid C2D Environment"): a
        # refusal, nothing was started; not a node that broke mid-way (a bare 500 would be).
        error.exit_code = exitcodes.FAILED
    return error


def _first_job(answer: Any, job_id: str | None) -> dict[str, Any] | None:
    """The job in an answer (a list of jobs, or one job); with `job_id`, the one with that raw id."""
    jobs = answer if isinstance(answer, list) else [answer] if isinstance(answer, dict) else []
    jobs = [j for j in jobs if isinstance(j, dict)]
    if job_id is not None:
        raw = raw_job_id(job_id)
        jobs = [j for j in jobs if str(j.get("jobId")) in (job_id, raw)]
    return jobs[0] if jobs else None


def raw_job_id(job_id: str) -> str:
    """The id without its cluster prefix (the node splits on the first '-')."""
    return job_id.split("-", 1)[1] if "-" in job_id else job_id


def prefixed_job_id(environment_id: str, job_id: str) -> str:
    """A listed (raw) job id with the cluster prefix later calls need: a job's cluster is the one of
    the environment it runs in (the node finds its engine by the environment id's first part)."""
    if "-" in job_id or "-" not in environment_id:
        return job_id
    return f"{environment_id.split('-', 1)[0]}-{job_id}"


def _address(wallet: Any) -> str:
    address = getattr(wallet, "address", None)
    if not isinstance(address, str) or not address.startswith("0x"):
        raise WalletError("consumer_wallet must have a 0x address and be able to sign")
    return address
