"""Keep private keys out of text: a Redactor knows the keys of one scope (a wallet, a run) and no other.

There is no process-wide registry: whoever holds a wallet builds `Redactor.of(wallet)` and passes
what it prints or records through it (the client for errors raised during a call made with that
wallet, the engine for its journal and the errors leaving a run). A wallet that is gone leaves
nothing behind. Pure stdlib, so every layer may use it.
"""
from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

REDACTED = "<redacted>"
_MIN_SECRET = 16  # shorter "keys" would redact ordinary words and numbers


def _bare_hex(key: Any) -> str:
    """A key (hex text, bytes, or a wallet's `.key`) as text without its 0x prefix."""
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key).hex()
    text = str(key).strip()
    return text[2:] if text[:2].lower() == "0x" else text


@dataclass(frozen=True)
class Redactor:
    """Replaces the keys it was built from with <redacted>, in any letter case, with or without 0x."""

    _secrets: frozenset[str] = field(default=frozenset(), repr=False)
    _pattern: re.Pattern | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, *holders: Any) -> "Redactor":
        """A Redactor for wallets (anything with a `.key`), keys (hex text or bytes) and other Redactors."""
        secrets: set[str] = set()
        for holder in holders:
            if holder is None:
                continue
            if isinstance(holder, Redactor):
                secrets |= holder._secrets
                continue
            key = holder if isinstance(holder, (str, bytes, bytearray, memoryview)) else getattr(holder, "key", None)
            bare = _bare_hex(key) if key is not None else ""
            if len(bare) >= _MIN_SECRET:
                secrets.add(bare.lower())
        if not secrets:
            return cls()
        # Longest first, so a key is never half-replaced by a shorter one it contains.
        alternatives = "|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True))
        return cls(frozenset(secrets), re.compile(f"(?:0x)?(?:{alternatives})", re.IGNORECASE))

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} keys)"

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        """`text` with every known key replaced by <redacted>."""
        return self._pattern.sub(REDACTED, text) if self._pattern is not None else text

    def value(self, value: Any) -> Any:
        """`value` with keys redacted from every string in it (through dicts, lists and tuples)."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(v) for v in value)
        return value

    def scrub(self, exc: BaseException) -> BaseException:
        """Redact `exc` in place: its message, its attributes (detail, body, ...) and the errors it chains to."""
        seen: set[int] = set()
        current: BaseException | None = exc
        while self._pattern is not None and current is not None and id(current) not in seen:
            seen.add(id(current))
            current.args = self.value(current.args)
            for name, attr in list(vars(current).items()):
                setattr(current, name, self.value(attr))
            current = current.__cause__ or current.__context__
        return exc


def redacts_wallet_key(method: F) -> F:
    """Errors leaving `method` carry no text of the key of the wallet it was called with.

    For client methods that take a `wallet` (or `consumer_wallet`) argument: the wallet is the only
    holder of its key, so the call that has it in hand is the scope that redacts, and another
    wallet's calls never see this key.
    """
    signature = inspect.signature(method)
    name = "wallet" if "wallet" in signature.parameters else "consumer_wallet"

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            Redactor.of(signature.bind(*args, **kwargs).arguments.get(name)).scrub(exc)
            raise

    return call  # type: ignore[return-value]
