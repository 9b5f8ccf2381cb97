"""A file question on an "add another" page, with JavaScript off: a file sent with an item page that
shows an error is kept, listed, and saved with the item when the page is sent again without it.

An item is stored only once its page is valid, so until then the page itself names the files it
holds. Only this draft's own files that no answer holds yet can be named that way.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import create_app
from engine.loader import load_form_text
from engine.settings import Settings
from tests.journeys.conftest import NOW
from tests.journeys.story import (
    and_i_answer,
    error_summary_of,
    then_i_am_on,
    then_i_see,
    when_i_start,
)

FORM_TEXT = """
title: Claim for items you bought
reference_prefix: CIB
pages:
  - id: bought
    repeat: {item_name: thing, min: 1, max: 5}
    title: Something you bought
    questions:
      - {id: what, type: text, label: "What did you buy?"}
      - {id: receipt, type: file, accept: [png], label: A photo of the receipt}
"""
SLUG = "claim-for-items"
ITEMS = f"/forms/{SLUG}/bought"


@pytest.fixture
def app(settings: Settings) -> Starlette:
    form = load_form_text(FORM_TEXT, f"{SLUG}.yaml")
    return create_app(settings, forms={SLUG: form}, clock=lambda: NOW)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def a_receipt(name: str) -> tuple[str, bytes, str]:
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(image, "PNG")
    return name, image.getvalue(), "image/png"


def test_a_receipt_sent_with_an_item_that_shows_an_error_is_kept_with_the_item(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    then_i_am_on(page, f"{ITEMS}/items/new")
    page = and_i_answer(client, page, {"what": ""}, files={"receipt": a_receipt("till.png")})
    then_i_am_on(page, f"{ITEMS}/items/new", status=422)
    assert len(error_summary_of(page)) == 1
    then_i_see(page, "1 file uploaded", "till.png")

    # Sent again with the mistake put right and no file chosen: the receipt is still the item's.
    page = and_i_answer(client, page, {"what": "A bus pass"})
    then_i_am_on(page, ITEMS)
    then_i_see(page, "A bus pass", "1 file uploaded")
    # The change page lists the files the saved item holds.
    then_i_see(client.get(f"{ITEMS}/items/1"), "1 file uploaded", "till.png")


def test_an_item_page_cannot_take_a_file_of_another_draft(client: TestClient) -> None:
    theirs = when_i_start(client, SLUG)
    theirs = and_i_answer(client, theirs, {"what": ""}, files={"receipt": a_receipt("theirs.png")})
    their_file = _named_file(theirs.text)
    client.cookies.clear()  # another respondent, with a draft of their own

    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"what": "A ticket", "receipt": their_file})
    then_i_am_on(page, f"{ITEMS}/items/new", status=422)
    assert "theirs.png" not in page.text
    assert their_file not in page.text


def test_a_file_already_in_one_item_cannot_be_named_by_another(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"what": ""}, files={"receipt": a_receipt("first.png")})
    first_file = _named_file(page.text)
    page = and_i_answer(client, page, {"what": "A bus pass"})
    then_i_am_on(page, ITEMS)

    page = client.get(f"{ITEMS}/items/new")
    page = and_i_answer(client, page, {"what": "A ticket", "receipt": first_file})
    then_i_am_on(page, f"{ITEMS}/items/new", status=422)
    assert "first.png" not in page.text
    then_i_see(client.get(f"{ITEMS}/items/1"), "first.png")


def _named_file(body: str) -> str:
    """The file id an item page names in its hidden field for the receipt question."""
    marker = '<input type="hidden" name="receipt" value="'
    start = body.index(marker) + len(marker)
    return body[start : body.index('"', start)]
