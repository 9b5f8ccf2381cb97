"""Write transactions for the persistence modules (storage, outbox, accounts); like them it imports tortoise.

    async with writing() as connection:
        ...   # committed when the block ends, rolled back if it raises
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction


@asynccontextmanager
async def writing() -> AsyncIterator[BaseDBAsyncClient]:
    """A write transaction: committed when the block ends, rolled back if it raises."""
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "sqlite":
            # tortoise begins SQLite transactions DEFERRED. A deferred transaction that reads and
            # then writes fails at once with "database is locked" if another process wrote in
            # between (the busy timeout does not apply), so take the write lock before reading.
            # The empty deferred transaction holds no locks, so ending it loses nothing.
            await connection.execute_query("ROLLBACK")
            await connection.execute_query("BEGIN IMMEDIATE")
        yield connection
