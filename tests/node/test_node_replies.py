"""Node error bodies, 429 waits, protocol detection and the request budget (no sockets)."""
from __future__ import annotations

import threading

import pytest

from c2d_runner.ocean.budget import RequestBudget
from c2d_runner.ocean.node.replies import error_text, explain, try_again_seconds
from c2d_runner.ocean.protocol import OCEAN_NODE, PROVIDER, UnknownService, check_protocol, detect_protocol


@pytest.mark.parametrize("body, expected", [
    ('"Invalid C2D Environment"', "Invalid C2D Environment"),  # start routes: JSON strings
    ('"nonce: 2 is not a valid nonce"', "nonce: 2 is not a valid nonce"),
    ("0x5CbD is not authorized to get results for job with id abc", "0x5CbD is not authorized to get results for job with id abc"),
    ("Internal Server Error", "Internal Server Error"),
    ('{"error": "bad token"}', "bad token"),  # auth routes
    ("<!DOCTYPE html><html><body><pre>Cannot POST /api/aquarius/assets/query</pre></body></html>",
     "Cannot POST /api/aquarius/assets/query"),
    ("", "Not Found"),
    ('[1, 2]', "[1, 2]"),
])
def test_error_text(body, expected):
    assert error_text(body, "Not Found") == expected


def test_explain_bare_500_on_status_and_stop():
    assert explain("computeStatus", 500, "Internal Server Error").startswith(
        "the node refused the status query (it answers a bare 500 when the job id")
    assert "refused the stop" in explain("computeStop", 500, "Internal Server Error")
    assert explain("computeResult", 500, "Internal Server Error") == "Internal Server Error"
    assert explain("freeCompute", 400, "Error: Not enough cpu resources. Requested 5, but max is 1") == \
        "Not enough cpu resources. Requested 5, but max is 1"


@pytest.mark.parametrize("text, seconds", [
    ("Rate limit exceeded. Try again in 43 seconds.", 43),
    ("try again in 1 second", 1),
    ("Try again in 2 minutes", 120),
    ("Rate limit exceeded", None),
    ("", None),
])
def test_try_again_seconds(text, seconds):
    assert try_again_seconds(text) == seconds


NODE_ROOT = {"nodeId": "16Uiu2HAm", "chainIds": ["8996"], "providerAddress": "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
             "nodePublicKey": {"0": 3}, "serviceEndpoints": {}, "software": "Ocean-Node", "version": "0.0.1"}
PROVIDER_ROOT = {"software": "Provider", "providerAddresses": {"8996": "0xabc"}, "chainIds": [8996],
                 "serviceEndpoints": {}, "version": "2.1.6"}


def test_detect_protocol():
    assert detect_protocol(NODE_ROOT) == OCEAN_NODE
    assert detect_protocol({k: v for k, v in NODE_ROOT.items() if k != "software"}) == OCEAN_NODE
    assert detect_protocol(PROVIDER_ROOT) == PROVIDER
    assert detect_protocol({"providerAddress": "0xabc"}) == PROVIDER  # a legacy provider
    with pytest.raises(UnknownService, match=r"^http://x is neither an Ocean Provider nor an Ocean Node: its root "
                                             r"document has no providerAddress\(es\) and software is 'nginx'$"):
        detect_protocol({"software": "nginx"}, "http://x")
    with pytest.raises(UnknownService, match="root answer is not a JSON object"):
        detect_protocol(["x"], "http://x")


def test_check_protocol():
    check_protocol(OCEAN_NODE, None, "u")
    check_protocol(OCEAN_NODE, OCEAN_NODE, "u")
    with pytest.raises(UnknownService, match="^http://n is an Ocean Node, but the spec says protocol: provider$"):
        check_protocol(OCEAN_NODE, PROVIDER, "http://n")


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_budget_sliding_window():
    clock = FakeClock()
    budget = RequestBudget(3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert budget.acquire() == 0
        clock.now += 1
    assert budget.used() == 3
    assert budget.acquire() == pytest.approx(57)  # the first slot frees 60 s after it was taken
    assert clock.now == pytest.approx(1060) and budget.waited == pytest.approx(57)


def test_budget_pause_holds_everyone():
    clock = FakeClock()
    budget = RequestBudget(10, clock=clock, sleep=clock.sleep)
    budget.pause(43)
    assert budget.acquire() == pytest.approx(43)
    budget.pause(-5)
    assert budget.acquire() == 0


def test_budget_never_exceeds_its_rate_across_threads():
    lock = threading.Lock()
    clock = FakeClock()

    def sleep(seconds):
        with lock:
            clock.now += seconds

    budget = RequestBudget(5, clock=clock, sleep=sleep)
    threads = [threading.Thread(target=budget.acquire) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps = sorted(budget._sent)
    assert all(sum(1 for s in stamps if t <= s < t + 60) <= 5 for t in stamps)


def test_budget_needs_a_positive_rate():
    with pytest.raises(ValueError, match="at least 1"):
        RequestBudget(0)
