"""DID tools: thin wrappers over `c2d_runner.wire`, which holds the rule shared with the mock."""
from __future__ import annotations

from c2d_runner import wire
from c2d_runner.ocean.errors import InvalidDID


def derive_did(nft_address: str, chain_id: int) -> str:
    """`did:op:` + sha256(checksummed nft address + chain id), the rule Aquarius enforces."""
    try:
        return wire.derive_did(nft_address, int(chain_id))
    except (TypeError, ValueError) as exc:
        raise InvalidDID(f"cannot derive a DID from nft address {nft_address!r} and chain id {chain_id!r}: {exc}") from None


def is_valid_did(did: object) -> bool:
    """True for the `did:op:` + 64 lowercase hex syntax."""
    return wire.is_valid_did(did)


def validate_did(did: object) -> str:
    """Return `did` when its syntax is valid, else raise InvalidDID saying what is expected."""
    if not wire.is_valid_did(did):
        raise InvalidDID(f"invalid DID {did!r}: expected 'did:op:' followed by 64 lowercase hex digits")
    return str(did)


def did_matches(did: str, nft_address: str, chain_id: int) -> bool:
    """True when `did` is the one derived from nft address + chain id (False if any is unusable)."""
    if not is_valid_did(did) or not nft_address or chain_id is None:
        return False
    try:
        return derive_did(nft_address, chain_id) == did
    except InvalidDID:
        return False
