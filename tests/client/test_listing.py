"""JobListing: waiting jobs share one status listing per poll round (pure, threads only)."""
from __future__ import annotations

import threading

import pytest

from c2d_runner.ocean.listing import JobListing
from c2d_runner.ocean.records import JobStatus


def test_a_listing_newer_than_the_last_seen_is_shared_without_a_fetch():
    fetches = []
    listing = JobListing(lambda: fetches.append(1) or [JobStatus("a", 40), JobStatus("b", 70)])
    a_mark, b_mark = listing.mark(), listing.mark()
    job, seen_a = listing.status("a", a_mark)
    assert (job.status, len(fetches)) == (40, 1)
    job, seen_b = listing.status("b", b_mark)  # fetched after b's mark: shared
    assert (job.status, len(fetches), seen_b) == (70, 1, seen_a)
    listing.status("a", seen_a)  # a wants a newer one than it saw: fetched
    assert len(fetches) == 2


def test_a_listing_fetched_before_a_job_was_started_does_not_count():
    fetches = []
    listing = JobListing(lambda: fetches.append(1) or [JobStatus("a", 40)])
    listing.status("a", listing.mark())
    late = listing.mark()  # a job started after that listing
    assert listing.status("b", late)[0] is None and len(fetches) == 2


def test_concurrent_waiters_wait_for_the_fetch_under_way():
    gate, entered = threading.Event(), threading.Event()
    fetches = []

    def fetch():
        fetches.append(1)
        entered.set()
        gate.wait(10)
        return [JobStatus(name, 40) for name in "abcd"]

    listing = JobListing(fetch)
    marks = {name: listing.mark() for name in "abcd"}
    got = {}
    first = threading.Thread(target=lambda: got.__setitem__("a", listing.status("a", marks["a"])[0]))
    first.start()
    entered.wait(10)
    others = [threading.Thread(target=lambda n=n: got.__setitem__(n, listing.status(n, marks[n])[0])) for n in "bcd"]
    for t in others:
        t.start()
    gate.set()
    for t in [first, *others]:
        t.join(10)
    assert len(fetches) == 1 and {n: j.status for n, j in got.items()} == dict.fromkeys("abcd", 40)


def test_a_failed_fetch_reaches_its_waiter_and_the_next_round_fetches_again():
    answers = [RuntimeError("provider down"), [JobStatus("a", 70)]]

    def fetch():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    listing = JobListing(fetch)
    mark = listing.mark()
    with pytest.raises(RuntimeError, match="provider down"):
        listing.status("a", mark)
    assert listing.status("a", mark)[0].status == 70


def test_wait_asks_for_the_consumers_listing_not_for_each_job(httpserver, oc, provider_url, wallet):
    from .conftest import root_document, sent
    from .test_provider import job

    httpserver.expect_request("/").respond_with_json(root_document())
    httpserver.expect_request("/api/services/compute", method="GET").respond_with_json(
        [job(70, [], "job-1"), job(40, [], "job-2")])
    assert oc.wait("did:op:" + "a" * 64, provider_url, "job-1", wallet).status == 70
    [listed] = [r.args for r in sent(httpserver, "/api/services/compute", "GET")]
    assert dict(listed) == {"consumerAddress": wallet.address}
