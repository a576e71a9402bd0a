"""The Escrow contract, the payer's side: make it cover one paid Ocean Node job before the start.

An Ocean Node locks the job's price from the payer's Escrow funds when it starts the job, and
only if the payer authorized the node (the environment's consumerAddress) for that much, that
long and one lock more (ocean-chain-orders.md, "Ocean Node paid compute"). Like ocean.js's
`verifyFundsForEscrowPayment`, the funds and the authorization are read first and only what is
missing is sent, but more precisely than ocean.js (which deposits only into an empty Escrow and
authorizes only once):

- funds: `deposit` the shortfall `amount - available` (after an ERC20 `approve` when the allowance
  is short), so funds already there (an earlier, interrupted run's deposit) are used, never paid twice;
- authorization: kept when it still allows one more lock of `amount` for `minLockSeconds`; else
  `authorize` widens it (never narrows it): maxLockedAmount >= currentLockedAmount + amount,
  maxLockSeconds >= minLockSeconds, maxLockCounts >= currentLocks + 1.

web3 and the ABIs come from c2d_runner.chain (the `chain` extra), imported when the Escrow is used.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from c2d_runner.ocean.funds import (TYPICAL_GAS, GasEstimate, NotEnoughFunds, amount_text, call_gas, check_gas,
                                   token_text)
from c2d_runner.ocean.records import EscrowPayment


class EscrowUnderfunded(NotEnoughFunds):
    """The consumer holds too little of the payment token to fund the Escrow for the job; nothing was sent."""


@dataclass(frozen=True)
class Authorization:
    """The payer's authorization of one payee for one token (Escrow.getAuthorizations)."""

    max_locked_amount: int
    current_locked_amount: int
    max_lock_seconds: int
    max_lock_counts: int
    current_locks: int


@dataclass(frozen=True)
class EscrowNeeds:
    """What is missing for a job: wei to deposit, and the authorization to set (None: the current one holds)."""

    deposit: int
    authorize: tuple[int, int, int] | None  # (maxLockedAmount, maxLockSeconds, maxLockCounts)


@dataclass(frozen=True)
class EscrowTx:
    """One mined Escrow transaction: its step ("approve", "deposit", "authorize"), hash and amount (wei)."""

    step: str
    tx: str
    amount: int


@dataclass(frozen=True)
class EscrowFunding:
    """What covering the Escrow for one job found and did (the transactions, in order)."""

    escrow: str
    token: str
    payee: str
    amount: int  # what the node will lock for the job
    available: int  # the payer's free funds in the Escrow before (wei)
    deposited: int  # wei deposited now (0 when the funds were there)
    authorization: tuple[int, int, int] | None  # set now, or None when the existing one held
    txs: tuple[EscrowTx, ...] = ()


def escrow_needs(payment: EscrowPayment, available: int, auth: Authorization | None) -> EscrowNeeds:
    """The deposit and authorization a job still needs, given the payer's free funds and current authorization (pure)."""
    deposit = max(payment.amount - available, 0)
    if auth is not None and (auth.max_locked_amount - auth.current_locked_amount >= payment.amount
                             and auth.max_lock_seconds >= payment.min_lock_seconds
                             and auth.max_lock_counts > auth.current_locks):
        return EscrowNeeds(deposit, None)
    have = auth or Authorization(0, 0, 0, 0, 0)
    return EscrowNeeds(deposit, (max(have.max_locked_amount, have.current_locked_amount + payment.amount),
                                 max(have.max_lock_seconds, payment.min_lock_seconds),
                                 max(have.max_lock_counts, have.current_locks + 1)))


def read_authorization(escrow: Any, token: str, payer: str, payee: str) -> Authorization | None:
    """The payer's authorization of `payee` for `token`, or None (the contract keeps one per payee)."""
    for auth in escrow.functions.getAuthorizations(token, payer, payee).call():
        if str(auth[0]).lower() == payee.lower():
            return Authorization(*(int(v) for v in auth[1:6]))
    return None


@dataclass(frozen=True)
class EscrowState:
    """The payer's Escrow as read before covering a job: the token's contract, free funds, what is
    missing and the transactions that would send it, in order: (step, ContractFunction, what, amount in wei)."""

    token: Any
    available: int
    needs: EscrowNeeds
    steps: tuple[tuple[str, Any, str, int], ...]


def read_escrow(w3: Any, payer: str, payment: EscrowPayment) -> EscrowState:
    """Read the payer's funds, authorization and allowance for `payment` (nothing sent); what covering it takes."""
    from c2d_runner.chain.artifacts import abi

    escrow = w3.eth.contract(address=payment.escrow_address, abi=abi("Escrow"))
    token = w3.eth.contract(address=payment.token, abi=abi("OceanToken"))
    available = int(escrow.functions.getUserFunds(payer, payment.token).call()[0])
    needs = escrow_needs(payment, available, read_authorization(escrow, payment.token, payer, payment.payee))
    steps = []
    if needs.deposit:
        if int(token.functions.allowance(payer, payment.escrow_address).call()) < needs.deposit:
            steps.append(("approve", token.functions.approve(payment.escrow_address, needs.deposit),
                          "approving the Escrow deposit", needs.deposit))
        steps.append(("deposit", escrow.functions.deposit(payment.token, needs.deposit), "Escrow deposit",
                      needs.deposit))
    if needs.authorize is not None:
        steps.append(("authorize", escrow.functions.authorize(payment.token, payment.payee, *needs.authorize),
                      f"Escrow authorize of {payment.payee}", needs.authorize[0]))
    return EscrowState(token, available, needs, tuple(steps))


def escrow_gas(state: EscrowState, sender: str) -> GasEstimate:
    """Gas of the Escrow transactions `state` still needs (nothing sent): each estimated on the chain
    where it can run now, a typical figure (TYPICAL_GAS) for a deposit waiting on its approve or a
    call the chain refuses to estimate."""
    from c2d_runner.chain.tx import TransactionReverted

    gas, estimated = 0, True
    steps = [step for step, *_ in state.steps]
    for step, call, _, _ in state.steps:
        if step == "deposit" and "approve" in steps:  # it pulls the tokens through the approve's allowance
            part, ok = TYPICAL_GAS["deposit"], False
        else:
            try:
                part, ok = call_gas(call, sender, TYPICAL_GAS[step])
            except TransactionReverted:  # the send says why; the estimate counts what it would cost
                part, ok = TYPICAL_GAS[step], False
        gas, estimated = gas + part, estimated and ok
    return GasEstimate(gas, estimated)


def cover_escrow(w3: Any, payer: Any, payment: EscrowPayment,
                 on_tx: Callable[[EscrowTx], None] | None = None) -> EscrowFunding:
    """Make the Escrow at `payment.escrow_address` cover one job for `payer`; what was found and done.

    Each transaction is reported to `on_tx` as soon as it is mined (so a crash after it cannot lose it).
    Raises EscrowUnderfunded (the token) or NotEnoughGas (the native coin for the transactions' gas)
    before sending anything when the payer's balance is short.
    """
    from c2d_runner.chain.tx import send

    me = payer.address
    state = read_escrow(w3, me, payment)
    needs = state.needs
    if needs.deposit:
        balance = int(state.token.functions.balanceOf(me).call())
        if balance < needs.deposit:
            raise EscrowUnderfunded(
                f"the Escrow needs {amount_text(needs.deposit)} more {token_text(state.token)} for this job "
                f"({amount_text(payment.amount)} locked at start, {amount_text(state.available)} there), the "
                f"consumer {me} has {amount_text(balance)}; nothing was sent")
    if state.steps:
        check_gas(w3, me, escrow_gas(state, me).gas,
                  f"the gas of the Escrow's {', '.join(step for step, *_ in state.steps)}")
    txs: list[EscrowTx] = []
    for step, call, what, amount in state.steps:
        receipt = send(w3, payer, call, what)
        done = EscrowTx(step, receipt["transactionHash"].to_0x_hex(), amount)
        txs.append(done)
        if on_tx is not None:
            on_tx(done)
    return EscrowFunding(payment.escrow_address, payment.token, payment.payee, payment.amount, state.available,
                         needs.deposit, needs.authorize, tuple(txs))


__all__ = ["EscrowUnderfunded", "Authorization", "EscrowNeeds", "EscrowTx", "EscrowFunding", "EscrowState",
           "escrow_needs", "read_authorization", "read_escrow", "escrow_gas", "cover_escrow"]
