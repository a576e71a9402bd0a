"""A node's compute environments: parsing, the free block, the resource rule and the fee rule.

Shapes from ocean-node src/@types/C2D/C2D.ts (ComputeEnvironment); ram and disk are in GB, cpu in
cores; `fees` is `{chainId: [{feeToken, prices: [{id, price}]}]}` or null for a free-only
environment; price = token units per resource unit per minute (compute_engine_base.ts).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from c2d_runner.ocean.errors import OceanError
# A node's resources and prices are the records the engine reads (ocean/records.py), under the node's names.
from c2d_runner.ocean.records import Fee as NodePrice
from c2d_runner.ocean.records import Resource as NodeResource
from c2d_runner.wire import bounded_number


class EnvironmentChoiceError(OceanError, ValueError):
    """No environment fits what the job asks for (none free, unknown id, resources above the maxima)."""


@dataclass(frozen=True)
class FreeTier:
    """An environment's `free` block: what a free job may use."""

    max_job_duration: float | None = None
    min_job_duration: float | None = None
    max_jobs: int | None = None
    resources: tuple[NodeResource, ...] = ()
    access_addresses: tuple[str, ...] = ()
    access_lists: Any = None
    allow_image_build: bool = False

    def resource(self, rid: str) -> NodeResource | None:
        """The free limit for resource `rid`, if the block names it."""
        return next((r for r in self.resources if r.id == rid), None)


@dataclass(frozen=True)
class NodeEnvironment:
    """One compute environment as a node announces it."""

    id: str
    consumer_address: str = ""
    resources: tuple[NodeResource, ...] = ()
    fees: tuple[NodePrice, ...] = ()
    free: FreeTier | None = None
    max_job_duration: float | None = None
    min_job_duration: float | None = None
    max_jobs: int | None = None
    storage_expiry: float | None = None
    enable_network: bool = False
    description: str = ""
    architecture: str = ""
    running_jobs: int | None = None
    running_free_jobs: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def resource(self, rid: str) -> NodeResource | None:
        """The environment's resource `rid`, if it has one."""
        return next((r for r in self.resources if r.id == rid), None)


def parse_node_environments(body: Any) -> tuple[NodeEnvironment, ...]:
    """The computeEnvironments answer (a JSON array, possibly empty); ValueError for any other shape."""
    if not isinstance(body, list):
        raise ValueError(f"computeEnvironments answer is not a list: {str(body)[:200]!r}")
    return tuple(parse_node_environment(item) for item in body if isinstance(item, Mapping))


def parse_node_environment(item: Mapping[str, Any]) -> NodeEnvironment:
    """One environment object."""
    free = item.get("free")
    platform = item.get("platform") if isinstance(item.get("platform"), Mapping) else {}
    return NodeEnvironment(
        id=str(item.get("id") or ""),
        consumer_address=str(item.get("consumerAddress") or ""),
        resources=_resources(item.get("resources")),
        fees=_fees(item.get("fees")),
        free=_free(free) if isinstance(free, Mapping) else None,
        max_job_duration=_num(item.get("maxJobDuration")),
        min_job_duration=_num(item.get("minJobDuration")),
        max_jobs=_whole(item.get("maxJobs")),
        storage_expiry=_num(item.get("storageExpiry")),
        enable_network=item.get("enableNetwork") is True,
        description=str(item.get("description") or ""),
        architecture=str(platform.get("architecture") or ""),
        running_jobs=_whole(item.get("runningJobs")),
        running_free_jobs=_whole(item.get("runningfreeJobs")),
        raw=dict(item),
    )


def fill_resources(env: NodeEnvironment, requested: Mapping[str, float] | None, free: bool
                   ) -> tuple[tuple[str, float], ...]:
    """The resources a job gets, the node's way (checkAndFillMissingResources).

    Each environment resource the request leaves out gets its `min` (for a free job the free
    block's min, else the environment's); a request above the maximum (the free block's for a free
    job) or for a resource the environment lacks raises EnvironmentChoiceError in the node's words.
    """
    requested = dict(requested or {})
    unknown = sorted(set(requested) - {r.id for r in env.resources})
    if unknown:
        have = ", ".join(r.id for r in env.resources) or "none"
        raise EnvironmentChoiceError(f"environment {env.id} has no resource {', '.join(unknown)} (it has {have})")
    out = []
    for res in env.resources:
        limit = env.free.resource(res.id) if free and env.free else None
        low = (limit.min if limit and limit.min is not None else res.min) or 0
        high = limit.max if limit and limit.max is not None else res.max
        amount = requested.get(res.id, low)
        if high is not None and amount > high:
            raise EnvironmentChoiceError(
                f"Not enough {res.id} resources. Requested {_fmt(amount)}, but max is {_fmt(high)}"
                + (" (free limit)" if limit is not None and limit.max is not None else ""))
        if amount < low:
            raise EnvironmentChoiceError(
                f"Not enough {res.id} resources. Requested {_fmt(amount)}, but min is {_fmt(low)}")
        out.append((res.id, amount))
    return tuple(out)


def job_duration(env: NodeEnvironment, requested: float | None, free: bool) -> float | None:
    """The maxJobDuration a job gets: the request capped at the (free) maximum, or that maximum."""
    cap = env.free.max_job_duration if free and env.free and env.free.max_job_duration else env.max_job_duration
    if requested is None:
        return cap
    return min(requested, cap) if cap else requested


def cost(price: NodePrice, resources: Iterable[tuple[str, float]], duration: float,
         min_job_duration: float | None = None) -> float:
    """Σ price·amount·ceil(minutes), with the duration raised to the environment's minimum."""
    seconds = max(duration, min_job_duration or 0)
    minutes = math.ceil(seconds / 60)
    return sum(price.prices.get(rid, 0.0) * amount * minutes for rid, amount in resources)


@dataclass(frozen=True)
class Choice:
    """An environment picked for a job, with what the job gets there and what it would cost."""

    env: NodeEnvironment
    free: bool
    resources: tuple[tuple[str, float], ...]
    duration: float | None
    price: NodePrice | None = None  # the cheapest chain/token, for a paid environment
    cost: float = 0.0


def choose_environment(envs: Iterable[NodeEnvironment], selector: str, requested: Mapping[str, float] | None,
                       duration: float | None, node: str = "the node", chain_id: int | None = None) -> Choice:
    """Pick an environment: "free" (first with a free block that fits), "cheapest", or an id
    (free when its free block fits, else paid).

    "cheapest" prices the requested resources and duration with each paid environment's fees (the
    node's rule) and counts a fitting free block as 0; ties keep the node's order. With `chain_id`
    (the chain the consumer pays on) only the fees on that chain count.
    """
    envs = tuple(envs)
    if not envs:
        raise EnvironmentChoiceError(f"{node} offers no compute environment")
    if selector not in ("free", "cheapest"):
        env = next((e for e in envs if e.id == selector), None)
        if env is None:
            raise EnvironmentChoiceError(
                f"{node} has no environment {selector}; it has {', '.join(e.id for e in envs)}")
        envs = (env,)
    problems: list[str] = []
    choices: list[Choice] = []
    for env in envs:
        # A named environment runs free when its free block fits, else paid.
        kinds = ([True] if env.free is not None else []) + ([False] if selector != "free" and env.fees else [])
        for free in kinds:
            try:
                choices.append(_priced(env, free, requested, duration, chain_id))
            except EnvironmentChoiceError as exc:
                problems.append(f"{env.id}: {exc}")
            if choices and selector != "cheapest":
                return choices[0]
    if not choices:
        if len(problems) == 1 and selector not in ("free", "cheapest"):
            raise EnvironmentChoiceError(problems[0].split(": ", 1)[1])
        if selector == "free" and not any(e.free is not None for e in envs):
            raise EnvironmentChoiceError(f"{node} has no free compute environment")
        detail = "; ".join(problems) or "no environment has fees or a free block"
        raise EnvironmentChoiceError(f"no environment of {node} fits the job: {detail}")
    return min(choices, key=lambda c: c.cost)


def _priced(env: NodeEnvironment, free: bool, requested, duration, chain_id: int | None = None) -> Choice:
    resources = fill_resources(env, requested, free)
    granted = job_duration(env, duration, free)
    if free:
        return Choice(env, True, resources, granted)
    if not env.fees:
        raise EnvironmentChoiceError(f"environment {env.id} has neither fees nor a free block")
    fees = [p for p in env.fees if chain_id is None or p.chain_id == chain_id]
    if not fees:
        chains = ", ".join(sorted({str(p.chain_id) for p in env.fees}))
        raise EnvironmentChoiceError(f"environment {env.id} takes payment on chain {chains}, not on chain {chain_id} "
                                     "where the consumer pays")
    minutes_of = granted if granted is not None else 0.0
    priced = [(cost(p, resources, minutes_of, env.min_job_duration), p) for p in fees]
    best_cost, best = min(priced, key=lambda pair: pair[0])
    return Choice(env, False, resources, granted, best, best_cost)


def _resources(items: Any) -> tuple[NodeResource, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        NodeResource(id=str(r.get("id")), type=str(r.get("type") or ""), total=_num(r.get("total")),
                     max=_num(r.get("max")), min=_num(r.get("min")), in_use=_num(r.get("inUse")))
        for r in items if isinstance(r, Mapping) and r.get("id") is not None
    )


def _fees(fees: Any) -> tuple[NodePrice, ...]:
    if not isinstance(fees, Mapping):
        return ()
    out = []
    for chain, options in fees.items():
        for option in options if isinstance(options, list) else ():
            if not isinstance(option, Mapping):
                continue
            prices = {str(p.get("id")): float(_num(p.get("price")) or 0.0)
                      for p in option.get("prices") or () if isinstance(p, Mapping)}
            out.append(NodePrice(_whole(chain), str(option.get("feeToken") or ""), prices))
    return tuple(out)


def _free(block: Mapping[str, Any]) -> FreeTier:
    access = block.get("access") if isinstance(block.get("access"), Mapping) else {}
    return FreeTier(
        max_job_duration=_num(block.get("maxJobDuration")),
        min_job_duration=_num(block.get("minJobDuration")),
        max_jobs=_whole(block.get("maxJobs")),
        resources=_resources(block.get("resources")),
        access_addresses=tuple(str(a) for a in access.get("addresses") or ()),
        access_lists=access.get("accessLists"),
        allow_image_build=block.get("allowImageBuild") is True,
    )


_NUM_LIMIT = 10**18  # amounts, prices and counts from the node, bounded before any arithmetic


def _num(value: Any) -> float | None:
    number = bounded_number(value, _NUM_LIMIT)
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _whole(value: Any) -> int | None:
    number = _num(value)
    return int(number) if number is not None else None


def _fmt(value: float) -> str:
    return f"{value:g}"
