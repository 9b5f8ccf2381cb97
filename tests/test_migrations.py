"""The committed migrations build the schema the models describe, upgrade old databases, and are safe
to run from several workers at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine import storage

MIGRATIONS = sorted(path.stem for path in (Path(storage.__file__).parent / "migrations").glob("[0-9]*.py"))


async def test_every_model_change_is_held_by_a_committed_migration() -> None:
    changes = await storage.unmigrated_model_changes()

    assert changes == [], "run `tortoise -c engine.storage.TORTOISE_ORM makemigrations` and commit it"


async def test_a_database_at_the_first_migration_upgrades_to_the_latest_keeping_its_submissions(
    database_url: str,
) -> None:
    assert await storage.migrate(database_url, target=MIGRATIONS[0]) == MIGRATIONS[:1]
    async with storage.connect(database_url):
        await storage.record_form_version("board", "v1", {"title": "Join the board"})
        draft, _ = await storage.create_draft("board", "v1", "en")
        submission = await storage.submit(draft.id, {"role": "carer", "activities": ["art"]}, "CPB")

    upgraded = await storage.migrate(database_url)

    assert upgraded == MIGRATIONS[1:]
    assert await storage.applied_migrations(database_url) == MIGRATIONS
    async with storage.connect(database_url):
        assert await storage.get_submission(submission.reference) == submission
        assert await storage.count_by_answer("board", "activities") == {"art": 1}


async def test_workers_migrating_at_the_same_moment_apply_each_migration_once(database_url: str) -> None:
    applied_by_each = await asyncio.gather(*(storage.migrate(database_url) for _ in range(4)))

    assert sorted(name for applied in applied_by_each for name in applied) == MIGRATIONS
    assert await storage.migrate(database_url) == []


async def test_the_directory_of_a_new_sqlite_database_is_created_on_first_run(tmp_path: Path) -> None:
    database = tmp_path / "data" / "coform.sqlite3"

    await storage.migrate(f"sqlite://{database}")

    assert database.is_file()
    assert await storage.applied_migrations(f"sqlite://{database}") == MIGRATIONS
