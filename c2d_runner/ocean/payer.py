"""`ChainPayer`: the consumer pays for compute inputs on a chain, over JSON-RPC, with its own wallet.

For each initializeCompute item: an order the provider still accepts as is (`validOrder` without a
fee) is used as it stands; an order whose fee ran out is renewed with `reuseOrder`; anything else
gets a new `startOrder` with the provider's fee (c2d_runner.ocean.orders). web3 is imported here,
when a payer is made, never on the chain-free path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from c2d_runner.ocean.errors import OceanError
from c2d_runner.ocean.orders import ProviderFee, reuse_order, start_order


class ChainMismatch(OceanError):
    """The chain at the RPC URL is not the chain of the assets (wrong --rpc or chain id)."""


@dataclass(frozen=True)
class Payment:
    """One order a compute input was paid with: how (start, reuse, valid), its tx, the fee paid."""

    did: str
    service_id: str
    datatoken: str
    how: str  # "startOrder", "reuseOrder" or "validOrder" (an earlier order still valid: nothing paid)
    tx: str
    fee_token: str | None
    fee_amount: int


def service_index(ddo: Any, service: Any) -> int:
    """The position of `service` among the DDO's services (what OrderStarted's serviceIndex records)."""
    return next(i for i, s in enumerate(ddo.services) if s.id == service.id)


class ChainPayer:
    """Places orders from `wallet` on the chain at `rpc` (chain id checked against `chain_id`)."""

    def __init__(self, rpc: str, wallet: Any, chain_id: int | None = None):
        from web3 import Web3

        self.w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 60}))
        if not hasattr(wallet, "sign_transaction"):  # the runner's light KeyWallet: the same key, as an Account
            from eth_account import Account

            wallet = Account.from_key(wallet.key)
        self.wallet = wallet
        self.rpc = rpc
        if chain_id is not None and int(self.w3.eth.chain_id) != int(chain_id):
            raise ChainMismatch(f"the chain at {rpc} has id {self.w3.eth.chain_id}, the assets are on chain {chain_id}")

    def pay(self, item: Any, compute_input: Any, consumer: str | None = None) -> Payment:
        """Pay for one input given its initializeCompute `item` (an OrderItem); the Payment.

        `consumer` is the order's consumer (the wallet's address by default; an Ocean Node's
        environment address on nodes); the wallet always pays.
        """
        fee = ProviderFee.from_wire(item.provider_fee) if item.provider_fee else None
        did, sid = compute_input.did, compute_input.service.id
        datatoken = item.datatoken or compute_input.service.datatoken
        if item.valid_order and fee is None:
            return Payment(did, sid, datatoken, "validOrder", item.valid_order, None, 0)
        if fee is None:
            raise OceanError(f"{did} (service {sid}): the provider gave neither a valid order nor a provider fee")
        paid = fee.provider_fee_amount if fee.charged else 0
        if item.valid_order:
            tx = reuse_order(self.w3, self.wallet, datatoken, item.valid_order, fee)
            return Payment(did, sid, datatoken, "reuseOrder", tx, fee.provider_fee_token, paid)
        index = service_index(compute_input.ddo, compute_input.service)
        tx = start_order(self.w3, self.wallet, datatoken, consumer or self.wallet.address, index, fee)
        return Payment(did, sid, datatoken, "startOrder", tx, fee.provider_fee_token, paid)


__all__ = ["ChainMismatch", "Payment", "ChainPayer", "service_index"]
