"""JavaScript value rules the node applies to request fields, as pure functions.

Ocean Node is TypeScript: it reads nonces with `parseInt`, result indexes with `Number`, prints
numbers with `String(n)` and checks addresses with ethers' `isAddress`.  Clients see the outcome
in error texts ("nonce: 1 is not a valid nonce"), so the mock applies the same rules.  Every
function bounds its input first, so a hostile value ("1e1000000", a megabyte of digits) costs
microseconds.
"""
from __future__ import annotations

import math
import re
from typing import Any

from mockprovider.jsvalues import js_number as number_text, js_string

__all__ = ["js_string", "number_text", "parse_int", "to_number", "is_address", "date_text"]

# Longer digit runs than this are past the largest double (1.8e308): Infinity, without int().
_MAX_DIGITS = 330
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000\ufeff"
_INT_HEAD = re.compile(r"([+-]?)(0[xX](?=[0-9a-fA-F]))?(0*)")
_DEC_DIGITS = re.compile(r"[0-9]*")
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_SCAN_LIMIT = 1024  # an index longer than this is not a number the node would find either


def parse_int(value: Any) -> float:
    """`parseInt(String(value))`: leading integer digits (or 0x hex), NaN when there are none."""
    text = js_string(value).lstrip(_JS_SPACE)
    head = _INT_HEAD.match(text)  # sign, 0x, leading zeros: one linear C scan, however long
    sign = -1.0 if head.group(1) == "-" else 1.0
    base = 16 if head.group(2) else 10
    rest = text[head.end():head.end() + _MAX_DIGITS + 1]
    body = (_HEX_DIGITS if base == 16 else _DEC_DIGITS).match(rest).group(0)
    if not body:
        return sign * 0.0 if head.group(3) else math.nan
    if len(body) > _MAX_DIGITS:
        return sign * math.inf
    try:
        return sign * float(int(body, base))
    except OverflowError:
        return sign * math.inf


def to_number(value: Any) -> float:
    """`Number(text)` for a query-string value: decimal, 0x hex, blank = 0, anything else NaN."""
    text = js_string(value)
    if len(text) > _SCAN_LIMIT:
        return math.nan
    text = text.strip(_JS_SPACE)
    if text == "":
        return 0.0
    if text in ("Infinity", "+Infinity"):
        return math.inf
    if text == "-Infinity":
        return -math.inf
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        return parse_int(text)
    if not _DECIMAL.fullmatch(text):
        return math.nan
    try:
        return float(text)  # the text is bounded, so even "1e1000000" is cheap (-> inf)
    except (ValueError, OverflowError):
        return math.nan


def date_text(epoch_seconds: float) -> str:
    """`String(Date.now() / 1000)`: how the node writes dateCreated, dateFinished and timestamps."""
    return number_text(round(epoch_seconds * 1000) / 1000)


def is_address(value: Any) -> bool:
    """ethers' `isAddress`: 0x + 40 hex digits, and a valid EIP-55 checksum when the case is mixed."""
    if not isinstance(value, str) or not _HEX_ADDRESS.match(value):
        return False
    body = value[2:]
    if body == body.lower() or body == body.upper():
        return True
    from c2d_runner.wire import checksum_address

    return checksum_address(value) == value
