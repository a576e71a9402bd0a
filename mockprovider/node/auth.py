"""The node's signed-request check: parseInt'd nonce strictly above the stored one for the EXACT
address string, then the signature over `address + nonce + command` in either accepted form.

Order and texts follow ocean-node `validateAuthenticationOrToken` / `checkNonce`: the nonce is
compared before the signature is verified, and only a request that passes both stores its nonce.
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from c2d_runner import wire
from mockprovider.node import js
from mockprovider.node.errors import NodeError
from mockprovider.store import NonceRejected, Store

MISMATCH = "consumer address and nonce signature mismatch"
NO_AUTH = ("Invalid authentication, you need to provide either a token or an address, signature, "
           "message and nonce")


def _truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value."""
    return value not in (None, "", 0, False) and not (isinstance(value, float) and math.isnan(value))


def invalid_nonce(n: float) -> str:
    """The node's text for a nonce that is not above the stored one."""
    return f"nonce: {js.number_text(n)} is not a valid nonce"


def authenticate(store: Store, address: Any, nonce: Any, signature: Any, token: Any, command: str,
                 shape: str) -> None:
    """Check and consume a signed request, or raise NodeError(401) in the route's error shape."""
    if not (_truthy(signature) and _truthy(address) and _truthy(nonce)):
        # The mock issues no auth tokens, so a token alone is never valid.
        raise NodeError(401, "Invalid token" if _truthy(token) else NO_AUTH, shape)
    address = js.js_string(address)
    n = js.parse_int(nonce)
    if not math.isnan(n) and n <= float(store.stored_nonce(address, exact=True)):
        raise NodeError(401, invalid_nonce(n), shape)
    text = js.number_text(n)
    # NaN is never above a stored nonce nor equal to it: the node then verifies a signature over
    # "NaN", which no client makes; the mock refuses it outright with the same answer.
    if math.isnan(n) or not isinstance(signature, str) or \
            not wire.node_signature_matches(address, text, command, signature):
        raise NodeError(401, MISMATCH, shape)
    try:
        store.use_nonce(address, Decimal(n), exact=True, text=text)
    except NonceRejected:  # a concurrent request used this nonce first
        raise NodeError(401, invalid_nonce(n), shape) from None
