"""A process killed mid-submission loses nothing it had acknowledged.

Run as a script (`python tests/test_storage_crash.py URL`), this file is the child: it submits
drafts in a loop and prints each reference only after `submit` (and so COMMIT) has returned.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from engine import storage

ROOT = Path(__file__).resolve().parent.parent
ACKNOWLEDGED_BEFORE_KILL = 40


def answers_of(number: int) -> dict[str, storage.JSONInput]:
    return {"role": "carer", "activities": ["art", "sport"], "why": f"Submission {number} " + "x" * 500}


async def test_every_reference_printed_before_a_sigkill_is_stored_with_its_answers(database_url: str) -> None:
    await storage.migrate(database_url)
    with subprocess.Popen(
        [sys.executable, __file__, database_url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as child:
        assert child.stdout is not None
        acknowledged = [json.loads(child.stdout.readline()) for _ in range(ACKNOWLEDGED_BEFORE_KILL)]
        # A random pause so the kill lands at a different point of a transaction each run.
        await asyncio.sleep(random.uniform(0, 0.05))
        child.send_signal(signal.SIGKILL)
        acknowledged += [json.loads(line) for line in child.stdout]

    assert child.returncode == -signal.SIGKILL
    async with storage.connect(database_url):
        for number, reference in acknowledged:
            submission = await storage.get_submission(reference)
            assert submission is not None, f"acknowledged {reference} was lost"
            assert submission.answers == json.loads(json.dumps(answers_of(number)))


async def submit_forever(database_url: str) -> None:
    async with storage.connect(database_url):
        await storage.record_form_version("board", "v1", {"title": "Join the board"})
        number = 0
        while True:
            draft, _ = await storage.create_draft("board", "v1", "en")
            await storage.save_answers(draft.id, answers_of(number))
            submission = await storage.submit(draft.id, answers_of(number), "CPB")
            print(json.dumps([number, submission.reference]), flush=True)
            number += 1


if __name__ == "__main__":
    asyncio.run(submit_forever(sys.argv[1]))
