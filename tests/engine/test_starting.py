"""engine/starting.py: a start sent at most once per job, whatever the link loses (no sockets)."""
import pytest

from c2d_runner.engine.starting import StartPolicy, StartUnknown, start_once
from c2d_runner.ocean.errors import ProviderError

POLICY = StartPolicy(sends=4, reconcile_seconds=10, backoff=1, backoff_max=4)


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def lost():
    return ProviderError("cannot connect: Remote end closed connection", uncertain=True)


def script(*steps):
    """A callable that plays `steps` in order: exceptions are raised, values returned."""
    calls = iter(steps)

    def play():
        step = next(calls)
        if isinstance(step, Exception):
            raise step
        return step
    play.calls = calls
    return play


def run(send, lookup, clock=None):
    clock = clock or Clock()
    return start_once(send, lookup, policy=POLICY, sleep=clock.sleep, clock=lambda: clock.now), clock


def test_a_503_or_429_is_not_a_start_and_is_sent_again():
    job, clock = run(script(ProviderError("busy", status=503), ProviderError("slow", status=429), "job-1"),
                     script())  # never listed: nothing can have started
    assert job == "job-1" and clock.sleeps == [1, 2]


def test_a_lost_answer_is_found_by_listing_and_never_sent_again():
    send = script(lost(), AssertionError("sent twice"))
    job, _ = run(send, script(ProviderError("down", status=502), "job-7"))
    assert job == "job-7"


def test_a_lost_answer_of_a_start_that_did_not_happen_is_sent_again():
    job, _ = run(script(ProviderError("bad gateway", status=502), "job-2"), script(None))
    assert job == "job-2"


def test_a_refusal_is_final():
    with pytest.raises(ProviderError, match="order_invalid"):
        run(script(ProviderError("dataset: order_invalid", status=400)), script())


def test_when_the_provider_cannot_be_asked_the_job_is_unknown_possibly_running():
    down = ProviderError("cannot connect: Connection refused")
    with pytest.raises(StartUnknown, match=r"unknown, possibly running; `c2d run --resume`") as info:
        run(script(lost(), AssertionError("sent twice")), script(down, down, down, down, down))
    assert info.value.exit_code == 3 and "for 10 s" in str(info.value)


def test_sends_are_bounded():
    busy = ProviderError("busy", status=503)
    with pytest.raises(ProviderError, match="busy"):
        run(script(busy, busy, busy, busy, AssertionError("a fifth send")), script())
