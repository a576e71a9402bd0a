"""Send a contract call as a signed transaction and wait for its receipt; reverts become one error type.

In-process, eth-tester raises its own TransactionFailed; over JSON-RPC web3 raises
ContractLogicError. Both become `TransactionReverted` with the revert reason, so callers (the
client paying, the mock claiming) handle one thing.
"""
from __future__ import annotations

from typing import Any

from c2d_runner.errors import JobFailure


class TransactionReverted(JobFailure):
    """A transaction (or its dry run) reverted on chain; `reason` is the contract's revert text."""

    def __init__(self, what: str, reason: str):
        super().__init__(f"{what} reverted on chain: {reason}")
        self.what = what
        self.reason = reason


def revert_reason(exc: BaseException) -> str | None:
    """The revert text of a failed call, or None when `exc` is not a revert."""
    from web3.exceptions import ContractLogicError

    if isinstance(exc, ContractLogicError):
        return str(exc.message if getattr(exc, "message", None) else exc).removeprefix("execution reverted: ")
    if type(exc).__name__ == "TransactionFailed":  # eth_tester.exceptions, in-process
        return str(exc).removeprefix("execution reverted: ")
    return None


def send(w3: Any, account: Any, call: Any, what: str, *, gas: int | None = None, value: int = 0) -> Any:
    """Sign and send `call` (a web3 ContractFunction or constructor) from `account`; its receipt.

    With `gas` None the gas is estimated (which also surfaces a revert); with a fixed `gas` the call
    is dry-run first, so a revert is reported with its reason instead of mined as a failed tx.
    Raises TransactionReverted.
    """
    params: dict[str, Any] = {"from": account.address, "value": value,
                              "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    try:
        if gas is None:
            params["gas"] = call.estimate_gas(params)
        else:
            if hasattr(call, "call"):  # a constructor has no dry run; deploys are ours and fixed
                call.call(params)
            params["gas"] = gas
        tx = call.build_transaction(params)
    except Exception as exc:
        reason = revert_reason(exc)
        if reason is None:
            raise
        raise TransactionReverted(what, reason) from None
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.05)
    if receipt["status"] != 1:
        reason = replayed_reason(w3, tx, receipt["blockNumber"])
        raise TransactionReverted(what, f"transaction {tx_hash.to_0x_hex()} failed (status 0)"
                                        f"{': ' + reason if reason else ''}")
    return receipt


def replayed_reason(w3: Any, tx: Any, block: int) -> str | None:
    """Why a mined transaction failed: a receipt has no revert reason, so the call is replayed on the
    state it met (the block before its own); None when the replay passes (the state it met is gone)."""
    call = {key: tx[key] for key in ("from", "to", "data", "value", "gas") if key in tx}
    try:
        w3.eth.call(call, max(int(block) - 1, 0))
    except Exception as exc:  # noqa: BLE001 - only a revert's reason is wanted; anything else says nothing
        return revert_reason(exc)
    return None


def events(event: Any, receipt: Any) -> list[Any]:
    """The logs of `receipt` that decode as `event` (e.g. `contract.events.OrderStarted`); others skipped quietly."""
    from web3.logs import DISCARD

    return list(event().process_receipt(receipt, errors=DISCARD))


__all__ = ["TransactionReverted", "revert_reason", "send", "replayed_reason", "events"]
