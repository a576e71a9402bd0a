"""Client settings: ocean.py's config dict (METADATA_CACHE_URI, CHAIN_ID) plus timeouts and retries."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from c2d_runner.ocean.errors import ConfigError


@dataclass(frozen=True)
class ClientConfig:
    """Immutable client settings; build it from an ocean.py-style dict with `from_mapping`."""

    metadata_cache_uri: str | None = None
    chain_id: int | None = None
    # (connect, read) seconds.  requests waits forever without a timeout; we never do.
    timeout: tuple[float, float] = (10.0, 30.0)
    # Retries apply to idempotent calls only (status, result, environments, DDO, nonce).
    retries: int = 3
    retry_backoff: float = 0.25
    retry_backoff_max: float = 8.0
    retry_after_max: float = 60.0  # an Ocean Node's rate limit counts per minute
    # Status polling in `wait`; None = tuned to the provider: from 0.02 s up to 0.5 s on loopback
    # (a local mock answers in a millisecond), from 0.5 s up to 5 s elsewhere (requests count there).
    poll_interval_min: float | None = None
    poll_interval_max: float | None = None
    # ocean.py checks fileinfo before start (ConsumableCodes.CONNECTIVITY_FAIL).
    connectivity_check: bool = True
    # Seconds an initializeCompute order should stay valid (compute.validUntil = now + this).
    order_validity: int = 3600
    # Send nonce + signature on status calls as ocean.py does; the Python provider ignores them.
    # Unsigned, a poll round asks once for all of the consumer's jobs (one listing) instead of per job.
    sign_status: bool = False
    # Requests a minute to one Ocean Node, all jobs together (None: 25, under the node's 30 per IP).
    requests_per_minute: int | None = None
    # "provider" or "ocean-node" to insist on a protocol; None: each URL's root document decides.
    protocol: str | None = None
    # Sign with a clock nonce (ms since the epoch, strictly increasing per consumer) instead of
    # asking the provider for its nonce before every signed call; it is asked only after a refusal.
    clock_nonces: bool = True

    _KEYS = {
        "METADATA_CACHE_URI": "metadata_cache_uri",
        "CHAIN_ID": "chain_id",
        "REQUEST_TIMEOUT": "timeout",
        "RETRIES": "retries",
        "RETRY_BACKOFF": "retry_backoff",
        "RETRY_BACKOFF_MAX": "retry_backoff_max",
        "RETRY_AFTER_MAX": "retry_after_max",
        "POLL_INTERVAL_MIN": "poll_interval_min",
        "POLL_INTERVAL_MAX": "poll_interval_max",
        "CONNECTIVITY_CHECK": "connectivity_check",
        "ORDER_VALIDITY": "order_validity",
        "SIGN_STATUS": "sign_status",
        "REQUESTS_PER_MINUTE": "requests_per_minute",
        "PROTOCOL": "protocol",
        "CLOCK_NONCES": "clock_nonces",
    }

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeout", _timeout(self.timeout))
        if self.chain_id is not None:
            object.__setattr__(self, "chain_id", _int("CHAIN_ID", self.chain_id))
        if self.metadata_cache_uri is not None:
            uri = str(self.metadata_cache_uri).rstrip("/")
            if not uri.startswith(("http://", "https://")):
                raise ConfigError(f"METADATA_CACHE_URI must be an http(s) URL, got {uri!r}")
            object.__setattr__(self, "metadata_cache_uri", uri)
        if _int("RETRIES", self.retries) < 0:
            raise ConfigError("RETRIES must be >= 0")
        for name in ("retry_backoff", "retry_backoff_max", "retry_after_max"):
            if _float(name.upper(), getattr(self, name)) < 0:
                raise ConfigError(f"{name.upper()} must be >= 0")
        for name in ("poll_interval_min", "poll_interval_max"):
            if getattr(self, name) is not None and _float(name.upper(), getattr(self, name)) <= 0:
                raise ConfigError(f"{name.upper()} must be > 0")
        if self.requests_per_minute is not None and _int("REQUESTS_PER_MINUTE", self.requests_per_minute) < 1:
            raise ConfigError("REQUESTS_PER_MINUTE must be >= 1")
        if self.protocol not in (None, "provider", "ocean-node"):
            raise ConfigError(f"PROTOCOL must be 'provider' or 'ocean-node', got {self.protocol!r}")

    @classmethod
    def from_mapping(cls, config: "ClientConfig | Mapping[str, Any] | None") -> "ClientConfig":
        """Read an ocean.py-style config dict; keys this client does not use are ignored."""
        if config is None:
            return cls()
        if isinstance(config, ClientConfig):
            return config
        if not isinstance(config, Mapping):
            raise ConfigError(f"config must be a dict or ClientConfig, got {type(config).__name__}")
        kwargs = {attr: config[key] for key, attr in cls._KEYS.items() if config.get(key) is not None}
        return cls(**kwargs)


def _timeout(value: Any) -> tuple[float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        pair = (float(value), float(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = (_float("REQUEST_TIMEOUT", value[0]), _float("REQUEST_TIMEOUT", value[1]))
    else:
        raise ConfigError(f"REQUEST_TIMEOUT must be seconds or [connect, read], got {value!r}")
    if min(pair) <= 0:
        raise ConfigError("REQUEST_TIMEOUT must be > 0 (a request without a timeout can hang forever)")
    return pair


def _float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None


def _int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None
