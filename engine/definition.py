"""Typed, frozen definitions of a form: what the loader produces and everything else reads.

Nothing here does I/O or knows YAML, Starlette or tortoise. A `Form` is built once by
`engine.loader` and then shared read-only by every request.

Shape of a form::

    Form
      sections: Section*            (a form written with top-level `pages:` has one untitled section)
        pages: Page*
          questions: Question*      (content blocks such as `paragraph` are questions too)
            options: Option*        (radios, checkboxes, dropdown, scales; grid `statements`)
          routes: Route*            (where to go after this page; first matching route wins)
          repeat: Repeat | None     ("add another": the page's questions are answered once per item)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from engine.expressions import Expression

#: The route target that sends the respondent to "Check your answers".
CHECK_ANSWERS = "check_answers"

#: Words of the addresses beside a form's pages (/forms/<slug>/save, /forms/<slug>/preview...):
#: a page id is a word of its address too, so it can never be one of these.
RESERVED_PAGE_IDS = frozenset(
    {"start", "tasks", "check-answers", "submit", "confirmation", "save", "preview", "privacy"}
)

#: Variant key for easy-read text in `Text.variants` (combined with a language as "easy:cy").
EASY = "easy"

#: Piping placeholder: ((question_id)) in a label or hint shows that earlier answer.
PIPE_PATTERN = re.compile(r"\(\(\s*([a-z][a-z0-9_]*)\s*\)\)")

EMPTY_MAPPING: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Text:
    """A piece of author-written text with its translations and easy-read variants.

    `variants` maps "cy" (Welsh), "easy" (easy read in the default language) or "easy:cy".
    Text("Your name", {"cy": "Eich enw"}).get("cy") == "Eich enw"; an unknown variant falls
    back to the language, then to the default.
    """

    default: str
    variants: Mapping[str, str] = field(default_factory=lambda: EMPTY_MAPPING)

    def get(self, language: str | None = None, easy_read: bool = False) -> str:
        if easy_read:
            for key in (f"{EASY}:{language}", EASY) if language else (EASY,):
                if key in self.variants:
                    return self.variants[key]
        if language and language in self.variants:
            return self.variants[language]
        return self.default

    @cached_property
    def pipes(self) -> frozenset[str]:
        """Question ids piped into any variant of this text: "Thanks ((name))" -> {"name"}."""
        found: set[str] = set()
        for text in (self.default, *self.variants.values()):
            found.update(PIPE_PATTERN.findall(text))
        return frozenset(found)

    def __str__(self) -> str:
        return self.default


@dataclass(frozen=True)
class Image:
    """An image shown with a question or as a content block; `alt` is required for accessibility."""

    src: str
    alt: Text
    easy_read_only: bool = False


@dataclass(frozen=True)
class Option:
    """One choice of a radios/checkboxes/dropdown/scale question, or one statement of a grid.

    `value` is the stable machine value stored with answers (no spaces; checked by the loader).
    `exclusive` marks "None of these" on checkboxes. `other` asks "please say" in a text box
    revealed under the option; its answer is stored as "<question_id>__other".
    `follow_up` is a question revealed inside this option when it is chosen.
    """

    value: str
    label: Text
    hint: Text | None = None
    show_if: Expression | None = None
    exclusive: bool = False
    other: bool = False
    other_label: Text | None = None
    follow_up: Question | None = None
    image: Image | None = None
    #: The value of an option in an earlier version whose answers this option takes over.
    replaces: str | None = None


@dataclass(frozen=True)
class Question:
    """One question, or a content-only block (heading, paragraph, warning, image).

    `type` is a key of `engine.questions.QUESTION_TYPES`; the type decides which of the optional
    settings below apply (the loader rejects the others with a message naming the type).
    Numbers that bound answers are `Decimal` so money and decimals never go through float.
    """

    id: str
    type: str
    label: Text
    hint: Text | None = None
    optional: bool = False
    personal: bool = False
    show_if: Expression | None = None
    options: tuple[Option, ...] = ()
    statements: tuple[Option, ...] = ()
    #: Custom wording per error code, overriding `engine.messages` for this question only.
    errors: Mapping[str, Text] = field(default_factory=lambda: MappingProxyType({}))
    autocomplete: str | None = None
    image: Image | None = None
    # text: characters or words
    min_length: int | None = None
    max_length: int | None = None
    max_words: int | None = None
    #: re2 pattern a short text answer must match in full (error code "pattern").
    pattern: str | None = None
    # numbers and money
    min: Decimal | None = None
    max: Decimal | None = None
    # checkboxes
    min_selected: int | None = None
    max_selected: int | None = None
    # dates: "past", "future", or bounds (a date or "today")
    date_rule: Literal["past", "future"] | None = None
    earliest: dt.date | Literal["today"] | None = None
    latest: dt.date | Literal["today"] | None = None
    # files
    accept: tuple[str, ...] = ()
    max_size: int | None = None
    max_files: int | None = None
    # presentation
    prefix: str | None = None
    suffix: str | None = None
    rows: int | None = None
    #: For content blocks: heading level, or the markdown body of a paragraph/warning.
    body: Text | None = None
    #: The id of a question in an earlier version whose answers this question takes over, so
    #: renaming an id does not orphan the answers already given (see engine.versions).
    replaces: str | None = None

    @cached_property
    def is_content(self) -> bool:
        from engine.questions import QUESTION_TYPES

        return QUESTION_TYPES[self.type].content_only

    def option(self, value: str) -> Option | None:
        for option in self.options:
            if option.value == value:
                return option
        return None


@dataclass(frozen=True)
class Route:
    """After a page: go to `goto` (a page id, or CHECK_ANSWERS) when `when` holds (None = always)."""

    goto: str
    when: Expression | None = None


@dataclass(frozen=True)
class Repeat:
    """An "add another" page: its questions are answered once per item, between min and max items.

    The answer to a repeating page is a tuple of items, each a mapping of question id to answer,
    stored under the page id; expressions count items with count(page_id).
    """

    item_name: Text
    min_items: int = 0
    max_items: int = 20


@dataclass(frozen=True)
class Page:
    """One page of questions. An exit page (`exit=True`) ends the journey with its body text."""

    id: str
    questions: tuple[Question, ...] = ()
    title: Text | None = None
    show_if: Expression | None = None
    routes: tuple[Route, ...] = ()
    repeat: Repeat | None = None
    exit: bool = False
    body: Text | None = None

    @cached_property
    def answerable(self) -> tuple[Question, ...]:
        """The questions that take an answer, in order (content blocks left out)."""
        return tuple(q for q in self.questions if not q.is_content)

    @cached_property
    def heading_question(self) -> Question | None:
        """The question whose label is the page's h1: the only answerable one, if no title is set."""
        if self.title is None and len(self.answerable) == 1:
            return self.answerable[0]
        return None


@dataclass(frozen=True)
class Section:
    id: str
    title: Text | None
    pages: tuple[Page, ...]
    show_if: Expression | None = None


@dataclass(frozen=True)
class Contact:
    """Who respondents can ask for help; every part optional but at least one is set."""

    name: Text | None = None
    email: str | None = None
    phone: str | None = None
    details: Text | None = None


@dataclass(frozen=True)
class Form:
    """A whole form. `version` is a hash of the file's content, recorded with every response."""

    slug: str
    version: str
    title: Text
    sections: tuple[Section, ...]
    summary: Text | None = None
    start: Text | None = None
    audience: Text | None = None
    privacy: Text | None = None
    contact: Contact | None = None
    next_steps: Text | None = None
    help_now: Text | None = None
    opens: dt.datetime | None = None
    closes: dt.datetime | None = None
    retention_days: int = 365
    #: Language codes offered; the first is the default and the language of `Text.default`.
    languages: tuple[str, ...] = ("en",)
    easy_read: bool = False
    sensitive: bool = False
    reference_prefix: str = "REF"
    review_statuses: tuple[Option, ...] = ()
    task_list: bool = False
    #: Staff email addresses told of each new submission (no personal data in the message).
    alert_emails: tuple[str, ...] = ()
    #: Whether a respondent may ask for an emailed receipt (reference and "what happens next").
    receipt: bool = True
    source_path: str = ""

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @cached_property
    def pages(self) -> tuple[Page, ...]:
        return tuple(page for section in self.sections for page in section.pages)

    @cached_property
    def page_index(self) -> Mapping[str, Page]:
        return MappingProxyType({page.id: page for page in self.pages})

    @cached_property
    def section_of(self) -> Mapping[str, Section]:
        """Page id -> the section it belongs to."""
        return MappingProxyType({p.id: s for s in self.sections for p in s.pages})

    @cached_property
    def question_index(self) -> Mapping[str, Question]:
        """Every question by id, including option follow-ups and questions on repeating pages."""
        return MappingProxyType({q.id: q for q in self.iter_questions()})

    @cached_property
    def page_of(self) -> Mapping[str, Page]:
        """Question id -> the page that asks it."""
        found: dict[str, Page] = {}
        for page in self.pages:
            for question in page.questions:
                for q in _with_follow_ups(question):
                    found[q.id] = page
        return MappingProxyType(found)

    def iter_questions(self) -> Iterator[Question]:
        for page in self.pages:
            for question in page.questions:
                yield from _with_follow_ups(question)

    def page(self, page_id: str) -> Page:
        return self.page_index[page_id]

    def question(self, question_id: str) -> Question:
        return self.question_index[question_id]

    def is_open(self, now: dt.datetime) -> bool:
        return (self.opens is None or now >= self.opens) and (self.closes is None or now < self.closes)


def _with_follow_ups(question: Question) -> Iterator[Question]:
    yield question
    for option in question.options:
        if option.follow_up is not None:
            yield from _with_follow_ups(option.follow_up)
