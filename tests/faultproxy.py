"""A seeded fault-injecting reverse proxy for tests: a flaky network and provider the mock cannot fake.

The mock's own `flaky` profile decides inside the provider; this proxy sits in front of any HTTP
service (a `c2d mock serve`, an in-process MockOcean) and does what a load balancer or a bad link
does, on every route alike (initializeCompute and start included):

- `unavailable`: answer 503 without forwarding (the provider never saw the request);
- `rate_limited`: answer 429 with `Retry-After` without forwarding;
- `delayed`: wait, then forward;
- `dropped_after`: forward, let the provider act, then close the connection without an answer.

Each decision depends only on (seed, route, how many requests that route had before), like the
mock's profiles, so it does not depend on which thread came first.  `log` records every decision.
A `script` names the faults of a route's first requests outright (e.g. only the first start's answer
lost); the rates decide the rest.

The upstream's own base URL in JSON answers (a DDO's serviceEndpoint) is rewritten to the proxy's,
as a reverse proxy's public URL would be, so a client that follows it stays behind the proxy.
"""
from __future__ import annotations

import http.client
import random
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Mapping, Sequence
from urllib.parse import urlsplit

# Never copied from one hop to the next (RFC 9110 7.6.1), plus the length we set ourselves.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                         "upgrade", "content-length"})

UNAVAILABLE = "unavailable"
RATE_LIMITED = "rate_limited"
DELAYED = "delayed"
DROPPED_AFTER = "dropped_after"
FORWARDED = "forwarded"


@dataclass(frozen=True)
class FaultRates:
    """Probabilities per request (they add up, in this order, to at most 1)."""

    unavailable: float = 0.15
    rate_limited: float = 0.05
    delayed: float = 0.10
    dropped_after: float = 0.05
    delay: tuple[float, float] = (0.05, 0.3)  # seconds, uniform, for `delayed`
    retry_after: int = 1


NO_FAULTS = FaultRates(0.0, 0.0, 0.0, 0.0)


def decide(rates: FaultRates, seed: int, route: str, n: int) -> tuple[str, float]:
    """(fault, delay seconds) for the n-th request of `route` (a pure function of its arguments)."""
    rng = random.Random(f"faultproxy:{seed}:{route}:{n}")
    roll = rng.random()
    for fault, rate in ((UNAVAILABLE, rates.unavailable), (RATE_LIMITED, rates.rate_limited),
                        (DELAYED, rates.delayed), (DROPPED_AFTER, rates.dropped_after)):
        if roll < rate:
            return fault, (rng.uniform(*rates.delay) if fault == DELAYED else 0.0)
        roll -= rate
    return FORWARDED, 0.0


class FaultProxy:
    """The proxy on 127.0.0.1:<ephemeral>; a context manager that joins its threads on exit."""

    def __init__(self, upstream: str, seed: int = 0, rates: FaultRates = FaultRates(),
                 script: Mapping[str, Sequence[str]] | None = None):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.upstream_url = f"{parts.scheme}://{parts.netloc}"
        self.seed = seed
        self.rates = rates
        self.script = dict(script or {})  # route ("POST /path") -> the faults of its first requests
        self.log: list[tuple[str, str]] = []  # (route, fault) in the order decided
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def faults(self, route: str | None = None) -> Counter[str]:
        """How often each fault was applied (to one route, or to all)."""
        with self._lock:
            return Counter(f for r, f in self.log if route is None or r == route)

    def _next(self, route: str) -> tuple[str, float]:
        with self._lock:
            n = self._counts[route]
            self._counts[route] += 1
            scripted = self.script.get(route, ())
            fault, delay = (scripted[n], 0.0) if n < len(scripted) else decide(self.rates, self.seed, route, n)
            self.log.append((route, fault))
        return fault, delay

    def start(self) -> "FaultProxy":
        """Listen and serve on a daemon thread."""
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._proxy()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route = f"{self.command} {urlsplit(self.path).path}"
        fault, delay = self.owner._next(route)
        if fault == UNAVAILABLE:
            return self._answer(503, b'{"error": "fault proxy: service unavailable"}')
        if fault == RATE_LIMITED:
            return self._answer(429, b'{"error": "fault proxy: too many requests"}',
                                {"Retry-After": str(self.owner.rates.retry_after)})
        if fault == DELAYED:
            threading.Event().wait(delay)
        try:
            status, reason, headers, payload = self._forward(body)
        except OSError:
            return self._answer(502, b'{"error": "fault proxy: upstream unreachable"}')
        if any(k.lower() == "content-type" and "json" in v for k, v in headers):
            payload = payload.replace(self.owner.upstream_url.encode(), self.owner.url.encode())
        if fault == DROPPED_AFTER:  # the provider acted; its answer never reaches the client
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        self.send_response(status, reason)
        for key, value in headers:
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.close_connection = True
        return None

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.owner.upstream, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body:
                headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            conn.close()

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True
