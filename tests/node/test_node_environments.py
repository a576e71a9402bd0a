"""Node environments: parsing, the free block, the resource rule and the fee rule."""
from __future__ import annotations

import pytest

from c2d_runner.ocean.node.environments import (
    EnvironmentChoiceError,
    choose_environment,
    cost,
    fill_resources,
    job_duration,
    parse_node_environments,
)

# The reference's realistic example (ocean-node-api.md §3).
PAID_AND_FREE = {
    "id": "0xff10-0x92f1",
    "runningJobs": 0, "runningfreeJobs": 0,
    "consumerAddress": "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
    "platform": {"architecture": "x86_64", "os": "linux"},
    "access": {"addresses": [], "accessLists": None},
    "fees": {"8453": [{"feeToken": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
                       "prices": [{"id": "cpu", "price": 0.0001}, {"id": "ram", "price": 0.0001},
                                  {"id": "disk", "price": 0.00001}]}]},
    "resources": [
        {"id": "cpu", "type": "cpu", "total": 8, "max": 8, "min": 1, "description": "AMD EPYC 7B13", "inUse": 0},
        {"id": "ram", "type": "ram", "total": 31, "max": 31, "min": 1, "inUse": 0},
        {"id": "disk", "type": "disk", "total": 100, "max": 100, "min": 0, "inUse": 0}],
    "enableNetwork": False, "storageExpiry": 604800, "minJobDuration": 60, "maxJobDuration": 3600,
    "free": {"access": {"addresses": ["0xabc"], "accessLists": None},
             "minJobDuration": 60, "maxJobDuration": 600, "maxJobs": 3, "allowImageBuild": False,
             "resources": [{"id": "cpu", "max": 1, "inUse": 0}, {"id": "ram", "max": 1, "inUse": 0},
                           {"id": "disk", "max": 1, "inUse": 0}]},
}
PAID_ONLY = {**PAID_AND_FREE, "id": "0xff10-0xpaid", "free": None,
             "fees": {"8453": [{"feeToken": "0xA", "prices": [{"id": "cpu", "price": 0.001}]}],
                      "1": [{"feeToken": "0xB", "prices": [{"id": "cpu", "price": "0.0005"}]}]}}
FREE_ONLY = {**PAID_AND_FREE, "id": "0xff10-0xfree", "fees": None}


def test_parse_fields():
    env, = parse_node_environments([PAID_AND_FREE])
    assert env.id == "0xff10-0x92f1" and env.consumer_address.startswith("0x19E7")
    assert env.max_job_duration == 3600 and env.min_job_duration == 60 and env.storage_expiry == 604800
    assert env.architecture == "x86_64" and not env.enable_network and env.running_free_jobs == 0
    assert env.resource("ram").total == 31 and env.resource("cpu").min == 1
    assert env.free.max_job_duration == 600 and env.free.max_jobs == 3 and env.free.resource("cpu").max == 1
    assert env.free.access_addresses == ("0xabc",) and not env.free.allow_image_build
    price, = env.fees
    assert price.chain_id == 8453 and price.prices == {"cpu": 0.0001, "ram": 0.0001, "disk": 0.00001}
    assert env.raw["platform"]["os"] == "linux"


def test_parse_odd_shapes():
    assert parse_node_environments([]) == ()
    env, = parse_node_environments([{"id": "e", "fees": None, "resources": None}, "junk"])
    assert env.free is None and env.fees == () and env.resources == ()
    with pytest.raises(ValueError, match="not a list"):
        parse_node_environments({"8996": []})


def test_fill_resources_takes_min_for_missing_and_free_max():
    env, = parse_node_environments([PAID_AND_FREE])
    assert fill_resources(env, None, free=True) == (("cpu", 1), ("ram", 1), ("disk", 0))
    assert fill_resources(env, {"ram": 4}, free=False) == (("cpu", 1), ("ram", 4), ("disk", 0))
    with pytest.raises(EnvironmentChoiceError, match=r"^Not enough cpu resources. Requested 5, but max is 1 \(free limit\)$"):
        fill_resources(env, {"cpu": 5}, free=True)
    with pytest.raises(EnvironmentChoiceError, match="Requested 64, but max is 31$"):
        fill_resources(env, {"ram": 64}, free=False)
    with pytest.raises(EnvironmentChoiceError, match="has no resource gpu0 .it has cpu, ram, disk"):
        fill_resources(env, {"gpu0": 1}, free=False)


def test_job_duration_is_capped_at_the_maximum():
    env, = parse_node_environments([PAID_AND_FREE])
    assert job_duration(env, None, free=True) == 600
    assert job_duration(env, 900, free=True) == 600 and job_duration(env, 900, free=False) == 900
    assert job_duration(env, 120, free=True) == 120


def test_fee_rule():
    env, = parse_node_environments([PAID_AND_FREE])
    price, = env.fees
    # 1 cpu + 2 GB ram + 10 GB disk for 61 s: ceil -> 2 minutes
    assert cost(price, [("cpu", 1), ("ram", 2), ("disk", 10)], 61) == pytest.approx((0.0001 + 0.0002 + 0.0001) * 2)
    # below minJobDuration the minimum is billed
    assert cost(price, [("cpu", 1)], 5, min_job_duration=60) == pytest.approx(0.0001)


def test_choose_free_first_fitting():
    envs = parse_node_environments([PAID_ONLY, PAID_AND_FREE])
    choice = choose_environment(envs, "free", None, 300)
    assert choice.env.id == "0xff10-0x92f1" and choice.free and choice.duration == 300 and choice.cost == 0


def test_choose_free_errors():
    with pytest.raises(EnvironmentChoiceError, match="^http://n has no free compute environment$"):
        choose_environment(parse_node_environments([PAID_ONLY]), "free", None, None, node="http://n")
    with pytest.raises(EnvironmentChoiceError, match="no environment of the node fits the job: .*max is 1"):
        choose_environment(parse_node_environments([PAID_AND_FREE]), "free", {"cpu": 2}, None)
    with pytest.raises(EnvironmentChoiceError, match="offers no compute environment"):
        choose_environment((), "free", None, None)


def test_choose_cheapest_prices_with_the_fee_rule():
    envs = parse_node_environments([PAID_ONLY])
    choice = choose_environment(envs, "cheapest", {"cpu": 2}, 120)
    assert not choice.free and choice.price.fee_token == "0xB" and choice.cost == pytest.approx(0.0005 * 2 * 2)
    # a fitting free block costs nothing
    both = parse_node_environments([PAID_ONLY, PAID_AND_FREE])
    assert choose_environment(both, "cheapest", None, 120).free
    # a request above the free limit falls back to the paid price
    big = choose_environment(both, "cheapest", {"cpu": 2}, 120)
    assert not big.free and big.env.id == "0xff10-0x92f1" and big.cost == pytest.approx(0.0001 * 2 * 2 + 0.0001 * 2)


def test_choose_by_id():
    envs = parse_node_environments([PAID_ONLY, FREE_ONLY])
    assert choose_environment(envs, "0xff10-0xfree", None, None).free
    assert not choose_environment(envs, "0xff10-0xpaid", None, 60).free
    with pytest.raises(EnvironmentChoiceError, match="has no environment nope; it has 0xff10-0xpaid, 0xff10-0xfree"):
        choose_environment(envs, "nope", None, None)


def test_choose_by_id_prefers_the_free_block_when_it_fits():
    envs = parse_node_environments([PAID_AND_FREE])
    assert choose_environment(envs, "0xff10-0x92f1", None, None).free
    assert not choose_environment(envs, "0xff10-0x92f1", {"cpu": 4}, 60).free
    with pytest.raises(EnvironmentChoiceError, match="^Not enough cpu resources. Requested 3, but max is 1"):
        choose_environment(parse_node_environments([FREE_ONLY]), "0xff10-0xfree", {"cpu": 3}, None)


def test_hostile_numbers_in_an_environment_are_unknown():
    env, = parse_node_environments([{"id": "e", "maxJobDuration": "1e1000000", "maxJobs": "9" * 5000,
                                     "resources": [{"id": "cpu", "total": "inf", "max": 1e308, "min": "nan"}]}])
    assert env.max_job_duration is None and env.max_jobs is None
    assert (env.resources[0].total, env.resources[0].max, env.resources[0].min) == (None, None, None)


def test_a_consumer_paying_on_one_chain_gets_that_chains_price():
    envs = parse_node_environments([PAID_ONLY])
    on_base = choose_environment(envs, "0xff10-0xpaid", {"cpu": 2}, 120, chain_id=8453)
    assert (on_base.price.chain_id, on_base.price.fee_token) == (8453, "0xA")  # not the cheaper chain 1
    with pytest.raises(EnvironmentChoiceError, match="environment 0xff10-0xpaid takes payment on chain 1, 8453, "
                                                     "not on chain 5 where the consumer pays"):
        choose_environment(envs, "0xff10-0xpaid", None, 120, chain_id=5)
