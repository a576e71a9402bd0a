"""JSON values written the way Ocean Node (JavaScript) writes them: JSON.stringify and String().

The node writes algoCustomData.json with `JSON.stringify(algocustomdata ?? {})` and appends
userdata to URLs with `String(value)`.  Python's json and str differ on numbers (1.0 vs 1,
1e-05 vs 0.00001, 1e+16 vs 10000000000000000) and on spacing, so parity needs these.
"""
from __future__ import annotations

import json
import math
from decimal import Decimal


def js_number(value: int | float) -> str:
    """A number as JavaScript's Number.prototype.toString prints it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest round-tripping digits, as the ECMAScript algorithm requires.
    _sign, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), len(digits) + exponent
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + text


def js_string(value: object) -> str:
    """JavaScript's String(value) for a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def js_stringify(value: object) -> str:
    """JSON.stringify(value) with no spacing; non-finite numbers become null, as in JavaScript."""
    if value is None or isinstance(value, bool) or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return js_number(value) if math.isfinite(value) else "null"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(js_stringify(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{js_stringify(v)}"
                              for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")
