"""Persistent state of the mock: jobs, nonces and issued orders in SQLite (WAL) under the state dir.

One connection guarded by a lock: the mock's writes are tiny, and a single writer keeps every
compare-and-set (nonce, order use, environment capacity) atomic without retry loops.
"""
from __future__ import annotations

import json
import pathlib
import sqlite3
import threading
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Iterable

from c2d_runner import wire

SCHEMA = """
CREATE TABLE IF NOT EXISTS nonces (address TEXT PRIMARY KEY, nonce TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, consumer TEXT NOT NULL, did TEXT NOT NULL, service_id TEXT NOT NULL,
    environment TEXT NOT NULL, issued_at REAL NOT NULL, valid_until REAL NOT NULL,
    job_id TEXT, used_by TEXT);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, ordinal INTEGER NOT NULL, owner TEXT NOT NULL, agreement_id TEXT NOT NULL,
    environment TEXT NOT NULL, status INTEGER NOT NULL, stopreq INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0, date_created TEXT NOT NULL, date_finished TEXT,
    algo_did TEXT NOT NULL, input_dids TEXT NOT NULL, results TEXT, request TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner);
"""
# Columns added after the first release; a state dir made by an older mock gets them on open.
ADDED_COLUMNS = (("jobs", "details", "TEXT NOT NULL DEFAULT '{}'"),)
# A job runs until it has a dateFinished: v1 sets it with 31 / 32 / 70, the node with 71 (then 70)
# or a failure status, so "running" means the same under both protocols.
RUNNING = "date_finished IS NULL"


# The store's refusals below are turned into the Provider's HTTP answers by the routes; they never
# reach a user as exceptions, so they are not C2DErrors.
class NonceRejected(Exception):
    """The nonce is not above the stored one; carries both for the Provider's message."""

    def __init__(self, sent: Decimal, stored: Decimal):
        super().__init__(f"Invalid signature expected nonce ({sent}) > current nonce ({stored}).")
        self.sent = sent
        self.stored = stored


class OrderInvalid(Exception):
    """An order that does not exist, expired, or is bound to another consumer/asset/env."""


class AgreementInUse(Exception):
    """operator-service's rule: a running job already has this agreementId (the dataset's order)."""


class EnvironmentFull(Exception):
    """The environment already runs maxJobs jobs."""


@dataclass(frozen=True)
class Order:
    """An order the mock issued at initializeCompute (there is no chain)."""

    order_id: str
    consumer: str
    did: str
    service_id: str
    environment: str
    issued_at: float
    valid_until: float
    job_id: str | None
    used_by: str | None


@dataclass(frozen=True)
class OrderUse:
    """One order a start wants to consume."""

    order_id: str
    did: str
    service_id: str


@dataclass(frozen=True)
class Job:
    """A compute job as stored."""

    job_id: str
    ordinal: int
    owner: str
    agreement_id: str
    environment: str
    status: int
    stopreq: int
    removed: int
    date_created: str
    date_finished: str | None
    algo_did: str
    input_dids: tuple[str, ...]
    results: tuple[dict, ...] | None  # None until published
    request: dict  # what the executor needs (kept so a restarted mock knows the job)
    details: dict = field(default_factory=dict)  # what a run learnt (node: exit code, OOM, timestamps)

    @property
    def finished(self) -> bool:
        """True once the job has a dateFinished (v1: 31 / 32 / 70; node: 71, 70 or a failure)."""
        return self.date_finished is not None


# Clients send millisecond (ocean.js) or second timestamps; anything at or above this is hostile.
NONCE_LIMIT = 10**30


def parse_nonce(value: Any) -> Decimal | None:
    """The nonce as a Decimal (int, float or string as clients send it), or None when not a number
    below NONCE_LIMIT (checked before any arithmetic: see wire.bounded_number)."""
    return wire.bounded_number(value, NONCE_LIMIT)


def _fmt(d: Decimal) -> str:
    """Decimal without a spurious exponent or trailing '.0' for integers."""
    return str(int(d)) if d == d.to_integral_value() else format(d.normalize(), "f")


class Store:
    """SQLite-backed jobs, nonces and orders."""

    def __init__(self, path: pathlib.Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            for table, column, decl in ADDED_COLUMNS:
                have = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _tx(self):
        return _Transaction(self)

    # --- nonces -------------------------------------------------------------------------------
    @staticmethod
    def _nonce_key(address: str, exact: bool) -> str:
        # The Provider keys nonces by lowercased address; the node by the exact string it was sent
        # ("=" marks those keys, so the two protocols never share a counter in one state dir).
        return "=" + address if exact else address.lower()

    def nonce(self, address: str, *, exact: bool = False, first: str = "1") -> str:
        """GET /nonce: the stored nonce, storing `first` when the address has none (Provider 1, node 0)."""
        key = self._nonce_key(address, exact)
        with self._tx() as db:
            row = db.execute("SELECT nonce FROM nonces WHERE address=?", (key,)).fetchone()
            if row is None:
                db.execute("INSERT INTO nonces VALUES (?, ?)", (key, first))
                return first
            return row["nonce"]

    def stored_nonce(self, address: str, *, exact: bool = False) -> Decimal:
        """The stored nonce, 0 when the address has none (nothing is written)."""
        with self._lock:
            row = self._db.execute("SELECT nonce FROM nonces WHERE address=?",
                                   (self._nonce_key(address, exact),)).fetchone()
        return Decimal(row["nonce"]) if row else Decimal(0)

    def use_nonce(self, address: str, nonce: Decimal, *, exact: bool = False, text: str | None = None) -> None:
        """Store `nonce` if it is above the stored one, else raise NonceRejected (nothing changes)."""
        key = self._nonce_key(address, exact)
        with self._tx() as db:
            row = db.execute("SELECT nonce FROM nonces WHERE address=?", (key,)).fetchone()
            if row is not None:
                stored = Decimal(row["nonce"])
                # The Provider refuses only lower nonces, then crashes storing an equal one;
                # refusing equal ones too gives the same outcome with an honest message.
                if nonce <= stored:
                    raise NonceRejected(nonce, stored)
            db.execute("INSERT OR REPLACE INTO nonces VALUES (?, ?)", (key, text if text is not None else _fmt(nonce)))

    # --- orders -------------------------------------------------------------------------------
    def reuse_or_issue_order(self, sent: str | None, order_id: str, consumer: str, did: str, service_id: str,
                             environment: str, valid_until: float, now: float) -> str:
        """The order the client `sent` when it is still valid for (consumer, did, service, env), else
        `order_id`, stored as a new order.

        Like the real Provider, only an order the client names is reused (however many jobs used it
        already): one that was never sent is never handed out again, so concurrent initializeCompute
        calls cannot get the same order (without a chain, issuing a new order stands in for the
        client's on-chain order).
        """
        with self._tx() as db:
            row = db.execute(
                "SELECT order_id FROM orders WHERE order_id=? AND lower(consumer)=? AND did=? AND service_id=? "
                "AND environment=? AND valid_until>=?",
                (sent, consumer.lower(), did, service_id, environment, now),
            ).fetchone() if sent else None
            if row is not None:
                return row["order_id"]
            db.execute("INSERT INTO orders VALUES (?,?,?,?,?,?,?,NULL,NULL)",
                       (order_id, consumer, did, service_id, environment, now, valid_until))
            return order_id

    def record_order(self, order_id: str, consumer: str, did: str, service_id: str, environment: str,
                     issued_at: float, valid_until: float) -> None:
        """Keep an order placed on chain (checked there) so its use by a job is tracked; kept once."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO orders VALUES (?,?,?,?,?,?,?,NULL,NULL)",
                       (order_id, consumer, did, service_id, environment, issued_at, valid_until))

    def order(self, order_id: str) -> Order | None:
        """The order with this id, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM orders WHERE order_id=?", (order_id,)).fetchone()
        return Order(**dict(row)) if row else None

    # --- jobs ---------------------------------------------------------------------------------
    def create_job(self, job: Job, uses: Iterable[OrderUse], consumer: str, env_addresses: Iterable[str],
                   max_jobs: int, now: float, unique_agreement: bool = False) -> Job:
        """Atomically check the orders, the agreementId and capacity, and insert the job.

        An order may start any number of jobs (the Provider does not count its uses), but only its
        first user's: an order placed for an environment's address binds to whoever starts with it
        first. With `unique_agreement` (the Provider protocol), as operator-service, no two running
        jobs share an agreementId (the dataset's order).
        """
        env_addresses = {a.lower() for a in env_addresses}
        with self._tx() as db:
            for use in uses:
                row = db.execute("SELECT * FROM orders WHERE order_id=?", (use.order_id,)).fetchone()
                if row is None:
                    raise OrderInvalid(f"order {use.order_id} was not issued by this provider")
                o = Order(**dict(row))
                owner_ok = o.consumer.lower() == consumer.lower() or o.consumer.lower() in env_addresses
                if not owner_ok:
                    raise OrderInvalid(f"order {o.order_id} belongs to another consumer")
                if (o.did, o.service_id, o.environment) != (use.did, use.service_id, job.environment):
                    raise OrderInvalid(f"order {o.order_id} is for another asset, service or environment")
                if o.used_by is not None and o.used_by.lower() != consumer.lower():
                    raise OrderInvalid(f"order {o.order_id} is bound to consumer {o.used_by}")
                if o.valid_until < now:
                    raise OrderInvalid(f"order {o.order_id} expired")
                db.execute("UPDATE orders SET job_id=?, used_by=COALESCE(used_by, ?) WHERE order_id=?",
                           (job.job_id, consumer, o.order_id))
            if unique_agreement and db.execute(f"SELECT 1 FROM jobs WHERE agreement_id=? AND {RUNNING}",
                                               (job.agreement_id,)).fetchone():
                raise AgreementInUse(job.agreement_id)
            running = db.execute(
                f"SELECT count(*) FROM jobs WHERE environment=? AND {RUNNING}", (job.environment,)).fetchone()[0]
            if running >= max_jobs:
                raise EnvironmentFull(f"environment {job.environment} already runs {running} of {max_jobs} jobs")
            ordinal = db.execute("SELECT count(*) FROM jobs").fetchone()[0]
            job = replace(job, ordinal=ordinal)
            db.execute(
                "INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (job.job_id, job.ordinal, job.owner, job.agreement_id, job.environment, job.status, job.stopreq,
                 job.removed, job.date_created, job.date_finished, job.algo_did, json.dumps(list(job.input_dids)),
                 None if job.results is None else json.dumps(list(job.results)), json.dumps(job.request),
                 json.dumps(job.details)),
            )
        return job

    def job(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE job_id=?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs_of(self, owner: str) -> list[Job]:
        """All jobs of an owner, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE lower(owner)=? ORDER BY ordinal", (owner.lower(),)).fetchall()
        return [_job(r) for r in rows]

    def jobs_matching(self, owner: str | None = None, job_id: str | None = None,
                      agreement_id: str | None = None) -> list[Job]:
        """Jobs whose fields equal the given ones exactly (case-sensitive, as the node's SQL), oldest first."""
        where, params = [], []
        for column, value in (("owner", owner), ("job_id", job_id), ("agreement_id", agreement_id)):
            if value is not None:
                where.append(f"{column}=?")
                params.append(value)
        sql = "SELECT * FROM jobs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY ordinal"
        with self._lock:
            return [_job(r) for r in self._db.execute(sql, params).fetchall()]

    def unfinished_jobs(self) -> list[Job]:
        """Jobs still running (after a restart: those the previous run left behind)."""
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM jobs WHERE {RUNNING} ORDER BY ordinal").fetchall()
        return [_job(r) for r in rows]

    def running_jobs(self, environment: str) -> list[Job]:
        """Jobs of an environment that are still running."""
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM jobs WHERE environment=? AND {RUNNING}", (environment,)).fetchall()
        return [_job(r) for r in rows]

    def running_count(self, environment: str) -> int:
        """Jobs of an environment that are still running."""
        with self._lock:
            return self._db.execute(f"SELECT count(*) FROM jobs WHERE environment=? AND {RUNNING}",
                                    (environment,)).fetchone()[0]

    def settling_jobs(self) -> list[Job]:
        """Node jobs at 71 "Job settling" (finished, waiting for the claim that sets 70)."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE status=71 ORDER BY ordinal").fetchall()
        return [_job(r) for r in rows]

    def update_details(self, job_id: str, **values: Any) -> None:
        """Merge values into a job's details."""
        with self._tx() as db:
            row = db.execute("SELECT details FROM jobs WHERE job_id=?", (job_id,)).fetchone()
            if row is not None:
                details = dict(json.loads(row["details"]), **values)
                db.execute("UPDATE jobs SET details=? WHERE job_id=?", (json.dumps(details), job_id))

    def settle(self, job_id: str) -> None:
        """71 -> 70: what the node's payment-claim cron does to a settled job."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET status=70 WHERE job_id=? AND status=71", (job_id,))

    def set_status(self, job_id: str, status: int) -> None:
        """Write a (non-final) status."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET status=? WHERE job_id=?", (status, job_id))

    def request_stop(self, job_id: str, stopreq: int = 1) -> None:
        """Record a stop request (1 = API, 2 = maxJobDuration) unless one is recorded already."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET stopreq=? WHERE job_id=? AND stopreq=0", (stopreq, job_id))

    def finish(self, job_id: str, status: int, results: list[dict], date_finished: str, stopreq: int = 0) -> None:
        """Write the final status, the published results and dateFinished."""
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status=?, results=?, date_finished=?, stopreq=CASE WHEN stopreq=0 THEN ? ELSE stopreq END WHERE job_id=?",
                (status, json.dumps(results), date_finished, stopreq, job_id),
            )


def _job(row: sqlite3.Row) -> Job:
    d = dict(row)
    d["input_dids"] = tuple(json.loads(d["input_dids"]))
    d["results"] = None if d["results"] is None else tuple(json.loads(d["results"]))
    d["request"] = json.loads(d["request"])
    d["details"] = json.loads(d.get("details") or "{}")
    return Job(**d)


class _Transaction:
    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        self.store._db.execute("BEGIN IMMEDIATE")
        return self.store._db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.store._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()


def epoch_text(t: float | None = None) -> str:
    """Epoch seconds as the string operator-service sends (dateCreated / dateFinished)."""
    return repr(round(time.time() if t is None else t, 6))
