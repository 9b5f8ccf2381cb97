"""A page of questions as HTML: its question views, title, caption, progress, back link and files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from engine import journey
from engine.definition import Page
from engine.questions import QUESTION_TYPES
from engine.validation import FieldError
from engine.web.drafts import (
    RawFields,
)
from engine.web.files import file_questions, listed_files
from engine.web.views import QuestionView
from engine.web.visits import Visit, form_url, holds, progress_label, render


def _piped(visit: Visit) -> dict[str, str]:
    """Earlier answers as display text, for ((question_id)) in labels and hints."""
    piped: dict[str, str] = {}
    for key, value in visit.route.answers.items():
        question = visit.form.question_index.get(key)
        if question is not None and not question.is_content:
            piped[key] = QUESTION_TYPES[question.type].display(question, value, visit.language)
    return piped


def _views(
    visit: Visit,
    page: Page,
    raw: RawFields,
    errors: Mapping[str, FieldError],
    context: Mapping[str, Any],
    uploaded: Mapping[str, Sequence[Mapping[str, str]]],
) -> tuple[tuple[QuestionView, ...], frozenset[str]]:
    """The page's question views, and the ids of questions hidden by show_if (rendered hidden, so
    the script can reveal them as answers change; validation ignores them either way)."""
    piped = _piped(visit)
    views: list[QuestionView] = []
    hidden: set[str] = set()
    for question in page.questions:
        if not holds(question.show_if, context, visit.today):
            hidden.add(question.id)
        options = None
        if any(option.show_if is not None for option in question.options):
            options = tuple(o for o in question.options if holds(o.show_if, context, visit.today))
        views.append(
            QuestionView(
                question,
                visit.language,
                visit.easy_read,
                is_heading=question is page.heading_question,
                raw=MappingProxyType(dict(raw)),
                errors=errors,
                piped=MappingProxyType(piped),
                visible_options=options,
                uploaded=uploaded,
            )
        )
    return tuple(views), frozenset(hidden)


def _page_title(visit: Visit, page: Page, views: tuple[QuestionView, ...]) -> str:
    if page.title is not None:
        return journey.pipe(page.title, visit.form, visit.answers, visit.language, visit.easy_read)
    for view in views:
        if view.is_heading:
            return view.label
    return visit.form.title.get(visit.language, visit.easy_read)


def question_page(
    request: Request,
    visit: Visit,
    page: Page,
    raw: RawFields,
    *,
    errors: Mapping[str, FieldError] | None = None,
    context: Mapping[str, Any] | None = None,
    action: str,
    back_href: str,
    status: int = 200,
    notice: str | None = None,
    autosave: bool = True,
    title: str | None = None,
) -> Response:
    errors = errors or {}
    uploaded = listed_files(request, visit, page, raw)
    views, hidden = _views(
        visit, page, raw, errors, visit.answers if context is None else context, MappingProxyType(uploaded)
    )
    section = visit.form.section_of[page.id]
    page_context = {
        "page": page,
        "views": views,
        "hidden": hidden,
        "page_title": title or _page_title(visit, page, views),
        "errors": list(errors.values()),
        "back_href": back_href,
        "action": action,
        "autosave_url": f"{form_url(visit.form, page.id)}/autosave" if autosave and not page.repeat else "",
        "multipart": bool(file_questions(page)),
        "uploaded": uploaded,
        "progress_label": progress_label(visit, page),
        "caption": section.title.get(visit.language, visit.easy_read) if section.title else "",
        "notice": notice,
    }
    return render(request, visit, "pages/question.html", page_context, status=status)
