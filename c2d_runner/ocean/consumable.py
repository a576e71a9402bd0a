"""Consumability checks with ocean.py's ConsumableCodes, as pure functions over a DDO."""
from __future__ import annotations

from enum import IntEnum
from typing import Any

from c2d_runner.ocean.ddo import DDO


class ConsumableCodes(IntEnum):
    """ocean.py's codes; 5 (ASSET_UNLISTED) exists but is never returned, as in ocean.py."""

    OK = 0
    ASSET_DISABLED = 1
    CONNECTIVITY_FAIL = 2
    CREDENTIAL_NOT_IN_ALLOW_LIST = 3
    CREDENTIAL_IN_DENY_LIST = 4
    ASSET_UNLISTED = 5


def credentials_code(ddo: DDO, address: str) -> ConsumableCodes:
    """3/4 when the address lists exclude `address` (compared lowercased), else OK."""
    creds = ddo.address_credentials
    who = (address or "").lower()
    allow = {a.lower() for a in creds.allow}
    deny = {a.lower() for a in creds.deny}
    if allow:
        return ConsumableCodes.OK if who in allow else ConsumableCodes.CREDENTIAL_NOT_IN_ALLOW_LIST
    if who in deny:
        return ConsumableCodes.CREDENTIAL_IN_DENY_LIST
    return ConsumableCodes.OK


def fileinfo_ok(fileinfo: Any) -> bool:
    """True when the provider's fileinfo answer lists at least one file and every file is valid."""
    if not isinstance(fileinfo, list) or not fileinfo:
        return False
    return all(isinstance(f, dict) and f.get("valid") is True for f in fileinfo)


def consumable_code(ddo: DDO, address: str, connectivity_ok: bool | None = None) -> ConsumableCodes:
    """ocean.py's order: disabled (1), connectivity (2, when checked), allow (3), deny (4)."""
    if ddo.is_disabled:
        return ConsumableCodes.ASSET_DISABLED
    if connectivity_ok is False:
        return ConsumableCodes.CONNECTIVITY_FAIL
    return credentials_code(ddo, address)
