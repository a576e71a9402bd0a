"""Server lifecycle: MockOcean, one threaded WSGI server on a daemon thread (pytest-httpserver style)."""
from __future__ import annotations

import json
import os
import pathlib
import selectors
import shutil
import socket
import tempfile
import threading
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import WSGIRequestHandler, make_server

from c2d_runner.errors import InfrastructureFailure
from mockprovider import faults as faults_mod
from mockprovider.app import MockApp
from mockprovider.errors import GlobalError
from mockprovider.http import body_refusal
from mockprovider.state import MockState
from mockprovider.world import Asset, World, load_world, public_asset


class MockOceanError(InfrastructureFailure):
    """Misuse of a MockOcean (double start, stop before start) or errors collected from its threads."""


class _Handler(WSGIRequestHandler):
    """Request handler with TCP_NODELAY, connection tracking and quiet logs.

    Werkzeug writes the status line + headers and the body in separate writes; with Nagle on, the
    second write can wait for the client's delayed ACK (~40 ms per response).
    """

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        connections = getattr(self.server, "c2d_connections", None)
        if connections is not None:
            with self.server.c2d_lock:
                connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            connections = getattr(self.server, "c2d_connections", None)
            if connections is not None:
                with self.server.c2d_lock:
                    connections.discard(self.connection)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        if os.environ.get("C2D_MOCK_ACCESS_LOG"):
            super().log_request(code, size)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (414 URI too long, 431, a bad request line) in the protocol's
        shape (the Provider's JSON, express's page), not http.server's HTML."""
        self.close_connection = True
        text = message or _PHRASES.get(code) or self.responses.get(code, ("error",))[0]
        content_type, body = _error_page(getattr(self.server, "c2d_protocol", "provider"), code, text)
        self.send_response(code, text)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD" and code not in (204, 304):
            self.wfile.write(body)


# http.server's phrases change with Python (3.13 says "URI Too Long"); the mock answers the same on every version.
_PHRASES = {414: "Request-URI Too Long", 431: "Request Header Fields Too Large", 400: "Bad Request"}


def _error_page(protocol: str, status: int, text: str) -> tuple[str, bytes]:
    """(Content-Type, body) of an error answered before any route is known, in the protocol's shape."""
    if protocol == "ocean-node":
        from mockprovider.node.routes import express_error

        page = express_error(status, text)
        return page.content_type or "text/html", page.text.encode("utf-8")
    return "application/json", json.dumps(GlobalError(f"{status} {text}", status).json_body()).encode("utf-8")


PROTOCOLS = ("provider", "ocean-node")


class MockOcean:
    """A mock Ocean running on a background thread, speaking one protocol at one base URL:
    "provider" (Provider v2 + Aquarius, the default) or "ocean-node" (an Ocean Node, C2D v2)."""

    def __init__(self, world: str | os.PathLike | World | None = None, state_dir: str | os.PathLike | None = None,
                 faults: str | None = None, host: str = "127.0.0.1", port: int = 0, seed: int = 0,
                 executor: Any = None, protocol: str = "provider", rate_limit: int | None = None,
                 settle_seconds: float = 1.0, chain: Any = None):
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r} (choose from {', '.join(PROTOCOLS)})")
        if rate_limit is not None and protocol != "ocean-node":
            raise ValueError("a rate limit is an Ocean Node behaviour: use it with protocol 'ocean-node'")
        if rate_limit is not None and rate_limit < 1:
            raise ValueError("the rate limit must be at least 1 request a minute")
        if settle_seconds < 0:
            raise ValueError("settle_seconds must not be negative")
        self.protocol = protocol
        self.rate_limit = rate_limit
        self.settle_seconds = settle_seconds
        self.world = world if isinstance(world, World) else load_world(world)
        # A LocalChain (c2d_runner.chain): the world's assets are then real data NFTs on it.
        self.chain = chain
        if chain is not None:
            from mockprovider.chainworld import attach

            self.world = attach(chain, self.world)
        self.profile = faults_mod.get_profile(faults or self.world.faults)
        self.host = host
        self.port = port
        self.seed = seed
        self._state_dir_arg = pathlib.Path(state_dir) if state_dir is not None else None
        self._executor = executor
        self._server = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._state: MockState | None = None
        self._app: Any = None
        self._temp_dir: str | None = None
        self.url = ""

    # --- public view ----------------------------------------------------------------------------
    @property
    def chain_id(self) -> int:
        """The world's chain id."""
        return self.world.chain_id

    @property
    def assets(self) -> dict[str, Asset]:
        """name -> Asset, in world order."""
        return {a.name: public_asset(a) for a in self.world.assets}

    @property
    def environments(self) -> list[dict[str, Any]]:
        """The environments as computeEnvironments serves them now (in the protocol's shape)."""
        if self._state is None:
            raise MockOceanError("the mock Ocean is not running")
        if self.protocol == "ocean-node":
            from mockprovider.node.handlers import environments

            return environments(self._state)
        return self._state.environments()

    @property
    def request_count(self) -> int:
        """HTTP requests served since start."""
        return self._state.request_count if self._state else 0

    @property
    def requests_by_route(self) -> dict[str, int]:
        """Requests served per route name since start (computeStatus, computeResult, ...)."""
        return self._state.requests_by_route() if self._state else {}

    @property
    def state_dir(self) -> pathlib.Path:
        """Where jobs, nonces, orders and results are kept."""
        if self._state is None:
            raise MockOceanError("the mock Ocean is not running")
        return self._state.state_dir

    @property
    def errors(self) -> list[str]:
        """Crashes seen in handler and job threads (mock bugs)."""
        out = []
        if self._app is not None:
            out += self._app.errors
        if self._state is not None:
            out += self._state.runner.errors
        return out

    @property
    def sandbox(self) -> tuple[str, str | None]:
        """(kind, warning) of the executor's sandbox: ("bwrap", None), or ("none", why it is weaker)."""
        executor = self._state.runner.executor if self._state else None
        return (getattr(executor, "sandbox_kind", "unknown"), getattr(executor, "sandbox_warning", None))

    @property
    def job_limits(self) -> tuple[dict[str, str], str | None]:
        """How Ocean Node (v2) job limits are enforced here, and what falls short of a node."""
        executor = self._state.runner.executor if self._state else None
        support = getattr(executor, "limit_support", None)
        return (support.modes if support else {}), getattr(executor, "limits_warning", None)

    def is_running(self) -> bool:
        """True between start() and stop()."""
        return self._thread is not None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "MockOcean":
        """Bind, start serving on a daemon thread and return once requests are answered."""
        if self._thread is not None:
            raise MockOceanError("the mock Ocean is already running")
        listener = _listen(self.host, self.port)  # first: a port in use leaves no state folder behind
        try:
            server = make_server(self.host, self.port, _LazyApp(), threaded=True, request_handler=_Handler,
                                 fd=listener.fileno())
        finally:
            listener.close()  # werkzeug serves on its own duplicate of the socket
        # Handler threads are joined at stop (after their connections are closed), so a stopped
        # mock leaves no thread behind, even for idle keep-alive clients.
        server.daemon_threads = False
        server.block_on_close = True
        server.c2d_connections = set()
        server.c2d_lock = threading.Lock()
        server.c2d_protocol = server.app.protocol = self.protocol
        port = server.server_address[1]
        host = self.host if ":" not in self.host else f"[{self.host}]"
        self.url = f"http://{host}:{port}"
        try:
            if self._state_dir_arg is None:
                self._temp_dir = tempfile.mkdtemp(prefix="c2d-mock-")
                state_dir = pathlib.Path(self._temp_dir)
            else:
                state_dir = self._state_dir_arg
                state_dir.mkdir(parents=True, exist_ok=True)
            executor = self._executor if self._executor is not None else _default_executor()
            self._state = MockState.create(self.world, self.url, state_dir.resolve(), executor, self.profile, self.seed,
                                           self.protocol, self.settle_seconds, self.chain)
        except BaseException:
            server.server_close()
            self._cleanup_temp()
            raise
        if self.protocol == "ocean-node":
            from mockprovider.node.routes import NodeApp

            self._app = NodeApp(self._state, self.rate_limit)
        else:
            self._app = MockApp(self._state)
        server.app.target = self._app
        self._server = server
        self._wake = socket.socketpair()
        self._thread = threading.Thread(target=_serve, args=(server, self._wake[0]),
                                        name=f"mock-ocean:{port}", daemon=True)
        self._thread.start()
        _wait_until_listening(self.host, port)
        return self

    def stop(self) -> None:
        """Stop serving, stop running jobs, join every thread; remove a temporary state dir."""
        if self._thread is None:
            raise MockOceanError("the mock Ocean is not running")
        self._wake[1].send(b"stop")
        self._thread.join()
        for end in self._wake:
            end.close()
        with self._server.c2d_lock:
            open_connections = list(self._server.c2d_connections)
        for conn in open_connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()  # joins the handler threads
        self._thread = None
        try:
            self._state.close()
        finally:
            self._cleanup_temp()

    def _cleanup_temp(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> "MockOcean":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        errors = self.errors
        self.stop()
        if errors and exc_type is None:
            raise MockOceanError("errors inside the mock Ocean:\n" + "\n".join(errors))


def _serve(server, wake: socket.socket) -> None:
    """Accept connections until `wake` turns readable.

    Replaces serve_forever, whose shutdown() is only noticed at the next poll (every stop waited
    out up to a poll interval, 50 ms, half of it on average); stop() wakes this loop at once.
    The server socket is closed by stop(), after the open connections are shut.
    """
    with selectors.DefaultSelector() as selector:
        selector.register(server, selectors.EVENT_READ)
        selector.register(wake, selectors.EVENT_READ)
        while True:
            ready = [key.fileobj for key, _ in selector.select()]
            if wake in ready:
                return
            server._handle_request_noblock()  # socketserver's accept + dispatch to a handler thread
            server.service_actions()


class _LazyApp:
    """Lets the server bind (and learn its port) before the app, which needs the URL, exists."""

    target: Any = None
    protocol = "provider"

    def __call__(self, environ, start_response):
        refusal = body_refusal(environ)
        if refusal is not None:
            status, why = refusal
            content_type, body = _error_page(self.protocol, status, why)
            start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Error')}",
                           [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        return self.target(environ, start_response)


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound and listening on host:port; MockOceanError when it cannot be.

    Bound here rather than by werkzeug, which prints to stderr and exits the process (status 1)
    when the port is in use.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's servers do
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise MockOceanError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _default_executor() -> Any:
    from mockprovider.executor import Executor

    return Executor(sandbox=os.environ.get("C2D_MOCK_SANDBOX", "auto"))


def _wait_until_listening(host: str, port: int, timeout: float = 10.0) -> None:
    # The socket listens as soon as make_server returns; one connect proves the accept loop runs.
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host if host not in ("0.0.0.0", "::") else "127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise MockOceanError(f"the mock Ocean did not start listening on port {port}")
            time.sleep(0.01)

