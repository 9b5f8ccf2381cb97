"""The summary page and the export downloads, as reviewers and the board use them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from app import create_app
from engine import storage
from engine.loader import load_form_text
from engine.settings import Settings
from tests.export_forms import YOUTH_V2
from tests.web.staff_helpers import sign_in_as

NAME = "Siân Jones"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'coform.sqlite3'}", secret_key="test-secret", secure_cookies=False
    )
    form = load_form_text(YOUTH_V2, "youth.yaml")
    with TestClient(create_app(settings, forms={"youth": form})) as client:
        carer: dict[str, storage.JSONInput] = {
            "name": NAME,
            "role": "carer",
            "age": 30,
            "note": "=HYPERLINK()",
        }
        young: dict[str, storage.JSONInput] = {"name": NAME, "role": "young_person", "age": 15}
        answers = [carer] * 6 + [young] * 2
        portal(client).call(storage.import_submissions, "youth", form.version, "en", answers, "YS")
        yield client


def portal(client: TestClient) -> BlockingPortal:
    if client.portal is None:
        raise RuntimeError("open the client first")
    return client.portal


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_board_summary_shows_fewer_than_5_and_no_personal_answer(client: TestClient) -> None:
    sign_in_as(client, "board")

    page = client.get("/staff/forms/youth/summary")

    assert page.status_code == 200
    assert "fewer than 5" in page.text
    assert NAME not in page.text
    assert "Your name" not in page.text
    assert '<svg role="img" aria-labelledby="chart-role-title chart-role-desc"' in page.text
    assert '<th scope="row">Carer</th><td>6</td>' in page.text


def test_a_reviewer_summary_shows_small_counts_and_numbers(client: TestClient) -> None:
    sign_in_as(client, "reviewer")

    page = client.get("/staff/forms/youth/summary")

    assert '<th scope="row">Young person</th><td>2</td>' in page.text
    assert "<td>15</td><td>30</td><td>30</td>" in page.text


def test_the_lists_filters_apply_to_the_summary_page(client: TestClient) -> None:
    sign_in_as(client, "reviewer")

    page = client.get("/staff/forms/youth/summary", params={"answer.role": "young_person"})

    assert "Responses matching the filters: <strong>2</strong>" in page.text
    assert 'href="/staff/forms/youth/export.csv?answer.role=young_person"' in page.text


def test_a_board_export_never_holds_personal_answers_even_when_asked_for(client: TestClient) -> None:
    sign_in_as(client, "board")

    for path in ("export.csv", "export.xlsx", "export.jsonl", "export-items.csv"):
        download = client.get(f"/staff/forms/youth/{path}", params={"personal": "1"})
        assert download.status_code == 200
        assert NAME.encode() not in download.content
        assert "anonymised" in download.headers["content-disposition"]


def test_a_reviewer_can_export_with_personal_data_when_asking_for_it(client: TestClient) -> None:
    sign_in_as(client, "reviewer")

    without = rows_of(client.get("/staff/forms/youth/export.csv").content)
    with_personal = rows_of(client.get("/staff/forms/youth/export.csv", params={"personal": "1"}).content)

    assert "Your name" not in without[0]
    assert "Your name" in with_personal[0]
    assert {row[with_personal[0].index("Your name")] for row in with_personal[1:]} == {NAME}


def test_exports_are_attachments_filtered_like_the_list_and_recorded_in_the_audit_log(
    client: TestClient,
) -> None:
    reviewer = sign_in_as(client, "reviewer")

    download = client.get("/staff/forms/youth/export.csv", params={"answer.role": "young_person"})

    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"].startswith('attachment; filename="youth-export-')
    assert download.headers["cache-control"] == "no-store"
    assert len(rows_of(download.content)) == 1 + 2
    (event,) = portal(client).call(storage.audit_events, "youth")
    assert (event.actor, event.action) == (reviewer.email, "exported")
    assert event.detail == {
        "file": "export.csv",
        "personal": False,
        "filter": [["answer.role", "young_person"]],
    }


def test_the_xlsx_download_holds_formulas_as_text(client: TestClient) -> None:
    sign_in_as(client, "reviewer")

    download = client.get("/staff/forms/youth/export.xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(download.content))["Responses"]
    header = [cell.value for cell in sheet[1]]
    notes = [row[header.index("A note")] for row in sheet.iter_rows(min_row=2)]
    assert {(cell.value, cell.data_type) for cell in notes if cell.value} == {("=HYPERLINK()", "s")}


def test_the_summary_page_shows_dates_and_rankings(tmp_path: Path) -> None:
    text = """
title: Park ideas
pages:
  - id: visit
    title: Your visit
    questions:
      - {id: visited, type: date, label: "When did you last visit?"}
      - id: priorities
        type: ranking
        label: Put these ideas in order
        options:
          - {value: seating, label: More seating}
          - {value: events, label: More events}
"""
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'coform.sqlite3'}", secret_key="test-secret", secure_cookies=False
    )
    form = load_form_text(text, "park.yaml")
    with TestClient(create_app(settings, forms={"park": form})) as client:
        answers: list[dict[str, storage.JSONInput]] = [
            {"visited": "2026-03-01", "priorities": ["events", "seating"]},
            {"visited": "2026-05-20", "priorities": ["seating", "events"]},
            {"visited": "2026-08-01", "priorities": ["events", "seating"]},
        ]
        portal(client).call(storage.import_submissions, "park", form.version, "en", answers, "PI")
        sign_in_as(client, "reviewer")

        page = client.get("/staff/forms/park/summary")

    assert page.status_code == 200
    assert "<td>1 March 2026</td><td>20 May 2026</td><td>1 August 2026</td>" in page.text
    assert '<th scope="row">More events</th><td>1.3</td>' in page.text
    assert "Put these ideas in order: placed first" in page.text
