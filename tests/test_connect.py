"""connect.py opens targets; library modules keep no global state (signals, logging, stderr)."""
import io
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from c2d_runner.connect import TargetError, connect, consumer_wallet, parse_target, run_spec
from c2d_runner.engine.outcome import SKIPPED
from c2d_runner.engine.runner import RunOptions
from c2d_runner.report import ConsoleProgress
from c2d_runner.spec import load_spec
from c2d_runner.spec.model import KeySource, MockTarget, RemoteTarget
from c2d_runner.wire import TEST_CONSUMER_KEY, address_of

ROOT = Path(__file__).resolve().parents[1]


def test_parse_target_reads_every_form_and_refuses_the_rest(tmp_path):
    world = tmp_path / "world.yaml"
    world.write_text("x")
    assert parse_target("mock") == MockTarget()
    assert parse_target(f"mock:{world}") == MockTarget(world=world.resolve())
    assert parse_target("http://p:8030/,http://a:5000", 8996) == RemoteTarget("http://p:8030", "http://a:5000", 8996)
    with pytest.raises(TargetError, match="mock world file .*absent.yaml not found"):
        parse_target(f"mock:{tmp_path / 'absent.yaml'}")
    # an Ocean Node needs no chain id; a Provider without one is refused at plan time
    assert parse_target("http://p:8030") == RemoteTarget("http://p:8030", "http://p:8030", None)
    with pytest.raises(TargetError, match="--target must be 'mock'"):
        parse_target("ftp://p")


def test_a_real_provider_needs_a_consumer_key():
    with pytest.raises(TargetError, match="a real Ocean Node or Provider needs a consumer key"):
        consumer_wallet(KeySource(), RemoteTarget("http://p", "http://p", 1))


def test_connect_starts_the_embedded_mock_and_stops_it_after(tmp_path):
    with connect(MockTarget(), KeySource(), tmp_path / "state") as conn:
        assert conn.embedded_mock and conn.provider == conn.aquarius and conn.provider.startswith("http://127.0.0.1:")
        assert conn.wallet.address == address_of(TEST_CONSUMER_KEY)  # the mock's test consumer by default
        assert conn.compute.get_c2d_environments(conn.provider)  # the client talks to that mock
        url = conn.provider
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)


def test_the_engine_takes_its_cancel_from_the_front_end(tmp_path):
    cancel = threading.Event()
    cancel.set()  # as a front end's SIGTERM handler would, before any job started
    options = RunOptions(out=tmp_path, cancel=cancel)
    run = run_spec(load_spec(ROOT / "specs" / "hello.yaml"), options, ConsoleProgress(io.StringIO(), mode="quiet"))
    assert run.interrupted and not run.ok
    assert [(j.outcome, j.error) for j in run.jobs] == [(SKIPPED, "interrupted before it started")]


def test_importing_the_library_and_the_mock_changes_no_process_state():
    probe = (
        "import logging, pkgutil, signal, importlib, c2d_runner, mockprovider\n"
        "before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}\n"
        "for pkg in (c2d_runner, mockprovider):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if 'worlds' not in m.name and 'pytest' not in m.name:\n"
        "            importlib.import_module(m.name)\n"
        "after = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}\n"
        "print(logging.getLogger('werkzeug').level, before == after)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "True"]  # werkzeug's level untouched (NOTSET), no handler installed


def test_the_fast_path_keeps_rapidyaml_errors_off_our_stderr(capfd):
    from c2d_runner.yamldoc.fastpath import FAST_PATH_MIN_BYTES, fast_yaml

    broken = b"a: [1, 2\nb: : :\n  - x\n c" + b"\n# padding" * (FAST_PATH_MIN_BYTES // 10)
    assert fast_yaml(broken) is None  # the exact loader will say what is wrong
    assert capfd.readouterr().err == ""


def test_the_embedded_mock_gets_no_node_request_budget():
    """The embedded mock has no rate limit: a node's 25-a-minute budget made a 12-job sweep take 3 minutes."""
    from c2d_runner.connect import EMBEDDED_MOCK_REQUESTS_PER_MINUTE, target_client_settings
    from c2d_runner.ocean.budget import DEFAULT_PER_MINUTE

    mock = target_client_settings(MockTarget(protocol="ocean-node"))
    assert mock == {"protocol": "ocean-node", "requests_per_minute": EMBEDDED_MOCK_REQUESTS_PER_MINUTE}
    assert EMBEDDED_MOCK_REQUESTS_PER_MINUTE > 1000 * DEFAULT_PER_MINUTE
    node = target_client_settings(RemoteTarget("http://node.example", "http://node.example", None, "ocean-node", None))
    assert node["requests_per_minute"] is None  # a real node: the default budget
