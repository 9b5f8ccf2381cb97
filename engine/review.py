"""Reviewing responses: the list's filters, what the board may see, and the changes reviewers make.

Filters are parsed once from query parameters into a frozen `ResponseFilter`. The response list,
the summary page and the exports all use it, so a filtered summary or export always matches the
list the person was looking at::

    parsed = parse_filter(form, request.query_params.multi_items(), board=role == "board")
    criteria = parsed.filter.criteria(form, board=role == "board")
    await storage.count_reviewed(form.slug, criteria)          # how many
    await storage.find_reviewed(form.slug, criteria, limit=50)  # a page of them
    async for batch in storage.reviewed_references(form.slug, criteria):  # all, 1000 at a time
        ...

Query parameters: `q` (free text: the reference or any answer), `status`, `from` and `to`
(YYYY-MM-DD, Europe/London, both days included), `tag`, and `answer.<question id>=<option value>`
for any choice question (yes/no questions take "true" or "false"). The board never sees personal
answers, so for the board a personal question cannot be filtered on, and search skips its answers.

Every change (status, tags, notes, flags, erasure) goes through engine.storage, which writes the
audit entry in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from email.utils import parseaddr
from html import escape
from types import MappingProxyType
from zoneinfo import ZoneInfo

from engine import accounts, storage
from engine.definition import PIPE_PATTERN, Form, Option, Question, Text
from engine.journey import SummaryRow, SummarySection
from engine.loader import DefinitionErrors, load_form_text, pipes_personal
from engine.mail import Email

LONDON = ZoneInfo("Europe/London")

#: The outbox `kind` of the email that tells the safeguarding team about a concern.
SAFEGUARDING_ALERT = "safeguarding_alert"

#: Used when a form sets no `review_statuses` of its own (the loader normally fills these in).
DEFAULT_STATUSES = (
    Option("new", Text("New")),
    Option("in_review", Text("In review")),
    Option("done", Text("Done")),
)

#: Question types whose answers are options, so the list can be filtered on them.
CHOICE_TYPES = frozenset({"radios", "dropdown", "scale", "checkboxes", "yes_no"})

#: What the board sees in place of a personal answer, or a label that pipes one in.
HIDDEN = "Hidden: personal information"
HIDDEN_PIPE = "[hidden]"

#: Wording of filter problems, keyed by code; shown above the list.
FILTER_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "date_invalid": "Enter a real date, for example 2026-11-26",
        "date_order": "The 'from' date must be the same as or before the 'to' date",
        "personal": "You cannot filter on a personal question, so that filter was not used",
        "unknown_question": "There is no choice question with that name, so that filter was not used",
        "unknown_option": "That is not one of the question's answers, so that filter was not used",
        "unknown_status": "That is not one of this form's statuses, so that filter was not used",
    }
)

logger = logging.getLogger("coform.review")


#: Wording of problems with a change a reviewer asked for, keyed by code.
REVIEW_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "unknown_status": "Select one of the statuses",
        "tag_empty": "Enter a name for the tag",
        "tag_too_long": "Tag names must be 100 characters or fewer",
        "none_selected": "Select at least one response to tag",
        "unknown_tag": "Select a tag from the list",
        "note_empty": "Enter a note",
        "note_too_long": "Notes must be 5,000 characters or fewer",
        "reason_empty": "Enter why you are concerned",
        "outcome_empty": "Enter what was done about the concern",
    }
)

#: How each audited action reads in the audit view.
ACTION_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "status_changed": "Changed the status",
        "tag_created": "Made a tag",
        "tag_added": "Added a tag",
        "tag_removed": "Removed a tag",
        "note_added": "Added a note",
        "flag_raised": "Raised a safeguarding concern",
        "flag_closed": "Closed a safeguarding concern",
        "file_downloaded": "Downloaded a file",
        "erased": "Deleted the response (right to erasure)",
        "purged": "Deleted responses past the retention period",
    }
)


class ReviewError(ValueError):
    """A change a reviewer asked for that cannot be made; `code` is a REVIEW_MESSAGES key."""

    def __init__(self, code: str) -> None:
        super().__init__(REVIEW_MESSAGES[code])
        self.code = code


@dataclass(frozen=True)
class FilterProblem:
    """A query parameter that was not used: `field` is the parameter, `code` a FILTER_MESSAGES key."""

    field: str
    code: str

    @property
    def message(self) -> str:
        return FILTER_MESSAGES[self.code]


@dataclass(frozen=True)
class ResponseFilter:
    """Which responses of a form to show; an empty filter shows them all."""

    search: str | None = None
    status: str | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    tag: str | None = None
    #: (question id, option value) pairs, in the form's question order.
    answers: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == ResponseFilter()

    def answer_to(self, question_id: str) -> str | None:
        return next((value for qid, value in self.answers if qid == question_id), None)

    def query_items(self) -> list[tuple[str, str]]:
        """The filter as query parameters again, for links that keep it: [("status", "new"), ...]."""
        items: list[tuple[str, str]] = []
        if self.search:
            items.append(("q", self.search))
        if self.status:
            items.append(("status", self.status))
        if self.submitted_from:
            items.append(("from", self.submitted_from.isoformat()))
        if self.submitted_to:
            items.append(("to", self.submitted_to.isoformat()))
        if self.tag:
            items.append(("tag", self.tag))
        items.extend((f"answer.{qid}", value) for qid, value in self.answers)
        return items

    def criteria(self, form: Form, *, board: bool) -> storage.Criteria:
        """The storage query for this filter: dates become Europe/London midnights in UTC."""
        first_status = review_statuses(form)[0].value
        return storage.Criteria(
            review_status=self.status,
            unset_is_status=self.status == first_status,
            submitted_from=_london_midnight(self.submitted_from),
            submitted_before=_london_midnight(self.submitted_to + dt.timedelta(days=1))
            if self.submitted_to
            else None,
            answers=self.answers,
            tag=self.tag,
            search=self.search,
            search_keys=searchable_keys(form) if board else None,
        )


@dataclass(frozen=True)
class ParsedFilter:
    filter: ResponseFilter
    problems: tuple[FilterProblem, ...] = ()


def parse_filter(form: Form, params: Iterable[tuple[str, str]], *, board: bool) -> ParsedFilter:
    """Query parameters -> a ResponseFilter, leaving out (and reporting) any part that cannot be used.

    parse_filter(form, [("status", "done"), ("answer.role", "carer")], board=False).filter
        == ResponseFilter(status="done", answers=(("role", "carer"),))
    """
    problems: list[FilterProblem] = []
    found: dict[str, str] = {}
    chosen: dict[str, str] = {}
    for key, raw in params:
        value = raw.strip()
        if not value:
            continue
        if key.startswith("answer."):
            chosen.setdefault(key.removeprefix("answer."), value)
        else:
            found.setdefault(key, value)
    status = found.get("status")
    if status is not None and status not in {option.value for option in review_statuses(form)}:
        problems.append(FilterProblem("status", "unknown_status"))
        status = None
    start = _parse_date(found.get("from"), "from", problems)
    end = _parse_date(found.get("to"), "to", problems)
    if start and end and start > end:
        problems.append(FilterProblem("from", "date_order"))
        start = end = None
    answers = _parse_answers(form, chosen, board, problems)
    search = found.get("q")
    return ParsedFilter(
        ResponseFilter(
            search=search[:200] if search else None,
            status=status,
            submitted_from=start,
            submitted_to=end,
            tag=found.get("tag"),
            answers=answers,
        ),
        tuple(problems),
    )


def review_statuses(form: Form) -> tuple[Option, ...]:
    """The statuses reviewers choose from, the first being the status of a response nobody has touched."""
    return form.review_statuses or DEFAULT_STATUSES


def status_label(form: Form, value: str | None) -> str:
    statuses = review_statuses(form)
    if value is None:
        return statuses[0].label.default
    option = next((option for option in statuses if option.value == value), None)
    return option.label.default if option else value


def hidden_from_board(form: Form, question: Question) -> bool:
    """Whether the board must not see this question's answer: it is personal, or its label or
    hint pipes in a personal answer (so showing it would show that answer)."""
    texts = [question.label] + ([question.hint] if question.hint else [])
    return question.personal or any(pipes_personal(form, text) for text in texts)


def filterable_questions(form: Form, *, board: bool) -> tuple[Question, ...]:
    """Choice questions the list can be filtered on; answers on repeating pages are not indexed."""
    return tuple(
        question
        for question in form.iter_questions()
        if question.type in CHOICE_TYPES
        and form.page_of[question.id].repeat is None
        and not (board and hidden_from_board(form, question))
    )


def filter_options(question: Question) -> tuple[tuple[str, str], ...]:
    """(value, label) pairs a filter on `question` offers; yes/no answers are indexed as true/false."""
    if question.type == "yes_no":
        return (("true", "Yes"), ("false", "No"))
    return tuple((option.value, option.label.default) for option in question.options)


def searchable_keys(form: Form) -> frozenset[str]:
    """The stored answer keys the board may search: no personal answer, nor its "please say" text,
    nor a repeating page holding a personal question."""
    keys: set[str] = set()
    for page in form.pages:
        questions = [q for question in page.answerable for q in _with_follow_ups(question)]
        if page.repeat is not None:
            if not any(hidden_from_board(form, q) for q in questions):
                keys.add(page.id)
            continue
        for question in questions:
            if not hidden_from_board(form, question):
                keys.update((question.id, f"{question.id}__other"))
    return frozenset(keys)


def redact_for_board(
    form: Form, sections: tuple[SummarySection, ...], language: str, current: Form | None = None
) -> tuple[SummarySection, ...]:
    """The response's rows as the board may see them: personal answers hidden, and labels that
    pipe a personal answer shown with the piped part hidden. A repeating item is hidden whole when
    its page asks anything personal, because its answers share one row.

    `form` is the version that was answered; a question marked personal in the `current` version
    is hidden too, so marking a question personal later protects the answers already given.
    """

    def hidden(question_id: str) -> bool:
        for version in (form, current):
            question = version.question_index.get(question_id) if version else None
            if version and question and hidden_from_board(version, question):
                return True
        return False

    redacted: list[SummarySection] = []
    for section in sections:
        rows: list[SummaryRow] = []
        for row in section.rows:
            if row.question_id is not None:
                if hidden(row.question_id):
                    label = PIPE_PATTERN.sub(HIDDEN_PIPE, form.question(row.question_id).label.get(language))
                    row = replace(row, label=label, answer=HIDDEN if row.answered else "")
            elif any(hidden(q.id) for q in _page_questions(form, row.page_id)):
                row = replace(row, answer=HIDDEN, answered=True)
            rows.append(row)
        redacted.append(replace(section, rows=tuple(rows)))
    return tuple(redacted)


def _page_questions(form: Form, page_id: str) -> list[Question]:
    page = form.page_index.get(page_id)
    if page is None:
        return []
    return [q for question in page.answerable for q in _with_follow_ups(question)]


def _with_follow_ups(question: Question) -> Iterable[Question]:
    yield question
    for option in question.options:
        if option.follow_up is not None:
            yield from _with_follow_ups(option.follow_up)


# --- the form version that was answered -----------------------------------------------------------

_VERSIONS: dict[tuple[str, str], Form] = {}
_VERSIONS_KEPT = 64


async def answered_version(current: Form, version: str) -> Form:
    """The form as it was when a response was given, from the definition stored with the version.

    Falls back to the current form when the stored record has no YAML (the file had already
    changed when the version was recorded) or no longer loads; that is logged.
    """
    if version == current.version:
        return current
    key = (current.slug, version)
    if key in _VERSIONS:
        return _VERSIONS[key]
    try:
        record = await storage.form_version_definition(current.slug, version)
    except storage.NotFound:
        return current
    source = record.get("yaml") if isinstance(record, dict) else None
    if not isinstance(source, str):
        logger.warning("Form %s version %s has no stored YAML; showing current labels", current.slug, version)
        return current
    try:
        form = load_form_text(source, f"{current.slug}.yaml")
    except DefinitionErrors:
        logger.warning("Form %s version %s no longer loads; showing current labels", current.slug, version)
        return current
    if len(_VERSIONS) >= _VERSIONS_KEPT:
        _VERSIONS.pop(next(iter(_VERSIONS)))
    _VERSIONS[key] = form
    return form


# --- changes --------------------------------------------------------------------------------------


async def set_status(form: Form, reference: str, status: str, actor: str) -> None:
    """Change a response's review status to one of the form's own statuses (audited)."""
    if status not in {option.value for option in review_statuses(form)}:
        raise ReviewError("unknown_status")
    await storage.set_review_status(form.slug, reference, status, actor)


async def create_tag(form: Form, name: str, actor: str) -> str:
    """Make a tag (theme) for a form; returns its tidied name. Creating it again changes nothing."""
    tidied = " ".join(name.split())
    if not tidied:
        raise ReviewError("tag_empty")
    if len(tidied) > 100:
        raise ReviewError("tag_too_long")
    await storage.create_tag(form.slug, tidied, actor)
    return tidied


async def tag_responses(form: Form, references: Iterable[str], tag: str, actor: str) -> int:
    """Put an existing tag on several responses at once; returns how many newly got it."""
    wanted = [reference for reference in references if reference]
    if not wanted:
        raise ReviewError("none_selected")
    try:
        return await storage.tag_submissions(form.slug, wanted, tag, actor)
    except storage.NotFound:
        raise ReviewError("unknown_tag") from None


async def add_note(form: Form, reference: str, body: str, actor: str) -> None:
    text = body.strip()
    if not text:
        raise ReviewError("note_empty")
    if len(text) > 5000:
        raise ReviewError("note_too_long")
    await storage.add_note(form.slug, reference, text, actor)


async def flag_concern(
    form: Form, reference: str, reason: str, actor: str, alerts: Sequence[Email] = ()
) -> bool:
    """Raise a safeguarding concern with its email `alerts` (see `safeguarding_alerts`), both in
    one transaction; False if a concern was already raised."""
    text = reason.strip()
    if not text:
        raise ReviewError("reason_empty")
    return await storage.flag_submission(form.slug, reference, text, actor, alerts)


async def close_concern(form: Form, reference: str, outcome: str, actor: str) -> bool:
    """Record what was done about a concern and take it off the safeguarding list (audited)."""
    text = outcome.strip()
    if not text:
        raise ReviewError("outcome_empty")
    return await storage.close_flag(form.slug, reference, text, actor)


async def safeguarding_recipients() -> list[str]:
    """Who is alerted to a concern: every active safeguarding account, or, when there is none,
    every active admin, so that a concern is never raised with nobody told."""
    users = [user for user in await accounts.list_users() if not user.disabled]
    for role in ("safeguarding", "admin"):
        found = [user.email for user in users if user.role == role]
        if found:
            return found
    return []


def safeguarding_alert(form: Form, reference: str, link: str, to_address: str, mail_from: str) -> Email:
    """The email telling the safeguarding team a concern was raised: the form, the reference and a
    link to sign in and read it. Never the answers or the reviewer's reason, so nothing personal
    is copied into a mailbox.

    SEAM: engine.mail's Composer has no safeguarding message yet; once it has one (with templates
    in templates/email/), compose it there instead of here.
    """
    title = form.title.default
    text = (
        f"A reviewer has raised a safeguarding concern about response {reference} to “{title}”.\n\n"
        f"Read the response and record what was done:\n{link}\n\n"
        "You will need to sign in. This email does not include the answers or the reason given.\n"
    )
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Safeguarding concern: {escape(reference)}</title></head><body>"
        f"<p>A reviewer has raised a safeguarding concern about response {escape(reference)} "
        f"to “{escape(title)}”.</p>"
        f'<p><a href="{escape(link)}">Read response {escape(reference)} and record what was done</a></p>'
        "<p>You will need to sign in. This email does not include the answers or the reason given.</p>"
        "</body></html>"
    )
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "coform.invalid"
    return Email(
        kind=SAFEGUARDING_ALERT,
        to_address=to_address,
        subject=f"Safeguarding concern raised: {reference}",
        text_body=text,
        html_body=html,
        language="en",
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        form_slug=form.slug,
        reference=reference,
    )


# --- helpers --------------------------------------------------------------------------------------


def _london_midnight(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


def _parse_date(text: str | None, field: str, problems: list[FilterProblem]) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(FilterProblem(field, "date_invalid"))
        return None


def _parse_answers(
    form: Form, chosen: Mapping[str, str], board: bool, problems: list[FilterProblem]
) -> tuple[tuple[str, str], ...]:
    allowed = {question.id: question for question in filterable_questions(form, board=False)}
    answers: list[tuple[str, str]] = []
    for question_id, value in chosen.items():
        question = allowed.get(question_id)
        field = f"answer.{question_id}"
        if question is None:
            problems.append(FilterProblem(field, "unknown_question"))
        elif board and hidden_from_board(form, question):
            problems.append(FilterProblem(field, "personal"))
        elif value not in {option for option, _ in filter_options(question)}:
            problems.append(FilterProblem(field, "unknown_option"))
        else:
            answers.append((question_id, value))
    order = {question_id: index for index, question_id in enumerate(allowed)}
    return tuple(sorted(answers, key=lambda pair: order[pair[0]]))


# --- data protection ------------------------------------------------------------------------------

#: Who the audit names for deletions made by `coform purge`.
PURGE_ACTOR = "coform purge"


async def purge_expired(forms: Iterable[Form], now: dt.datetime) -> dict[str, storage.PurgeCount]:
    """Delete each form's submissions (and drafts) older than its retention period, with their files.

    Only forms given are purged: the answers to a form whose file was removed or no longer loads
    are kept until it is back, rather than guessing its retention period.
    """
    return {
        form.slug: await storage.purge_form(
            form.slug, now - dt.timedelta(days=form.retention_days), PURGE_ACTOR
        )
        for form in forms
    }
