"""Plan time, without sockets: which environment a job gets (free, cheapest, an id), and the
problems when none fits."""
from c2d_runner.engine.resolve import Resolver

from .fakes import CHAIN_ID, PROVIDER, FakeCompute, FakeWallet, env, job_plan


def resolve(environments, choice):
    compute = FakeCompute(environments=environments)
    ready, problems = Resolver(compute, FakeWallet(), CHAIN_ID).resolve(job_plan(environment=choice))
    return ready, problems, compute


def test_free_takes_the_first_environment_with_price_zero():
    ready, problems, compute = resolve([env("paid", 2), env("free-a"), env("free-b")], "free")
    assert problems == [] and ready.environment.id == "free-a"
    assert compute.called("environments") == [("environments", PROVIDER, CHAIN_ID)]


def test_no_free_environment_is_a_clear_problem_naming_the_others():
    ready, problems, _ = resolve([env("paid", 2), env("dear", 0.5)], "free")
    assert ready is None
    assert problems == [f"no free environment at {PROVIDER} (there are: paid (priceMin 2), dear (priceMin 0.5)); "
                        "use environment: cheapest or an id"]


def test_cheapest_takes_the_lowest_price_even_when_nothing_is_free():
    ready, problems, _ = resolve([env("c", 3), env("b", 1), env("a", 2)], "cheapest")
    assert problems == [] and ready.environment.id == "b"


def test_an_unreadable_price_is_never_the_cheapest():
    ready, _, _ = resolve([env("unknown", float("inf")), env("dear", 9)], "cheapest")
    assert ready.environment.id == "dear"


def test_a_named_environment_is_taken_whatever_its_price():
    ready, problems, _ = resolve([env("free"), env("gpu", 4, max_job_duration=60)], "gpu")
    assert problems == [] and ready.environment.id == "gpu" and ready.environment.max_job_duration == 60


def test_an_unknown_environment_id_lists_the_known_ones():
    ready, problems, _ = resolve([env("free"), env("gpu", 4)], "tpu")
    assert ready is None and problems == [f"environment 'tpu' not found at {PROVIDER} (there are: free, gpu)"]


def test_a_provider_without_environments_for_the_chain_is_a_problem():
    ready, problems, _ = resolve([], "free")
    assert ready is None and problems == [f"provider {PROVIDER} offers no compute environment for chain {CHAIN_ID}"]


def test_environments_are_asked_once_per_provider_for_all_jobs():
    compute = FakeCompute(environments=[env("free")])
    resolver = Resolver(compute, FakeWallet(), CHAIN_ID)
    for name in ("a", "b", "c"):
        ready, problems = resolver.resolve(job_plan(name))
        assert problems == [] and ready.plan.name == name
    assert len(compute.called("environments")) == 1
