"""The run's order book (engine/orderbook.py): keys, expiry, lending, and jobs waiting on one another; no sockets."""
import threading

from c2d_runner.engine.orderbook import MARGIN, OrderBook, OrderKey, paid_orders, refuses_order, usable_until

KEY = OrderKey.of("http://p/", "0xABC", "did:op:1", "compute", "env")


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_keys_ignore_a_trailing_slash_and_address_case():
    assert OrderKey.of("http://p", "0xabc", "did:op:1", "compute", "env") == KEY
    assert OrderKey.of("http://p", "0xabc", "did:op:1", "compute", "other-env") != KEY
    assert OrderKey.of("http://q", "0xabc", "did:op:1", "compute", "env") != KEY


def test_an_order_ends_at_its_fee_or_its_service_timeout_whichever_comes_first():
    assert usable_until(100, 0, 5000) == 5000
    assert usable_until(100, 600, 5000) == 700
    assert usable_until(100, 0, None) == float("inf")


def test_an_entry_is_not_handed_out_within_the_margin_of_its_end():
    clock = Clock()
    book = OrderBook(clock)
    book.record(KEY, "0xa", clock.now + MARGIN + 10)
    assert book.usable(KEY) == "0xa"
    clock.now += 11
    assert book.usable(KEY) is None
    assert book.usable(OrderKey.of("http://p", "0xabc", "did:op:2", "compute", "env")) is None


def test_the_newest_entry_is_used_and_a_dropped_one_never_again():
    clock = Clock()
    book = OrderBook(clock)
    book.record(KEY, "0xa", 9000)
    book.record(KEY, "0xb", 9000)
    assert book.usable(KEY) == "0xb"
    book.drop(KEY, "0xb")
    assert book.usable(KEY) == "0xa"
    book.record(KEY, "0xa", 2000)  # a shorter end learnt later does not shorten what is known
    assert book.until(KEY, "0xa") == 9000


def test_a_lent_order_is_skipped_as_an_agreement_id_until_given_back():
    book = OrderBook(Clock())
    book.record(KEY, "0xa", 9000)
    book.lend("0xa")
    assert book.usable(KEY, lent_ok=False) is None
    assert book.usable(KEY) == "0xa"  # as an additional dataset or algorithm it may still be used
    book.lend("0xa")
    book.give_back("0xa")
    assert book.usable(KEY, lent_ok=False) is None
    book.give_back("0xa")
    assert book.usable(KEY, lent_ok=False) == "0xa"


def test_jobs_with_the_same_key_wait_for_the_one_ordering_it():
    """Four jobs at once, one order: the first holds the key while it orders, the others find its order."""
    book = OrderBook(Clock())
    ordered, used = [], []
    inside = threading.Event()
    go = threading.Event()

    def job():
        with book.holding([KEY]):
            tx = book.usable(KEY)
            if tx is None:
                inside.set()
                go.wait(5)  # the others are queued on the key meanwhile
                tx = f"0x{len(ordered)}"
                ordered.append(tx)
                book.record(KEY, tx, 9000)
            used.append(tx)

    threads = [threading.Thread(target=job) for _ in range(4)]
    threads[0].start()
    assert inside.wait(5)
    for t in threads[1:]:
        t.start()
    go.set()
    for t in threads:
        t.join(5)
    assert ordered == ["0x0"] and used == ["0x0"] * 4


def test_keys_are_held_in_one_order_so_two_jobs_cannot_deadlock():
    book = OrderBook(Clock())
    other = OrderKey.of("http://p", "0xabc", "did:op:2", "compute", "env")
    done = []

    def job(keys):
        for _ in range(200):
            with book.holding(keys):
                pass
        done.append(keys)

    threads = [threading.Thread(target=job, args=([KEY, other],)), threading.Thread(target=job, args=([other, KEY],))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(done) == 2


def test_what_refuses_an_order():
    assert refuses_order(400, "{'error': {'order': 'order_invalid'}}")
    assert refuses_order(400, "`agreementId` already in use for other job.")
    assert refuses_order(400, "{'dataset': 'fees_not_paid'}")
    assert not refuses_order(400, "{'dataset': 'not_trusted_algo'}")
    assert not refuses_order(429, "order_invalid") and not refuses_order(503, "order_invalid")
    assert not refuses_order(None, "order_invalid")


def test_a_resumed_run_finds_the_orders_its_journal_says_were_paid():
    events = [{"event": "starting", "job": "a"},
              {"event": "paid", "job": "a", "input": "dataset", "did": "did:op:1", "service": "compute",
               "tx": "0xa", "provider": "http://p/", "environment": "env", "valid_until": 5000},
              {"event": "paid", "job": "a", "input": "algorithm", "did": "did:op:2", "service": "compute",
               "tx": "0xb"}]  # an older journal's event, without where and until when: not offered
    assert paid_orders(events, "0xABC") == [(KEY, "0xa", 5000.0)]


def test_a_plan_counts_a_shared_order_once_and_the_dataset_once_per_running_job():
    from c2d_runner.engine.costs import shared_costs

    from .fakes import job_plan, resolved

    jobs = [resolved(job_plan(f"j{n}")) for n in range(4)]
    fee = "0x" + "0f" * 20
    cost = {"orders": [{"input": "dataset", "did": jobs[0].dataset.did, "datatoken": "0xdt", "how": "startOrder",
                        "fee_token": fee, "fee_amount": "5"}],
            "transactions": 2, "totals": {"0xdt": str(10**18), fee: "5"}}
    out = shared_costs(jobs, [cost] * 4, running=2)
    assert [c["orders"][0]["how"] for c in out] == ["startOrder", "startOrder", "shared", "shared"]
    assert out[3]["totals"] == {"0xdt": "0", fee: "0"} and out[0]["totals"] == cost["totals"]
