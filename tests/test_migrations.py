"""The committed migrations build the schema the models describe, upgrade old databases, and are safe
to run from several workers at once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from engine import storage

MIGRATIONS = sorted(path.stem for path in (Path(storage.__file__).parent / "migrations").glob("[0-9]*.py"))


async def test_every_model_change_is_held_by_a_committed_migration() -> None:
    changes = await storage.unmigrated_model_changes()

    assert changes == [], "run `tortoise -c engine.storage.TORTOISE_ORM makemigrations` and commit it"


# Rows as the first migration's schema holds them, written with plain SQL: the current models may
# have columns that schema lacks, so they cannot write to an old database.
FIRST_MIGRATION_ROWS = [
    "INSERT INTO form_version (id, slug, version, definition, first_seen)"
    " VALUES (1, 'board', 'v1', '{\"title\": \"Join the board\"}', '2026-01-05 10:00:00+00:00')",
    "INSERT INTO response (id, form_version_id, form_slug, language, status, resume_token_hash, reference,"
    " started_at, updated_at, submitted_at, review_status)"
    " VALUES ('0b5d2c4e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', 1, 'board', 'en', 'submitted', 'hash-of-old-token',"
    " 'CPB-7K3P-2QXD', '2026-01-05 10:00:00+00:00', '2026-01-05 10:05:00+00:00',"
    " '2026-01-05 10:05:00+00:00', NULL)",
    "INSERT INTO answer (response_id, question_id, value) VALUES"
    " ('0b5d2c4e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', 'role', '\"carer\"'),"
    " ('0b5d2c4e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', 'activities', '[\"art\"]')",
    "INSERT INTO answer_value (response_id, form_slug, question_id, value) VALUES"
    " ('0b5d2c4e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', 'board', 'role', 'carer'),"
    " ('0b5d2c4e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', 'board', 'activities', 'art')",
]


async def _execute(database_url: str, statements: list[str]) -> None:
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as connection:
            for statement in statements:
                connection.execute(statement)
        return
    connection = await asyncpg.connect(database_url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def test_a_database_at_the_first_migration_upgrades_to_the_latest_keeping_its_submissions(
    database_url: str,
) -> None:
    assert await storage.migrate(database_url, target=MIGRATIONS[0]) == MIGRATIONS[:1]
    await _execute(database_url, FIRST_MIGRATION_ROWS)

    upgraded = await storage.migrate(database_url)

    assert upgraded == MIGRATIONS[1:]
    assert await storage.applied_migrations(database_url) == MIGRATIONS
    async with storage.connect(database_url):
        submission = await storage.get_submission("CPB-7K3P-2QXD")
        assert submission is not None
        assert dict(submission.answers) == {"role": "carer", "activities": ["art"]}
        assert submission.version == "v1"
        assert await storage.count_by_answer("board", "activities") == {"art": 1}
        # What exports read: the answer rows as one object, in question id order.
        response = await storage.Response.get(reference="CPB-7K3P-2QXD")
        assert response.submitted_answers == '{"activities":["art"],"role":"carer"}'


async def test_workers_migrating_at_the_same_moment_apply_each_migration_once(database_url: str) -> None:
    applied_by_each = await asyncio.gather(*(storage.migrate(database_url) for _ in range(4)))

    assert sorted(name for applied in applied_by_each for name in applied) == MIGRATIONS
    assert await storage.migrate(database_url) == []


async def test_the_directory_of_a_new_sqlite_database_is_created_on_first_run(tmp_path: Path) -> None:
    database = tmp_path / "data" / "coform.sqlite3"

    await storage.migrate(f"sqlite://{database}")

    assert database.is_file()
    assert await storage.applied_migrations(f"sqlite://{database}") == MIGRATIONS
