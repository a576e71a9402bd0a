"""The mock's payment checks on a local chain: an order transaction checked as ocean-provider's
`validate_order` / `verify_order_tx` check it, one check at a time (written from the reference's
list, not copied), and the provider fee signed as its `get_provider_fees` signs it.

The client's side (c2d_runner) orders with its own code; only chain plumbing (c2d_runner.chain) is
shared, so a wrong rule cannot cancel out on both sides.

Clock: orders carry block timestamps, and the local chain runs ahead of wall time (+1 s a block;
tests move it forward), so "now" is the later of the wall clock and the chain's latest block.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

ORDER_AMOUNT = 10**18  # startOrder always takes exactly 1 datatoken


class OrderRefused(Exception):
    """An order transaction that does not pay for what is asked (the provider answers order_invalid)."""


@dataclass(frozen=True)
class OrderFacts:
    """What a checked order says: who ordered, when, and until when its provider fee runs."""

    tx_id: str
    consumer: str
    payer: str
    ordered_at: int
    fee_valid_until: int
    fee_expired: bool


def chain_now(chain: Any) -> float:
    """The later of the wall clock and the chain's latest block time."""
    return max(time.time(), float(chain.now()))


def provider_fee_digest(provider_data: bytes, fee_address: str, fee_token: str, amount: int, valid_until: int) -> bytes:
    """keccak(providerData, feeAddress, feeToken, amount, validUntil), packed: what the fee signature covers."""
    from eth_abi.packed import encode_packed
    from eth_utils import keccak

    return keccak(encode_packed(["bytes", "address", "address", "uint256", "uint256"],
                                [provider_data, fee_address, fee_token, amount, valid_until]))


def sign_provider_fee(environment: str, datatoken: str, service_id: str, fee_address: str, fee_token: str,
                      amount: int, valid_until: int, now: float, key: str) -> dict[str, Any]:
    """A providerFee as ocean-provider's get_provider_fees (and the node's createProviderFee) give it:
    providerData = compact JSON {environment, timestamp, dt, id: service id}, personal-signed digest."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    data = json.dumps({"environment": environment, "timestamp": int(now), "dt": datatoken, "id": service_id},
                      separators=(",", ":")).encode("utf-8")
    digest = provider_fee_digest(data, fee_address, fee_token, amount, valid_until)
    signed = Account.sign_message(encode_defunct(primitive=digest), private_key=key)
    return {
        "providerFeeAddress": fee_address,
        "providerFeeToken": fee_token,
        "providerFeeAmount": str(amount),
        "providerData": "0x" + data.hex(),
        "v": signed.v,
        "r": "0x" + signed.r.to_bytes(32, "big").hex(),
        "s": "0x" + signed.s.to_bytes(32, "big").hex(),
        "validUntil": valid_until,
    }


def signer_of_fee(provider_data: bytes, fee_address: str, fee_token: str, amount: int, valid_until: int,
                  v: int, r: bytes, s: bytes) -> str:
    """The address that signed a provider fee (personal-sign over the digest), as ecrecover finds it."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    digest = provider_fee_digest(provider_data, fee_address, fee_token, amount, valid_until)
    return Account.recover_message(encode_defunct(primitive=digest), vrs=(v, r, s))


def _receipt(w3: Any, tx_id: str) -> Any:
    from web3.exceptions import TransactionNotFound

    try:
        receipt = w3.eth.get_transaction_receipt(tx_id)
    except (TransactionNotFound, ValueError):
        receipt = None
    if receipt is None:
        raise OrderRefused(f"order transaction {tx_id} not found on chain")
    if receipt["status"] != 1:
        raise OrderRefused("order transaction failed.")
    return receipt


def _mined(w3: Any, tx_id: str) -> Any:
    """The receipt of `tx_id`, or None when there is none or the id is no transaction hash at all."""
    try:
        return w3.eth.get_transaction_receipt(tx_id)
    except Exception:  # TransactionNotFound, or a malformed id web3 refuses: the node's lookup gives null
        return None


def _one(events: list, what: str, tx_id: str, emitter: str) -> Any:
    mine = [e for e in events if e["address"].lower() == emitter.lower()]
    if not mine:
        raise OrderRefused(f"Cannot find the event for the {what} in tx id {tx_id}.")
    if len(mine) > 1:
        raise OrderRefused(f"Multiple {what} events in the same transaction {tx_id}")
    return mine[0]["args"]


def verify_order_tx(chain: Any, tx_id: str, *, nft: str, datatoken: str, service_id: str, service_index: int,
                    service_timeout: int, environment: str, sender: str, provider_address: str,
                    allow_expired_fee: bool = False) -> OrderFacts:
    """Check an order transaction for (datatoken, service, environment) by `sender`; its facts, or OrderRefused."""
    from c2d_runner.chain.tx import events

    with chain.lock:
        w3 = chain.w3
        if not chain.contract("ERC721Template", nft).functions.isDeployed(datatoken).call():
            raise OrderRefused(f"datatoken {datatoken} is not deployed by data NFT {nft}")
        receipt = _receipt(w3, tx_id)
        dt = chain.contract("ERC20Template", datatoken)
        fee = _one(events(dt.events.ProviderFee, receipt), "provider fee", tx_id, datatoken)
        try:
            data = json.loads(bytes(fee["providerData"]))
        except ValueError:
            raise OrderRefused("the provider fee's providerData is not JSON") from None
        if str(data.get("dt", "")).lower() != datatoken.lower() or str(data.get("id")) != service_id:
            raise OrderRefused("the provider fee was given for another datatoken or service")
        if data.get("environment") != environment:
            raise OrderRefused("Mismatch between ordered c2d environment and selected one.")
        if fee["providerFeeAddress"].lower() != provider_address.lower():
            raise OrderRefused(f"The providerFeeAddress {fee['providerFeeAddress']} in the event does not match "
                               f"the provider address {provider_address}")
        signer = signer_of_fee(bytes(fee["providerData"]), fee["providerFeeAddress"], fee["providerFeeToken"],
                               fee["providerFeeAmount"], fee["validUntil"], fee["v"], fee["r"], fee["s"])
        if signer.lower() != provider_address.lower():
            raise OrderRefused("Provider was not able to check the signed message in ProviderFees event")
        now = chain_now(chain)
        fee_expired = 0 < fee["validUntil"] < now
        if fee_expired and not allow_expired_fee:
            raise OrderRefused("Validity in transaction exceeds current UTC timestamp")
        reused = events(dt.events.OrderReused, receipt)
        if reused:
            receipt = _receipt(w3, "0x" + bytes(_one(reused, "order reuse", tx_id, datatoken)["orderTxId"]).hex())
        order = _one(events(dt.events.OrderStarted, receipt), "order transaction", tx_id, datatoken)
        if order["serviceIndex"] != service_index:
            raise OrderRefused(f"The service index in the event ({order['serviceIndex']}) does not match the "
                               f"requested asset's ({service_index})")
        if order["amount"] < ORDER_AMOUNT:
            raise OrderRefused(f"The amount in the event ({order['amount']}) is less than one datatoken")
        if service_timeout and now - order["timestamp"] > service_timeout:
            raise OrderRefused(f"The order has expired (ordered at {order['timestamp']}, service timeout "
                               f"{service_timeout} s)")
        if sender.lower() not in (order["consumer"].lower(), order["payer"].lower()):
            raise OrderRefused("sender of order transaction is not the consumer/payer.")
    return OrderFacts(tx_id, order["consumer"], order["payer"], int(order["timestamp"]), int(fee["validUntil"]),
                      fee_expired)


def validate_order_transaction(chain: Any, tx_id: str, *, consumer_address: str, nft: str, datatoken: str,
                               service_index: int, service_timeout: int) -> str | None:
    """The Ocean Node's start-time order check (validateOrders.ts): None when the order pays for this
    service and names `consumer_address` (the environment's) as consumer or payer, else why not.

    The node checks less than ocean-provider: no provider fee, no environment, no amount; the
    datatoken is the order transaction's `to`, an OrderReused is followed to its original order.
    """
    from c2d_runner.chain.tx import events

    with chain.lock:
        receipt = _mined(chain.w3, tx_id)
        if receipt is None:
            return f"Tx receipt cannot be processed, because tx id {tx_id} was not mined."
        to = receipt["to"]
        try:  # a transaction to anything but a datatoken makes the node's own call throw
            dt = chain.contract("ERC20Template", to)
            nft_of_dt = dt.functions.getERC721Address().call()
        except Exception:
            return f"transaction {tx_id} was not sent to a datatoken"
        reused = events(dt.events.OrderReused, receipt)
        if reused:
            receipt = _mined(chain.w3, "0x" + bytes(reused[0]["args"]["orderTxId"]).hex())
            if receipt is None:
                return f"Tx receipt cannot be processed, because tx id {tx_id} was not mined."
        order = next((e["args"] for e in events(dt.events.OrderStarted, receipt)
                      if consumer_address.lower() in (e["args"]["consumer"].lower(), e["args"]["payer"].lower())
                      and to.lower() == datatoken.lower() and nft_of_dt.lower() == nft.lower()), None)
        if order is None:
            return ("Tx id used not valid, one of the NFT addresses, Datatoken address or the User address "
                    "contract address does not match.")
        if order["serviceIndex"] != service_index:
            return "Invalid service index."
        if not chain.contract("ERC721Template", nft).functions.isDeployed(datatoken).call():
            return "Datatoken was not deployed by this DataNFT."
        ordered_at = chain.w3.eth.get_block(receipt["blockHash"])["timestamp"]
        if service_timeout != 0 and chain_now(chain) - ordered_at > service_timeout:
            return "The order has expired."
    return None


__all__ = ["ORDER_AMOUNT", "OrderRefused", "OrderFacts", "chain_now", "provider_fee_digest", "sign_provider_fee",
           "signer_of_fee", "verify_order_tx", "validate_order_transaction"]
