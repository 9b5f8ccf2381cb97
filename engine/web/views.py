"""What a question template is given: the question, the raw input, its error, the language.

Every `templates/questions/<type>.html` receives one `QuestionView` named `view`, built the same way
for the journey (with the respondent's input and errors) and for the preview (empty). Follow-up
questions revealed inside an option get a child view sharing the page's input and errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from engine.definition import PIPE_PATTERN, Option, Question, Text
from engine.messages import furniture
from engine.questions import QUESTION_TYPES
from engine.validation import FieldError

#: Languages written right to left; the page gets dir="rtl" for them.
RTL_LANGUAGES = frozenset({"ar", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi", "ckb"})


def text_direction(language: str) -> str:
    """'rtl' for right-to-left languages ("ur", "ar-EG"), otherwise 'ltr'."""
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


@dataclass(frozen=True)
class Choice:
    """One radio or checkbox as `choices` in _field.html draws it: everything the loop would
    otherwise ask the view for option by option, in one call per question."""

    option: Option
    #: The question id for the first, then "<qid>-2", "<qid>-3", …
    input_id: str
    label: str
    #: None when the option has no hint (an empty translation still gets its hint element).
    hint: str | None
    checked: bool
    #: An exclusive option after others ("None of these") comes after an "or".
    divided: bool
    #: It reveals a "please say" box or a follow-up question.
    conditional: bool


@dataclass(frozen=True)
class QuestionView:
    """A question ready to render.

    `raw` maps HTML field names to what was submitted (a list, as checkboxes send several), so the
    page shows back exactly what the person typed. `options` is the question's options after
    show-if filtering (None: all of them). `piped` holds display strings for ((question_id)).
    `uploaded` lists the files already sent to each file question (name, id, remove_action).

    The view carries everything a question template needs, language included, so the templates
    import their macros without the page's context and Jinja builds that module once, not once
    per question.
    """

    question: Question
    language: str
    easy_read: bool = False
    is_heading: bool = False
    raw: Mapping[str, Sequence[str]] = field(default_factory=lambda: MappingProxyType({}))
    errors: Mapping[str, FieldError] = field(default_factory=lambda: MappingProxyType({}))
    piped: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    visible_options: tuple[Option, ...] | None = None
    uploaded: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def error(self) -> FieldError | None:
        return self.errors.get(self.question.id)

    @property
    def inline_error(self) -> FieldError | None:
        """The error shown under the question's hint: not one that belongs to its "please say" box."""
        error = self.error
        if error is None or error.target_id == f"{self.id}__other":
            return None
        return error

    @property
    def options(self) -> tuple[Option, ...]:
        return self.question.options if self.visible_options is None else self.visible_options

    def text(self, text: Text | None) -> str:
        """The text in this language and reading level, with earlier answers piped in."""
        if text is None:
            return ""
        chosen = text.get(self.language, self.easy_read)
        if not text.pipes:
            return chosen
        return PIPE_PATTERN.sub(lambda match: self.piped.get(match.group(1), ""), chosen)

    def words(self, key: str, **params: object) -> str:
        """Page furniture in the view's language: words("optional") -> "(optional)"."""
        return furniture(key, self.language, **params)

    @property
    def label(self) -> str:
        return self.text(self.question.label)

    @property
    def hint(self) -> str:
        return self.text(self.question.hint)

    def value(self, name: str | None = None) -> str:
        """The first raw value sent for field `name` (default: the question id), or ''."""
        values = self.raw.get(name or self.question.id, ())
        return values[0] if values else ""

    def chosen(self, name: str | None = None) -> Sequence[str]:
        return self.raw.get(name or self.question.id, ())

    def part_in_error(self, part: str) -> bool:
        """Whether a part of a composite answer (a date's "day") is highlighted as in error.

        An error aimed at one part ("dob-month") highlights that part; one aimed at the answer's
        first field (a missing or impossible date) highlights every part.
        """
        error = self.inline_error
        if error is None:
            return False
        first_field = QUESTION_TYPES[self.question.type].field_names(self.question)[0]
        return error.target_id in (f"{self.id}-{part}", first_field)

    def describedby(self, *extra: str, hint: bool = True) -> str:
        """The aria-describedby value: the hint id, then any `extra` ids, then the error id."""
        ids = [f"{self.id}-hint"] if hint and self.question.hint is not None else []
        ids.extend(extra)
        if self.inline_error is not None:
            ids.append(f"{self.id}-error")
        return " ".join(ids)

    def option_id(self, index: int, prefix: str | None = None) -> str:
        """Ids of choice inputs: the first is the question id, then "<qid>-2", "<qid>-3", …"""
        base = prefix or self.id
        return base if index == 0 else f"{base}-{index + 1}"

    def choices(
        self, name: str | None = None, id_prefix: str | None = None, options: Sequence[Option] | None = None
    ) -> tuple[Choice, ...]:
        """The radios or checkboxes of field `name` (default: the question id), ids from
        `id_prefix`, over `options` (default: the visible options)."""
        chosen = self.chosen(name)
        return tuple(
            Choice(
                option,
                self.option_id(index, id_prefix),
                self.text(option.label),
                None if option.hint is None else self.text(option.hint),
                option.value in chosen,
                option.exclusive and index > 0,
                option.other or option.follow_up is not None,
            )
            for index, option in enumerate(self.options if options is None else options)
        )

    def child(self, question: Question) -> QuestionView:
        """The view of a follow-up question revealed inside one of this question's options."""
        return replace(self, question=question, is_heading=False, visible_options=None)
