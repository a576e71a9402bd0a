"""The mock Ocean Node's side of the Escrow contract: the lock a paid start creates, the claim that
settles it (ocean-node core/utils/escrow.ts and the engine's claimPayments, written from the
reference and the node's source, not copied).

Every step runs under the chain's lock: the checks and the transaction that follows them see one
state, and two request threads settling the same job claim it once.
"""
from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any, Mapping

CLAIMED_AT = frozenset({41, 42, 61, 62, 71})  # the statuses whose jobs the node's claim cron pays for
GAS_MESSAGE = "Node insufficient gas funds. If you are the node owner, please add gas funds to the node."
INTRINSIC_GAS = 21_000  # the least gas any transaction costs
JOB_TYPE = 0  # claimLockAndWithdraw's jobType in contracts 3.x: 0, a plain compute job without subsidies


class LockRefused(Exception):
    """createLock would not lock: the node answers 400 with this text."""


def _node() -> Any:
    from eth_account import Account

    from c2d_runner.wire import TEST_PROVIDER_KEY

    return Account.from_key(TEST_PROVIDER_KEY)


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(address)


def to_wei(chain: Any, token: str, cost: Decimal) -> int:
    """getPaymentAmountInWei: the cost in the token's smallest unit (its decimals read on chain)."""
    decimals = chain.contract("OceanToken", _checksum(token)).functions.decimals().call()
    return int((cost * 10**decimals).to_integral_value())


def create_lock(chain: Any, job_id_hash: str, token: str, payer: str, wei: int, expiry: int,
                chain_text: str) -> str:
    """escrow.createLock: the node's checks (funds, one authorization, its limits), then the lock
    sent as the node: its tx hash; LockRefused with the node's text otherwise. `payer` and `token`
    as sent."""
    from c2d_runner.chain.tx import TransactionReverted, send

    node = _node()
    escrow = chain.deployed("Escrow")
    with chain.lock:
        available = escrow.functions.getUserFunds(_checksum(payer), _checksum(token)).call()[0]
        if available < wei:
            raise LockRefused(f"User {payer} does not have enough funds")
        auths = escrow.functions.getAuthorizations(_checksum(token), _checksum(payer), node.address).call()
        if len(auths) != 1:
            raise LockRefused(f"No escrow auths found for: chain={chain_text}, token={token}, payer={payer}, "
                              f"nodeAddress={node.address}. Found {len(auths)} authorizations.")
        _, max_locked, current_locked, max_seconds, max_counts, current_locks = auths[0]
        if current_locked + wei > max_locked:
            raise LockRefused("No valid escrow auths found(will go over limit)")
        if max_seconds < expiry:
            raise LockRefused("No valid escrow auths found(maxLockSeconds too low)")
        if current_locks + 1 > max_counts:
            raise LockRefused("No valid escrow auths found(too many active locks)")
        if chain.w3.eth.get_balance(node.address) < INTRINSIC_GAS * chain.w3.eth.gas_price:
            raise LockRefused(GAS_MESSAGE)  # "insufficient funds for intrinsic transaction cost"
        try:
            receipt = send(chain.w3, node, escrow.functions.createLock(
                int(job_id_hash, 16), _checksum(token), _checksum(payer), wei, expiry), "escrow createLock")
        except TransactionReverted as exc:  # ethers words it so, then adds its own call details
            raise LockRefused(f'execution reverted: "{exc.reason}"') from None
    return receipt["transactionHash"].to_0x_hex()


def _lock_of(chain: Any, job_id_hash: str, token: str, payer: str) -> Any:
    """The node's lock for this job on chain (getLocks filtered by jobId), or None."""
    locks = chain.deployed("Escrow").functions.getLocks(_checksum(token), _checksum(payer), _node().address).call()
    return next((lock for lock in locks if lock[0] == int(job_id_hash, 16)), None)


def cancel_expired_lock(chain: Any, job_id_hash: str, token: str, payer: str) -> str | None:
    """escrow.cancelExpiredLock for this job: its tx, or None when the node has no such lock. The
    contract cancels only a lock past its expiry; a younger one is left as it is."""
    from c2d_runner.chain.tx import send

    node = _node()
    with chain.lock:
        if _lock_of(chain, job_id_hash, token, payer) is None:
            return None
        receipt = send(chain.w3, node, chain.deployed("Escrow").functions.cancelExpiredLock(
            int(job_id_hash, 16), _checksum(token), _checksum(payer), node.address), "escrow cancelExpiredLock")
    return receipt["transactionHash"].to_0x_hex()


def claimed_seconds(details: Mapping[str, Any], max_job_duration: float, min_job_duration: float) -> float:
    """The node's billed duration: |algoStop - algoStart| (the job's "0" when unset), at most
    maxJobDuration, at least the environment's minJobDuration."""
    def seconds(key: str) -> float:
        try:
            return float(details.get(key) or "0")
        except ValueError:
            return math.nan
    duration = abs(seconds("algoStopTimestamp") - seconds("algoStartTimestamp"))
    if duration > max_job_duration:
        duration = max_job_duration
    if min_job_duration and duration < min_job_duration:
        duration = min_job_duration
    return duration


def job_cost(prices: Mapping[str, Decimal], resources: list[Mapping[str, Any]], seconds: float) -> Decimal:
    """getTotalCostOfJob: Σ price · amount · ceil(seconds / 60) over the priced resources."""
    minutes = math.ceil(seconds / 60)
    return sum((prices[str(r["id"])] * Decimal(str(r["amount"])) * minutes
                for r in resources if prices.get(str(r["id"]))), Decimal(0))


def settle(chain: Any, payment: Mapping[str, Any], job_id_hash: str, payer: str, seconds: float, cost: Decimal,
           proof: Mapping[str, Any]) -> dict[str, Any]:
    """One claim-cron pass over one job: claim `cost` for `seconds` (claimLockAndWithdraw) from its
    lock, or cancel an expired lock (or one with nothing to pay), or "nolock" when there is none;
    the payment fields to record."""
    from c2d_runner.chain.tx import send
    from mockprovider.payment import chain_now

    token = payment["token"]
    with chain.lock:
        lock = _lock_of(chain, job_id_hash, token, payer)
        if lock is None:
            return {"claimTx": "nolock", "cancelTx": "nolock"}
        if chain_now(chain) > lock[3] or not seconds > 0:
            return {"cancelTx": cancel_expired_lock(chain, job_id_hash, token, payer)}
        receipt = send(chain.w3, _node(), chain.deployed("Escrow").functions.claimLockAndWithdraw(
            int(job_id_hash, 16), _checksum(token), _checksum(payer), to_wei(chain, token, cost),
            json.dumps(proof, separators=(",", ":")).encode("utf-8"), JOB_TYPE, []), "escrow claimLockAndWithdraw")
    return {"claimTx": receipt["transactionHash"].to_0x_hex(), "cost": float(cost)}


__all__ = ["CLAIMED_AT", "GAS_MESSAGE", "JOB_TYPE", "LockRefused", "to_wei", "create_lock",
           "cancel_expired_lock", "claimed_seconds", "job_cost", "settle"]
