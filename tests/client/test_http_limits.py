"""HttpClient against a service that accepts connections and never answers, and hostile Retry-After values."""
from __future__ import annotations

import socket
import threading

import pytest

from c2d_runner.ocean import OceanCompute
from c2d_runner.ocean.errors import ProviderError
from c2d_runner.ocean.http import parse_retry_after


@pytest.fixture
def silent_service():
    """A TCP listener that accepts every connection, reads, and never answers; yields (url, accepted)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_silent_service_fails_after_two_read_timeouts_not_after_every_retry(silent_service):
    url, accepted = silent_service
    config = {"METADATA_CACHE_URI": url, "REQUEST_TIMEOUT": 0.2, "RETRIES": 8, "RETRY_BACKOFF": 0.01}
    with OceanCompute(config) as compute:
        with pytest.raises(ProviderError, match=r"accepts connections but answers nothing \(requests time out "
                                                r"after 0.2 s\)") as info:
            compute.get_c2d_environments(url, 8996)
        assert info.value.status is None and info.value.exit_code == 3
        assert len(accepted) == 2  # two read timeouts, then no more requests
        # Every later call to that service fails at once, without sending anything.
        with pytest.raises(ProviderError, match="accepts connections but answers nothing"):
            compute.get_c2d_environments(url, 8996)
        assert len(accepted) == 2


@pytest.mark.parametrize("value", ["1e1000000", "nan", "inf", "-1e400", "9" * 5000])
def test_hostile_retry_after_values_are_ignored(value):
    assert parse_retry_after(value) is None


def test_ordinary_retry_after_values_still_parse():
    assert parse_retry_after("7") == 7.0 and parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0


def test_hostile_numbers_in_a_providers_job_are_unknown_not_a_crash():
    from c2d_runner.ocean.messages import coerce_number, parse_job_status

    job = parse_job_status({"jobId": "j", "status": "9" * 5000, "dateCreated": "1e400", "dateFinished": "nan",
                            "stopreq": 1e308, "results": [{"filename": "a", "filesize": "1e1000000"}]})
    assert job.status is None and not job.terminal
    assert (job.date_created, job.date_finished, job.stop_requested) == (None, None, 0)
    assert job.results[0].size is None
    assert coerce_number("60") == 60 and coerce_number("0.5") == 0.5 and coerce_number("1e1000000") == "1e1000000"
