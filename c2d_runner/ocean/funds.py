"""What an order needs from the consumer's account, checked before anything is sent: one datatoken
for `startOrder`, the provider fee in its token, and the native coin for the gas of every
transaction (the approve of the fee token, then the order).

A check that fails raises a `NotEnoughFunds` that says what is missing and how much; nothing was
sent for that input. Gas: an order the chain can dry-run now is estimated (`eth_estimateGas`);
one that cannot run before its fee token is approved (or from an account with no coin for the
estimate) counts `TYPICAL_GAS`, the gas Ocean's contracts use as measured on the local chain, with
headroom. web3 is used through the `w3` passed in; nothing here imports it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from c2d_runner.errors import JobFailure
from c2d_runner.ocean.errors import OceanError

# Gas per call where it cannot be estimated in advance. Measured on the local chain with Ocean's
# contracts 3.1.0: approve 46k, startOrder 137k without a fee and 187k with one (reuseOrder takes
# no datatoken, so less); the Escrow's deposit 154k the first time (55k once the payer has funds
# there), authorize 144k the first time (46k to widen one); with headroom for storage a public
# chain's accounts write for the first time.
TYPICAL_GAS = {"approve": 60_000, "startOrder": 300_000, "reuseOrder": 150_000, "deposit": 200_000,
               "authorize": 200_000}
ONE_DATATOKEN = 10**18  # startOrder always takes exactly one (18 decimals)


class NotEnoughFunds(OceanError, JobFailure):
    """The consumer's account lacks what an order needs (datatokens, the fee token, gas); nothing was sent.

    An OceanError, so the run ends the job with this message (the client's errors are job-level)."""


class NotEnoughDatatokens(NotEnoughFunds):
    """startOrder needs one datatoken and the consumer has less."""


class NotEnoughFeeTokens(NotEnoughFunds):
    """The provider fee is more than the consumer holds of its token (usually OCEAN)."""


class NotEnoughGas(NotEnoughFunds):
    """The consumer's native coin does not cover the gas of the order's transactions."""


@dataclass(frozen=True)
class GasEstimate:
    """Gas for one input's transactions: the total and whether every part was estimated by the chain."""

    gas: int
    estimated: bool  # False when a typical figure stood in for a call that cannot run yet


def amount_text(wei: int, decimals: int = 18) -> str:
    """A token amount in whole tokens without trailing zeros: 2500000000000000000 -> '2.5' (pure)."""
    text = f"{Decimal(int(wei)) / (Decimal(10) ** decimals):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def gwei_text(wei_per_gas: int) -> str:
    """A gas price in gwei, e.g. '1.05 gwei' (pure)."""
    return f"{amount_text(wei_per_gas, 9)} gwei"


def shortfall(kind: str, what: str, needed: int, held: int, account: str,
              bill: str = "the order's gas") -> NotEnoughFunds | None:
    """The error for `needed` above `held` (wei), or None when the account has enough (pure).

    kind: "datatoken", "fee" or "gas"; what names the token (symbol and address) or the gas and its
    price; bill says whose gas it is."""
    if held >= needed:
        return None
    if kind == "datatoken":
        return NotEnoughDatatokens(f"startOrder needs 1 datatoken {what}, the consumer {account} has "
                                   f"{amount_text(held)}; nothing was sent")
    if kind == "fee":
        return NotEnoughFeeTokens(f"the provider fee needs {amount_text(needed)} {what}, the consumer {account} "
                                  f"has {amount_text(held)}; nothing was sent")
    return NotEnoughGas(f"{bill} needs {amount_text(needed)} of the chain's native coin ({what}), the "
                        f"consumer {account} has {amount_text(held)}; nothing was sent")


def fee_per_gas(w3: Any) -> int:
    """Wei per gas a transaction reserves, as web3 fills it: 2 x base fee + the priority fee (or the
    legacy gas price on a chain without a base fee). A node refuses a sender who cannot cover gas x this."""
    from c2d_runner.chain.rpc import RpcUnavailable

    base = w3.eth.get_block("latest").get("baseFeePerGas")
    if base is None:
        return int(w3.eth.gas_price)
    try:
        tip = int(w3.eth.max_priority_fee)
    except RpcUnavailable:
        raise
    except Exception:  # noqa: BLE001 - an RPC without eth_maxPriorityFeePerGas: its gas price covers the tip
        tip = int(w3.eth.gas_price)
    return tip + 2 * int(base)


def token_symbol(token: Any) -> str | None:
    """An ERC20 contract's `symbol()` (e.g. 'OCEAN'), or None when it has none or the call fails."""
    from c2d_runner.chain.rpc import RpcUnavailable

    try:
        symbol = token.functions.symbol().call()
    except RpcUnavailable:
        raise
    except Exception:  # noqa: BLE001 - a token without a symbol() is still named by its address
        return None
    return str(symbol) if isinstance(symbol, str) and symbol.strip() else None


def token_text(token: Any) -> str:
    """An ERC20 contract as said in messages: 'OCEAN (0x...)', or its address when it has no symbol()."""
    symbol = token_symbol(token)
    return f"{symbol} ({token.address})" if symbol else str(token.address)


def call_gas(call: Any, sender: str, typical: int) -> tuple[int, bool]:
    """(gas, estimated) for `call`; a revert raises TransactionReverted with its reason, any other
    refusal to estimate (eth-tester refuses an account with no coin) counts `typical`."""
    from c2d_runner.chain.rpc import RpcUnavailable
    from c2d_runner.chain.tx import TransactionReverted, revert_reason

    try:
        return int(call.estimate_gas({"from": sender})), True
    except RpcUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - web3 and the backends raise many kinds
        reason = revert_reason(exc)
        if reason is not None:
            raise TransactionReverted(f"{call.fn_name} on {call.address}", reason) from None
        return typical, False


def order_gas(sender: str, order: Any, approve: Any = None) -> GasEstimate:
    """Gas of one input's transactions: the fee token's `approve` when given (a ContractFunction,
    still to send), then `order` (startOrder / reuseOrder), estimated when it can run now."""
    gas, estimated = 0, True
    if approve is not None:
        part, ok = call_gas(approve, sender, TYPICAL_GAS["approve"])
        gas, estimated = gas + part, estimated and ok
    if approve is None:
        part, ok = call_gas(order, sender, TYPICAL_GAS[order.fn_name])
    else:  # startOrder pulls the fee through the allowance the approve sets: it cannot run before it
        part, ok = TYPICAL_GAS[order.fn_name], False
    return GasEstimate(gas + part, estimated and ok)


def check_order_funds(w3: Any, account: str, datatoken: Any, order: Any, fee: Any, approve: Any = None) -> GasEstimate:
    """Raise NotEnoughFunds unless `account` holds what `order` needs: 1 datatoken for startOrder,
    the fee (`fee`, a ProviderFee, when charged), the gas at today's price; the gas estimate otherwise."""
    from c2d_runner.chain.artifacts import abi

    if order.fn_name == "startOrder":
        held = int(datatoken.functions.balanceOf(account).call())
        error = shortfall("datatoken", token_text(datatoken), ONE_DATATOKEN, held, account)
        if error:
            raise error
    if fee.charged:
        token = w3.eth.contract(address=fee.provider_fee_token, abi=abi("OceanToken"))
        error = shortfall("fee", token_text(token), fee.provider_fee_amount,
                          int(token.functions.balanceOf(account).call()), account)
        if error:
            raise error
    gas = order_gas(account, order, approve)
    check_gas(w3, account, gas.gas)
    return gas


def check_gas(w3: Any, account: str, gas: int, bill: str = "the order's gas") -> None:
    """Raise NotEnoughGas unless `account` holds the native coin for `gas` at the fee per gas a
    transaction reserves (`bill` says whose gas it is in the message)."""
    price = fee_per_gas(w3)
    error = shortfall("gas", f"{gas} gas at up to {gwei_text(price)}", gas * price, int(w3.eth.get_balance(account)),
                      account, bill)
    if error:
        raise error


def run_needs_text(needs: list[tuple[str, int, int]], account: str) -> list[str]:
    """One line per [(what, needed wei, held wei)] the account holds too little of (pure)."""
    return [f"the run needs {amount_text(needed)} {what}, the consumer {account} has {amount_text(held)}; "
            "nothing was paid" for what, needed, held in needs if held < needed]


def run_shortfalls(w3: Any, account: str, tokens: dict[str, int], gas_cost: int,
                   datatokens: frozenset[str] = frozenset()) -> list[str]:
    """What `account` lacks for a whole run: `tokens` (token address -> wei: the `datatokens`, fee
    tokens) and `gas_cost` wei of the native coin; [] when it holds all of it."""
    from c2d_runner.chain.artifacts import abi

    needs = []
    for address, needed in tokens.items():
        token = w3.eth.contract(address=address, abi=abi("OceanToken"))  # ERC20's balanceOf and symbol
        held = int(token.functions.balanceOf(account).call())
        kind = ("datatoken " if needed == ONE_DATATOKEN else "datatokens ") if address in datatokens else ""
        needs.append((kind + token_text(token) if held < needed else address, needed, held))
    if gas_cost:
        needs.append(("of the chain's native coin for gas", gas_cost, int(w3.eth.get_balance(account))))
    return run_needs_text(needs, account)


__all__ = ["TYPICAL_GAS", "NotEnoughFunds", "NotEnoughDatatokens", "NotEnoughFeeTokens", "NotEnoughGas",
           "GasEstimate", "amount_text", "gwei_text", "shortfall", "fee_per_gas", "token_symbol", "token_text",
           "call_gas", "order_gas", "check_order_funds", "check_gas", "run_needs_text", "run_shortfalls"]
