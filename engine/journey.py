"""Which pages a respondent sees, in what order, and which of their answers count.

A form is written as one list of pages, but no respondent sees all of them. A page is never seen
when its section's or its own `show_if` is false for the answers given so far (a parents' section
that a young person never enters). A route after a page can skip ahead ("if you do not live in
Oxfordshire, go to the page that says you cannot apply"), so the pages it jumps over are never
seen, and a route to check answers ends the journey early. An exit page ends the journey for good:
the respondent is told why they cannot go on and there is nothing to submit. It is only entered
by a route that names it: it usually sits right after the question that leads to it, and everyone
else walks past it. Within a page, a
question hidden by its `show_if`, a follow-up inside an option that was not chosen and the
"please say" text of an "other" option that was not chosen are never seen either.

People change their minds, so this is worked out afresh from the answers every time, never
stored. An answer to a page that is no longer on the respondent's route stays in the draft (it may
become relevant again) but never counts: it cannot steer a route or a condition, is not shown on
check answers and is not submitted.

The route is only followed as far as the answers allow: it stops at the first page that is not yet
complete, because the route out of that page may depend on the answer still to be given. A page
that asks for nothing it must have (only optional questions, or an add-another page that needs no
items) is complete once something on it is answered or the respondent has continued past it (the
draft's `seen` pages): an unanswered optional question leaves no answer, so without that a person
coming back would be taken past a page they never saw. Nothing is guessed: "next page", the back
link, resuming a draft, denying a jump ahead by URL, progress and check answers all read the same
`Path`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import ChainMap
from collections.abc import Container, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from engine.definition import CHECK_ANSWERS, PIPE_PATTERN, Form, Option, Page, Question, Repeat, Section, Text
from engine.expressions import EvaluationContext, Expression
from engine.questions import QUESTION_TYPES

#: Answers as validation produces them: question id (or repeating page id) -> value.
Answers = Mapping[str, Any]

SectionState = Literal["not_started", "in_progress", "completed", "cannot_start"]


class _EveryPage(Container[str]):
    def __contains__(self, page_id: object) -> bool:
        return True


#: The `seen` of answers read after the respondent went through every page on their route (a
#: submission shown to staff): no page waits to be seen.
EVERY_PAGE: Container[str] = _EveryPage()


class PageNotOnPath(LookupError):
    """The page is not on this respondent's route (hidden, skipped, or beyond where they have got to)."""

    def __init__(self, page_id: str) -> None:
        super().__init__(f"page {page_id!r} is not on this respondent's route")
        self.page_id = page_id


class End(enum.Enum):
    """How far the route goes with the answers given so far."""

    #: Stopped at `Path.current`, a page not yet complete.
    UNFINISHED = "unfinished"
    #: Every page on the route is complete: on to check answers.
    CHECK_ANSWERS = "check_answers"
    #: The route ends at an exit page (`Path.current`); there is nothing to submit.
    EXIT = "exit"


@dataclass(frozen=True)
class Path:
    """The pages on one respondent's route so far, in order, and the answers that count.

    `answers` holds only the answers of pages on the route, with hidden questions, unchosen
    follow-ups and unneeded "other" text left out.
    """

    pages: tuple[Page, ...]
    end: End
    answers: Mapping[str, Any]

    @property
    def current(self) -> Page | None:
        """The page to show when resuming: the first unfinished page or the exit page."""
        return None if self.end is End.CHECK_ANSWERS else self.pages[-1]

    @property
    def complete(self) -> bool:
        return self.end is End.CHECK_ANSWERS

    @property
    def page_ids(self) -> tuple[str, ...]:
        return tuple(page.id for page in self.pages)

    def position(self, page_id: str) -> int:
        for index, page in enumerate(self.pages):
            if page.id == page_id:
                return index
        raise PageNotOnPath(page_id)

    def next_page(self, page_id: str) -> str | None:
        """Where Continue on `page_id` leads: a page id, CHECK_ANSWERS, or None after an exit page.

        An unfinished page leads to itself. Raises PageNotOnPath when `page_id` is not on the route.
        """
        index = self.position(page_id)
        if index + 1 < len(self.pages):
            return self.pages[index + 1].id
        if self.end is End.CHECK_ANSWERS:
            return CHECK_ANSWERS
        return None if self.end is End.EXIT else page_id

    def previous_page(self, page_id: str) -> str | None:
        """The back link target of `page_id` (or of CHECK_ANSWERS): the page before it on the route.

        None on the first page (the back link goes to the form's start page). Pages skipped by a
        route are never the target. Raises PageNotOnPath when `page_id` is not on the route.
        """
        if page_id == CHECK_ANSWERS:
            if not self.complete:
                raise PageNotOnPath(page_id)
            return self.pages[-1].id if self.pages else None
        index = self.position(page_id)
        return self.pages[index - 1].id if index > 0 else None

    @property
    def resume_page(self) -> str:
        """The first unfinished page, the exit page the route ends in, or CHECK_ANSWERS."""
        current = self.current
        return CHECK_ANSWERS if current is None else current.id

    def can_visit(self, page_id: str) -> bool:
        """Whether `page_id` (or CHECK_ANSWERS) may be shown: it is on the route as far as it is answered."""
        if page_id == CHECK_ANSWERS:
            return self.complete
        return any(page.id == page_id for page in self.pages)


@dataclass(frozen=True)
class SummaryRow:
    """One row of check answers: the question, the answer as text, and where "Change" goes.

    `answer` is plain text (lines separated by "\\n"); the web layer escapes it. When `answered`
    is false the web layer shows its own "Not answered" wording. A row for an item of a repeating
    page has no `question_id` and the item's 0-based `item_index`.
    """

    label: str
    answer: str
    answered: bool
    page_id: str
    question_id: str | None = None
    item_index: int | None = None


@dataclass(frozen=True)
class SummarySection:
    """The check-answers rows of one section (`title` is None for a form without sections)."""

    section_id: str
    title: str | None
    rows: tuple[SummaryRow, ...]


@dataclass(frozen=True)
class Progress:
    """Where the respondent is: section `number` (from 1) of `count` sections on their route."""

    number: int
    count: int
    section: Section


@dataclass(frozen=True)
class SectionStatus:
    """One row of a task list; `page_id` is where the row links (None when it cannot start yet)."""

    section: Section
    state: SectionState
    page_id: str | None


def path(form: Form, answers: Answers, today: dt.date, *, seen: Container[str] = EVERY_PAGE) -> Path:
    """Walk the respondent's route from the first visible page until it ends or reaches an unfinished page.

    `seen` holds the pages the respondent has continued past; a page with nothing answered on it is
    unfinished until it is one of them.
    """
    known: dict[str, Any] = {}
    walked: list[Page] = []
    index = _visible_from(form, 0, known, today)
    while index is not None:
        page = form.pages[index]
        walked.append(page)
        if page.exit:
            return Path(tuple(walked), End.EXIT, MappingProxyType(known))
        kept = _relevant_on_page(page, answers, known, today)
        known.update(kept)
        if not (_complete(page, kept, known, today) and (kept or page.id in seen)):
            return Path(tuple(walked), End.UNFINISHED, MappingProxyType(known))
        target = _route_target(page, known, today)
        if target == CHECK_ANSWERS:
            break
        index = _visible_from(form, _target_index(form, index, target), known, today, target is not None)
    return Path(tuple(walked), End.CHECK_ANSWERS, MappingProxyType(known))


def next_page(
    form: Form, page_id: str, answers: Answers, today: dt.date, *, seen: Container[str] = EVERY_PAGE
) -> str | None:
    """Where Continue on `page_id` leads (`Path.next_page` of the respondent's route)."""
    return path(form, answers, today, seen=seen).next_page(page_id)


def previous_page(
    form: Form, page_id: str, answers: Answers, today: dt.date, *, seen: Container[str] = EVERY_PAGE
) -> str | None:
    """The back link target of `page_id` (`Path.previous_page` of the respondent's route)."""
    return path(form, answers, today, seen=seen).previous_page(page_id)


def first_incomplete_page(
    form: Form, answers: Answers, today: dt.date, *, seen: Container[str] = EVERY_PAGE
) -> str:
    """Where to resume, or where to go after a change from check answers.

    The first unfinished page (a question that has newly become relevant is asked first), the
    exit page if the route now ends in one, or CHECK_ANSWERS when everything is answered.
    """
    return path(form, answers, today, seen=seen).resume_page


def can_visit(
    form: Form, page_id: str, answers: Answers, today: dt.date, *, seen: Container[str] = EVERY_PAGE
) -> bool:
    """Whether `page_id` (or CHECK_ANSWERS) may be shown (`Path.can_visit` of the respondent's route)."""
    return path(form, answers, today, seen=seen).can_visit(page_id)


def page_complete(page: Page, answers: Answers, today: dt.date) -> bool:
    """Whether every required question the respondent can see on `page` is answered.

    Repeating pages need at least `repeat.min_items` items, each of them complete. `answers` also
    serves as the context for the questions' conditions.
    """
    return _complete(page, _relevant_on_page(page, answers, answers, today), answers, today)


def relevant_answers(
    form: Form, answers: Answers, today: dt.date, *, seen: Container[str] = EVERY_PAGE
) -> dict[str, Any]:
    """The answers to submit: those of pages on the route whose questions the respondent could see.

    {"lives_here": False, "postcode": "OX1 1AA"} -> {"lives_here": False} when the postcode page
    is skipped because the respondent does not live here. Use it at submission, not to prune a
    draft: pages beyond an unfinished page may come back into the route.
    """
    return dict(path(form, answers, today, seen=seen).answers)


def pipe(text: Text, form: Form, answers: Answers, language: str, easy_read: bool = False) -> str:
    """`text` in the language with each ((question_id)) replaced by that answer as plain text.

    "Thanks, ((first_name))" -> "Thanks, Sam"; an unanswered question pipes the empty string.
    """

    def answer(match: re.Match[str]) -> str:
        question = form.question_index.get(match.group(1))
        if question is None or question.id not in answers:
            return ""
        return _display(question, answers[question.id], language)

    return PIPE_PATTERN.sub(answer, text.get(language, easy_read))


def check_answers_rows(
    form: Form,
    answers: Answers,
    today: dt.date,
    language: str,
    easy_read: bool = False,
    *,
    seen: Container[str] = EVERY_PAGE,
) -> tuple[SummarySection, ...]:
    """The rows of check answers, grouped by section, for every question seen on the route."""
    route = path(form, answers, today, seen=seen)
    known = route.answers
    groups: dict[str, list[SummaryRow]] = {}
    for page in route.pages:
        if page.exit:
            continue
        rows = groups.setdefault(form.section_of[page.id].id, [])
        if page.repeat is None:
            rows.extend(_question_rows(form, page, known, today, language, easy_read))
        else:
            rows.extend(_item_rows(page, page.repeat, known, today, language, easy_read))
    return tuple(
        SummarySection(
            section.id,
            section.title.get(language, easy_read) if section.title else None,
            tuple(groups[section.id]),
        )
        for section in form.sections
        if section.id in groups
    )


def progress(
    form: Form, page_id: str, answers: Answers, today: dt.date, *, seen: Container[str] = EVERY_PAGE
) -> Progress:
    """Which section `page_id` is in, counting only the sections on this respondent's route.

    Sections after an unfinished page are counted when their conditions hold so far, so the count
    can change as answers are given. Raises PageNotOnPath when `page_id` is not on the route.
    """
    return progress_on(form, path(form, answers, today, seen=seen), page_id, today)


def progress_on(form: Form, route: Path, page_id: str, today: dt.date) -> Progress:
    """`progress` on a route already worked out. Raises PageNotOnPath when `page_id` is not on it."""
    route.position(page_id)
    sections = _route_sections(form, route, today)
    section = form.section_of[page_id]
    return Progress(sections.index(section) + 1, len(sections), section)


def task_list(
    form: Form, answers: Answers, today: dt.date, *, seen: Container[str] = EVERY_PAGE
) -> tuple[SectionStatus, ...]:
    """The state of each section on the route; a section can start once those before it are completed."""
    route = path(form, answers, today, seen=seen)
    sections = _route_sections(form, route, today)
    current = route.current
    at = len(sections) if current is None else sections.index(form.section_of[current.id])
    statuses: list[SectionStatus] = []
    for number, section in enumerate(sections):
        if number < at:
            first = next(page for page in route.pages if form.section_of[page.id] is section)
            statuses.append(SectionStatus(section, "completed", first.id))
        elif number == at and current is not None:
            started = current.exit or _has_answers(section, route)
            statuses.append(SectionStatus(section, "in_progress" if started else "not_started", current.id))
        else:
            statuses.append(SectionStatus(section, "cannot_start", None))
    return tuple(statuses)


# --- walking the route ------------------------------------------------------------------------


def _holds(condition: Expression | None, answers: Answers, today: dt.date) -> bool:
    return condition is None or condition.evaluate(EvaluationContext(answers, today))


def _page_visible(form: Form, page: Page, answers: Answers, today: dt.date) -> bool:
    section = form.section_of[page.id]
    return _holds(section.show_if, answers, today) and _holds(page.show_if, answers, today)


def _visible_from(
    form: Form, start: int, answers: Answers, today: dt.date, routed: bool = False
) -> int | None:
    """The index of the first visible page at or after `start`, if any.

    Exit pages are passed by unless a route names them (`routed`, with the exit page at `start`):
    an exit page usually sits right after the question that leads to it.
    """
    for index in range(start, len(form.pages)):
        page = form.pages[index]
        if page.exit and not (routed and index == start):
            continue
        if _page_visible(form, page, answers, today):
            return index
    return None


def _route_target(page: Page, answers: Answers, today: dt.date) -> str | None:
    """The `goto` of the first route out of `page` whose condition holds; None means the next page."""
    for route in page.routes:
        if _holds(route.when, answers, today):
            return route.goto
    return None


def _target_index(form: Form, index: int, target: str | None) -> int:
    """Where to look for the next visible page; a hidden route target falls through to the page after."""
    if target is None:
        return index + 1
    page = form.page_index.get(target)
    if page is None:
        raise ValueError(f"page {form.pages[index].id!r} routes to {target!r}, which is not a page")
    to = form.pages.index(page)
    if to <= index:
        # Routes only go forward; the loader rejects backward ones, and following one would loop.
        raise ValueError(f"page {form.pages[index].id!r} routes back to {target!r}")
    return to


def _route_sections(form: Form, route: Path, today: dt.date) -> list[Section]:
    """Sections holding a page of the route, then (if it is unfinished) visible sections after it."""
    sections: list[Section] = []
    for page in route.pages:
        section = form.section_of[page.id]
        if section not in sections:
            sections.append(section)
    if route.end is End.UNFINISHED:
        last = form.pages.index(route.pages[-1])
        for page in form.pages[last + 1 :]:
            section = form.section_of[page.id]
            if section not in sections and _page_visible(form, page, route.answers, today):
                sections.append(section)
    return sections


def _has_answers(section: Section, route: Path) -> bool:
    return any(
        page.id in route.answers or any(q.id in route.answers for q in page.questions)
        for page in section.pages
    )


# --- which answers count, and whether a page is complete ---------------------------------------


def _chosen(value: Any) -> frozenset[str]:
    """Option values picked by an answer: "yes" -> {"yes"}; ("a", "b") -> {"a", "b"}."""
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, tuple):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()


def _other_key(question: Question) -> str:
    return f"{question.id}__other"


def _relevant_on_page(page: Page, answers: Answers, context: Answers, today: dt.date) -> dict[str, Any]:
    """The answers to `page` that count, judged against `context` (answers from earlier pages)."""
    if page.repeat is None:
        return _relevant_to(page.questions, answers, context, today)
    items = answers.get(page.id)
    if not isinstance(items, tuple) or not items:
        return {}
    return {
        page.id: tuple(
            _relevant_to(page.questions, item, context, today) for item in items if isinstance(item, Mapping)
        )
    }


def _relevant_to(
    questions: Iterable[Question], answers: Answers, context: Answers, today: dt.date
) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    # Earlier questions on the same page (or in the same item) can decide whether later ones show.
    scope = ChainMap(kept, dict(context))
    for question in questions:
        _keep(question, answers, scope, kept, today)
    return kept


def _keep(
    question: Question, answers: Answers, scope: Answers, kept: MutableMapping[str, Any], today: dt.date
) -> None:
    if question.is_content or question.id not in answers or not _holds(question.show_if, scope, today):
        return
    kept[question.id] = answers[question.id]
    for option in _chosen_options(question, answers[question.id]):
        if option.other and _other_key(question) in answers:
            kept[_other_key(question)] = answers[_other_key(question)]
        if option.follow_up is not None:
            _keep(option.follow_up, answers, scope, kept, today)


def _chosen_options(question: Question, value: Any) -> Iterator[Option]:
    chosen = _chosen(value)
    return (option for option in question.options if option.value in chosen)


def _complete(page: Page, kept: Answers, context: Answers, today: dt.date) -> bool:
    if page.repeat is None:
        return not _missing(page.questions, kept, ChainMap(dict(kept), dict(context)), today)
    items = kept.get(page.id, ())
    return len(items) >= page.repeat.min_items and not any(
        _missing(page.questions, item, ChainMap(dict(item), dict(context)), today) for item in items
    )


def _missing(questions: Iterable[Question], kept: Answers, scope: Answers, today: dt.date) -> bool:
    """Whether a required question the respondent can see (follow-ups included) is unanswered."""
    for question in questions:
        if question.is_content or not _holds(question.show_if, scope, today):
            continue
        if question.id not in kept:
            if not question.optional:
                return True
            continue
        follow_ups = [o.follow_up for o in _chosen_options(question, kept[question.id]) if o.follow_up]
        if _missing(follow_ups, kept, scope, today):
            return True
    return False


# --- check answers -----------------------------------------------------------------------------


def _display(question: Question, value: Any, language: str) -> str:
    return str(QUESTION_TYPES[question.type].display(question, value, language))


def _answer_text(question: Question, known: Answers, language: str) -> str:
    """The answer as text, with the "please say" text of an "other" option on its own line."""
    text = _display(question, known[question.id], language)
    other = known.get(_other_key(question))
    return f"{text}\n{other}" if isinstance(other, str) and other else text


def _seen(
    questions: Iterable[Question], known: Answers, scope: Answers, today: dt.date
) -> Iterator[Question]:
    """The answerable questions the respondent saw, each followed by the follow-ups they opened."""
    for question in questions:
        if question.is_content or not _holds(question.show_if, scope, today):
            continue
        yield question
        if question.id in known:
            options = _chosen_options(question, known[question.id])
            yield from _seen([o.follow_up for o in options if o.follow_up], known, scope, today)


def _question_rows(
    form: Form, page: Page, known: Answers, today: dt.date, language: str, easy_read: bool
) -> Iterator[SummaryRow]:
    for question in _seen(page.questions, known, known, today):
        answered = question.id in known
        yield SummaryRow(
            label=pipe(question.label, form, known, language, easy_read),
            answer=_answer_text(question, known, language) if answered else "",
            answered=answered,
            page_id=page.id,
            question_id=question.id,
        )


def _item_rows(
    page: Page, repeat: Repeat, known: Answers, today: dt.date, language: str, easy_read: bool
) -> Iterator[SummaryRow]:
    """One row per item of a repeating page ("Journey 1"), its answers one to a line."""
    name = repeat.item_name.get(language, easy_read)
    name = name[:1].upper() + name[1:]
    items: tuple[Answers, ...] = known.get(page.id, ())
    if not items:
        title = page.title.get(language, easy_read) if page.title else name
        yield SummaryRow(label=title, answer="", answered=False, page_id=page.id)
    for number, item in enumerate(items, start=1):
        scope = ChainMap(dict(item), dict(known))
        lines = [
            _answer_text(question, item, language)
            for question in _seen(page.questions, item, scope, today)
            if question.id in item
        ]
        yield SummaryRow(
            label=f"{name} {number}",
            answer="\n".join(lines),
            answered=True,
            page_id=page.id,
            item_index=number - 1,
        )
