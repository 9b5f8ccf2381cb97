"""A summary of a form's responses: how many arrived when, counts per choice, numbers, free text.

Everything is counted by the database from the indexed answer values (grids, which have no index
rows, are counted from their stored answers in batches), so a summary of 100,000 responses reads
a few hundred rows. The summary covers exactly the responses the list's filter selects.

For the board, whose members must not be able to pick out a person, every count from 1 to 4 is
shown as "fewer than 5" (and drawn without a bar, whose length would give it away), numbers are
only summarised from 5 answers up, and questions the board may not see are left out entirely::

    Bar(label="Carer", count=3, shown="fewer than 5", percent=0.0)      # board
    Bar(label="Carer", count=3, shown="3", percent=25.0)                 # reviewer
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from engine import storage
from engine.export import FormHistory, MergedQuestion, plain_label
from engine.messages import format_date
from engine.storage import Criteria, TextAnswer

LONDON = ZoneInfo("Europe/London")
#: Counts below this are hidden from the board: small groups could identify someone.
SMALL_COUNT = 5
FEWER_THAN_5 = "fewer than 5"
#: Responses over time are counted per day up to this many days, and per week beyond.
DAILY_UP_TO_DAYS = 31
#: How many free-text answers per question the summary lists, newest first.
TEXT_ANSWERS_SHOWN = 50

CHOICE_TYPES = frozenset({"radios", "dropdown", "scale", "checkboxes", "yes_no", "consent"})
NUMBER_TYPES = frozenset({"number", "decimal", "money"})
TEXT_TYPES = frozenset({"text", "long_text"})
DATE_TYPES = frozenset({"date"})


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: `shown` is what people read; `percent` its length against the longest."""

    label: str
    count: int
    shown: str
    percent: float


@dataclass(frozen=True)
class Chart:
    """A bar chart with a stable `id` (for the SVG's title and description) and a plain-text `title`."""

    id: str
    title: str
    bars: tuple[Bar, ...]

    @property
    def description(self) -> str:
        """The chart's numbers as one sentence, for people who cannot see the bars."""
        return "; ".join(f"{bar.label}: {bar.shown}" for bar in self.bars) + "."


@dataclass(frozen=True)
class ChoiceSummary:
    """Counts for a choice, scale or yes/no question (one chart), or a grid (a chart per statement)."""

    question_id: str
    label: str
    charts: tuple[Chart, ...]
    several_answers: bool


@dataclass(frozen=True)
class NumberSummary:
    question_id: str
    label: str
    answered: str
    #: None when nothing (or, for the board, too little) is there to summarise.
    minimum: str | None
    median: str | None
    maximum: str | None


@dataclass(frozen=True)
class RankingSummary:
    """How a ranking question's options were placed: average position (1 is first) and how often
    each was put first. `positions` is empty when too few answered for the board to see it."""

    question_id: str
    label: str
    answered: str
    #: (option, average position as shown), highest placed first.
    positions: tuple[tuple[str, str], ...]
    first_choices: Chart


@dataclass(frozen=True)
class TextSummary:
    question_id: str
    label: str
    answered: str
    answers: tuple[TextAnswer, ...]
    #: Whether more were given than are listed (only the newest TEXT_ANSWERS_SHOWN are).
    more_not_shown: bool


@dataclass(frozen=True)
class Summary:
    total: str
    over_time: Chart
    choices: tuple[ChoiceSummary, ...]
    numbers: tuple[NumberSummary, ...]
    #: Earliest, middle and latest answers to date questions, as NumberSummary rows of dates.
    dates: tuple[NumberSummary, ...]
    rankings: tuple[RankingSummary, ...]
    texts: tuple[TextSummary, ...]


async def summarise(history: FormHistory, criteria: Criteria, *, board: bool) -> Summary:
    """The summary of the submissions `criteria` selects, as `board` (or not) may see it."""
    slug = history.newest.slug
    questions = [q for q in history.questions if not (board and q.personal)]
    choices = [q for q in questions if q.type in CHOICE_TYPES]
    numbers = [q for q in questions if q.type in NUMBER_TYPES]
    grids = [q for q in questions if q.type == "grid"]
    dates = [q for q in questions if q.type in DATE_TYPES]
    rankings = [q for q in questions if q.type == "ranking"]
    counts = await storage.count_values(slug, (q.id for q in [*choices, *numbers, *dates]), criteria)
    grid_counts = await _grid_counts(slug, grids, criteria)
    placings = await _placings(slug, rankings, criteria)
    summaries = {q.id: _choice_summary(q, counts[q.id], board) for q in choices}
    summaries.update({q.id: _grid_summary(q, grid_counts[q.id], board) for q in grids})
    texts = [await _text_summary(slug, q, criteria, board) for q in questions if q.type in TEXT_TYPES]
    total = await storage.count_reviewed(slug, criteria)
    hours = await storage.submissions_per_hour(slug, criteria)
    return Summary(
        total=shown_count(total, board),
        over_time=over_time(hours, board),
        choices=tuple(summaries[q.id] for q in questions if q.id in summaries),
        numbers=tuple(_number_summary(q, counts[q.id], board) for q in numbers),
        dates=tuple(_date_summary(q, counts[q.id], board) for q in dates),
        rankings=tuple(_ranking_summary(q, placings[q.id], board) for q in rankings),
        texts=tuple(texts),
    )


def shown_count(count: int, board: bool) -> str:
    """A count as people read it: 1234 -> "1,234"; for the board, 1 to 4 -> "fewer than 5"."""
    if board and 0 < count < SMALL_COUNT:
        return FEWER_THAN_5
    return f"{count:,}"


def chart(chart_id: str, title: str, counts: Sequence[tuple[str, int]], board: bool) -> Chart:
    """Bars for (label, count) pairs, each as long as its share of the largest count shown."""
    hidden = {index for index, (_, count) in enumerate(counts) if board and 0 < count < SMALL_COUNT}
    longest = max((count for index, (_, count) in enumerate(counts) if index not in hidden), default=0)
    bars = tuple(
        Bar(
            label=label,
            count=count,
            shown=shown_count(count, board),
            percent=0.0 if index in hidden or not longest else round(100 * count / longest, 1),
        )
        for index, (label, count) in enumerate(counts)
    )
    return Chart(chart_id, title, bars)


def over_time(hours: Iterable[tuple[dt.datetime, int]], board: bool) -> Chart:
    """Submissions per Europe/London day (or per week, for a form open longer than a month)."""
    days: Counter[dt.date] = Counter()
    for hour, count in hours:
        days[hour.astimezone(LONDON).date()] += count
    if not days:
        return chart("over-time", "Responses per day", [], board)
    first, last = min(days), max(days)
    if (last - first).days < DAILY_UP_TO_DAYS:
        span = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        counts = [(f"{day:%a %d %b %Y}", days[day]) for day in span]
        return chart("over-time", "Responses per day", counts, board)
    weeks: Counter[dt.date] = Counter()
    for day, count in days.items():
        weeks[day - dt.timedelta(days=day.weekday())] += count
    start = first - dt.timedelta(days=first.weekday())
    mondays = [start + dt.timedelta(weeks=n) for n in range((last - start).days // 7 + 1)]
    counts = [(f"Week of {monday:%d %b %Y}", weeks[monday]) for monday in mondays]
    return chart("over-time", "Responses per week", counts, board)


def median(histogram: Mapping[Decimal, int]) -> Decimal:
    """The median of values given with how often each occurs: {1: 2, 5: 1} -> 1; {1: 1, 2: 1} -> 1.5."""
    total = sum(histogram.values())
    if total == 0:
        raise ValueError("the median of no values")
    wanted = ((total - 1) // 2, total // 2)
    found: list[Decimal] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and seen > wanted[len(found)]:
            found.append(value)
    return (found[0] + found[1]) / 2


def _choice_summary(question: MergedQuestion, counts: Mapping[str, int], board: bool) -> ChoiceSummary:
    if question.type in ("yes_no", "consent"):
        options = [("true", "Yes"), ("false", "No")] if question.type == "yes_no" else [("true", "Agreed")]
    else:
        options = [(value, label.default) for value, label in question.options]
    label = plain_label(question.newest.label)
    bars = [(text, counts.get(value, 0)) for value, text in options]
    return ChoiceSummary(
        question.id, label, (chart(question.id, label, bars, board),), question.type == "checkboxes"
    )


def _grid_summary(question: MergedQuestion, counts: Counter[tuple[str, str]], board: bool) -> ChoiceSummary:
    label = plain_label(question.newest.label)
    charts = tuple(
        chart(
            f"{question.id}-{statement}",
            f"{label}: {text.default}",
            [(option_label.default, counts[(statement, value)]) for value, option_label in question.options],
            board,
        )
        for statement, text in question.statements
    )
    return ChoiceSummary(question.id, label, charts, False)


async def _grid_counts(
    slug: str, grids: Sequence[MergedQuestion], criteria: Criteria
) -> dict[str, Counter[tuple[str, str]]]:
    """(statement, option) counts per grid question, read from the stored answers in batches."""
    found: dict[str, Counter[tuple[str, str]]] = {q.id: Counter() for q in grids}
    async for batch in storage.answer_batches(slug, found, criteria):
        for question_id, value in batch:
            if isinstance(value, dict):
                found[question_id].update(
                    (statement, option) for statement, option in value.items() if isinstance(option, str)
                )
    return found


def _number_summary(question: MergedQuestion, counts: Mapping[str, int], board: bool) -> NumberSummary:
    histogram: Counter[Decimal] = Counter()
    for text, count in counts.items():
        try:
            histogram[Decimal(text)] += count
        except InvalidOperation:
            continue

    def shown(value: Decimal) -> str:
        return f"£{value:,.2f}" if question.type == "money" else f"{value.normalize():,f}"

    return _spread(question, histogram, board, shown)


def _date_summary(question: MergedQuestion, counts: Mapping[str, int], board: bool) -> NumberSummary:
    """Earliest, middle and latest dates given ("1 March 2026"), read from the indexed values."""
    histogram: Counter[Decimal] = Counter()
    for text, count in counts.items():
        try:
            histogram[Decimal(dt.date.fromisoformat(text).toordinal())] += count
        except ValueError:
            continue

    def shown(ordinal: Decimal) -> str:
        # Between two middle dates the median is the earlier: a date has no half days.
        return format_date(dt.date.fromordinal(int(ordinal)))

    return _spread(question, histogram, board, shown)


def _spread(
    question: MergedQuestion, histogram: Mapping[Decimal, int], board: bool, shown: Callable[[Decimal], str]
) -> NumberSummary:
    """Lowest, median and highest of the answers, or only how many answered when there are none
    (or, for the board, too few to show without pointing at someone)."""
    answered = sum(histogram.values())
    label = plain_label(question.newest.label)
    if answered == 0 or (board and answered < SMALL_COUNT):
        return NumberSummary(question.id, label, shown_count(answered, board), None, None, None)
    return NumberSummary(
        question.id,
        label,
        shown_count(answered, board),
        shown(min(histogram)),
        shown(median(histogram)),
        shown(max(histogram)),
    )


@dataclass
class _Placings:
    """What the answers to one ranking question add up to."""

    answered: int = 0
    position_totals: Counter[str] = field(default_factory=Counter)
    times_placed: Counter[str] = field(default_factory=Counter)
    first: Counter[str] = field(default_factory=Counter)


async def _placings(
    slug: str, rankings: Sequence[MergedQuestion], criteria: Criteria
) -> dict[str, _Placings]:
    """Each ranking question's positions per option, read from the stored answers in batches (the
    indexed values of a ranking keep no order)."""
    found = {q.id: _Placings() for q in rankings}
    async for batch in storage.answer_batches(slug, found, criteria):
        for question_id, value in batch:
            if not isinstance(value, list) or not value:
                continue
            placings = found[question_id]
            placings.answered += 1
            placings.first[str(value[0])] += 1
            for position, option in enumerate(value, start=1):
                placings.position_totals[str(option)] += position
                placings.times_placed[str(option)] += 1
    return found


def _ranking_summary(question: MergedQuestion, placings: _Placings, board: bool) -> RankingSummary:
    label = plain_label(question.newest.label)
    options = [(value, text.default) for value, text in question.options]
    firsts = [(text, placings.first[value]) for value, text in options]
    first = chart(f"{question.id}-first", f"{label}: placed first", firsts, board)
    if board and placings.answered < SMALL_COUNT:
        return RankingSummary(question.id, label, shown_count(placings.answered, board), (), first)
    averages = sorted(
        (placings.position_totals[value] / placings.times_placed[value], text)
        for value, text in options
        if placings.times_placed[value]
    )
    positions = tuple((text, f"{average:.1f}") for average, text in averages)
    return RankingSummary(question.id, label, shown_count(placings.answered, board), positions, first)


async def _text_summary(slug: str, question: MergedQuestion, criteria: Criteria, board: bool) -> TextSummary:
    answered, answers = await storage.latest_text_answers(
        slug, question.id, criteria, limit=TEXT_ANSWERS_SHOWN
    )
    label = plain_label(question.newest.label)
    more = answered > len(answers)
    return TextSummary(question.id, label, shown_count(answered, board), tuple(answers), more)
