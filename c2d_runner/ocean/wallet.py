"""Consumer wallets (eth-account LocalAccount, or a light KeyWallet) and the nonce high-water mark.

Keys come from the environment or a key file, never from arguments that end up in logs.  A wallet
knows its own key (`.key`) and nothing else does: `Redactor.of(wallet)` keeps it out of text.
"""
from __future__ import annotations

import math
import os
import threading
from pathlib import Path
from typing import Any

from c2d_runner.ocean.errors import ProviderError, WalletError
from c2d_runner.wire import bounded_number

DEFAULT_KEY_ENV = "C2D_PRIVATE_KEY"


def wallet_from_key(private_key: str, source: str = "the given key", *, light: bool = False) -> Any:
    """A LocalAccount for a hex private key; errors name `source`, never the key.

    `light=True` gives a `wire.KeyWallet` instead: it signs the same way and imports in a third
    of the time (the runner uses it; ocean.py-style code gets the LocalAccount it expects).
    """
    key = (private_key or "").strip()
    if not key:
        raise WalletError(f"no private key in {source}")
    hexpart = key[2:] if key.lower().startswith("0x") else key
    if len(hexpart) != 64 or any(c not in "0123456789abcdefABCDEF" for c in hexpart):
        raise WalletError(
            f"the private key in {source} is malformed: expected 64 hex digits (optionally 0x-prefixed), "
            f"got {len(hexpart)} characters"
        )
    try:
        if light:
            from c2d_runner.wire import key_wallet

            return key_wallet("0x" + hexpart)
        from eth_account import Account

        return Account.from_key("0x" + hexpart)
    except Exception as exc:  # eth-account raises ValidationError for an out-of-range key
        raise WalletError(f"the private key in {source} is not a valid secp256k1 key ({type(exc).__name__})") from None


def wallet_from_env(var: str = DEFAULT_KEY_ENV, *, light: bool = False) -> Any:
    """A LocalAccount (KeyWallet when `light`) from the private key in environment variable `var`."""
    value = os.environ.get(var)
    if value is None or not value.strip():
        raise WalletError(f"environment variable {var} is not set; put the consumer's private key there")
    return wallet_from_key(value, f"environment variable {var}", light=light)


def wallet_from_key_file(path: str | os.PathLike[str], *, light: bool = False) -> Any:
    """A LocalAccount from a file holding the hex private key (first non-empty line)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WalletError(f"key file {p} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WalletError(f"cannot read key file {p}: {type(exc).__name__}") from None
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return wallet_from_key(line, f"key file {p}", light=light)


# Providers store millisecond timestamps at most; a larger nonce is hostile (see wire.bounded_number).
NONCE_LIMIT = 10**30


def parse_nonce(value: Any, endpoint: str = "") -> int:
    """ceil() of the provider's nonce, which may be a string ("1", "3.0") or a number below NONCE_LIMIT."""
    number = bounded_number(value, NONCE_LIMIT)
    if number is None:
        raise ProviderError(f"nonce is not a number below 10^30: {str(value)[:80]!r}", status=200,
                            endpoint=endpoint)
    return int(math.ceil(number))


class NonceTracker:
    """Per (provider, address) high-water mark, so one process never sends the same nonce twice.

    Also hands out a per-key lock that signed calls hold until the provider has answered, so that
    nonces from concurrent threads reach the provider in increasing order (it rejects a nonce
    lower than the last one it stored).
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], int] = {}
        self._locks: dict[tuple[str, str], threading.RLock] = {}
        self._guard = threading.Lock()

    def lock_for(self, provider: str, address: str) -> "threading.RLock":
        """The (re-entrant) lock serialising signed calls of `address` to `provider`."""
        key = (provider, address.lower())
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.RLock()
            return lock

    def next(self, provider: str, address: str, provider_nonce: int) -> int:
        """max(provider's nonce, last sent) + 1, recorded as the new high-water mark."""
        key = (provider, address.lower())
        with self._guard:
            nonce = max(int(provider_nonce), self._last.get(key, 0)) + 1
            self._last[key] = nonce
            return nonce

    def last(self, provider: str, address: str) -> int | None:
        """The last nonce sent to `provider` for `address`, if any."""
        with self._guard:
            return self._last.get((provider, address.lower()))
