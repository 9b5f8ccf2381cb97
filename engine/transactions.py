"""Transactions for the persistence modules (storage, outbox, accounts); like them it imports tortoise.

    async with writing() as connection:
        ...   # durable when the block ends, rolled back if it raises

On SQLite, writers that arrive while a COMMIT (an fsync) is in progress share the next one: their
blocks run one after another inside one transaction, each in its own savepoint, and one COMMIT
makes them all durable before any of them returns. Reads beside the writer use `reader()`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper
from tortoise.connection import get_connections
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import _get_connection, in_transaction

#: At most this many writers share one COMMIT, so the last of them does not wait long for it.
GROUP_LIMIT = 16
#: At most this many one-step writes share one COMMIT (each takes tens of microseconds).
_BATCH_LIMIT = 64
_MEMBER = "coform_member"

T = TypeVar("T")
#: A write done in one step in SQLite's own thread, on its connection (see `in_one_step`).
Step = Callable[[sqlite3.Connection], T]


class CommitFailed(OperationalError):
    """The COMMIT that would have made this write durable failed; nothing of the group was stored."""


@asynccontextmanager
async def writing() -> AsyncIterator[BaseDBAsyncClient]:
    """A write transaction: durable when the block ends, rolled back if it raises."""
    client = _get_connection(None)
    if isinstance(client, TransactionalDBClient):
        # Already inside a transaction: a savepoint in it, committed with it.
        async with in_transaction() as connection:
            yield connection
        return
    if not isinstance(client, SqliteClient):
        # PostgreSQL commits on pooled connections already overlap.
        async with in_transaction() as connection:
            yield connection
        return
    async with _committer(client).member() as connection:
        yield connection


async def in_one_step(step: Step[T]) -> T | None:
    """Run `step` in SQLite's thread as one of a batch sharing one COMMIT; None where that cannot be
    done (PostgreSQL, an in-memory database, or inside a transaction): the caller uses `writing()`.

    Every statement of a `writing()` block is its own hand-off to aiosqlite's thread, and each one
    waits for a turn of the event loop, which on a busy server is a millisecond or more; a group's
    blocks run one after another, so those waits add up for everyone behind them. Steps are plain
    sqlite3 code: those that arrive while a batch runs (its statements and its fsync) make up the
    next one, run as BEGIN, each step in its own savepoint, COMMIT, in a single hand-off. A step that
    raises is undone alone and its caller gets the exception; a failed COMMIT fails every step. It
    returns only once the COMMIT has succeeded, so nothing is acknowledged before it is durable.
    """
    client = _get_connection(None)
    if isinstance(client, TransactionalDBClient) or not isinstance(client, SqliteClient):
        return None
    if client.filename == ":memory:":
        return None
    running = asyncio.ensure_future(_committer(client).step(step))
    # A client that goes away mid-request must not cut a writer out of its group: the step runs on.
    running.add_done_callback(_consume)
    return await asyncio.shield(running)


def _consume(task: asyncio.Future[T]) -> None:
    if not task.cancelled():
        task.exception()


def reader(client: BaseDBAsyncClient) -> sqlite3.Connection | None:
    """A plain sqlite3 connection that reads beside `client`'s writer, or None where reads must use
    `client` itself (PostgreSQL, an in-memory database, or inside a transaction, whose own writes
    only its connection sees).

    WAL lets it read while a write transaction or its fsync is in progress on the writer, and a
    one-row read is cheaper run here on the event loop than handed to aiosqlite's thread. It runs
    in autocommit, so each statement sees every transaction committed before it started: a page
    saved (and acknowledged) is seen by the next read.
    """
    if not isinstance(client, SqliteClient) or isinstance(client, TransactionalDBClient):
        return None
    if client.filename == ":memory:" or client._connection is None:
        return None
    # Keyed by tortoise's connection object, so a reconnect (or another database) gets a new one.
    found = _READERS.get(client._connection)
    if found is None:
        found = sqlite3.connect(client.filename, isolation_level=None, check_same_thread=False)
        found.execute(f"PRAGMA busy_timeout = {int(client.pragmas.get('busy_timeout', 5000))}")
        found.execute("PRAGMA query_only = ON")
        _READERS[client._connection] = found
    return found


_READERS: weakref.WeakKeyDictionary[object, sqlite3.Connection] = weakref.WeakKeyDictionary()


@dataclass(eq=False)
class _Group:
    """Writers sharing one SQLite transaction and its COMMIT."""

    size: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    #: Why the group was not stored (its COMMIT failed, or SQLite ended the transaction itself).
    error: BaseException | None = None


class _Committer:
    """Group commit on one SQLite connection.

    Writers take turns (`turn`) to run their blocks, so blocks never interleave on the connection.
    The first writer of a group begins the transaction; after its block it queues for the turn
    again, behind every writer that arrived meanwhile, and when it gets it back it commits for all
    of them. The transaction holds tortoise's connection lock from BEGIN to COMMIT, so nothing
    outside the group runs a statement inside it.
    """

    def __init__(self, client: SqliteClient) -> None:
        self.client = client
        self.turn = asyncio.Lock()
        self.group: _Group | None = None
        #: Steps waiting for the next batch, with the future each writer waits on.
        self.waiting: list[tuple[Step[object], asyncio.Future[object]]] = []
        self.batching: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def member(self) -> AsyncIterator[BaseDBAsyncClient]:
        group, leader = await self._join()
        connection = SqliteTransactionWrapper(self.client)
        token = get_connections().set(self.client.connection_name, connection)
        try:
            yield connection
        except BaseException:
            get_connections().reset(token)
            # Shielded: a cancelled request must not leave the connection inside its savepoint,
            # nor the group without the writer that commits it.
            await asyncio.shield(self._leave(group, leader, failed=True))
            raise
        get_connections().reset(token)
        await asyncio.shield(self._leave(group, leader, failed=False))
        if group.error is not None:
            raise CommitFailed(f"the write was not stored: {group.error}") from group.error

    async def step(self, step: Step[T]) -> T:
        """Queue `step` for the next batch and wait until that batch's COMMIT has succeeded.

        Steps that arrive while a batch runs (its statements and its fsync) make up the next one:
        BEGIN, every step in its own savepoint, COMMIT, all in one hand-off to SQLite's thread.
        """
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self.waiting.append((step, done))
        if self.batching is None or self.batching.done():
            self.batching = asyncio.ensure_future(self._run_batches())
        result: T = await done  # type: ignore[assignment]
        return result

    async def _run_batches(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:_BATCH_LIMIT], self.waiting[_BATCH_LIMIT:]
            try:
                outcomes = await self._run_batch([step for step, _ in batch])
            except BaseException as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(_translated(error) if isinstance(error, Exception) else error)
                if not isinstance(error, Exception):
                    raise
                continue
            for (_, done), (ok, outcome) in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if ok:
                    done.set_result(outcome)
                else:
                    done.set_exception(_translated(outcome))

    async def _run_batch(self, steps: list[Step[object]]) -> list[tuple[bool, object]]:
        """One transaction for `steps`, between the `writing()` groups: it takes the turn when no
        group is open, and tortoise's connection lock, so nothing else runs a statement inside it."""
        while True:
            await self.turn.acquire()
            if self.group is None:
                break
            open_group = self.group
            self.turn.release()
            await open_group.done.wait()
        lock = self.client._lock
        try:
            await lock.acquire()
            try:
                if self.client._connection is None:
                    await self.client.create_connection(with_db=True)
                connection = self.client._connection
                if connection is None:
                    raise OperationalError("the SQLite connection is closed")
                run: Callable[..., Awaitable[list[tuple[bool, object]]]] = connection._execute
                return await run(_run_batch, connection._conn, steps)
            finally:
                lock.release()
        finally:
            self.turn.release()

    async def _join(self) -> tuple[_Group, bool]:
        """Take the turn and a place in the open group (beginning one if none is open)."""
        while True:
            await self.turn.acquire()
            group = self.group
            if group is None or group.size < GROUP_LIMIT:
                break
            # Full: wait for its COMMIT, then start the next group.
            self.turn.release()
            await group.done.wait()
        entering = asyncio.ensure_future(self._enter(group))
        try:
            return await asyncio.shield(entering)
        except asyncio.CancelledError:
            # aiosqlite runs the BEGIN or SAVEPOINT whether or not anyone still waits for it, so
            # once it has run, leave as a writer whose block failed.
            await asyncio.shield(self._abandon(entering))
            raise

    async def _enter(self, group: _Group | None) -> tuple[_Group, bool]:
        try:
            if group is None:
                group = await self._begin()
                leader = True
            else:
                # Only writers after the first need a savepoint: when the first one's block fails,
                # nobody else is in the transaction yet, so it is rolled back whole.
                await self._execute(f"SAVEPOINT {_MEMBER}")
                leader = False
        except BaseException:
            self.turn.release()
            raise
        group.size += 1
        return group, leader

    async def _abandon(self, entering: asyncio.Future[tuple[_Group, bool]]) -> None:
        try:
            group, leader = await entering
        except BaseException:
            return
        await self._leave(group, leader, failed=True)

    async def _begin(self) -> _Group:
        lock = self.client._lock
        await lock.acquire()
        try:
            if self.client._connection is None:
                await self.client.create_connection(with_db=True)
            # IMMEDIATE takes the write lock before the first read, so another process writing
            # in between makes it wait (busy timeout) instead of failing with "database is locked".
            await self._execute("BEGIN IMMEDIATE")
        except BaseException:
            lock.release()
            raise
        self.group = _Group()
        return self.group

    async def _leave(self, group: _Group, leader: bool, *, failed: bool) -> None:
        """End this writer's part, and as the group's first writer commit the group."""
        if leader and failed:
            try:
                await self._end(group, commit=False)
            finally:
                self.turn.release()
            return
        if not leader:
            try:
                if failed:
                    await self._execute(f"ROLLBACK TO {_MEMBER}")
                await self._execute(f"RELEASE {_MEMBER}")
            except OperationalError as error:
                # SQLite ends the whole transaction on some errors (disk full, I/O): the group is lost.
                group.error = group.error or error
            await self._pass_turn(group)
            return
        # Queue behind the writers that arrived while this block ran, so they join the group.
        self.turn.release()
        await self.turn.acquire()
        try:
            if not group.done.is_set():  # a full group was committed by the writer that filled it
                await self._end(group, commit=group.error is None)
        finally:
            self.turn.release()

    async def _pass_turn(self, group: _Group) -> None:
        """A later writer's part is done: let the next writer in and wait for the group's COMMIT.
        The writer that fills the group commits it at once, still holding the turn, so writers
        queued for the turn start the next group straight after (none waits for a full group's
        COMMIT and then queues again behind newcomers)."""
        if group.size >= GROUP_LIMIT and not group.done.is_set():
            try:
                await self._end(group, commit=group.error is None)
            finally:
                self.turn.release()
            return
        self.turn.release()
        await group.done.wait()

    async def _end(self, group: _Group, *, commit: bool) -> None:
        try:
            if commit:
                try:
                    await self._execute("COMMIT")
                except OperationalError as error:
                    group.error = error
            if group.error is not None or not commit:
                await self._rollback()
        finally:
            self.group = None
            self.client._lock.release()
            group.done.set()

    async def _rollback(self) -> None:
        connection = self.client._connection
        if connection is not None and connection.in_transaction:
            await self._execute("ROLLBACK")

    async def _execute(self, sql: str) -> None:
        connection = self.client._connection
        if connection is None:
            raise OperationalError("the SQLite connection is closed")
        try:
            await connection.execute_fetchall(sql)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(error) from error
        except sqlite3.Error as error:
            raise OperationalError(error) from error


def _run_batch(db: sqlite3.Connection, steps: list[Step[object]]) -> list[tuple[bool, object]]:
    """In SQLite's thread: one transaction, each step in its own savepoint, one COMMIT. Per step
    (True, its result) or (False, its exception), the failed ones undone alone. A failed COMMIT
    (or SQLite ending the transaction itself) fails every step: nothing of the batch is stored."""
    db.execute("BEGIN IMMEDIATE")
    outcomes: list[tuple[bool, object]] = []
    try:
        for step in steps:
            db.execute(f"SAVEPOINT {_MEMBER}")
            try:
                outcomes.append((True, step(db)))
            except Exception as error:
                db.execute(f"ROLLBACK TO {_MEMBER}")
                outcomes.append((False, error))
            db.execute(f"RELEASE {_MEMBER}")
        db.execute("COMMIT")
    except sqlite3.Error as error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        lost = CommitFailed(f"the write was not stored: {error}")
        return [(False, lost)] * len(steps)
    return outcomes


def _translated(error: object) -> BaseException:
    """A step's exception as the rest of coform sees database errors (tortoise's), others as they are."""
    if isinstance(error, IntegrityError | OperationalError):
        return error
    if isinstance(error, sqlite3.IntegrityError):
        return IntegrityError(error)
    if isinstance(error, sqlite3.Error):
        return OperationalError(error)
    if isinstance(error, BaseException):
        return error
    return OperationalError(f"the write failed: {error!r}")


_COMMITTERS: weakref.WeakKeyDictionary[SqliteClient, _Committer] = weakref.WeakKeyDictionary()


def _committer(client: SqliteClient) -> _Committer:
    found = _COMMITTERS.get(client)
    if found is None:
        found = _COMMITTERS[client] = _Committer(client)
    return found
