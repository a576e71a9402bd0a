"""The c2d_mock fixtures, used from a test file of a scaffolded project run in a pytest subprocess:
what the fixture holds, markers for world and faults, overriding a settings fixture, state
isolated per test, a shared session mock, and a clean shutdown."""
from __future__ import annotations

import pytest

from tests.plugin.conftest import write

# Hardhat dev account #0: the address of wire.TEST_CONSUMER_KEY.
TEST_CONSUMER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

CONFTEST = """\
import pytest

@pytest.fixture(scope="session")
def c2d_default_world():
    return None  # the bundled world, whatever pytest.ini says: settings are fixtures
"""

TESTS = f"""\
import pytest
import requests
from pathlib import Path

SPEC = Path(__file__).parent.parent / "specs" / "summary.c2d.yaml"
PROJECT_WORLD = pytest.mark.c2d_world("../mock/world.yaml")  # relative to this file
seen = {{}}


def test_overridden_default_world(c2d_mock):
    assert "iris" in c2d_mock.assets and c2d_mock.chain_id == 8996


@PROJECT_WORLD
def test_marker_world_consumer_client_and_fresh_state(c2d_mock):
    assert c2d_mock.url.startswith("http://127.0.0.1:")
    assert set(c2d_mock.assets) == {{"weather", "summary"}}
    assert c2d_mock.did("weather").startswith("did:op:")
    assert c2d_mock.consumer.address == "{TEST_CONSUMER}"
    envs = c2d_mock.compute.get_c2d_environments(c2d_mock.url, c2d_mock.chain_id)
    assert [e.id for e in envs] == ["free"]
    assert c2d_mock.compute.jobs(c2d_mock.url, c2d_mock.consumer) == ()
    assert c2d_mock.run(SPEC, only=["temperature"]).ok
    assert len(c2d_mock.compute.jobs(c2d_mock.url, c2d_mock.consumer)) == 1
    seen["url"] = c2d_mock.url


@PROJECT_WORLD
def test_next_test_gets_a_new_mock_and_the_old_one_is_stopped(c2d_mock):
    assert c2d_mock.url != seen["url"]
    assert c2d_mock.compute.jobs(c2d_mock.url, c2d_mock.consumer) == ()
    with pytest.raises(requests.ConnectionError):
        requests.get(seen["url"], timeout=2)


@PROJECT_WORLD
@pytest.mark.c2d_faults("failing", seed=3)
def test_faults_marker(c2d_mock, c2d_faults, c2d_seed):
    assert (c2d_faults, c2d_seed) == ("failing", 3)
    job = c2d_mock.run(SPEC, only=["temperature"]).jobs[0]
    assert job.status in (31, 32) and job.outcome == "failed"


def test_session_mock_is_shared(c2d_mock_session, c2d_mock):
    assert c2d_mock_session.url != c2d_mock.url
    seen["session"] = c2d_mock_session


def test_session_mock_is_the_same_object(c2d_mock_session):
    assert c2d_mock_session is seen["session"] and c2d_mock_session.ocean.is_running()
"""


def test_c2d_mock_fixtures(project: pytest.Pytester):
    write(project, "tests/conftest.py", CONFTEST)
    write(project, "tests/test_fixtures.py", TESTS)
    result = project.runpytest_subprocess("tests/test_fixtures.py", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=6)


def test_a_broken_world_fails_the_test_with_its_diagnostics(project: pytest.Pytester):
    write(project, "mock/broken.yaml", "version: 1\nchain_id: 8996\ndatasets: []\nalgorithms: []\nenvironments: []\n")
    write(project, "tests/test_broken.py", """\
        import pytest

        @pytest.mark.c2d_world("../mock/broken.yaml")
        def test_it(c2d_mock):
            pass
        """)
    result = project.runpytest_subprocess("tests/test_broken.py", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.yaml:5:*environments*"])
    assert "mockprovider/" not in result.stdout.str()  # the user's mistake, not the mock's insides
