"""Many respondents at once: every submission stored exactly once, references unique, no answer lost.

Run as a script (`python tests/test_storage_concurrency.py URL FIRST COUNT`), this file is one of
the worker processes: it fills in and submits COUNT drafts and prints one JSON line per submission.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from engine import storage

ROOT = Path(__file__).resolve().parent.parent
RESPONDENTS = 200
PROCESSES = 4


def pages_of(respondent: int) -> list[dict[str, storage.JSONInput]]:
    """Three pages of answers that differ per respondent, so a lost or crossed answer shows."""
    return [
        {"role": ["carer", "young_person", "parent"][respondent % 3], "name": f"Respondent {respondent}"},
        {"activities": ["art", "sport"][: 1 + respondent % 2], "age": 14 + respondent % 60},
        {"why": f"Reason number {respondent} — with ünïcödé", "consent": True},
    ]


def all_answers(respondent: int) -> dict[str, storage.JSONInput]:
    return {key: value for page in pages_of(respondent) for key, value in page.items()}


async def respond(respondent: int) -> tuple[int, str]:
    """Fill in every page, then submit twice at once as a double click would."""
    draft, _ = await storage.create_draft("board", "v1", "en")
    for page in pages_of(respondent):
        await storage.save_answers(draft.id, page)
        await asyncio.sleep(0)
    saved = await storage.get_draft(draft.id)
    first, second = await asyncio.gather(
        storage.submit(draft.id, saved.answers, "CPB"), storage.submit(draft.id, saved.answers, "CPB")
    )
    if first != second:
        raise AssertionError(f"double submit of respondent {respondent} gave {first} and {second}")
    return respondent, first.reference


async def assert_each_stored_once(references: dict[int, str]) -> None:
    assert len(references) == RESPONDENTS
    assert len(set(references.values())) == RESPONDENTS
    assert await storage.count_submissions("board") == RESPONDENTS
    assert await storage.count_by_answer("board", "consent") == {"true": RESPONDENTS}
    for respondent, reference in references.items():
        submission = await storage.get_submission(reference)
        assert submission is not None
        assert submission.answers == json.loads(json.dumps(all_answers(respondent)))


@pytest.mark.usefixtures("storage")
async def test_200_concurrent_respondents_are_each_stored_once_with_every_answer() -> None:
    await storage.record_form_version("board", "v1", {"title": "Join the board"})

    results = await asyncio.gather(*(respond(respondent) for respondent in range(RESPONDENTS)))

    await assert_each_stored_once(dict(results))


@pytest.mark.slow
async def test_4_processes_saving_and_submitting_at_once_store_each_submission_once(
    database_url: str,
) -> None:
    share = RESPONDENTS // PROCESSES
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            database_url,
            str(number * share),
            str(share),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for number in range(PROCESSES)
    ]
    outputs = await asyncio.gather(*(worker.communicate() for worker in workers))

    assert [worker.returncode for worker in workers] == [0] * PROCESSES
    references = {
        respondent: reference
        for stdout, _ in outputs
        for respondent, reference in (json.loads(line) for line in stdout.decode().splitlines())
    }
    async with storage.connect(database_url):
        await assert_each_stored_once(references)


async def run_worker(database_url: str, first: int, count: int) -> None:
    # Every worker migrates at start-up, as app workers do: the lock must make that safe.
    await storage.migrate(database_url)
    async with storage.connect(database_url):
        await storage.record_form_version("board", "v1", {"title": "Join the board"})
        for respondent, reference in await asyncio.gather(*(respond(r) for r in range(first, first + count))):
            print(json.dumps([respondent, reference]), flush=True)


if __name__ == "__main__":
    asyncio.run(run_worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
