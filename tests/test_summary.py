"""Summaries: counts per choice and grid, numbers, free text with tags, over time, and what the board sees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from engine import storage
from engine.export import form_history
from engine.storage import Criteria
from engine.summary import FEWER_THAN_5, Summary, median, over_time, summarise
from tests.export_forms import YOUTH_V1, YOUTH_V2, recorded, submitted


async def summary_of(text: str, *, board: bool, criteria: Criteria | None = None) -> Summary:
    form = await recorded(text)
    return await summarise(await form_history(form), criteria or Criteria(), board=board)


def counts(summary: Summary, question_id: str) -> dict[str, str]:
    (choice,) = [choice for choice in summary.choices if choice.question_id == question_id]
    return {bar.label: bar.shown for bar in choice.charts[0].bars}


def test_the_median_is_read_from_counts_of_each_value() -> None:
    assert median({Decimal(1): 2, Decimal(5): 1}) == 1
    assert median({Decimal(1): 1, Decimal(2): 1}) == Decimal("1.5")
    assert median({Decimal(3): 1, Decimal(10): 1, Decimal(4): 1}) == 4


def test_responses_over_time_are_counted_per_london_day() -> None:
    # 23:30 UTC on 1 June is 00:30 on 2 June in London (summer time).
    hours = [(dt.datetime(2026, 6, 1, 23, tzinfo=dt.UTC), 2), (dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), 6)]

    chart = over_time(hours, board=True)

    assert [(bar.label, bar.shown) for bar in chart.bars] == [
        ("Mon 01 Jun 2026", "6"),
        ("Tue 02 Jun 2026", FEWER_THAN_5),
    ]
    assert chart.title == "Responses per day"


def test_a_form_open_for_months_is_counted_per_week() -> None:
    hours = [(dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), 7), (dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC), 9)]

    chart = over_time(hours, board=False)

    assert chart.title == "Responses per week"
    assert chart.bars[0].label == "Week of 05 Jan 2026"
    assert sum(bar.count for bar in chart.bars) == 16


@pytest.mark.usefixtures("storage")
async def test_the_board_sees_fewer_than_5_for_small_counts_and_drawn_without_a_bar() -> None:
    form = await recorded(YOUTH_V1)
    await submitted(form, *([{"role": "carer"}] * 6), *([{"role": "young_person"}] * 2))

    board = await summary_of(YOUTH_V1, board=True)
    reviewer = await summary_of(YOUTH_V1, board=False)

    assert counts(board, "role") == {"Young person": FEWER_THAN_5, "Carer": "6"}
    assert counts(reviewer, "role") == {"Young person": "2", "Carer": "6"}
    (board_role,) = [choice for choice in board.choices if choice.question_id == "role"]
    assert [bar.percent for bar in board_role.charts[0].bars] == [0.0, 100.0]
    assert board.total == "8"


@pytest.mark.usefixtures("storage")
async def test_the_board_summary_leaves_out_personal_questions_and_labels_piping_them() -> None:
    form = await recorded(YOUTH_V1)
    await submitted(form, *([{"name": "Siân Jones", "role": "carer", "comment": "Great"}] * 5))

    board = await summary_of(YOUTH_V1, board=True)
    reviewer = await summary_of(YOUTH_V1, board=False)

    assert [text.question_id for text in board.texts] == []
    assert [text.question_id for text in reviewer.texts] == ["comment"]
    assert "Siân" not in repr(board)


@pytest.mark.usefixtures("storage")
async def test_checkbox_counts_and_grid_counts_per_statement() -> None:
    form = await recorded(YOUTH_V2)
    happy_at_school: dict[str, storage.JSONInput] = {
        "role": "carer",
        "activities": ["sport", "music"],
        "feelings": {"school": "happy", "home": "sad"},
    }
    sad_at_school: dict[str, storage.JSONInput] = {
        "role": "staff",
        "activities": ["music"],
        "feelings": {"school": "sad"},
    }
    await submitted(form, *([happy_at_school] * 5), sad_at_school)

    summary = await summary_of(YOUTH_V2, board=False)

    assert counts(summary, "activities") == {"Sport": "5", "Music": "6", "Something else": "0"}
    (grid,) = [choice for choice in summary.choices if choice.question_id == "feelings"]
    shown = {chart.title: {bar.label: bar.count for bar in chart.bars} for chart in grid.charts}
    assert shown == {
        "How do you feel: At school": {"Happy": 5, "Sad": 1},
        "How do you feel: At home": {"Happy": 0, "Sad": 5},
    }


@pytest.mark.usefixtures("storage")
async def test_numbers_get_lowest_median_and_highest_but_not_for_the_board_under_5_answers() -> None:
    form = await recorded(YOUTH_V2)
    await submitted(form, *({"role": "carer", "age": age} for age in (12, 15, 19)))

    (reviewer,) = (await summary_of(YOUTH_V2, board=False)).numbers
    (board,) = (await summary_of(YOUTH_V2, board=True)).numbers

    assert (reviewer.minimum, reviewer.median, reviewer.maximum, reviewer.answered) == ("12", "15", "19", "3")
    assert (board.median, board.answered) == (None, FEWER_THAN_5)


@pytest.mark.usefixtures("storage")
async def test_free_text_answers_are_listed_newest_first_with_their_tags() -> None:
    form = await recorded(YOUTH_V2)
    (reference,) = await submitted(form, {"role": "carer", "note": "The bus is late"})
    await storage.create_tag(form.slug, "transport", "reviewer@example.org")
    await storage.tag_submissions(form.slug, [reference], "transport", "reviewer@example.org")

    summary = await summary_of(YOUTH_V2, board=False)

    (note,) = [text for text in summary.texts if text.question_id == "note"]
    assert [(a.reference, a.text, a.tags) for a in note.answers] == [
        (reference, "The bus is late", ("transport",))
    ]
    assert not note.more_not_shown


@pytest.mark.usefixtures("storage")
async def test_the_lists_filters_apply_to_the_summary() -> None:
    form = await recorded(YOUTH_V1)
    await submitted(form, *([{"role": "carer", "activities": ["sport"]}] * 5))
    await submitted(form, *([{"role": "young_person", "activities": ["art"]}] * 7))

    summary = await summary_of(YOUTH_V1, board=False, criteria=Criteria(answers=(("role", "young_person"),)))

    assert summary.total == "7"
    assert counts(summary, "activities") == {"Sport": "0", "Art": "7", "Something else": "0"}
    assert sum(bar.count for bar in summary.over_time.bars) == 7


RANKED_AND_DATED = """
title: Park ideas
reference_prefix: PI
pages:
  - id: visit
    title: Your visit
    questions:
      - {id: visited, type: date, label: "When did you last visit?"}
      - id: priorities
        type: ranking
        label: Put these ideas in order, most important first
        options:
          - {value: seating, label: More seating}
          - {value: opening, label: Longer opening hours}
          - {value: events, label: More events}
"""


@pytest.mark.usefixtures("storage")
async def test_dates_are_summarised_as_earliest_median_and_latest() -> None:
    form = await recorded(RANKED_AND_DATED)
    days = ["2026-03-01", "2026-03-04", "2026-03-04", "2026-05-20", "2026-07-31", "2026-08-01"]
    await submitted(form, *({"visited": day, "priorities": ["events"]} for day in days))

    summary = await summary_of(RANKED_AND_DATED, board=False)

    (visited,) = summary.dates
    assert (visited.answered, visited.minimum, visited.median, visited.maximum) == (
        "6",
        "1 March 2026",
        "11 April 2026",  # halfway between 4 March and 20 May is 11½ April: the earlier day
        "1 August 2026",
    )


@pytest.mark.usefixtures("storage")
async def test_a_ranking_shows_each_options_average_position_and_how_often_it_came_first() -> None:
    form = await recorded(RANKED_AND_DATED)
    orders = [["events", "seating", "opening"]] * 3 + [["seating", "events", "opening"]] * 2
    await submitted(form, *({"visited": "2026-03-01", "priorities": order} for order in orders))

    reviewer = await summary_of(RANKED_AND_DATED, board=False)
    few = [["opening", "events", "seating"]] * 2
    await submitted(form, *({"visited": "2026-03-01", "priorities": order} for order in few))
    board = await summary_of(RANKED_AND_DATED, board=True)

    (ranking,) = reviewer.rankings
    assert ranking.answered == "5"
    # More events: 1,1,1,2,2 -> 1.4; More seating: 2,2,2,1,1 -> 1.6; Longer opening hours: always 3.
    assert ranking.positions == (
        ("More events", "1.4"),
        ("More seating", "1.6"),
        ("Longer opening hours", "3.0"),
    )
    assert [(bar.label, bar.shown) for bar in ranking.first_choices.bars] == [
        ("More seating", "2"),
        ("Longer opening hours", "0"),
        ("More events", "3"),
    ]
    (board_ranking,) = board.rankings
    assert [(bar.label, bar.shown) for bar in board_ranking.first_choices.bars] == [
        ("More seating", FEWER_THAN_5),
        ("Longer opening hours", FEWER_THAN_5),
        ("More events", FEWER_THAN_5),
    ]


@pytest.mark.usefixtures("storage")
async def test_the_board_sees_no_positions_or_dates_from_fewer_than_5_answers() -> None:
    form = await recorded(RANKED_AND_DATED)
    await submitted(form, *({"visited": "2026-03-01", "priorities": ["events"]} for _ in range(4)))

    board = await summary_of(RANKED_AND_DATED, board=True)

    assert board.rankings[0].positions == ()
    assert board.dates[0].median is None
    assert board.dates[0].answered == FEWER_THAN_5
