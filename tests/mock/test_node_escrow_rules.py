"""The node's claim rules as pure functions (mockprovider/node/escrow.py): how long a job is billed
for, and what that costs."""
from __future__ import annotations

from decimal import Decimal

import pytest

from mockprovider.node.escrow import claimed_seconds, job_cost


@pytest.mark.parametrize("details, seconds", [
    ({"algoStartTimestamp": "1000.5", "algoStopTimestamp": "1130.5"}, 130),  # what ran
    ({"algoStartTimestamp": "1000", "algoStopTimestamp": "1010"}, 60),  # at least minJobDuration
    ({"algoStartTimestamp": "1000", "algoStopTimestamp": "9000"}, 300),  # at most maxJobDuration
    ({"algoStartTimestamp": "1000"}, 300),  # no stop: |0 - start|, capped, as the node computes it
    ({}, 60),  # never ran: 0, raised to the minimum
])
def test_the_billed_duration_is_what_ran_between_the_limits(details, seconds):
    assert claimed_seconds(details, max_job_duration=300, min_job_duration=60) == seconds


def test_the_cost_is_price_times_amount_per_started_minute():
    prices = {"cpu": Decimal("0.5"), "ram": Decimal(0), "disk": Decimal(0)}
    resources = [{"id": "cpu", "amount": 2}, {"id": "ram", "amount": 4}, {"id": "gpu", "amount": 1}]
    assert job_cost(prices, resources, 61) == Decimal(2)  # 0.5 x 2 cpu x 2 minutes; ram free; gpu unpriced
    assert job_cost(prices, resources, 0) == Decimal(0)
