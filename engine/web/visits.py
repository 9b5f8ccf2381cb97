"""One request's view of the respondent (form, draft, answers, reading preferences) and the plumbing
every journey page shares: finding the draft, rendering, addresses, where Back and Continue lead."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from engine import journey, storage
from engine.definition import CHECK_ANSWERS, Form, Page
from engine.expressions import EvaluationContext, Expression
from engine.mail import Composer, InvalidAddress
from engine.messages import error_message, format_date
from engine.settings import Settings
from engine.validation import FieldError
from engine.versions import Library
from engine.web.drafts import (
    DraftCookie,
    DraftCookies,
    RawFields,
    decode_answers,
)
from engine.web.security import CSRF_FIELD, CSRF_HEADER
from engine.web.templating import furniture_words

LONDON = ZoneInfo("Europe/London")


#: Form fields that are the page's machinery, not answers.
_CONTROL_FIELDS = frozenset({CSRF_FIELD, "action", "lang", "easy", "fresh"})


Endpoint = Callable[[Request], Awaitable[Response]]


class Detour(Exception):
    """Stop handling the request and send `response` instead (a redirect, a closed-form page...)."""

    def __init__(self, response: Response) -> None:
        super().__init__("detour")
        self.response = response


@dataclass
class Visit:
    """One request's view of the respondent: their form, draft, answers and reading preferences."""

    form: Form
    draft: storage.Draft
    cookie: DraftCookie
    answers: dict[str, Any]
    language: str
    easy_read: bool
    today: dt.date
    #: The draft's stored files by id, loaded only for a page that asks for files.
    uploaded: dict[str, storage.StoredFile] = field(default_factory=dict)
    #: The route worked out for `answers` and `draft` (the objects themselves, see `route`).
    _route: tuple[object, object, journey.Path] | None = field(default=None, repr=False, compare=False)

    @property
    def submitted(self) -> bool:
        return self.draft.status == storage.SUBMITTED

    @property
    def seen(self) -> frozenset[str]:
        """The pages the respondent has continued past (engine.journey needs them to place a page
        of unanswered optional questions)."""
        return frozenset(self.draft.seen_pages)

    @property
    def route(self) -> journey.Path:
        """The respondent's route for the answers and draft as they are now.

        A page asks it whether it may be shown, for its back link, its progress and the answers to
        pipe; walking it once per request instead of each time is a few percent of a page's CPU.
        `answers` and `draft` are replaced, never changed in place, when a page is saved
        (`reload_visit`), so they are compared by identity.
        """
        if self._route is not None and self._route[0] is self.answers and self._route[1] is self.draft:
            return self._route[2]
        route = journey.path(self.form, self.answers, self.today, seen=self.seen)
        self._route = (self.answers, self.draft, route)
        return route


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def draft_cookies(request: Request) -> DraftCookies:
    cookies: DraftCookies = request.app.state.draft_cookies
    return cookies


def app_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def current_time(request: Request) -> dt.datetime:
    clock: Callable[[], dt.datetime] = request.app.state.clock
    return clock()


def live_form(request: Request) -> Form:
    forms: Mapping[str, Form] = request.app.state.forms
    form = forms.get(request.path_params["slug"])
    if form is None:
        raise HTTPException(404)
    return form


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def email_composer(request: Request) -> Composer | None:
    """What writes this deployment's emails, or None when email is not configured (and so the
    pages offer none of it)."""
    settings = app_settings(request)
    if not settings.email_enabled:
        return None
    composer: Composer | None = getattr(request.app.state, "composer", None)
    if composer is None:
        composer = request.app.state.composer = Composer(settings)
    return composer


def wake_sender(request: Request) -> None:
    """Start sending what was just written to the outbox, rather than at the sender's next poll."""
    wake: Callable[[], object] | None = getattr(request.app.state, "wake_sender", None)
    if wake is not None:
        wake()


def address_error(problem: InvalidAddress, field: str, language: str) -> FieldError:
    message = error_message(problem.code, "email", language)
    return FieldError(code=problem.code, message=message, target_id=field)


def reading_preferences(request: Request, form: Form, cookie: DraftCookie | None) -> tuple[str, bool]:
    """The language and easy-read choice: ?lang= and ?easy= first, then what the cookie remembers."""
    asked = request.query_params.get("lang")
    if asked in form.languages:
        language = str(asked)
    elif cookie is not None and cookie.language in form.languages:
        language = str(cookie.language)
    else:
        language = form.default_language
    easy = request.query_params.get("easy")
    easy_read = form.easy_read and (easy == "1" if easy in ("0", "1") else bool(cookie and cookie.easy_read))
    return language, easy_read


def journey_page(endpoint: Endpoint) -> Endpoint:
    """Wrap an endpoint: turn a Detour into its response, remember changed preferences in the
    cookie, and mark the response no-store (these pages show answers)."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            response = await endpoint(request)
        except Detour as detour:
            response = detour.response
        except storage.AlreadySubmitted:
            # Submitted in another tab between loading the draft and saving to it.
            response = redirect(form_url(live_form(request), "confirmation"))
        finally:
            # Closes the uploaded files' temporary files once the page has read them.
            await request.close()
        visit: Visit | None = getattr(request.state, "visit", None)
        if visit is not None:
            remembered = replace(visit.cookie, language=visit.language, easy_read=visit.easy_read)
            if remembered != visit.cookie:
                draft_cookies(request).write(response, visit.form.slug, remembered)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


async def load_visit(request: Request, *, submitted_ok: bool = False) -> Visit:
    """The respondent's draft on this form, or a Detour to where they should be instead."""
    form = live_form(request)
    cookie = draft_cookies(request).read(request, form.slug)
    now = current_time(request)
    if cookie is None:
        raise Detour(redirect(form_url(form)))
    draft = await live_draft(request, cookie.token, now)
    if draft is None:
        draft = await _submitted_draft(cookie.draft_id)
        if draft is None or draft.form_slug != form.slug:
            raise Detour(redirect(form_url(form)))
        if not submitted_ok:
            raise Detour(redirect(form_url(form, "confirmation")))
    elif draft.form_slug != form.slug:
        raise Detour(redirect(form_url(form)))
    # Whether the form is open is the live version's say; the questions are the draft's version's.
    answered_on = await draft_form(request, form, draft)
    language, easy_read = reading_preferences(request, answered_on or form, cookie)
    today = now.astimezone(LONDON).date()
    visit = Visit(answered_on or form, draft, cookie, {}, language, easy_read, today)
    request.state.visit = visit
    if not visit.submitted:
        if not form.is_open(now):
            raise Detour(closed_page(request, form, language, now, has_draft=True))
        if answered_on is None:
            raise Detour(render(request, visit, "pages/form_changed.html", {}, status=409))
    visit.answers = decode_answers(visit.form, draft.answers)
    return visit


async def draft_form(request: Request, live: Form, draft: storage.Draft) -> Form | None:
    """The version of the form a draft was started on: `live` itself, or an earlier version rebuilt
    from its stored definition by the Library (built once per worker); None if it cannot be loaded."""
    if draft.version == live.version:
        return live
    library: Library = request.app.state.library
    return await library.stored_form(live.slug, draft.version)


async def live_draft(request: Request, token: str, now: dt.datetime) -> storage.Draft | None:
    since = now - dt.timedelta(days=app_settings(request).draft_days)
    return await storage.find_draft_by_token(token, changed_after=since)


async def _submitted_draft(draft_id: str) -> storage.Draft | None:
    try:
        draft = await storage.get_draft(draft_id)
    except storage.NotFound:
        return None
    return draft if draft.status == storage.SUBMITTED else None


def form_url(form: Form, target: str | None = None, *, change: bool = False) -> str:
    """/forms/<slug>[/<target>]; CHECK_ANSWERS becomes check-answers. ("board", "name_page")."""
    base = f"/forms/{form.slug}"
    if target is None:
        return base
    path = f"{base}/check-answers" if target == CHECK_ANSWERS else f"{base}/{target}"
    return f"{path}?change=1" if change else path


def is_change(request: Request) -> bool:
    return request.query_params.get("change") == "1"


def render(
    request: Request,
    visit: Visit | None,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    form: Form | None = None,
    language: str | None = None,
) -> Response:
    base: dict[str, Any] = {
        "form": visit.form if visit else form,
        "lang": visit.language if visit else (language or "en"),
        "easy_read": visit.easy_read if visit else False,
    }
    return app_templates(request).TemplateResponse(request, template, {**base, **context}, status_code=status)


def words_for(visit: Visit, key: str, **params: object) -> str:
    return furniture_words(key, visit.language, **params)


def closed_page(
    request: Request, form: Form, language: str, now: dt.datetime, *, has_draft: bool, status: int = 200
) -> Response:
    not_yet = form.opens is not None and now < form.opens
    moment = form.opens if not_yet else form.closes
    context = {
        "not_yet": not_yet,
        "has_draft": has_draft,
        "when": format_date(moment.astimezone(LONDON).date(), language) if moment else "",
    }
    return render(request, None, "pages/closed.html", context, status=status, form=form, language=language)


async def posted_form(request: Request) -> tuple[FormData, RawFields, bool]:
    """The posted form, its answer fields as raw text, and whether its CSRF token is good."""
    data = await request.form()
    raw: dict[str, tuple[str, ...]] = {}
    for name in data:
        if name not in _CONTROL_FIELDS:
            raw[name] = tuple(value for value in data.getlist(name) if isinstance(value, str))
    token = data.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = request.headers.get(CSRF_HEADER)
    return data, raw, request.app.state.csrf.is_valid(request, token)


def holds(condition: Expression | None, answers: Mapping[str, Any], today: dt.date) -> bool:
    return condition is None or bool(condition.evaluate(EvaluationContext(answers, today)))


def progress_label(visit: Visit, page: Page) -> str | None:
    form = visit.form
    if form.task_list or len(form.sections) < 2:
        return None
    try:
        where = journey.progress_on(form, visit.route, page.id, visit.today)
    except journey.PageNotOnPath:
        return None
    return words_for(visit, "section_progress", number=where.number, total=where.count)


def back_link(visit: Visit, page_id: str, change: bool) -> str:
    form = visit.form
    if change:
        return form_url(form, CHECK_ANSWERS)
    try:
        previous = visit.route.previous_page(page_id)
    except journey.PageNotOnPath:
        previous = None
    if form.task_list and (previous is None or form.section_of[previous] is not form.section_of.get(page_id)):
        return form_url(form, "tasks")
    return form_url(form, previous) if previous else form_url(form)


def require_on_route(visit: Visit, page_id: str) -> None:
    """Jumping ahead by URL (or to a page no longer on the route) goes to where the respondent is."""
    if not visit.route.can_visit(page_id):
        raise Detour(redirect(form_url(visit.form, visit.route.resume_page)))


def requested_page(visit: Visit, request: Request) -> Page:
    page = visit.form.page_index.get(request.path_params["page_id"])
    if page is None:
        raise HTTPException(404)
    return page


def after_save(visit: Visit, page_id: str, change: bool) -> str:
    """Where to go once a page is saved: the next page, or (after a change) back to check
    answers, asking first any question that has newly become relevant."""
    form, route = visit.form, visit.route
    target: str | None
    if change:
        target = route.resume_page
        return form_url(form, target, change=target != CHECK_ANSWERS)
    try:
        target = route.next_page(page_id)
    except journey.PageNotOnPath:
        target = route.resume_page
    if target is None:
        return form_url(form, page_id)
    leaves_section = target == CHECK_ANSWERS or form.section_of[target] is not form.section_of[page_id]
    if form.task_list and leaves_section:
        return form_url(form, "tasks")
    return form_url(form, target)


def reload_visit(visit: Visit, draft: storage.Draft) -> None:
    """Bring the visit up to date with the draft as just saved."""
    visit.draft = draft
    visit.answers = decode_answers(visit.form, draft.answers)


def resume_target(form: Form, draft: storage.Draft, now: dt.datetime) -> str:
    if form.task_list:
        return form_url(form, "tasks")
    today = now.astimezone(LONDON).date()
    answers = decode_answers(form, draft.answers)
    return form_url(form, journey.first_incomplete_page(form, answers, today, seen=draft.seen_pages))
