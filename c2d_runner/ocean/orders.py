"""Paying for compute on chain, as ocean.py and ocean.js do: `startOrder` with the provider's fee (the
fee token approved first when the fee is above zero), or `reuseOrder` of an earlier order with a
fresh fee. Each returns the transaction hash the provider is then given as `transferTxId`.

web3 and the contract ABIs come from c2d_runner.chain (the `chain` extra), imported when an order
is placed, never on the chain-free path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class ProviderFee:
    """A provider's signed fee as initializeCompute returns it (`providerFee`)."""

    provider_fee_address: str
    provider_fee_token: str
    provider_fee_amount: int
    provider_data: bytes
    v: int
    r: bytes
    s: bytes
    valid_until: int

    @classmethod
    def from_wire(cls, fee: Mapping[str, Any]) -> "ProviderFee":
        """From the JSON object (amount as a string, data/r/s as 0x-hex)."""
        def hex_bytes(value: Any) -> bytes:
            text = str(value)
            return bytes.fromhex(text[2:] if text.startswith("0x") else text)

        return cls(str(fee["providerFeeAddress"]), str(fee["providerFeeToken"]), int(fee["providerFeeAmount"]),
                   hex_bytes(fee["providerData"]), int(fee["v"]), hex_bytes(fee["r"]), hex_bytes(fee["s"]),
                   int(fee["validUntil"]))

    def as_struct(self) -> tuple:
        """The on-chain struct: (address, token, amount, v, r, s, validUntil, providerData)."""
        return (self.provider_fee_address, self.provider_fee_token, self.provider_fee_amount, self.v, self.r,
                self.s, self.valid_until, self.provider_data)

    @property
    def charged(self) -> bool:
        """True when paying it moves tokens (amount above zero in a real token)."""
        return self.provider_fee_amount > 0 and self.provider_fee_token.lower() != ZERO_ADDRESS


def _datatoken(w3: Any, address: str) -> Any:
    from c2d_runner.chain.artifacts import abi

    return w3.eth.contract(address=address, abi=abi("ERC20Template"))


def approve_call(w3: Any, datatoken: str, fee: ProviderFee) -> Any:
    """The fee token's `approve(datatoken, fee)` a charged fee needs first (a ContractFunction), or None."""
    from c2d_runner.chain.artifacts import abi

    if not fee.charged:
        return None
    token = w3.eth.contract(address=fee.provider_fee_token, abi=abi("OceanToken"))
    return token.functions.approve(datatoken, fee.provider_fee_amount)


def start_order_call(w3: Any, datatoken: str, consumer: str, service_index: int, fee: ProviderFee) -> Any:
    """`startOrder(consumer, serviceIndex, providerFee, no market fee)` on the datatoken (a ContractFunction)."""
    no_market_fee = (ZERO_ADDRESS, ZERO_ADDRESS, 0)
    return _datatoken(w3, datatoken).functions.startOrder(consumer, service_index, fee.as_struct(), no_market_fee)


def reuse_order_call(w3: Any, datatoken: str, order_tx: str, fee: ProviderFee) -> Any:
    """`reuseOrder(orderTxId, providerFee)` on the datatoken (a ContractFunction)."""
    return _datatoken(w3, datatoken).functions.reuseOrder(order_tx, fee.as_struct())


def _order(w3: Any, payer: Any, datatoken: str, call: Any, fee: ProviderFee) -> str:
    """Check the payer's funds (nothing is sent when they fall short), approve a charged fee, send
    `call`; the order's transaction hash (0x-hex)."""
    from c2d_runner.chain.tx import send
    from c2d_runner.ocean.funds import check_order_funds

    approve = approve_call(w3, datatoken, fee)
    check_order_funds(w3, payer.address, _datatoken(w3, datatoken), call, fee, approve)
    if approve is not None:
        send(w3, payer, approve, "approving the provider fee")
    return send(w3, payer, call, f"{call.fn_name} on datatoken {datatoken}")["transactionHash"].to_0x_hex()


def start_order(w3: Any, payer: Any, datatoken: str, consumer: str, service_index: int, fee: ProviderFee) -> str:
    """`startOrder` (1 datatoken from `payer`, for `consumer`); the transaction hash (0x-hex)."""
    return _order(w3, payer, datatoken, start_order_call(w3, datatoken, consumer, service_index, fee), fee)


def reuse_order(w3: Any, payer: Any, datatoken: str, order_tx: str, fee: ProviderFee) -> str:
    """`reuseOrder` of `order_tx` with a fresh provider fee; the transaction hash (0x-hex)."""
    return _order(w3, payer, datatoken, reuse_order_call(w3, datatoken, order_tx, fee), fee)


__all__ = ["ProviderFee", "approve_call", "start_order_call", "reuse_order_call", "start_order", "reuse_order"]
