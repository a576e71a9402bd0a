"""The node's compute environments, built from the world's, and its resource rules (pure).

One world file serves both protocols: each world environment becomes one node environment whose
id is `<clusterHash>-<world id>` (the node splits ids on the first "-" to find its engine).  A world
environment with no price (priceMin 0, no require_fee) is free-only (`fees: null` and a `free`
block), as the reference node's; a priced one has `fees` for the world's chain and no free block.
RAM and disk are in GB; the free block's maxima are the environment's own.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from mockprovider.node.js import number_text
from mockprovider.world import Environment, World

# The mock's one C2D engine ("cluster"): the node derives this hash from its Docker connection.
CLUSTER_HASH = "0x" + hashlib.sha256(b"c2d-runner mock ocean-node cluster 0").hexdigest()
PLATFORM = {"architecture": "x86_64", "os": "linux"}
OPEN_ACCESS = {"addresses": [], "accessLists": None}
MIN_JOB_DURATION = 60
RESOURCE_IDS = ("cpu", "ram", "disk")


class ResourceRefused(Exception):
    """A request the node refuses while filling or checking resources; str() is its message."""


@dataclass(frozen=True)
class Usage:
    """What runs in one environment now: jobs, free jobs, and summed resource amounts."""

    jobs: int = 0
    free_jobs: int = 0
    in_use: Mapping[str, float] = None  # type: ignore[assignment]
    free_in_use: Mapping[str, float] = None  # type: ignore[assignment]


def node_env_id(env: Environment) -> str:
    """The id a node client sees for a world environment."""
    return f"{CLUSTER_HASH}-{env.id}"


def split_prefixed(text: str) -> tuple[str, str]:
    """The node's split of a prefixed id at the first "-": (hash, rest); `slice(0, -1)` when none."""
    i = text.find("-")
    return text[:i], text[i + 1:]


def is_free(env: Environment) -> bool:
    """True for a world environment the node serves as free-only."""
    return not env.require_fee and not env.priceMin


def world_environment(world: World, node_id: str) -> Environment | None:
    """The world environment behind a node environment id (exact match, as the node's find)."""
    return next((e for e in world.environments if node_env_id(e) == node_id), None)


def resources(env: Environment) -> list[dict[str, Any]]:
    """The paid resource table: cpu cores, ram and disk in GB (min: 1 core, 1 GB ram when there is one)."""
    return [
        {"id": "cpu", "type": "cpu", "total": env.cpuNumber, "max": env.cpuNumber, "min": 1},
        {"id": "ram", "type": "ram", "total": env.ramGB, "max": env.ramGB, "min": 1 if env.ramGB >= 1 else 0},
        {"id": "disk", "type": "disk", "total": env.diskGB, "max": env.diskGB, "min": 0},
    ]


def free_resources(env: Environment) -> list[dict[str, Any]]:
    """The free block's resources: the environment's maxima (no min: the paid min applies)."""
    return [{"id": r["id"], "max": r["max"]} for r in resources(env)]


def environment_document(env: Environment, world: World, usage: Usage) -> dict[str, Any]:
    """One element of GET computeEnvironments, in the node's key order."""
    in_use = usage.in_use or {}
    free_in_use = usage.free_in_use or {}
    free = is_free(env)
    # Key order as a real node 3.1 serves it.
    doc: dict[str, Any] = {
        "id": node_env_id(env),
        "runningJobs": usage.jobs,
        "consumerAddress": world.provider_address,
        "platform": dict(PLATFORM),
        "access": dict(OPEN_ACCESS),
        "fees": None if free else {str(world.chain_id): [{
            "feeToken": env.feeToken,
            "prices": [{"id": "cpu", "price": env.priceMin}, {"id": "ram", "price": 0}, {"id": "disk", "price": 0}],
        }]},
        "resources": [dict(r, inUse=in_use.get(r["id"], 0)) for r in resources(env)],
        "queuedJobs": 0, "queuedFreeJobs": 0, "queMaxWaitTime": 0, "queMaxWaitTimeFree": 0,
        "runMaxWaitTime": 0, "runMaxWaitTimeFree": 0,
        "enableNetwork": False,
        "storageExpiry": env.storageExpiry,
        "minJobDuration": MIN_JOB_DURATION,
        "maxJobDuration": env.maxJobDuration,
        "description": env.desc,
    }
    if not free:  # a free-only env limits jobs in its free block, as the reference node's config does
        doc["maxJobs"] = env.maxJobs
    if free:
        doc["free"] = {
            "access": dict(OPEN_ACCESS),
            "minJobDuration": MIN_JOB_DURATION,
            "maxJobDuration": env.maxJobDuration,
            "maxJobs": env.maxJobs,
            "resources": [dict(r, inUse=free_in_use.get(r["id"], 0)) for r in free_resources(env)],
        }
    doc["runningfreeJobs"] = usage.free_jobs
    return doc


def _requested(requested: Iterable[Any], rid: str) -> Any:
    for item in requested:
        if isinstance(item, Mapping) and item.get("id") == rid:
            return item.get("amount")
    return None


def _js_number(value: Any) -> float:
    """How the node's comparisons see an amount: numbers as is, numeric strings coerced, else NaN."""
    if isinstance(value, (bool, int, float)):
        try:
            return float(value)
        except OverflowError:  # a JSON integer past the largest double
            return math.inf
    try:
        return float(str(value)[:64])
    except ValueError:
        return math.nan


def fill_resources(requested: Any, env: Environment, free: bool) -> list[dict[str, Any]]:
    """checkAndFillMissingResources: each resource filled with its min, clamped up to min, refused above max."""
    if requested is None:
        requested = []
    if not isinstance(requested, list):
        raise ResourceRefused("TypeError: resources is not iterable")
    table = {r["id"]: r for r in resources(env)}
    free_max = {r["id"]: r["max"] for r in free_resources(env)} if free else {}
    out = []
    for rid in RESOURCE_IDS:
        low = table[rid]["min"]
        high = free_max.get(rid, table[rid]["max"]) if free else table[rid]["max"]
        desired = _requested(requested, rid)
        if not desired:  # missing, 0, "" or null: the minimum
            amount: Any = low
        else:
            amount = desired
            value = _js_number(desired)
            if value < low:
                amount = low
            elif value > high:
                shown = number_text(value) if isinstance(desired, (int, float)) else str(desired)[:64]
                raise ResourceRefused(f"Error: Not enough {rid} resources. Requested {shown}, but max is "
                                      f"{number_text(float(high))}")
        out.append({"id": rid, "amount": amount})
    return out


def check_capacity(env: Environment, usage: Usage, free: bool) -> None:
    """checkIfResourcesAreAvailable's job limits: the environment's maxJobs, then the free block's."""
    if env.maxJobs and usage.jobs + 1 > env.maxJobs and not free:
        raise ResourceRefused("Too many running jobs ")
    if free and env.maxJobs and usage.free_jobs + 1 > env.maxJobs:
        raise ResourceRefused("Too many running free jobs ")
