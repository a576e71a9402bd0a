"""Fault profiles: named, seeded, deterministic decisions about what goes wrong and when.

Pure: a decision depends only on (profile, seed, route, n) for HTTP faults, where n counts the
calls of that route, and on (profile, seed, job ordinal) for job faults.  Each decision uses its
own `random.Random` seeded with a string, so it does not depend on the interleaving of routes or
threads (string seeds are hashed with sha512, independent of PYTHONHASHSEED).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from c2d_runner.errors import InvalidInput

# Idempotent GET routes: the only ones a well-behaved client retries, so the only ones that fail
# before doing their work.
IDEMPOTENT_ROUTES = frozenset({"computeStatus", "computeResult", "computeEnvironments", "nonce", "ddo", "metadata"})


@dataclass(frozen=True)
class FaultProfile:
    """What a profile does; rates are probabilities per request or per job."""

    name: str
    description: str
    error_rate: float = 0.0  # 500 / 503 / 429 on idempotent routes, before any work
    drop_rate: float = 0.0  # connection closed without an answer, idempotent routes, before any work
    start_drop_rate: float = 0.0  # answer of an EXECUTED start lost (the job exists)
    start_busy_rate: float = 0.0  # start answered 429 with Retry-After before any work (nothing started)
    initialize_drop_rate: float = 0.0  # answer of an EXECUTED initializeCompute lost (an order was issued)
    latency: tuple[float, float] = (0.0, 0.0)  # seconds, uniform, every route
    hold_status: int | None = None  # jobs stay this long in this status
    hold_seconds: float = 0.0
    fail_rate: float = 0.0  # jobs that end in 31 / 32 without running
    missing_result: bool = False  # the first result index of every job answers 404


PROFILES: dict[str, FaultProfile] = {
    p.name: p
    for p in (
        FaultProfile("none", "No faults."),
        FaultProfile(
            "flaky",
            "About 1 in 8 idempotent GETs (status, result, environments, DDO, metadata, nonce) answer 500, 503 "
            "or 429 with Retry-After: 1; 1 in 25 drop the connection; 1 in 10 starts are executed but their "
            "answer is lost (dropped connection) and 1 in 20 are refused with 429 and Retry-After: 1 before "
            "they run; 1 in 20 initializeCompute calls are executed but their answer is lost; 0-20 ms latency "
            "on every route.",
            error_rate=0.125, drop_rate=0.04, start_drop_rate=0.10, start_busy_rate=0.05,
            initialize_drop_rate=0.05, latency=(0.0, 0.02),
        ),
        FaultProfile("slow", "50-200 ms latency on every route.", latency=(0.05, 0.2)),
        FaultProfile("stuck", "Every job stays 3 s in status 1 (Warming up) before it is configured, like a busy cluster.", hold_status=1, hold_seconds=3.0),
        FaultProfile("failing", "Every job ends in 31 or 32 (half each, seeded) without running.", fail_rate=1.0),
        FaultProfile("missing-result", "Result index 0 of every job answers 404 No such index.", missing_result=True),
    )
}


@dataclass(frozen=True)
class HttpFault:
    """What happens to one request."""

    latency: float = 0.0
    status: int | None = None  # answer this error instead of doing the work
    retry_after: int | None = None
    drop: bool = False  # close the connection instead of doing the work
    drop_after: bool = False  # do the work, then close the connection without answering


@dataclass(frozen=True)
class JobFault:
    """What happens to one job."""

    fail_status: int | None = None  # 31 or 32
    hold_status: int | None = None
    hold_seconds: float = 0.0


class UnknownFaultProfile(InvalidInput, ValueError):
    """A fault profile name that is not one of PROFILES (from --faults or the Python API)."""


NO_HTTP_FAULT = HttpFault()
NO_JOB_FAULT = JobFault()


def get_profile(name: str | None) -> FaultProfile:
    """The profile with this name (None = "none"); UnknownFaultProfile lists the known names."""
    if name is None:
        return PROFILES["none"]
    if name not in PROFILES:
        raise UnknownFaultProfile(f"unknown fault profile {name!r}; known: {', '.join(PROFILES)}")
    return PROFILES[name]


def http_fault(profile: FaultProfile, seed: int, route: str, n: int) -> HttpFault:
    """The fault for the n-th call of `route` (n counts from 0)."""
    if profile.name == "none":
        return NO_HTTP_FAULT
    rng = random.Random(f"{profile.name}:{seed}:{route}:{n}")
    latency = rng.uniform(*profile.latency) if profile.latency[1] > 0 else 0.0
    roll = rng.random()
    if route in IDEMPOTENT_ROUTES:
        if roll < profile.error_rate:
            status = rng.choice((500, 503, 429))
            return HttpFault(latency, status=status, retry_after=1 if status == 429 else None)
        if roll < profile.error_rate + profile.drop_rate:
            return HttpFault(latency, drop=True)
    elif route == "computeStart":
        if roll < profile.start_drop_rate:
            return HttpFault(latency, drop_after=True)
        if roll < profile.start_drop_rate + profile.start_busy_rate:
            return HttpFault(latency, status=429, retry_after=1)
    elif route == "initializeCompute" and roll < profile.initialize_drop_rate:
        return HttpFault(latency, drop_after=True)
    return HttpFault(latency) if latency else NO_HTTP_FAULT


def job_fault(profile: FaultProfile, seed: int, ordinal: int) -> JobFault:
    """The fault for the ordinal-th job started by this server (from 0)."""
    if profile.fail_rate <= 0 and profile.hold_status is None:
        return NO_JOB_FAULT
    rng = random.Random(f"{profile.name}:{seed}:job:{ordinal}")
    fail = None
    if rng.random() < profile.fail_rate:
        fail = rng.choice((31, 32))
    return JobFault(fail_status=fail, hold_status=profile.hold_status, hold_seconds=profile.hold_seconds)
