"""Redaction scoped to the holders of keys: a Redactor knows only the keys it was built from."""
from __future__ import annotations

import gc
import json
import weakref

import pytest

from c2d_runner import wire
from c2d_runner.engine.journal import Journal
from c2d_runner.ocean import OceanError, wallet_from_env
from c2d_runner.ocean.errors import ProviderError
from c2d_runner.ocean.wallet import wallet_from_key
from c2d_runner.redaction import REDACTED, Redactor, redacts_wallet_key

A = wire.TEST_CONSUMER_KEY
B = wire.TEST_PROVIDER_KEY


def test_a_key_is_redacted_in_any_case_with_or_without_0x():
    redact = Redactor.of(A)
    text = f"{A} {A.upper()} {A[2:]} 0X{A[2:].upper()} {A[2:10]}"
    assert redact(text) == f"{REDACTED} {REDACTED} {REDACTED} {REDACTED} {A[2:10]}"


def test_two_wallets_in_one_process_redact_only_their_own_keys():
    a, b = wallet_from_key(A, light=True), wallet_from_key(B)  # a KeyWallet and a LocalAccount
    text = f"a={A} b={B}"
    assert Redactor.of(a)(text) == f"a={REDACTED} b={B}"
    assert Redactor.of(b)(text) == f"a={A} b={REDACTED}"
    assert Redactor.of(Redactor.of(a), b)(text) == f"a={REDACTED} b={REDACTED}"
    assert A not in repr(Redactor.of(a)) and A[2:] not in repr(Redactor.of(a))


def test_nothing_is_registered_globally(monkeypatch):
    monkeypatch.setenv("C2D_PRIVATE_KEY", A)
    wallet = wallet_from_env(light=True)
    # Loading a wallet changes nothing outside it: errors built elsewhere are left as they are...
    assert A in str(OceanError(f"echo {A}"))
    assert Redactor()(A) == A and Redactor.of(None, "short", object())(A) == A
    # ...and once the wallet is gone, nothing holds it (or its key) any more.
    ref = weakref.ref(wallet)
    del wallet
    gc.collect()
    assert ref() is None


def test_scrub_redacts_message_attributes_and_chained_errors_in_place():
    cause = ValueError(f"bad {A}")
    error = ProviderError(f"echo {A}", status=503, endpoint="POST x", body={"context": [{"key": A}]})
    error.__cause__ = cause
    assert Redactor.of(A).scrub(error) is error
    assert A[2:] not in str(error) and REDACTED in str(error)
    assert error.detail == f"echo {REDACTED}" and error.body == {"context": [{"key": REDACTED}]}
    assert error.status == 503 and str(cause) == f"bad {REDACTED}"


def test_the_journal_redacts_every_line_with_the_run_keys(tmp_path):
    journal = Journal(tmp_path)
    journal.redact = Redactor.of(wallet_from_key(A, light=True))
    journal.write("stop_failed", job="j", error=f"provider echoed {A[2:]}")
    text = journal.path.read_text("utf-8")
    assert A[2:] not in text and json.loads(text)["error"] == f"provider echoed {REDACTED}"


def test_a_client_call_redacts_the_key_of_its_own_wallet_only():
    class Client:
        @redacts_wallet_key
        def stop(self, wallet, job_id, echo=""):
            raise OceanError(f"provider echoed {echo}")

    a, b = wallet_from_key(A, light=True), wallet_from_key(B, light=True)
    with pytest.raises(OceanError) as info:
        Client().stop(a, "j", echo=f"{A} and {B}")
    assert str(info.value) == f"provider echoed {REDACTED} and {B}"
    with pytest.raises(OceanError) as info:
        Client().stop(job_id="j", wallet=b, echo=f"{A} and {B}")
    assert str(info.value) == f"provider echoed {A} and {REDACTED}"
