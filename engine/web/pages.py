"""Pages anyone can read: the list of forms, and a read-only preview of every page of a form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from engine.definition import Form, Page, Section
from engine.web.views import QuestionView


@dataclass(frozen=True)
class PreviewPage:
    """One page of a form as the preview shows it, with every question and every option."""

    number: int
    page: Page
    section: Section
    views: tuple[QuestionView, ...]


def forms_of(request: Request) -> Mapping[str, Form]:
    forms: Mapping[str, Form] = request.app.state.forms
    return forms


def templates_of(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def form_or_404(request: Request) -> Form:
    form = forms_of(request).get(request.path_params["slug"])
    if form is None:
        raise HTTPException(404)
    return form


def chosen_language(request: Request, form: Form) -> str:
    """The language asked for with ?lang=, if the form offers it, else the form's first language."""
    asked = request.query_params.get("lang", "")
    return asked if asked in form.languages else form.default_language


async def list_forms(request: Request) -> Response:
    """The forms open now, by title; each links to its start page."""
    now = request.app.state.clock()
    open_forms = (form for form in forms_of(request).values() if form.is_open(now))
    forms = sorted(open_forms, key=lambda form: form.title.default.casefold())
    return templates_of(request).TemplateResponse(
        request, "pages/index.html", {"forms": forms, "lang": "en", "easy_read": False}
    )


async def preview_form(request: Request) -> Response:
    form = form_or_404(request)
    language = chosen_language(request, form)
    easy_read = form.easy_read and request.query_params.get("easy") == "1"
    pages = tuple(
        PreviewPage(
            number=number,
            page=page,
            section=form.section_of[page.id],
            views=tuple(QuestionView(question, language, easy_read) for question in page.questions),
        )
        for number, page in enumerate(form.pages, start=1)
    )
    context = {"form": form, "pages": pages, "lang": language, "easy_read": easy_read}
    return templates_of(request).TemplateResponse(request, "pages/preview.html", context)


async def privacy_notice(request: Request) -> Response:
    form = form_or_404(request)
    if form.privacy is None:
        raise HTTPException(404)
    context = {"form": form, "lang": chosen_language(request, form), "easy_read": False}
    return templates_of(request).TemplateResponse(request, "pages/privacy.html", context)


async def accessibility_statement(request: Request) -> Response:
    context = {"lang": "en", "easy_read": False}
    return templates_of(request).TemplateResponse(request, "pages/accessibility.html", context)


routes = [
    Route("/", list_forms, name="list_forms"),
    Route("/forms/{slug}/preview", preview_form, name="preview_form"),
    Route("/forms/{slug}/privacy", privacy_notice, name="privacy_notice"),
    Route("/accessibility", accessibility_statement, name="accessibility_statement"),
]
