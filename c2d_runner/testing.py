"""Test helpers over the bundled mock Ocean: a handle with a consumer and a client, and a pool of mocks.

The pytest plugin maps its fixtures and spec items onto these; nothing here imports pytest, so
the same objects serve unittest or a plain script:

    from c2d_runner.testing import C2DMock
    with C2DMock.start() as mock:
        outcome = mock.run("specs/summary.c2d.yaml")
"""
from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Mapping

__all__ = ["C2DMock", "MockPool"]


class C2DMock:
    """A running mock Ocean with the well-known test consumer and a ready OceanCompute client."""

    def __init__(self, ocean: Any, runs_dir: str | os.PathLike | None = None):
        self.ocean = ocean  # the mockprovider.MockOcean, for anything not wrapped here
        self.runs_dir = Path(runs_dir) if runs_dir is not None else None
        self._consumer = None
        self._compute = None

    @classmethod
    def start(cls, world: Any = None, faults: str | None = None, seed: int = 0,
              state_dir: str | os.PathLike | None = None, runs_dir: str | os.PathLike | None = None,
              protocol: str = "provider") -> "C2DMock":
        """Start a mock Ocean on a loopback port (world: a path, a loaded World or None for the default;
        protocol: "provider" for Provider v2 + Aquarius, "ocean-node" for an Ocean Node)."""
        from c2d_runner.connect import mock_ocean

        return cls(mock_ocean(world, faults, seed, state_dir, protocol=protocol).start(), runs_dir)

    # -- what a test reads ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL of both the mock Provider and the mock Aquarius."""
        return self.ocean.url

    @property
    def chain_id(self) -> int:
        """The world's chain id."""
        return self.ocean.chain_id

    @property
    def protocol(self) -> str:
        """What the mock speaks: "provider" or "ocean-node"."""
        return self.ocean.protocol

    @property
    def assets(self) -> dict:
        """The world's assets by name (each with .did, .kind, .services)."""
        return self.ocean.assets

    @property
    def environments(self) -> list:
        """The compute environments as the mock serves them now."""
        return self.ocean.environments

    def did(self, name: str) -> str:
        """The DID of the world's asset called `name`."""
        try:
            return self.ocean.assets[name].did
        except KeyError:
            raise KeyError(f"no asset named {name!r} in the mock world "
                           f"(assets: {', '.join(self.ocean.assets) or 'none'})") from None

    @property
    def consumer(self) -> Any:
        """The test consumer (eth-account LocalAccount of wire.TEST_CONSUMER_KEY); it needs no funds."""
        if self._consumer is None:
            from c2d_runner.ocean.wallet import wallet_from_key
            from c2d_runner.wire import TEST_CONSUMER_KEY

            self._consumer = wallet_from_key(TEST_CONSUMER_KEY, "the mock's well-known test key")
        return self._consumer

    @property
    def compute(self) -> Any:
        """An OceanCompute client configured for this mock (closed with the mock)."""
        if self._compute is None:
            from c2d_runner.ocean import ClientConfig, OceanCompute

            self._compute = OceanCompute(ClientConfig(metadata_cache_uri=self.url, chain_id=self.chain_id))
        return self._compute

    @property
    def endpoint(self) -> Any:
        """This mock as a running target, for `c2d_runner.connect.run_spec(..., endpoint=...)`."""
        from c2d_runner.connect import mock_endpoint

        return mock_endpoint(self.ocean, f"mock at {self.url}")

    # -- running specs --------------------------------------------------------------------------
    def run(self, spec: str | os.PathLike, *, only: tuple[str, ...] = (), out: str | os.PathLike | None = None,
            env: Mapping[str, str] | None = None) -> Any:
        """Run a spec's jobs (all, or `only`) on this mock, whatever its target says; the RunOutcome."""
        import io

        from c2d_runner.connect import run_spec
        from c2d_runner.engine.runner import RunOptions
        from c2d_runner.interrupts import cancel_on_signals
        from c2d_runner.report import ConsoleProgress
        from c2d_runner.spec import load_spec

        plan = load_spec(spec, env)
        folder = Path(out) if out is not None else self.runs_dir or Path(tempfile.mkdtemp(prefix="c2d-runs-"))
        with cancel_on_signals() as cancel:  # Ctrl-C stops the jobs at the mock before the test ends
            options = RunOptions(only=tuple(only), out=folder, cancel=cancel)
            return run_spec(plan, options, ConsoleProgress(io.StringIO(), mode="quiet"), endpoint=self.endpoint)

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the client and stop the mock; raise MockOceanError if the mock crashed in a thread."""
        from mockprovider import MockOceanError

        if self._compute is not None:
            self._compute.close()
            self._compute = None
        if not self.ocean.is_running():
            return
        errors = self.ocean.errors
        self.ocean.stop()
        if errors:
            raise MockOceanError("errors inside the mock Ocean:\n" + "\n".join(errors))

    def __enter__(self) -> "C2DMock":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:  # the test's own error is the one to show; a crash report would only hide it
            try:
                self.close()
            except Exception:
                pass


class MockPool:
    """Worlds loaded once and mocks started once per (world, faults, seed), for a whole test session.

    Loading a world costs about half a second (DID derivation, checksums, DDOs); starting a mock on
    an already loaded world costs a few milliseconds. So worlds are cached for per-test mocks, and
    spec items share one running mock per target instead of starting one each.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worlds: dict[Path | None, Any] = {}
        self._mocks: dict[tuple, Any] = {}
        self._broken: dict[tuple, Exception] = {}

    def world(self, path: str | os.PathLike | None) -> Any:
        """The loaded World of `path` (None = the bundled default); WorldInvalid when it has problems."""
        from mockprovider import load_world

        key = Path(path).resolve() if path is not None else None
        with self._lock:
            if key not in self._worlds:
                self._worlds[key] = load_world(key)
            return self._worlds[key]

    def mock(self, world: str | os.PathLike | None = None, faults: str | None = None, seed: int = 0,
             protocol: str = "provider") -> C2DMock:
        """The session's running mock for this world, fault profile and protocol, started on first use."""
        from c2d_runner.connect import mock_ocean
        from c2d_runner.errors import InvalidInput

        key = (Path(world).resolve() if world is not None else None, faults, seed, protocol)
        if key in self._broken:  # a world that failed once fails the same way: do not pay again
            raise self._broken[key]
        try:
            loaded = self.world(world)
            with self._lock:
                if key not in self._mocks:
                    self._mocks[key] = C2DMock(mock_ocean(loaded, faults, seed, protocol=protocol).start())
                return self._mocks[key]
        except InvalidInput as exc:  # an invalid world or fault profile
            self._broken[key] = exc
            raise

    def endpoint(self, target: Any) -> Any:
        """The session's mock for a MockTarget, as a running Endpoint; the mock's C2DError when it cannot start."""
        from c2d_runner.connect import mock_endpoint

        mock = self.mock(target.world, target.faults, target.seed, getattr(target, "protocol", None) or "provider")
        return mock_endpoint(mock.ocean, target.describe())

    def close(self) -> list[str]:
        """Stop every mock; the crash reports of those that had any (never raises)."""
        problems = []
        with self._lock:
            mocks, self._mocks = list(self._mocks.values()), {}
        for mock in mocks:
            try:
                mock.close()
            except Exception as exc:
                problems.append(f"{mock.url}: {exc}")
        return problems
