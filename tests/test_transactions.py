"""Write transactions: concurrent writers share a COMMIT on SQLite, and each still gets its own outcome."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from engine import storage
from engine.storage import Answer, Tag
from engine.transactions import GROUP_LIMIT, CommitFailed, in_one_step, writing

pytestmark = pytest.mark.usefixtures("storage")
# Group commit, the failed COMMIT and the reader are SQLite's: these run on its database only.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class BodyFailed(Exception):
    pass


async def tag_names() -> set[str]:
    names = await Tag.filter(form_slug="f").values_list("name", flat=True)
    return {str(name) for name in names}


async def add_tag(name: str, *, fail: bool = False) -> None:
    async with writing() as connection:
        await Tag.create(form_slug="f", name=name, using_db=connection)
        if fail:
            raise BodyFailed(name)


@pytest.fixture
async def commits() -> AsyncIterator[list[str]]:
    """The statements the SQLite connection runs while the test does."""
    statements: list[str] = []
    writer = connections.get("sqlite")
    await writer.execute_query("SELECT 1")  # opens the connection
    await writer._connection.set_trace_callback(statements.append)
    yield statements
    await writer._connection.set_trace_callback(None)


@sqlite_only
async def test_concurrent_writers_share_commits_and_each_is_stored(commits: list[str]) -> None:
    writers = 3 * GROUP_LIMIT

    await asyncio.gather(*(add_tag(f"t{number}") for number in range(writers)))

    assert await tag_names() == {f"t{number}" for number in range(writers)}
    shared = [statement for statement in commits if statement.strip().upper() == "COMMIT"]
    assert math.ceil(writers / GROUP_LIMIT) <= len(shared) < writers


# The first writer of a group begins its transaction; the others each have a savepoint in it.
@pytest.mark.parametrize("failing", [0, 3])
async def test_a_failing_writer_is_rolled_back_alone_and_gets_its_own_error(failing: int) -> None:
    outcomes = await asyncio.gather(
        *(add_tag(f"t{number}", fail=number == failing) for number in range(8)), return_exceptions=True
    )

    assert [type(outcome) for outcome in outcomes] == [
        BodyFailed if number == failing else type(None) for number in range(8)
    ]
    assert await tag_names() == {f"t{number}" for number in range(8)} - {f"t{failing}"}


async def test_a_constraint_error_in_one_writer_leaves_the_others_stored() -> None:
    await add_tag("taken")

    outcomes = await asyncio.gather(add_tag("a"), add_tag("taken"), add_tag("b"), return_exceptions=True)

    assert [outcomes[0], outcomes[2]] == [None, None]
    assert isinstance(outcomes[1], IntegrityError)
    assert await tag_names() == {"taken", "a", "b"}


@sqlite_only
async def test_a_failed_commit_fails_every_writer_in_the_group_and_stores_none_of_them() -> None:
    async def breaks_the_commit() -> None:
        async with writing() as connection:
            # A deferred foreign key is checked at COMMIT, so the group's COMMIT itself fails.
            await connection.execute_query("PRAGMA defer_foreign_keys = ON")
            await Answer.create(response_id=uuid.uuid4(), question_id="q", value="1", using_db=connection)

    outcomes = await asyncio.gather(
        add_tag("before"), breaks_the_commit(), add_tag("after"), return_exceptions=True
    )

    assert [type(outcome) for outcome in outcomes] == [CommitFailed] * 3
    assert await tag_names() == set()
    await add_tag("next")
    assert await tag_names() == {"next"}


async def test_a_writer_cancelled_mid_block_is_rolled_back_and_the_others_are_stored() -> None:
    inside = asyncio.Event()

    async def abandoned() -> None:
        async with writing() as connection:
            await Tag.create(form_slug="f", name="abandoned", using_db=connection)
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(abandoned())
    await inside.wait()
    others = asyncio.gather(add_tag("a"), add_tag("b"))
    await asyncio.sleep(0)
    task.cancel()
    await others

    with pytest.raises(asyncio.CancelledError):
        await task
    assert await tag_names() == {"a", "b"}
    await add_tag("c")
    assert await tag_names() == {"a", "b", "c"}


async def test_a_writer_cancelled_while_its_transaction_begins_leaves_the_connection_usable() -> None:
    await add_tag("first")
    task = asyncio.create_task(add_tag("cancelled"))
    await asyncio.sleep(0)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    await add_tag("next")
    assert await tag_names() == {"first", "next"}


async def test_a_nested_write_is_a_savepoint_of_the_outer_one() -> None:
    async with writing() as connection:
        await Tag.create(form_slug="f", name="outer", using_db=connection)
        with pytest.raises(BodyFailed):
            await add_tag("inner", fail=True)
        await add_tag("kept")

    assert await tag_names() == {"outer", "kept"}


@sqlite_only
async def test_a_draft_is_read_while_a_write_transaction_is_open_and_a_saved_page_is_seen_at_once() -> None:
    await storage.record_form_version("board", "v1", {"title": "Join the board"})
    draft, _ = await storage.create_draft("board", "v1", "en")
    inside, release = asyncio.Event(), asyncio.Event()

    async def slow_writer() -> None:
        async with writing() as connection:
            await Tag.create(form_slug="f", name="slow", using_db=connection)
            inside.set()
            await release.wait()

    writer = asyncio.create_task(slow_writer())
    await inside.wait()
    read = await asyncio.wait_for(storage.get_draft(draft.id), timeout=10)
    release.set()
    await writer

    assert read.answers == {}
    await storage.save_answers(draft.id, {"name": "Ada"})
    assert (await storage.get_draft(draft.id)).answers == {"name": "Ada"}


# --- writes in one step (engine.transactions.in_one_step): saving a page on SQLite ----------------


def insert_tag(name: str, *, fail: bool = False) -> Callable[[sqlite3.Connection], str]:
    def step(db: sqlite3.Connection) -> str:
        db.execute("INSERT INTO tag (form_slug, name) VALUES ('f', ?)", [name])
        if fail:
            raise BodyFailed(name)
        return name

    return step


@sqlite_only
async def test_steps_and_blocks_share_commits_each_gets_its_own_outcome_and_none_waits_forever(
    commits: list[str],
) -> None:
    writers = 4 * GROUP_LIMIT
    failing = {5, GROUP_LIMIT + 2}

    async def writer(number: int) -> str | None:
        if number % 2:
            await add_tag(f"t{number}", fail=number in failing)
            return None
        return await in_one_step(insert_tag(f"t{number}", fail=number in failing))

    outcomes = await asyncio.gather(*(writer(number) for number in range(writers)), return_exceptions=True)

    for number, outcome in enumerate(outcomes):
        if number in failing:
            assert isinstance(outcome, BodyFailed)
        else:
            assert outcome == (f"t{number}" if number % 2 == 0 else None)
    assert await tag_names() == {f"t{number}" for number in range(writers)} - {f"t{n}" for n in failing}
    shared = [statement for statement in commits if statement.strip().upper() == "COMMIT"]
    # Blocks share a COMMIT in groups of GROUP_LIMIT, steps in larger batches of their own.
    assert 2 <= len(shared) <= writers // 4


@sqlite_only
async def test_a_step_that_breaks_a_constraint_gets_the_same_error_as_a_block() -> None:
    await add_tag("taken")

    with pytest.raises(IntegrityError):
        await in_one_step(insert_tag("taken"))

    assert await in_one_step(insert_tag("free")) == "free"
    assert await tag_names() == {"taken", "free"}


async def test_inside_a_transaction_or_on_postgresql_there_is_no_step_and_the_caller_uses_a_block() -> None:
    async with writing():
        assert await in_one_step(insert_tag("inside")) is None
    on_sqlite = connections.get(next(iter(connections.db_config))).capabilities.dialect == "sqlite"
    assert (await in_one_step(insert_tag("outside")) is not None) == on_sqlite


@sqlite_only
async def test_a_page_saved_in_one_step_is_stored_exactly_as_a_block_would_store_it() -> None:
    await storage.record_form_version("board", "v1", {"title": "Join the board"})
    draft, _ = await storage.create_draft("board", "v1", "en")

    saved = await storage.save_answers(draft.id, {"name": "Ada", "age": 30}, seen_page="about")
    saved = await storage.save_answers(draft.id, {"age": 31}, remove=["name"], seen_page="about")

    assert saved == await storage.get_draft(draft.id)
    assert saved.answers == {"age": 31}
    assert saved.seen_pages == ("about",)
    with pytest.raises(storage.NotFound):
        await storage.save_answers(str(uuid.uuid4()), {"age": 1})
