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

# Longer digit runs than this are past the largest double (1.8e308): Infinity, without int().
_MAX_DIGITS = 330
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000\ufeff"
_INT_PREFIX = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_SCAN_LIMIT = 1024  # a nonce or index longer than this is not read further (JS would, slowly)


def js_string(value: Any) -> str:
    """`String(value)` for JSON values (null -> "null", arrays joined with commas)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return number_text(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def parse_int(value: Any) -> float:
    """`parseInt(String(value))`: leading integer digits (or 0x hex), NaN when there are none."""
    text = js_string(value)[:_SCAN_LIMIT].lstrip(_JS_SPACE)
    m = _INT_PREFIX.match(text)
    if not m:
        return math.nan
    sign = -1.0 if m.group(1) == "-" else 1.0
    digits = m.group(2)
    if digits[:2] in ("0x", "0X"):
        body, base = digits[2:].lstrip("0"), 16
    else:
        body, base = digits.lstrip("0"), 10
    if not body:
        return sign * 0.0
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


def number_text(n: float) -> str:
    """`String(n)` for a JS number: integers without ".0" below 1e21, "NaN", "Infinity"."""
    if math.isnan(n):
        return "NaN"
    if math.isinf(n):
        return "Infinity" if n > 0 else "-Infinity"
    if n == int(n) and abs(n) < 1e21:
        if abs(n) < 2**53:
            return str(int(n))
        # Past 2**53 JS prints the shortest round-trip digits padded with zeros, not the exact value.
        mantissa, _, exponent = repr(n).partition("e")
        sign = "-" if mantissa.startswith("-") else ""
        whole, _, frac = mantissa.lstrip("-").partition(".")
        digits = (whole + frac).rstrip("0") or "0"
        places = len(whole) + int(exponent or 0)
        return sign + digits + "0" * (places - len(digits))
    return repr(n)


def is_address(value: Any) -> bool:
    """ethers' `isAddress`: 0x + 40 hex digits, and a valid EIP-55 checksum when the case is mixed."""
    if not isinstance(value, str) or not _HEX_ADDRESS.match(value):
        return False
    body = value[2:]
    if body == body.lower() or body == body.upper():
        return True
    from c2d_runner.wire import checksum_address

    return checksum_address(value) == value
