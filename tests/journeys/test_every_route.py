"""Every route of every bundled form is walked, and every branch of every condition is taken.

Each condition of a form (section, page, question, option and statement `show_if`, and each route
`if:`) must be seen both true and false on some respondent's route, each follow-up question and
"please say" box must be opened, each exit page reached, and check answers reached and submitted.

Finding the walks is a search: an answer plan picks, for each question that a condition reads (or
that reveals a follow-up), one of a few answers that straddle the condition's values: each option,
yes and no, numbers and dates at and either side of the bounds the conditions use, 0/1/more items
where a condition counts them, "left empty" for optional questions. Plans are walked at the journey
level (engine.journey and engine.validation, as the web layer uses them), breadth first from the
plan with every first answer, changing one answer at a time, until everything above is covered or
every plan has been tried. The plans that added something are then walked through the real HTTP
journey with JavaScript off, every one that reaches check answers is submitted, and the coverage is
measured again from what was stored: that is what the test asserts, form by form.

What a walk "takes" is read from its final answers by the real code with a recorder around
`Expression.evaluate`: `journey.path` decides the sections, pages and routes, and `validate_page`
over each page on the route decides the questions, options and statements the respondent saw.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections import ChainMap, deque
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from app import load_bundled_forms
from engine import journey, storage
from engine.definition import CHECK_ANSWERS, Form, Page, Question
from engine.expressions import LONDON, Call, EvaluationContext, Expression, Literal, Name, Node
from engine.expressions import And as AndNode
from engine.expressions import Compare as CompareNode
from engine.expressions import Not as NotNode
from engine.expressions import Or as OrNode
from engine.settings import PROJECT_ROOT, Settings
from engine.validation import validate_page
from engine.web.drafts import decode_answers, own_ids
from tests.journeys.conftest import NOW
from tests.journeys.story import (
    and_i_send_my_answers,
    date_bounds,
    fields_for,
    press,
    reference_on,
    sample_answer,
    sample_upload,
    stored_submission,
    when_i_start,
)

#: The journey tests' today, in London, where the council decides what "today" is.
TODAY = NOW.astimezone(LONDON).date()
SUBMITTED = "check answers reached and the answers submitted"
#: Answer plans tried per form before the search gives up (it stops early once all is covered).
SEARCH_BUDGET = 5000
#: "Please say" text typed for an option with other: true.
OTHER_TEXT = "Something else"


class _Skip:
    """An optional question left empty."""

    def __repr__(self) -> str:
        return "SKIP"


SKIP = _Skip()

#: Answers tried for matches(): one of them should match an author's pattern and one not.
_MATCH_POOL: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "postcode": ("OX1 1AA", "SW1A 2AA"),
        "email": ("sam@example.org", "sam@oxfordshire.gov.uk"),
        "phone": ("01865 000000", "07700 900123"),
    }
)


# --- what there is to cover -------------------------------------------------------------------------


def condition_places(form: Form) -> dict[int, str]:
    """Every condition of the form, by the identity of its Expression, named for a reader.

    {id(expr): "page 'distance_page' show_if `visits > 0`", ...}
    """
    places: dict[int, str] = {}

    def add(expression: Expression | None, where: str) -> None:
        if expression is not None:
            places[id(expression)] = f"{where} `{expression.source.strip()}`"

    for section in form.sections:
        add(section.show_if, f"section '{section.id}' show_if")
        for page in section.pages:
            add(page.show_if, f"page '{page.id}' show_if")
            for number, route in enumerate(page.routes, start=1):
                add(route.when, f"route {number} from page '{page.id}' (goto {route.goto})")
    for question in form.iter_questions():
        add(question.show_if, f"question '{question.id}' show_if")
        for option in question.options:
            add(option.show_if, f"option '{question.id}={option.value}' show_if")
        for statement in question.statements:
            add(statement.show_if, f"statement '{question.id}-{statement.value}' show_if")
    return places


def every_expression(value: object) -> Iterator[Expression]:
    """Every Expression anywhere inside a definition, found without knowing where they may be."""
    if isinstance(value, Expression):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from every_expression(getattr(value, item.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from every_expression(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from every_expression(item)


def targets(form: Form) -> frozenset[str]:
    """Everything the walks of `form` must show between them."""
    places = condition_places(form).values()
    wanted = {f"{place} is {outcome}" for place in places for outcome in (True, False)}
    for question in form.iter_questions():
        for option in question.options:
            if option.follow_up is not None:
                wanted.add(_revealed(question, option.value, option.follow_up.id))
            if option.other:
                wanted.add(_other_typed(question, option.value))
    wanted.update(_exit_reached(page) for page in form.pages if page.exit)
    if any(not page.exit for page in form.pages):
        wanted.add(SUBMITTED)
    return frozenset(wanted)


def _revealed(question: Question, value: str, follow_up: str) -> str:
    return f"follow-up '{follow_up}' of '{question.id}={value}' answered"


def _other_typed(question: Question, value: str) -> str:
    return f"'please say' of '{question.id}={value}' answered"


def _exit_reached(page: Page) -> str:
    return f"exit page '{page.id}' reached"


# --- what a walk took ----------------------------------------------------------------------------------


def taken(form: Form, answers: Mapping[str, Any], *, submitted: bool) -> frozenset[str]:
    """The targets a respondent with these answers took: the real journey and validation code
    decides each condition, and a recorder around Expression.evaluate notes each outcome."""
    places = condition_places(form)
    outcomes: list[tuple[int, bool]] = []
    original = Expression.evaluate

    def recorded(self: Expression, context: EvaluationContext) -> bool:
        outcome = original(self, context)
        outcomes.append((id(self), outcome))
        return outcome

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Expression, "evaluate", recorded)
        route = journey.path(form, answers, TODAY)
        for page in route.pages:
            if page.exit:
                continue
            items = route.answers.get(page.id, ()) if page.repeat is not None else (route.answers,)
            for item in items:
                validate_page(form, page, fields_for(page.questions, item), route.answers, TODAY)
    found = {f"{places[key]} is {outcome}" for key, outcome in outcomes if key in places}
    found.update(_opened(route.pages, route.answers))
    if route.end is journey.End.EXIT and route.current is not None:
        found.add(_exit_reached(route.current))
    if submitted:
        found.add(SUBMITTED)
    return frozenset(found)


def _opened(pages: Sequence[Page], answers: Mapping[str, Any]) -> Iterator[str]:
    """The follow-ups and "please say" boxes answered on the route."""
    for page in pages:
        groups = answers.get(page.id, ()) if page.repeat is not None else (answers,)
        for group in groups:
            pending = list(page.questions)
            while pending:
                question = pending.pop()
                for option in question.options:
                    if option.follow_up is not None:
                        pending.append(option.follow_up)
                        if option.follow_up.id in group:
                            yield _revealed(question, option.value, option.follow_up.id)
                    if option.other and f"{question.id}__other" in group:
                        yield _other_typed(question, option.value)


# --- answer plans ----------------------------------------------------------------------------------------

#: A plan: question id (or repeating page id) -> which of its variants to answer.
Plan = tuple[tuple[str, int], ...]


def _uses(node: Node) -> Iterator[tuple[str, str | None, object]]:
    """How a condition reads answers: (question id, function or None, the value it is compared with).

    "age(dob) >= 16 and selected(role, 'carer')" -> ("dob", "age", 16), ("role", "selected", "carer")
    """
    if isinstance(node, AndNode | OrNode):
        for operand in node.operands:
            yield from _uses(operand)
    elif isinstance(node, NotNode):
        yield from _uses(node.operand)
    elif isinstance(node, Name):
        yield (node.name, None, None)
    elif isinstance(node, Call) and node.args and isinstance(node.args[0], Name):
        other = node.args[1] if len(node.args) > 1 else None
        yield (node.args[0].name, node.function, other.value if isinstance(other, Literal) else None)
    elif isinstance(node, CompareNode):
        for side, against in ((node.left, node.right), (node.right, node.left)):
            value: object = against.value if isinstance(against, Literal) else None
            if isinstance(against, Call) and against.function == "today":
                value = TODAY
            if isinstance(side, Name):
                yield (side.name, None, value)
            elif isinstance(side, Call) and side.args and isinstance(side.args[0], Name):
                yield (side.args[0].name, side.function, value)


def _around(value: Decimal) -> tuple[Decimal, ...]:
    return (value - 1, value, value + 1)


class Variants:
    """The answers a plan may choose for each question and repeating page of a form."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.uses: dict[str, list[tuple[str | None, object]]] = {}
        for expression in every_expression(form):
            for name, function, value in _uses(expression.root):
                self.uses.setdefault(name, []).append((function, value))
        self._questions: dict[str, tuple[Any, ...]] = {}

    def of_question(self, question: Question) -> tuple[Any, ...]:
        if question.id not in self._questions:
            self._questions[question.id] = self._of_question(question)
        return self._questions[question.id]

    def _of_question(self, question: Question) -> tuple[Any, ...]:
        found: list[Any] = [sample_answer(question, TODAY)]
        reveals = any(option.follow_up or option.other for option in question.options)
        uses = self.uses.get(question.id, [])
        if uses or reveals:
            found.extend(self._straddling(question, uses))
            if question.optional:
                found.append(SKIP)
        unique: dict[str, Any] = {}
        for value in found:
            if value is SKIP or self._valid(question, value):
                unique.setdefault(repr(value), value)
        return tuple(unique.values())

    def _straddling(self, question: Question, uses: list[tuple[str | None, object]]) -> Iterator[Any]:
        kind = question.type
        if kind == "yes_no":
            yield False
        if kind in ("radios", "dropdown", "scale"):
            yield from (option.value for option in question.options)
        if kind == "checkboxes":
            yield from ((option.value,) for option in question.options)
            plain = [option.value for option in question.options if not option.exclusive]
            for function, value in uses:
                if function == "count_selected" and isinstance(value, Decimal):
                    yield from (tuple(plain[: int(n)]) for n in _around(value) if 0 < n <= len(plain))
        for function, value in uses:
            if kind in ("number", "decimal", "money") and function is None and isinstance(value, Decimal):
                yield from (int(n) if kind == "number" else n for n in _around(value))
            if kind == "date" and function is None and isinstance(value, dt.date):
                yield from (value + dt.timedelta(days=days) for days in (-1, 0, 1))
            if kind == "date" and function == "age" and isinstance(value, Decimal):
                yield from (_born_years_ago(int(years)) for years in _around(value))
            if function == "length" and isinstance(value, Decimal):
                yield from ("x" * int(n) for n in _around(value) if n > 0)
            if function == "matches":
                yield from _MATCH_POOL.get(kind, ("Sample answer", "OX1 1AA"))

    def _valid(self, question: Question, value: Any) -> bool:
        if question.type == "date":
            earliest, latest = date_bounds(question, TODAY)
            return bool(earliest <= value <= latest)
        if question.type in ("number", "decimal", "money"):
            return (question.min is None or value >= question.min) and (
                question.max is None or value <= question.max
            )
        if isinstance(value, str) and question.max_length is not None:
            return len(value) <= question.max_length
        return True

    def of_repeat(self, page: Page) -> tuple[int, ...]:
        repeat = page.repeat
        if repeat is None:
            return ()
        counts = [max(1, repeat.min_items)]
        for function, value in self.uses.get(page.id, []):
            if function == "count" and isinstance(value, Decimal):
                counts.extend(int(n) for n in _around(value))
        return tuple(dict.fromkeys(n for n in counts if repeat.min_items <= n <= repeat.max_items))


def _born_years_ago(years: int) -> dt.date:
    """A birthday making someone exactly `years` old today."""
    return TODAY.replace(year=TODAY.year - years)


def _choice(plan: Mapping[str, int], key: str, variants: Sequence[Any]) -> Any:
    return variants[plan.get(key, 0)]


def page_answers(
    variants: Variants, page: Page, plan: Mapping[str, int], earlier: Mapping[str, Any], met: list[str]
) -> dict[str, Any]:
    """The answers a respondent following `plan` gives on `page` (or to one item of it)."""
    chosen: dict[str, Any] = {}

    def answer(question: Question) -> None:
        if question.is_content or not _holds(question.show_if, ChainMap(chosen, dict(earlier))):
            return
        options = variants.of_question(question)
        if len(options) > 1:
            met.append(question.id)
        value = _choice(plan, question.id, options)
        if value is SKIP:
            return
        chosen[question.id] = value
        picked = (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ()
        for option in question.options:
            if option.value in picked:
                if option.other:
                    chosen[f"{question.id}__other"] = OTHER_TEXT
                if option.follow_up is not None:
                    answer(option.follow_up)

    for question in page.questions:
        answer(question)
    return chosen


def _holds(condition: Expression | None, answers: Mapping[str, Any]) -> bool:
    return condition is None or condition.evaluate(EvaluationContext(answers, TODAY))


@dataclass(frozen=True)
class Walk:
    """One respondent's walk: the plan, the pages in order, and what it took."""

    plan: Plan
    pages: tuple[str, ...]
    answers: Mapping[str, Any]
    took: frozenset[str]
    met: tuple[str, ...]


def _after(form: Form, page_id: str, answers: Mapping[str, Any], seen: Collection[str]) -> str | None:
    """Where Continue leads, as engine.web.respond decides it."""
    try:
        return journey.next_page(form, page_id, answers, TODAY, seen=seen)
    except journey.PageNotOnPath:
        return journey.first_incomplete_page(form, answers, TODAY, seen=seen)


def simulate(form: Form, variants: Variants, plan: Plan) -> Walk | None:
    """Walk `plan` at the journey level; None when the plan is not a valid way through."""
    chosen = dict(plan)
    answers: dict[str, Any] = {}
    pages: list[str] = []
    met: list[str] = []
    target: str | None = journey.first_incomplete_page(form, answers, TODAY, seen=pages)
    while target is not None and target != CHECK_ANSWERS:
        page = form.page(target)
        pages.append(page.id)
        if page.exit or len(pages) > 2 * len(form.pages):
            break
        if page.repeat is not None:
            counts = variants.of_repeat(page)
            if len(counts) > 1:
                met.append(page.id)
            items = []
            for _ in range(_choice(chosen, page.id, counts)):
                given = page_answers(variants, page, chosen, answers, met)
                result = validate_page(form, page, fields_for(page.questions, given), answers, TODAY)
                if not result.ok:
                    return None
                items.append(MappingProxyType(dict(result.answers)))
            answers.pop(page.id, None)
            if items:
                answers[page.id] = tuple(items)
        else:
            given = page_answers(variants, page, chosen, answers, met)
            result = validate_page(form, page, fields_for(page.questions, given), answers, TODAY)
            if not result.ok:
                return None
            for key in own_ids(page):
                answers.pop(key, None)
            answers.update(result.answers)
        target = _after(form, page.id, answers, pages)
    if target is None or target == CHECK_ANSWERS or form.page(pages[-1]).exit:
        took = taken(form, answers, submitted=target == CHECK_ANSWERS)
        return Walk(plan, tuple(pages), MappingProxyType(answers), took, tuple(dict.fromkeys(met)))
    return None


@dataclass(frozen=True)
class Search:
    """The walks chosen to cover a form, what they cover, and whether every plan was tried."""

    walks: tuple[Walk, ...]
    covered: frozenset[str]
    tried: int
    exhausted: bool


def search(form: Form) -> Search:
    """Breadth first over answer plans, one changed answer at a time, until all is covered."""
    variants = Variants(form)
    wanted = targets(form)
    queue: deque[Plan] = deque([()])
    seen: set[Plan] = {()}
    covered: set[str] = set()
    found: list[Walk] = []
    tried = 0
    while queue and not wanted <= covered and tried < SEARCH_BUDGET:
        plan = queue.popleft()
        tried += 1
        walk = simulate(form, variants, plan)
        if walk is None:
            continue
        if walk.took - covered:
            found.append(walk)
            covered |= walk.took
        current = dict(plan)
        for key in walk.met:
            count = len(variants.of_repeat(form.page(key))) if key in form.page_index else 0
            count = count or len(variants.of_question(form.question(key)))
            for index in range(count):
                if index != current.get(key, 0):
                    child = tuple(sorted({**current, key: index}.items()))
                    if child not in seen:
                        seen.add(child)
                        queue.append(child)
    return Search(_fewest(found), frozenset(covered), tried, exhausted=not queue)


def _fewest(walks: Sequence[Walk]) -> tuple[Walk, ...]:
    """A small set of the walks covering the same (greedy set cover), in the order found."""
    left = set().union(*(walk.took for walk in walks)) if walks else set()
    kept: list[Walk] = []
    while left:
        best = max(walks, key=lambda walk: len(walk.took & left))
        kept.append(best)
        left -= best.took
    return tuple(walk for walk in walks if walk in kept)


@functools.cache
def bundled() -> Mapping[str, Form]:
    return load_bundled_forms(Settings(forms_dir=PROJECT_ROOT / "forms"))


@functools.cache
def searched(slug: str) -> Search:
    return search(bundled()[slug])


# --- walking a plan over HTTP ---------------------------------------------------------------------------


def _http_fields(page: Page, given: Mapping[str, Any]) -> tuple[dict[str, tuple[str, ...]], dict[str, Any]]:
    """The posted fields and the files to upload for `given` answers to `page`."""
    fields = fields_for(page.questions, given)
    files: dict[str, tuple[str, bytes, str]] = {}
    for question in _file_questions(page):
        fields.pop(question.id, None)
        if question.id in given:
            files[question.id] = sample_upload(question)
    return fields, files


def _file_questions(page: Page) -> Iterator[Question]:
    pending = list(page.questions)
    while pending:
        question = pending.pop()
        if question.type == "file":
            yield question
        pending.extend(option.follow_up for option in question.options if option.follow_up is not None)


def walk_over_http(client: TestClient, form: Form, walk: Walk) -> tuple[tuple[str, ...], frozenset[str]]:
    """Follow `walk.plan` in a fresh browser from the start page to check answers (and submit) or to
    an exit page; the pages seen, and what the stored answers took."""
    variants = Variants(form)
    plan = dict(walk.plan)
    client.cookies.clear()
    prefix = f"/forms/{form.slug}/"
    page = when_i_start(client, form.slug)
    pages: list[str] = []
    added: dict[str, int] = {}
    for _ in range(10 * len(form.pages)):
        assert page.status_code == 200, f"{page.url.path} answered {page.status_code}: {_problem(page)}"
        where = page.url.path.removeprefix(prefix).split("/")
        if where == ["check-answers"]:
            return tuple(pages), _submit(client, form, page)
        definition = form.page(where[0])
        if not pages or pages[-1] != definition.id:
            pages.append(definition.id)
        if definition.exit:
            stored = decode_answers(form, _draft_answers(client, form))
            return tuple(pages), taken(form, stored, submitted=False)
        # Conditions only read earlier answers, which the simulated walk of this plan gave too.
        given = page_answers(variants, definition, plan, walk.answers, [])
        if definition.repeat is not None and where[1:] != ["items", "new"]:
            wanted = _choice(plan, definition.id, variants.of_repeat(definition))
            more = added.get(definition.id, 0) < wanted
            page = press(client, page, {"add_another": "yes" if more else "no"})
            continue
        if definition.repeat is not None:
            added[definition.id] = added.get(definition.id, 0) + 1
        fields, files = _http_fields(definition, given)
        page = press(client, page, fields, files=files or None)
    raise AssertionError(f"the walk did not end: last on {page.url.path}")


def _problem(page: Response) -> str:
    summary = re.findall(r'<a href="#[^"]+">([^<]*)</a>', page.text.split("error-summary", 1)[-1])
    return "; ".join(summary[:3]) or page.text[:200]


def _submit(client: TestClient, form: Form, page: Response) -> frozenset[str]:
    """Press "Accept and send" and read the stored submission back."""
    page = and_i_send_my_answers(client, page)
    assert page.url.path == f"/forms/{form.slug}/confirmation", page.url.path
    submission = stored_submission(client, reference_on(page))
    return taken(form, decode_answers(form, submission.answers), submitted=True)


def _draft_answers(client: TestClient, form: Form) -> Mapping[str, Any]:
    """The draft as stored, found through the "save and come back later" link, as a person would."""
    saved = client.get(f"/forms/{form.slug}/save")
    match = re.search(r'id="resume-link"[^>]* value="[^"]*/resume/([A-Za-z0-9_\-]+)"', saved.text)
    assert match is not None, f"no resume link on {saved.url.path}"
    portal = client.portal
    assert portal is not None, "use the client inside `with TestClient(app)`"
    draft = portal.call(storage.find_draft_by_token, match.group(1))
    assert draft is not None
    return draft.answers


# --- the tests ---------------------------------------------------------------------------------------


SLUGS = sorted(bundled())


def _report(slug: str, missing: frozenset[str], found: Search) -> str:
    how = (
        f"every one of the {found.tried} answer plans was tried, so these cannot happen: fix the form"
        if found.exhausted
        else f"not found in {found.tried} answer plans"
    )
    return f"{slug}: {len(missing)} branches never taken ({how}):\n  " + "\n  ".join(sorted(missing))


@pytest.mark.parametrize("slug", SLUGS)
def test_the_coverage_list_names_every_condition_in_the_form(slug: str) -> None:
    form = bundled()[slug]

    listed = set(condition_places(form))

    assert listed == {id(expression) for expression in every_expression(form)}


@pytest.mark.parametrize("slug", SLUGS)
def test_answer_plans_exist_that_take_every_branch_of_every_condition(slug: str) -> None:
    found = searched(slug)

    missing = targets(bundled()[slug]) - found.covered

    assert not missing, _report(slug, missing, found)


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_walking_every_route_over_http_takes_every_branch_and_submits(client: TestClient, slug: str) -> None:
    form = bundled()[slug]
    found = searched(slug)
    took: set[str] = set()

    for walk in found.walks:
        pages, walked = walk_over_http(client, form, walk)
        assert pages == walk.pages, f"{slug} plan {walk.plan}: went {pages}, expected {walk.pages}"
        took |= walked

    missing = targets(form) - took
    assert not missing, _report(slug, missing, found)
    assert (SUBMITTED in took) == any(not page.exit for page in form.pages)
    assert {_exit_reached(page) for page in form.pages if page.exit} <= took
