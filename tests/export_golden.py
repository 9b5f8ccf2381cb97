"""Submissions of the every-question-type example with awkward answers, and the exports the writers
gave for them before the export path was made faster (kept in tests/golden/), so a faster writer must
give the same bytes.

Regenerate only for a deliberate change of output: `python -m tests.export_golden`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

from engine.export import ExportLayout, FormHistory, Writer, csv_items_stream, csv_stream, jsonl_stream
from engine.loader import load_form_text
from engine.storage import JSON, ExportRecord

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
FORM_FILE = ROOT / "forms" / "examples" / "every-question-type.yaml"
FORM = load_form_text(FORM_FILE.read_text(), FORM_FILE.name)

ANSWERS: list[dict[str, JSON]] = [
    {
        "agree": True,
        "nickname": "=SUM(A1:A2)",
        "full_name": "Ann O'Neil, \"Annie\"",
        "date_of_birth": "2001-03-27",
        "email": "@ann@example.org",
        "phone": "+44 7700 900123",
        "postcode": "OX1 1AA",
        "home_address": {"line1": "1 High St", "line2": "", "town": "-Oxford", "postcode": "OX1 1AA"},
        "visits": 12,
        "distance": "1200.50",
        "last_visit": "2026-10-01",
        "garden_role": "other",
        "garden_role__other": "\tgardener",
        "volunteer_hours": -5,
        "likes": ["plants", "food", "other"],
        "likes__other": "Bees\nand birds",
        "favourite_bed": "bed_3",
        "rating": "very_good",
        "facilities": {"paths": "good", "seating": "not_used", "toilets": "unknown"},
        "priorities": ["events", "more_seating", "step_free", "longer_opening"],
        "ideas": "Line one\r\nline two, with \"quotes\" and ＝full width",
        "can_quote": False,
        "happy_to_help": True,
        "help_when": "weekends",
        "receipts": [{"id": "f1"}, {"id": "f2"}],
        "bank_details": {"account_name": "+A Name", "sort_code": "309430", "account_number": "00012345"},
        "visit_again": True,
        "costs": [
            {"cost_description": "Seeds", "cost_amount": "12.50"},
            {"cost_description": "=HYPERLINK(\"x\")", "cost_amount": "not money"},
            "not an item",
            {"cost_amount": 3},
        ],
    },
    {
        "nickname": 42,
        "visits": True,
        "distance": "1e400",
        "garden_role": "retired option",
        "likes": "plants",
        "rating": 3,
        "facilities": ["good"],
        "priorities": "events",
        "home_address": "somewhere",
        "receipts": {},
        "costs": {},
        "can_quote": "yes",
        "ideas": ["a", "list"],
        "unknown_question": "kept out of every column",
    },
    {},
    {
        "nickname": "Zoë 🌱 ＠home",
        "visits": 0,
        "distance": 0.5,
        "volunteer_hours": "12",
        "likes": ["none"],
        "garden_role": "volunteer",
        "costs": [],
        "ideas": "-",
        "email": "",
        "postcode": "＝A1",
    },
]
TAGS = [("=cmd", "transport"), (), ("urgent",), ()]
STATUSES = [None, "+escalated", "reviewed", None]
#: When each was submitted: UTC, a summer offset, a winter one and a far one, with microseconds.
MOMENTS = [
    dt.datetime(2026, 1, 5, 10, 5, 7, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 7, 1, 0, 30, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    dt.datetime(2026, 11, 26, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-9, minutes=-30))),
]
#: The golden file of each export: (file name, writer, with personal data).
EXPORTS: list[tuple[str, Writer, bool]] = [
    ("every-type.csv", csv_stream, True),
    ("every-type-board.csv", csv_stream, False),
    ("every-type-items.csv", csv_items_stream, True),
    ("every-type.jsonl", jsonl_stream, True),
]


def records() -> list[ExportRecord]:
    return [
        ExportRecord(
            reference=f"EQ-2345-67{number}A",
            submitted_at=moment,
            version=FORM.version,
            language="cy" if number % 2 else "en",
            review_status=status,
            tags=tags,
            answers=answers,
        )
        for number, (answers, tags, status, moment) in enumerate(
            zip(ANSWERS, TAGS, STATUSES, MOMENTS, strict=True)
        )
    ]


async def exported(writer: Writer, *, personal: bool, batch_size: int = 3) -> bytes:
    """The export of `records()`, in batches of `batch_size`."""
    layout = ExportLayout.of(FormHistory.of([FORM]), personal=personal)
    every = records()

    async def batches() -> AsyncIterator[list[ExportRecord]]:
        for start in range(0, len(every), batch_size):
            yield every[start : start + batch_size]

    return b"".join([chunk async for chunk in writer(layout, batches())])


async def _write_golden_files() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, writer, personal in EXPORTS:
        (GOLDEN / name).write_bytes(await exported(writer, personal=personal))


if __name__ == "__main__":
    asyncio.run(_write_golden_files())
