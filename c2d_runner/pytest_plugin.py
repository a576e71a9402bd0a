"""The pytest plugin (entry point `c2d`): mock Ocean fixtures, and spec files collected as tests.

Every installed pytest loads this module, so it imports nothing but pytest and the standard
library at the top: the engine, the mock and eth-account load only when a test asks for a fixture
or a spec file is collected. Disable it with `-p no:c2d`.

Fixtures (settings are fixtures too, so a conftest.py can override any of them, the
pytest-httpserver way):
  c2d_mock            a fresh mock Ocean per test (its own state), a C2DMock
  c2d_mock_session    one mock shared by the whole session (default world and faults)
  c2d_world           world file of c2d_mock: @pytest.mark.c2d_world(path), else c2d_default_world
  c2d_faults          fault profile of c2d_mock: @pytest.mark.c2d_faults(name), else c2d_default_faults
  c2d_seed            seed of the fault decisions: @pytest.mark.c2d_faults(name, seed=N), else 0
  c2d_protocol        what c2d_mock speaks: @pytest.mark.c2d_protocol("ocean-node"), else c2d_default_protocol
  c2d_default_world   the ini option c2d_world (relative to the ini file), else the bundled world
  c2d_default_faults  the ini option c2d_faults, else the world's own profile
  c2d_default_protocol the ini option c2d_protocol, else "provider" (Provider v2 + Aquarius)
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEFAULT_SPEC_GLOB = "*.c2d.yaml"
_YAML_SUFFIXES = (".yaml", ".yml")
# A file named on the command line is taken as a spec only when it looks like one, so that
# `pytest some/world.yaml` by mistake says "not found" instead of failing a schema check.
_LOOKS_LIKE_SPEC = re.compile(r"^jobs\s*:", re.MULTILINE)


@dataclass(frozen=True)
class Settings:
    """Command-line choices for spec items: the target override and where run folders go."""

    target: Any = None  # a Target from --c2d-target, overriding every spec's own
    out: Path | None = None  # --c2d-out; None = a folder under pytest's basetemp


_SETTINGS = pytest.StashKey[Settings]()
_POOL = pytest.StashKey[Any]()
_RUNS = pytest.StashKey[Path]()
_WARNINGS = pytest.StashKey[set]()


# -- options, ini, markers ------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    """Register --c2d-target, --c2d-chain-id, --c2d-rpc, --c2d-out and the c2d_* ini options."""
    group = parser.getgroup("c2d", "c2d-runner: Compute-to-Data spec files and mock Ocean fixtures")
    group.addoption("--c2d-target", metavar="TARGET",
                    help="run collected spec files here instead of their own target: mock, mock:WORLD.yaml, "
                         "or PROVIDER_URL[,AQUARIUS_URL] (as `c2d run --target`).")
    group.addoption("--c2d-chain-id", type=int, metavar="N",
                    help="chain id of the assets, with an Ocean Provider --c2d-target (an Ocean Node needs none).")
    group.addoption("--c2d-rpc", metavar="URL",
                    help="JSON-RPC URL of the assets' chain, with a provider URL --c2d-target: pay for compute "
                         "there with the spec's consumer key (as `c2d run --rpc`).")
    group.addoption("--c2d-out", metavar="DIR",
                    help="keep the spec items' run folders here (default: under pytest's basetemp).")
    parser.addini("c2d_spec_glob", type="args", default=[DEFAULT_SPEC_GLOB],
                  help=f"file name patterns of spec files collected as tests (default: {DEFAULT_SPEC_GLOB}); "
                       "several are separated by spaces.")
    parser.addini("c2d_world", default="",
                  help="world file of the c2d_mock fixtures, relative to the ini file (default: bundled world).")
    parser.addini("c2d_faults", default="", help="fault profile of the c2d_mock fixtures (default: the world's).")
    parser.addini("c2d_protocol", default="",
                  help="what the c2d_mock fixtures speak: provider (default) or ocean-node.")


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and read --c2d-target once, so a bad value stops the run at once."""
    config.addinivalue_line("markers", "c2d_world(path): world file for the c2d_mock fixture "
                                       "(relative to the test file).")
    config.addinivalue_line("markers", "c2d_faults(profile, seed=0): fault profile for the c2d_mock fixture "
                                       "(none, flaky, slow, stuck, failing, missing-result).")
    config.addinivalue_line("markers", "c2d_protocol(name): what the c2d_mock fixture speaks "
                                       "(provider, ocean-node).")
    config.addinivalue_line("markers", "c2d: a job of a c2d spec file (added to every spec item).")
    config.stash[_SETTINGS] = Settings(target=_target_option(config), out=_out_option(config))


def _target_option(config: pytest.Config) -> Any:
    value = config.getoption("c2d_target", None)
    rpc = config.getoption("c2d_rpc", None)
    if not value:
        if rpc:
            raise pytest.UsageError("--c2d-rpc needs a provider URL --c2d-target")
        return None
    from dataclasses import replace

    from c2d_runner.connect import TargetError, parse_target
    from c2d_runner.spec.model import RemoteTarget

    try:
        target = parse_target(value, config.getoption("c2d_chain_id", None))
    except TargetError as exc:
        raise pytest.UsageError(f"--c2d-target: {str(exc).replace('--chain-id', '--c2d-chain-id')}") from None
    if rpc and not (isinstance(target, RemoteTarget) and rpc.startswith(("http://", "https://"))):
        raise pytest.UsageError("--c2d-rpc needs an http(s) URL and a provider URL --c2d-target "
                                "(a mock pays on its own local chain)")
    return replace(target, rpc=rpc.rstrip("/")) if rpc else target


def _out_option(config: pytest.Config) -> Path | None:
    value = config.getoption("c2d_out", None)
    return Path(value).resolve() if value else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the session's shared mocks; a crash inside one fails the run (it is a bug, not noise)."""
    pool = session.config.stash.get(_POOL, None)
    if pool is None:
        return
    problems = pool.close()
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for problem in problems:
            if reporter is not None:
                reporter.write_line(f"c2d: {problem}", red=True)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def run_warnings(config: pytest.Config) -> set:
    """The warnings of the session's spec runs (e.g. a mock without a sandbox), said once at the end."""
    return config.stash.setdefault(_WARNINGS, set())


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Say each spec-run warning once, loudly, after the results."""
    for warning in sorted(config.stash.get(_WARNINGS, ())):
        terminalreporter.write_line(f"c2d: WARNING: {warning}", yellow=True, bold=True)


def mock_pool(config: pytest.Config) -> Any:
    """The session's MockPool (created on first use, stopped at the end of the session)."""
    if _POOL not in config.stash:
        from c2d_runner.testing import MockPool

        config.stash[_POOL] = MockPool()
    return config.stash[_POOL]


def spec_settings(config: pytest.Config) -> Settings:
    """The --c2d-* choices of this session."""
    return config.stash.get(_SETTINGS, Settings())


def runs_folder(config: pytest.Config) -> Path:
    """Where spec items write their run folders (one folder per session and worker)."""
    if _RUNS not in config.stash:
        chosen = spec_settings(config).out
        if chosen is not None:
            worker = os.environ.get("PYTEST_XDIST_WORKER")  # xdist workers must not share a journal
            chosen = chosen / worker if worker else chosen
            chosen.mkdir(parents=True, exist_ok=True)
        else:
            # The public TempPathFactory is only reachable through fixtures; items are not fixtures.
            factory = getattr(config, "_tmp_path_factory", None)
            if factory is not None:
                chosen = factory.mktemp("c2d-runs", numbered=True)
            else:
                import tempfile

                chosen = Path(tempfile.mkdtemp(prefix="c2d-runs-"))
        config.stash[_RUNS] = chosen
    return config.stash[_RUNS]


# -- spec files as tests --------------------------------------------------------------------------
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    """Collect spec files: names matching c2d_spec_glob, or a YAML spec named on the command line."""
    if file_path.suffix not in _YAML_SUFFIXES:
        return None
    patterns = parent.config.getini("c2d_spec_glob") or [DEFAULT_SPEC_GLOB]
    if not any(file_path.match(p) for p in patterns) and not _explicit_spec(file_path, parent):
        return None
    from c2d_runner.pytest_items import SpecFile

    return SpecFile.from_parent(parent, path=file_path)


def _explicit_spec(file_path: Path, parent: pytest.Collector) -> bool:
    if not parent.session.isinitpath(file_path):
        return False
    try:
        return bool(_LOOKS_LIKE_SPEC.search(file_path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False


# -- fixtures -------------------------------------------------------------------------------------
def _ini_world(config: pytest.Config) -> Path | None:
    value = config.getini("c2d_world")
    if not value:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return (base / value).resolve()


@pytest.fixture(scope="session")
def c2d_default_world(pytestconfig: pytest.Config) -> Path | None:
    """World file used when a test names none: the ini option c2d_world, else None (the bundled world)."""
    return _ini_world(pytestconfig)


@pytest.fixture(scope="session")
def c2d_default_faults(pytestconfig: pytest.Config) -> str | None:
    """Fault profile used when a test names none: the ini option c2d_faults, else None (the world's)."""
    return pytestconfig.getini("c2d_faults") or None


@pytest.fixture
def c2d_world(request: pytest.FixtureRequest, c2d_default_world: Path | None) -> Path | None:
    """World file of c2d_mock: the closest c2d_world marker (relative to the test file), else the default."""
    marker = request.node.get_closest_marker("c2d_world")
    if marker is None:
        return c2d_default_world
    if len(marker.args) != 1:
        raise pytest.UsageError("@pytest.mark.c2d_world takes one argument: the world file's path")
    world = Path(marker.args[0])
    return world if world.is_absolute() else (request.path.parent / world).resolve()


@pytest.fixture
def c2d_faults(request: pytest.FixtureRequest, c2d_default_faults: str | None) -> str | None:
    """Fault profile of c2d_mock: the closest c2d_faults marker, else the default."""
    marker = request.node.get_closest_marker("c2d_faults")
    return marker.args[0] if marker is not None and marker.args else c2d_default_faults


@pytest.fixture
def c2d_seed(request: pytest.FixtureRequest) -> int:
    """Seed of the fault decisions: seed= of the c2d_faults marker, else 0."""
    marker = request.node.get_closest_marker("c2d_faults")
    return int(marker.kwargs.get("seed", 0)) if marker is not None else 0


@pytest.fixture(scope="session")
def c2d_default_protocol(pytestconfig: pytest.Config) -> str:
    """Protocol used when a test names none: the ini option c2d_protocol, else "provider"."""
    return pytestconfig.getini("c2d_protocol") or "provider"


@pytest.fixture
def c2d_protocol(request: pytest.FixtureRequest, c2d_default_protocol: str) -> str:
    """What c2d_mock speaks: the closest c2d_protocol marker, else the default."""
    marker = request.node.get_closest_marker("c2d_protocol")
    if marker is None:
        return c2d_default_protocol
    if len(marker.args) != 1:
        raise pytest.UsageError('@pytest.mark.c2d_protocol takes one argument: "provider" or "ocean-node"')
    return marker.args[0]


@pytest.fixture
def c2d_mock(request: pytest.FixtureRequest, c2d_world: Path | None, c2d_faults: str | None, c2d_seed: int,
             c2d_protocol: str, tmp_path: Path):
    """A mock Ocean of its own for this test (state under tmp_path), with a test consumer and a client."""
    from c2d_runner.connect import mock_ocean
    from c2d_runner.testing import C2DMock

    with _setting_errors():
        world = mock_pool(request.config).world(c2d_world)  # loaded once per session, started fresh per test
        ocean = mock_ocean(world, c2d_faults, c2d_seed, tmp_path / "c2d-mock", protocol=c2d_protocol)
    with C2DMock(ocean.start(), runs_dir=tmp_path / "c2d-runs") as mock:
        yield mock


@pytest.fixture(scope="session")
def c2d_mock_session(pytestconfig: pytest.Config, c2d_default_world: Path | None, c2d_default_faults: str | None,
                     tmp_path_factory: pytest.TempPathFactory):
    """One mock Ocean for the whole session (state shared by every test that uses it)."""
    with _setting_errors():
        mock = mock_pool(pytestconfig).mock(c2d_default_world, c2d_default_faults)
    if mock.runs_dir is None:  # the pool's mock may also serve spec items; their runs go elsewhere
        mock.runs_dir = tmp_path_factory.mktemp("c2d-session-runs")
    yield mock
    errors = mock.ocean.errors
    if errors:  # a crash in a handler thread must fail the session, not vanish with the thread
        pytest.fail("errors inside the mock Ocean:\n" + "\n".join(errors), pytrace=False)


@contextlib.contextmanager
def _setting_errors():
    """A bad world file or fault profile is the user's input: say what is wrong, not where in the mock."""
    from c2d_runner.errors import C2DError

    # `from None`: the mock's own traceback would only bury the one line that matters.
    try:
        yield
    except C2DError as exc:
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
