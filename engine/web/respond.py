"""The respondent's journey: start, one page at a time, add another, check answers, submit.

Everything works with plain HTML forms (POST, then a 303 redirect, then GET). Which page may be
shown, and where Continue and Back lead, is always `engine.journey`'s answer from the stored
answers; nothing about the route is kept in the session. The draft is found through a signed
cookie holding its resume token (`engine.web.drafts`), so the address bar never carries it.

URLs, for a form at /forms/<slug>:
    /forms/<slug>                       start page (POST .../start begins or continues a draft)
    /forms/<slug>/<page>                a question page; a repeating page lists its items
    /forms/<slug>/<page>/items/new      add an item; .../items/<n> change it; .../items/<n>/remove
    /forms/<slug>/<page>/autosave       (JavaScript) save what is valid as answers change
    /forms/<slug>/<page>/files/<id>/remove   remove an uploaded file (POST)
    /forms/<slug>/tasks                 the task list of a task-list form
    /forms/<slug>/check-answers         check answers; POST .../submit sends them
    /forms/<slug>/confirmation          the reference; .../confirmation/answers a copy to print
    /forms/<slug>/save                  "save and come back later": the link to come back (POST: email it)
    /resume/<token>                     exchanged for the cookie, then redirected at once
    /resume/email/<secret>              an emailed, single-use link: a button (POST) exchanges it
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import ChainMap
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from engine import accounts, journey, outbox, storage
from engine.definition import CHECK_ANSWERS, RESERVED_PAGE_IDS, Form, Page, Question, Text
from engine.expressions import EvaluationContext, Expression
from engine.mail import Composer, Email, InvalidAddress, email_words, normalise_address
from engine.messages import error_message, format_date
from engine.questions import QUESTION_TYPES, Invalid
from engine.settings import Settings
from engine.uploads import accept_upload
from engine.validation import FieldError, PageResult, validate_page
from engine.web.drafts import (
    DraftCookie,
    DraftCookies,
    RawFields,
    decode_answers,
    encode_answers,
    own_ids,
    raw_fields,
)
from engine.web.security import CSRF_FIELD, CSRF_HEADER
from engine.web.templating import furniture_words
from engine.web.views import QuestionView

LONDON = ZoneInfo("Europe/London")
#: Form fields that are the page's machinery, not answers.
_CONTROL_FIELDS = frozenset({CSRF_FIELD, "action", "lang", "easy", "fresh"})
#: The optional address for an emailed receipt, posted with the answers on check answers.
RECEIPT_EMAIL = "receipt_email"
#: The address to email a save-and-return link to, on the save page.
SAVE_EMAIL = "email"
#: Save-and-return emails allowed per draft, and per client address, in accounts.ATTEMPT_WINDOW:
#: enough to fix a mistyped address, too few to send mail through the council's relay. The
#: address limit is higher because a library or an office shares one address.
RESUME_EMAILS_PER_DRAFT = 3
RESUME_EMAILS_PER_ADDRESS = 20
ADD_ANOTHER = "add_another"
CONFIRM_REMOVE = "confirm_remove"

Endpoint = Callable[[Request], Awaitable[Response]]


class PageIdConvertor(Convertor[str]):
    """A page id in a URL: snake_case, never one of RESERVED_PAGE_IDS, so "/forms/x/preview" is
    always the preview (and a POST to it a 405), never a page called "preview"."""

    regex = "(?!(?:" + "|".join(sorted(RESERVED_PAGE_IDS)) + ")(?:/|$))[a-z][a-z0-9_]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("page_id", PageIdConvertor())


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

    @property
    def submitted(self) -> bool:
        return self.draft.status == storage.SUBMITTED

    @property
    def seen(self) -> frozenset[str]:
        """The pages the respondent has continued past (engine.journey needs them to place a page
        of unanswered optional questions)."""
        return frozenset(self.draft.seen_pages)


# --- plumbing ---------------------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _cookies(request: Request) -> DraftCookies:
    cookies: DraftCookies = request.app.state.draft_cookies
    return cookies


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def _now(request: Request) -> dt.datetime:
    clock: Callable[[], dt.datetime] = request.app.state.clock
    return clock()


def _form(request: Request) -> Form:
    forms: Mapping[str, Form] = request.app.state.forms
    form = forms.get(request.path_params["slug"])
    if form is None:
        raise HTTPException(404)
    return form


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _composer(request: Request) -> Composer | None:
    """What writes this deployment's emails, or None when email is not configured (and so the
    pages offer none of it)."""
    settings = _settings(request)
    if not settings.email_enabled:
        return None
    composer: Composer | None = getattr(request.app.state, "composer", None)
    if composer is None:
        composer = request.app.state.composer = Composer(settings)
    return composer


def _wake_sender(request: Request) -> None:
    """Start sending what was just written to the outbox, rather than at the sender's next poll."""
    wake: Callable[[], object] | None = getattr(request.app.state, "wake_sender", None)
    if wake is not None:
        wake()


def _address_error(problem: InvalidAddress, field: str, language: str) -> FieldError:
    message = error_message(problem.code, "email", language)
    return FieldError(code=problem.code, message=message, target_id=field)


def _preferences(request: Request, form: Form, cookie: DraftCookie | None) -> tuple[str, bool]:
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
            response = _redirect(_url(_form(request), "confirmation"))
        finally:
            # Closes the uploaded files' temporary files once the page has read them.
            await request.close()
        visit: Visit | None = getattr(request.state, "visit", None)
        if visit is not None:
            remembered = replace(visit.cookie, language=visit.language, easy_read=visit.easy_read)
            if remembered != visit.cookie:
                _cookies(request).write(response, visit.form.slug, remembered)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


async def _visit(request: Request, *, submitted_ok: bool = False) -> Visit:
    """The respondent's draft on this form, or a Detour to where they should be instead."""
    form = _form(request)
    cookie = _cookies(request).read(request, form.slug)
    now = _now(request)
    if cookie is None:
        raise Detour(_redirect(_url(form)))
    draft = await _live_draft(request, cookie.token, now)
    if draft is None:
        draft = await _submitted_draft(cookie.draft_id)
        if draft is None or draft.form_slug != form.slug:
            raise Detour(_redirect(_url(form)))
        if not submitted_ok:
            raise Detour(_redirect(_url(form, "confirmation")))
    elif draft.form_slug != form.slug:
        raise Detour(_redirect(_url(form)))
    language, easy_read = _preferences(request, form, cookie)
    today = now.astimezone(LONDON).date()
    visit = Visit(form, draft, cookie, {}, language, easy_read, today)
    request.state.visit = visit
    if not visit.submitted:
        if not form.is_open(now):
            raise Detour(_closed_page(request, form, language, now, has_draft=True))
        if draft.version != form.version:
            raise Detour(_render(request, visit, "pages/form_changed.html", {}, status=409))
    visit.answers = decode_answers(form, draft.answers)
    return visit


async def _live_draft(request: Request, token: str, now: dt.datetime) -> storage.Draft | None:
    since = now - dt.timedelta(days=_settings(request).draft_days)
    return await storage.find_draft_by_token(token, changed_after=since)


async def _submitted_draft(draft_id: str) -> storage.Draft | None:
    try:
        draft = await storage.get_draft(draft_id)
    except storage.NotFound:
        return None
    return draft if draft.status == storage.SUBMITTED else None


def _url(form: Form, target: str | None = None, *, change: bool = False) -> str:
    """/forms/<slug>[/<target>]; CHECK_ANSWERS becomes check-answers. ("board", "name_page")."""
    base = f"/forms/{form.slug}"
    if target is None:
        return base
    path = f"{base}/check-answers" if target == CHECK_ANSWERS else f"{base}/{target}"
    return f"{path}?change=1" if change else path


def _is_change(request: Request) -> bool:
    return request.query_params.get("change") == "1"


def _render(
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
    return _templates(request).TemplateResponse(request, template, {**base, **context}, status_code=status)


def _words(visit: Visit, key: str, **params: object) -> str:
    return furniture_words(key, visit.language, **params)


def _closed_page(
    request: Request, form: Form, language: str, now: dt.datetime, *, has_draft: bool, status: int = 200
) -> Response:
    not_yet = form.opens is not None and now < form.opens
    moment = form.opens if not_yet else form.closes
    context = {
        "not_yet": not_yet,
        "has_draft": has_draft,
        "when": format_date(moment.astimezone(LONDON).date(), language) if moment else "",
    }
    return _render(request, None, "pages/closed.html", context, status=status, form=form, language=language)


async def _form_data(request: Request) -> tuple[FormData, RawFields, bool]:
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


def _holds(condition: Expression | None, answers: Mapping[str, Any], today: dt.date) -> bool:
    return condition is None or bool(condition.evaluate(EvaluationContext(answers, today)))


# --- showing a page of questions ---------------------------------------------------------------------


def _piped(visit: Visit) -> dict[str, str]:
    """Earlier answers as display text, for ((question_id)) in labels and hints."""
    relevant = journey.relevant_answers(visit.form, visit.answers, visit.today, seen=visit.seen)
    piped: dict[str, str] = {}
    for key, value in relevant.items():
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
) -> tuple[tuple[QuestionView, ...], frozenset[str]]:
    """The page's question views, and the ids of questions hidden by show_if (rendered hidden, so
    the script can reveal them as answers change; validation ignores them either way)."""
    piped = _piped(visit)
    views: list[QuestionView] = []
    hidden: set[str] = set()
    for question in page.questions:
        if not _holds(question.show_if, context, visit.today):
            hidden.add(question.id)
        options = None
        if any(option.show_if is not None for option in question.options):
            options = tuple(o for o in question.options if _holds(o.show_if, context, visit.today))
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


def _progress(visit: Visit, page: Page) -> str | None:
    form = visit.form
    if form.task_list or len(form.sections) < 2:
        return None
    try:
        where = journey.progress(form, page.id, visit.answers, visit.today, seen=visit.seen)
    except journey.PageNotOnPath:
        return None
    return _words(visit, "section_progress", number=where.number, total=where.count)


def _back_href(visit: Visit, page_id: str, change: bool) -> str:
    form = visit.form
    if change:
        return _url(form, CHECK_ANSWERS)
    try:
        previous = journey.previous_page(form, page_id, visit.answers, visit.today, seen=visit.seen)
    except journey.PageNotOnPath:
        previous = None
    if form.task_list and (previous is None or form.section_of[previous] is not form.section_of.get(page_id)):
        return _url(form, "tasks")
    return _url(form, previous) if previous else _url(form)


def _question_page(
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
    views, hidden = _views(visit, page, raw, errors, visit.answers if context is None else context)
    section = visit.form.section_of[page.id]
    page_context = {
        "page": page,
        "views": views,
        "hidden": hidden,
        "page_title": title or _page_title(visit, page, views),
        "errors": list(errors.values()),
        "back_href": back_href,
        "action": action,
        "autosave_url": f"{_url(visit.form, page.id)}/autosave" if autosave and not page.repeat else "",
        "multipart": bool(_file_questions(page)),
        "uploaded": _uploaded(request, visit, page, raw),
        "progress_label": _progress(visit, page),
        "caption": section.title.get(visit.language, visit.easy_read) if section.title else "",
        "notice": notice,
    }
    return _render(request, visit, "pages/question.html", page_context, status=status)


def _require_on_route(visit: Visit, page_id: str) -> None:
    """Jumping ahead by URL (or to a page no longer on the route) goes to where the respondent is."""
    if not journey.can_visit(visit.form, page_id, visit.answers, visit.today, seen=visit.seen):
        target = journey.first_incomplete_page(visit.form, visit.answers, visit.today, seen=visit.seen)
        raise Detour(_redirect(_url(visit.form, target)))


def _page(visit: Visit, request: Request) -> Page:
    page = visit.form.page_index.get(request.path_params["page_id"])
    if page is None:
        raise HTTPException(404)
    return page


def _after_save(visit: Visit, page_id: str, change: bool) -> str:
    """Where to go once a page is saved: the next page, or (after a change) back to check
    answers, asking first any question that has newly become relevant."""
    form, answers, seen = visit.form, visit.answers, visit.seen
    target: str | None
    if change:
        target = journey.first_incomplete_page(form, answers, visit.today, seen=seen)
        return _url(form, target, change=target != CHECK_ANSWERS)
    try:
        target = journey.next_page(form, page_id, answers, visit.today, seen=seen)
    except journey.PageNotOnPath:
        target = journey.first_incomplete_page(form, answers, visit.today, seen=seen)
    if target is None:
        return _url(form, page_id)
    leaves_section = target == CHECK_ANSWERS or form.section_of[target] is not form.section_of[page_id]
    if form.task_list and leaves_section:
        return _url(form, "tasks")
    return _url(form, target)


# --- uploads ----------------------------------------------------------------------------------------


def _file_questions(page: Page) -> list[Question]:
    found: list[Question] = []
    pending = list(page.questions)
    while pending:
        question = pending.pop(0)
        if question.type == "file":
            found.append(question)
        pending.extend(option.follow_up for option in question.options if option.follow_up is not None)
    return found


async def _with_uploads(
    request: Request, visit: Visit, page: Page, data: FormData, raw: RawFields, stored: Mapping[str, Any]
) -> tuple[RawFields, dict[str, FieldError]]:
    """The raw fields with each file question's file ids: those kept before, then new uploads
    (checked, stripped of location data and stored by engine.uploads)."""
    raw = dict(raw)
    errors: dict[str, FieldError] = {}
    for question in _file_questions(page):
        uploads = [u for u in data.getlist(question.id) if isinstance(u, UploadFile) and u.filename]
        kept = tuple(stored.get(question.id, ()))
        ids: list[str] = list(kept)
        for upload in uploads:
            try:
                ids.append(
                    await accept_upload(
                        visit.draft.id,
                        question,
                        upload.filename or "",
                        await upload.read(),
                        attached=len(ids),
                        upload_dir=_settings(request).upload_dir,
                    )
                )
            except Invalid as problem:
                errors[question.id] = _upload_error(question, problem, visit.language)
                break
        raw[question.id] = tuple(ids)
    return raw, errors


async def _keep_uploads(visit: Visit, page: Page, raw: RawFields) -> None:
    """Keep the files just uploaded in the answer even though the page shows an error: with
    JavaScript off the file input comes back empty, and the respondent should not send them again."""
    held = {
        question.id: raw[question.id]
        for question in _file_questions(page)
        if raw.get(question.id, ()) != tuple(visit.answers.get(question.id, ()))
    }
    if held:
        _reload(visit, await storage.save_answers(visit.draft.id, encode_answers(visit.form, held)))


async def _load_uploaded(visit: Visit, page: Page) -> None:
    """Read the names of the draft's files, for a page that shows the files it holds."""
    if _file_questions(page):
        visit.uploaded = {stored.id: stored for stored in await storage.files_of(visit.draft.id)}


def _uploaded(request: Request, visit: Visit, page: Page, raw: RawFields) -> dict[str, list[dict[str, str]]]:
    """Each file question's files as the page lists them: name, id, and where "Remove" posts.

    An item of a repeating page keeps its files inside the item, so its files are listed without
    a Remove button (removing the item removes them).
    """
    remove = None if page.repeat is not None else f"{_url(visit.form, page.id)}/files"
    query = "?change=1" if _is_change(request) else ""
    listed: dict[str, list[dict[str, str]]] = {}
    for question in _file_questions(page):
        held = [visit.uploaded[file_id] for file_id in raw.get(question.id, ()) if file_id in visit.uploaded]
        listed[question.id] = [
            {
                "id": stored.id,
                "name": stored.filename,
                "remove_action": f"{remove}/{stored.id}/remove{query}" if remove else "",
            }
            for stored in held
        ]
    return listed


@journey_page
async def remove_file(request: Request) -> Response:
    """The Remove button beside an uploaded file: take it out of the answer, delete the stored file."""
    visit = await _visit(request)
    page = _page(visit, request)
    _require_on_route(visit, page.id)
    if page.exit or page.repeat is not None:
        raise HTTPException(404)
    _, _, csrf_ok = await _form_data(request)
    await _load_uploaded(visit, page)
    stored = visit.uploaded.get(request.path_params["file_id"])
    if stored is None or stored.question_id not in {question.id for question in _file_questions(page)}:
        raise HTTPException(404)
    change = _is_change(request)
    if not csrf_ok:
        return _question_page(
            request,
            visit,
            page,
            raw_fields(page.questions, visit.answers),
            action=_url(visit.form, page.id, change=change),
            back_href=_back_href(visit, page.id, change),
            status=403,
            notice=_words(visit, "csrf_notice"),
        )
    kept = tuple(file_id for file_id in visit.answers.get(stored.question_id, ()) if file_id != stored.id)
    if kept:
        await storage.save_answers(visit.draft.id, encode_answers(visit.form, {stored.question_id: kept}))
    else:
        await storage.save_answers(visit.draft.id, {}, remove=[stored.question_id])
    await storage.delete_file(stored.id)
    return _redirect(_url(visit.form, page.id, change=change))


def _upload_error(question: Question, problem: Invalid, language: str) -> FieldError:
    custom = question.errors.get(problem.code)
    message = (
        custom.get(language)
        if custom
        else error_message(problem.code, "file", language, label=question.label, **problem.params)
    )
    return FieldError(code=problem.code, message=message, target_id=question.id)


def _merged(result: PageResult, extra: Mapping[str, FieldError]) -> Mapping[str, FieldError]:
    return MappingProxyType({**result.errors, **extra}) if extra else result.errors


# --- start, resume, save -----------------------------------------------------------------------------


@journey_page
async def start_page(request: Request) -> Response:
    form = _form(request)
    now = _now(request)
    cookie = _cookies(request).read(request, form.slug)
    language, easy_read = _preferences(request, form, cookie)
    if not form.is_open(now):
        return _closed_page(request, form, language, now, has_draft=cookie is not None)
    draft = await _live_draft(request, cookie.token, now) if cookie else None
    return _start(request, form, language, easy_read, continuing=draft is not None)


def _start(
    request: Request,
    form: Form,
    language: str,
    easy_read: bool,
    *,
    continuing: bool,
    notice: str | None = None,
) -> Response:
    context = {"form": form, "lang": language, "easy_read": easy_read}
    context.update({"continuing": continuing, "notice": notice})
    status = 403 if notice else 200
    return _templates(request).TemplateResponse(request, "pages/start.html", context, status_code=status)


@journey_page
async def begin(request: Request) -> Response:
    """Start now: make a draft (or carry on with the one this browser has) and go to its first page."""
    form = _form(request)
    now = _now(request)
    cookie = _cookies(request).read(request, form.slug)
    data = await request.form()
    language = str(data.get("lang") or "")
    language = language if language in form.languages else form.default_language
    easy_read = form.easy_read and data.get("easy") == "1"
    token = data.get(CSRF_FIELD)
    if not request.app.state.csrf.is_valid(request, token if isinstance(token, str) else None):
        notice = furniture_words("csrf_notice_start", language)
        return _start(request, form, language, easy_read, continuing=cookie is not None, notice=notice)
    if not form.is_open(now):
        return _closed_page(request, form, language, now, has_draft=False, status=403)
    draft = await _live_draft(request, cookie.token, now) if cookie else None
    fresh = data.get("fresh") == "1"
    if draft is not None and cookie is not None and not fresh and draft.version == form.version:
        return _redirect(_resume_target(form, draft, now))
    draft, token = await storage.create_draft(form.slug, form.version, language)
    response = _redirect(_resume_target(form, draft, now))
    _cookies(request).write(response, form.slug, DraftCookie(token, draft.id, language, easy_read))
    return response


def _resume_target(form: Form, draft: storage.Draft, now: dt.datetime) -> str:
    if form.task_list:
        return _url(form, "tasks")
    today = now.astimezone(LONDON).date()
    answers = decode_answers(form, draft.answers)
    return _url(form, journey.first_incomplete_page(form, answers, today, seen=draft.seen_pages))


async def resume(request: Request) -> Response:
    """A resume link: swap the token for the cookie and redirect at once, so the token leaves the
    address bar (and the history, and any Referer) straight away."""
    return await _resumed(request, request.path_params["token"])


async def _resumed(request: Request, token: str | None) -> Response:
    """The draft `token` opens, in this browser's cookie, and a redirect to where it left off."""
    if token is None:
        return _resume_expired(request)
    now = _now(request)
    draft = await _live_draft(request, token, now)
    forms: Mapping[str, Form] = request.app.state.forms
    form = forms.get(draft.form_slug) if draft else None
    if draft is None or form is None:
        return _resume_expired(request)
    response = _redirect(_resume_target(form, draft, now))
    _cookies(request).write(response, form.slug, DraftCookie(token, draft.id, draft.language, False))
    response.headers["Cache-Control"] = "no-store"
    return response


def _resume_expired(request: Request) -> Response:
    context = {"days": _settings(request).draft_days, "lang": "en", "easy_read": False}
    expired = _templates(request).TemplateResponse(request, "pages/resume_expired.html", context, 404)
    expired.headers["Cache-Control"] = "no-store"
    return expired


async def resume_from_email(request: Request) -> Response:
    """An emailed link. Opening it only shows a Continue button: mail scanners open links before
    people do, and would use up a single-use link. Pressing it (POST) uses the link up and swaps
    it for the cookie, as a resume link is."""
    secret = request.path_params["secret"]
    now = _now(request)
    draft_id = await outbox.resume_link_draft(secret, now)
    draft = await _live_draft_by_id(draft_id) if draft_id else None
    forms: Mapping[str, Form] = request.app.state.forms
    form = forms.get(draft.form_slug) if draft else None
    if draft is None or form is None:
        return _resume_expired(request)
    if request.method == "POST":
        token = (await request.form()).get(CSRF_FIELD)
        if request.app.state.csrf.is_valid(request, token if isinstance(token, str) else None):
            return await _resumed(request, await outbox.redeem_resume_link(secret, now))
    title = form.title.get(draft.language)
    context = {
        "form": form,
        "lang": draft.language,
        "easy_read": False,
        "heading": email_words("resume_email_title", draft.language),
        "body": email_words("resume_email_body", draft.language, title=title),
        "action": f"/resume/email/{secret}",
    }
    page = _templates(request).TemplateResponse(request, "pages/resume_email.html", context)
    page.headers["Cache-Control"] = "no-store"
    return page


async def _live_draft_by_id(draft_id: str) -> storage.Draft | None:
    try:
        draft = await storage.get_draft(draft_id)
    except storage.NotFound:
        return None
    return draft if draft.status == storage.DRAFT else None


def _saved(
    request: Request,
    visit: Visit,
    *,
    raw_email: str = "",
    errors: Mapping[str, FieldError] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    link = f"{str(request.base_url).rstrip('/')}/resume/{visit.cookie.token}"
    target = journey.first_incomplete_page(visit.form, visit.answers, visit.today, seen=visit.seen)
    days = _settings(request).draft_days
    expires = _now(request) + dt.timedelta(days=days)
    expires_on = format_date(expires.astimezone(LONDON).date(), visit.language)
    language = visit.language
    context = {
        "link": link,
        "days": days,
        "continue_href": _url(visit.form, "tasks" if visit.form.task_list else target),
        "email": None
        if _composer(request) is None
        else {
            "heading": email_words("save_email_heading", language),
            "body": email_words("save_email_body", language, date=expires_on),
            "label": email_words("save_email_label", language),
            "button": email_words("save_email_button", language),
            "sent": email_words("save_emailed", language) if request.query_params.get("emailed") else None,
            "value": raw_email,
            "error": (errors or {}).get(SAVE_EMAIL),
        },
        "errors": list((errors or {}).values()),
        "notice": notice,
    }
    return _render(request, visit, "pages/saved.html", context, status=status)


@journey_page
async def saved_page(request: Request) -> Response:
    visit = await _visit(request)
    return _saved(request, visit)


async def _too_many_resume_emails(request: Request, visit: Visit) -> bool:
    """Count this request to email a link, for its draft and its client address."""
    client = request.client.host if request.client else "unknown"
    limits = [
        ("resume_email_draft", visit.draft.id, RESUME_EMAILS_PER_DRAFT),
        ("resume_email_address", client, RESUME_EMAILS_PER_ADDRESS),
    ]
    return await accounts.exceeds_limits(limits, now=_now(request))


@journey_page
async def email_resume_link(request: Request) -> Response:
    """Email a single-use link to this draft; the link and its message are written together."""
    visit = await _visit(request)
    composer = _composer(request)
    if composer is None:
        raise HTTPException(404)
    data, _, csrf_ok = await _form_data(request)
    typed = str(data.get(SAVE_EMAIL) or "")
    if not csrf_ok:
        return _saved(request, visit, raw_email=typed, notice=_words(visit, "csrf_notice"), status=403)
    try:
        address = normalise_address(typed)
    except InvalidAddress as problem:
        errors = {SAVE_EMAIL: _address_error(problem, SAVE_EMAIL, visit.language)}
        return _saved(request, visit, raw_email=typed, errors=errors, status=422)
    if await _too_many_resume_emails(request, visit):
        words = email_words("save_email_too_many", visit.language)
        errors = {SAVE_EMAIL: FieldError(code="too_many_links", message=words, target_id=SAVE_EMAIL)}
        return _saved(request, visit, raw_email=typed, errors=errors, status=429)
    secret = outbox.new_link_secret()
    expires_at = _now(request) + dt.timedelta(days=_settings(request).draft_days)
    message = composer.resume_link(visit.form, secret, expires_at, address, visit.language, visit.easy_read)
    await outbox.email_resume_link(visit.draft.id, visit.cookie.token, secret, expires_at, message)
    _wake_sender(request)
    return _redirect(_url(visit.form, "save") + "?emailed=1")


# --- question pages ----------------------------------------------------------------------------------


@journey_page
async def show_page(request: Request) -> Response:
    visit = await _visit(request)
    page = _page(visit, request)
    _require_on_route(visit, page.id)
    change = _is_change(request)
    if page.exit:
        context = {"page": page, "back_href": _back_href(visit, page.id, change)}
        return _render(request, visit, "pages/exit.html", context)
    if page.repeat is not None:
        return _item_list(request, visit, page, change)
    await _load_uploaded(visit, page)
    return _question_page(
        request,
        visit,
        page,
        raw_fields(page.questions, visit.answers),
        action=_url(visit.form, page.id, change=change),
        back_href=_back_href(visit, page.id, change),
    )


@journey_page
async def answer_page(request: Request) -> Response:
    visit = await _visit(request)
    page = _page(visit, request)
    _require_on_route(visit, page.id)
    change = _is_change(request)
    if page.exit:
        raise HTTPException(405)
    if page.repeat is not None:
        return await _answer_item_list(request, visit, page, change)
    data, raw, csrf_ok = await _form_data(request)
    action = _url(visit.form, page.id, change=change)
    back = _back_href(visit, page.id, change)
    if not csrf_ok:
        notice = _words(visit, "csrf_notice")
        return _question_page(
            request, visit, page, raw, action=action, back_href=back, status=403, notice=notice
        )
    raw, upload_errors = await _with_uploads(request, visit, page, data, raw, visit.answers)
    await _load_uploaded(visit, page)
    result = validate_page(visit.form, page, raw, visit.answers, visit.today, visit.language)
    errors = _merged(result, upload_errors)
    saving = data.get("action") == "save"
    if errors and not saving:
        await _keep_uploads(visit, page, raw)
        context = ChainMap(dict(result.answers), visit.answers)
        return _question_page(
            request,
            visit,
            page,
            raw,
            errors=errors,
            context=context,
            action=action,
            back_href=back,
            status=422,
        )
    await _save_page(visit, page, result, errors, continued=not saving)
    if saving:
        return _redirect(_url(visit.form, "save"))
    return _redirect(_after_save(visit, page.id, change))


async def _save_page(
    visit: Visit, page: Page, result: PageResult, errors: Mapping[str, FieldError], *, continued: bool
) -> None:
    """Save a page's valid answers; forget those it no longer has (now hidden, or cleared), but
    keep the stored answer of a question that is in error, so nothing saved is lost. `continued`:
    the respondent pressed Continue, so the page counts as seen."""
    kept = {key for key in own_ids(page) if key.removesuffix("__other") in errors}
    remove = [key for key in own_ids(page) if key not in result.answers and key not in kept]
    answers = {key: value for key, value in result.answers.items() if key not in errors}
    draft = await storage.save_answers(
        visit.draft.id,
        encode_answers(visit.form, answers),
        remove=remove,
        seen_page=page.id if continued else None,
    )
    _reload(visit, draft)


def _reload(visit: Visit, draft: storage.Draft) -> None:
    """Bring the visit up to date with the draft as just saved."""
    visit.draft = draft
    visit.answers = decode_answers(visit.form, draft.answers)


@journey_page
async def autosave(request: Request) -> Response:
    """Save what is valid on a page as answers change (JavaScript only), and say which of the
    page's questions the answers so far make visible: {"saved": true, "visible": ["q1", "q3"]}."""
    visit = await _visit(request)
    page = _page(visit, request)
    if (
        page.repeat is not None
        or page.exit
        or not journey.can_visit(visit.form, page.id, visit.answers, visit.today, seen=visit.seen)
    ):
        return JSONResponse({"saved": False, "visible": []}, status_code=409)
    _, raw, csrf_ok = await _form_data(request)
    if not csrf_ok:
        return JSONResponse({"saved": False, "visible": []}, status_code=403)
    for question in _file_questions(page):
        raw[question.id] = tuple(visit.answers.get(question.id, ()))
    result = validate_page(visit.form, page, raw, visit.answers, visit.today, visit.language)
    await _save_page(visit, page, result, result.errors, continued=False)
    context = ChainMap(dict(result.answers), visit.answers)
    visible = [q.id for q in page.questions if _holds(q.show_if, context, visit.today)]
    return JSONResponse({"saved": True, "visible": visible})


# --- add another ------------------------------------------------------------------------------------


def _items(visit: Visit, page: Page) -> tuple[Mapping[str, Any], ...]:
    items = visit.answers.get(page.id, ())
    return items if isinstance(items, tuple) else ()


def _item_name(visit: Visit, page: Page) -> str:
    return page.repeat.item_name.get(visit.language, visit.easy_read) if page.repeat else ""


def _add_another_question(visit: Visit, page: Page) -> Question:
    name = _item_name(visit, page)
    return Question(
        id=ADD_ANOTHER,
        type="yes_no",
        label=Text(_words(visit, "add_another_question", item=name)),
        errors=MappingProxyType({"required": Text(_words(visit, "add_another_required", item=name))}),
    )


def _item_list(
    request: Request,
    visit: Visit,
    page: Page,
    change: bool,
    *,
    errors: Mapping[str, FieldError] | None = None,
    raw: RawFields | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    repeat = page.repeat
    if repeat is None:
        raise HTTPException(404)
    items = _items(visit, page)
    if not items and repeat.min_items > 0 and status == 200:
        return _redirect(f"{_url(visit.form, page.id)}/items/new" + ("?change=1" if change else ""))
    name = _item_name(visit, page)
    rows = []
    for number, item in enumerate(items, start=1):
        lines = [
            QUESTION_TYPES[q.type].display(q, item[q.id], visit.language)
            for q in page.questions
            if not q.is_content and q.id in item
        ]
        rows.append(
            {
                "key": f"{name[:1].upper()}{name[1:]} {number}",
                "value": "\n".join(lines),
                "change_href": f"{_url(visit.form, page.id)}/items/{number}",
                "remove_href": f"{_url(visit.form, page.id)}/items/{number}/remove",
            }
        )
    question = _add_another_question(visit, page)
    view = QuestionView(
        question,
        visit.language,
        visit.easy_read,
        raw=MappingProxyType(dict(raw or {})),
        errors=MappingProxyType(dict(errors or {})),
    )
    context = {
        "page": page,
        "rows": rows,
        "item_name": name,
        "can_add": len(items) < repeat.max_items,
        "max_items": repeat.max_items,
        "view": view,
        "page_title": page.title.get(visit.language, visit.easy_read) if page.title else name,
        "errors": list((errors or {}).values()),
        "back_href": _back_href(visit, page.id, change),
        "action": _url(visit.form, page.id, change=change),
        "progress_label": _progress(visit, page),
        "notice": notice,
    }
    return _render(request, visit, "pages/item_list.html", context, status=status)


async def _answer_item_list(request: Request, visit: Visit, page: Page, change: bool) -> Response:
    repeat = page.repeat
    if repeat is None:
        raise HTTPException(404)
    data, raw, csrf_ok = await _form_data(request)
    if not csrf_ok:
        notice = _words(visit, "csrf_notice")
        return _item_list(request, visit, page, change, raw=raw, status=403, notice=notice)
    if data.get("action") == "save":
        return _redirect(_url(visit.form, "save"))
    items = _items(visit, page)
    if len(items) < repeat.max_items:
        check = Page(id=f"{page.id}__list", questions=(_add_another_question(visit, page),))
        result = validate_page(visit.form, check, raw, {}, visit.today, visit.language)
        if not result.ok:
            return _item_list(request, visit, page, change, errors=result.errors, raw=raw, status=422)
        if result.answers[ADD_ANOTHER] is True:
            return _redirect(f"{_url(visit.form, page.id)}/items/new" + ("?change=1" if change else ""))
    if len(items) < repeat.min_items:
        message = _words(visit, "too_few_items", count=repeat.min_items, item=_item_name(visit, page))
        error = FieldError(code="too_few_items", message=message, target_id=ADD_ANOTHER)
        return _item_list(request, visit, page, change, errors={ADD_ANOTHER: error}, raw=raw, status=422)
    if page.id not in visit.seen:
        _reload(visit, await storage.save_answers(visit.draft.id, {}, seen_page=page.id))
    return _redirect(_after_save(visit, page.id, change))


def _item_number(request: Request, items: tuple[Mapping[str, Any], ...]) -> int | None:
    """The 1-based item number in the URL, or None for items/new; 404 when there is no such item."""
    if "number" not in request.path_params:
        return None
    number: int = request.path_params["number"]
    if not 1 <= number <= len(items):
        raise HTTPException(404)
    return number


def _item_page(
    request: Request, visit: Visit, page: Page, number: int | None, raw: RawFields, **extra: Any
) -> Response:
    base = f"{_url(visit.form, page.id)}/items/{number or 'new'}"
    change = _is_change(request)
    items = _items(visit, page)
    name = _item_name(visit, page)
    title = page.title.get(visit.language, visit.easy_read) if page.title else None
    if page.heading_question is None:
        title = f"{name[:1].upper()}{name[1:]} {number or len(items) + 1}" if title is None else title
    context = ChainMap(dict(items[number - 1]) if number else {}, visit.answers)
    back = _url(visit.form, page.id, change=change) if items else _back_href(visit, page.id, change)
    return _question_page(
        request,
        visit,
        page,
        raw,
        context=extra.pop("context", context),
        action=base + ("?change=1" if change else ""),
        back_href=back,
        autosave=False,
        title=title,
        **extra,
    )


@journey_page
async def show_item(request: Request) -> Response:
    visit = await _visit(request)
    page = _page(visit, request)
    _require_on_route(visit, page.id)
    if page.repeat is None:
        raise HTTPException(404)
    items = _items(visit, page)
    number = _item_number(request, items)
    if number is None and len(items) >= page.repeat.max_items:
        return _redirect(_url(visit.form, page.id))
    raw = raw_fields(page.questions, items[number - 1]) if number else {}
    await _load_uploaded(visit, page)
    return _item_page(request, visit, page, number, raw)


@journey_page
async def answer_item(request: Request) -> Response:
    visit = await _visit(request)
    page = _page(visit, request)
    _require_on_route(visit, page.id)
    if page.repeat is None:
        raise HTTPException(404)
    items = _items(visit, page)
    number = _item_number(request, items)
    data, raw, csrf_ok = await _form_data(request)
    if not csrf_ok:
        return _item_page(request, visit, page, number, raw, status=403, notice=_words(visit, "csrf_notice"))
    stored = items[number - 1] if number else {}
    raw, upload_errors = await _with_uploads(request, visit, page, data, raw, stored)
    await _load_uploaded(visit, page)
    result = validate_page(visit.form, page, raw, visit.answers, visit.today, visit.language)
    errors = _merged(result, upload_errors)
    if errors:
        context = ChainMap(dict(result.answers), visit.answers)
        return _item_page(request, visit, page, number, raw, errors=errors, context=context, status=422)
    item = MappingProxyType(dict(result.answers))
    if number is None:
        if len(items) >= page.repeat.max_items:
            return _redirect(_url(visit.form, page.id))
        changed = (*items, item)
    else:
        changed = (*items[: number - 1], item, *items[number:])
    await _save_items(visit, page, changed)
    if data.get("action") == "save":
        return _redirect(_url(visit.form, "save"))
    return _redirect(_url(visit.form, page.id, change=_is_change(request)))


async def _save_items(visit: Visit, page: Page, items: tuple[Mapping[str, Any], ...]) -> None:
    if items:
        await storage.save_answers(visit.draft.id, encode_answers(visit.form, {page.id: items}))
    else:
        await storage.save_answers(visit.draft.id, {}, remove=[page.id])


def _remove_question(visit: Visit, page: Page, number: int) -> Question:
    name = _item_name(visit, page)
    return Question(
        id=CONFIRM_REMOVE,
        type="yes_no",
        label=Text(_words(visit, "remove_item_question", item=name, number=number)),
        errors=MappingProxyType({"required": Text(_words(visit, "remove_item_required", item=name))}),
    )


def _remove_page(
    request: Request, visit: Visit, page: Page, number: int, *, raw: RawFields | None = None, **extra: Any
) -> Response:
    question = _remove_question(visit, page, number)
    errors = extra.pop("errors", {})
    view = QuestionView(
        question,
        visit.language,
        visit.easy_read,
        is_heading=True,
        raw=MappingProxyType(dict(raw or {})),
        errors=MappingProxyType(dict(errors)),
    )
    context = {
        "view": view,
        "page_title": view.label,
        "errors": list(errors.values()),
        "back_href": _url(visit.form, page.id),
        "action": f"{_url(visit.form, page.id)}/items/{number}/remove",
        **extra,
    }
    return _render(request, visit, "pages/remove_item.html", context, status=extra.get("status", 200))


@journey_page
async def show_remove_item(request: Request) -> Response:
    visit = await _visit(request)
    page = _page(visit, request)
    _require_on_route(visit, page.id)
    number = _item_number(request, _items(visit, page))
    if number is None:
        raise HTTPException(404)
    return _remove_page(request, visit, page, number)


@journey_page
async def remove_item(request: Request) -> Response:
    visit = await _visit(request)
    page = _page(visit, request)
    _require_on_route(visit, page.id)
    items = _items(visit, page)
    number = _item_number(request, items)
    if number is None:
        raise HTTPException(404)
    _, raw, csrf_ok = await _form_data(request)
    if not csrf_ok:
        notice = _words(visit, "csrf_notice")
        return _remove_page(request, visit, page, number, raw=raw, status=403, notice=notice)
    check = Page(id=f"{page.id}__remove", questions=(_remove_question(visit, page, number),))
    result = validate_page(visit.form, check, raw, {}, visit.today, visit.language)
    if not result.ok:
        return _remove_page(request, visit, page, number, raw=raw, errors=result.errors, status=422)
    if result.answers[CONFIRM_REMOVE] is True:
        await _save_items(visit, page, (*items[: number - 1], *items[number:]))
    return _redirect(_url(visit.form, page.id))


# --- task list, check answers, submit, confirmation --------------------------------------------------

_TASK_STATES: Mapping[str, tuple[str, str | None]] = MappingProxyType(
    {
        "not_started": ("not_yet_started", "grey"),
        "in_progress": ("in_progress", "yellow"),
        "completed": ("completed", None),
        "cannot_start": ("cannot_start_yet", "grey"),
    }
)


@journey_page
async def task_list_page(request: Request) -> Response:
    visit = await _visit(request)
    form = visit.form
    if not form.task_list:
        raise HTTPException(404)
    items = []
    for status in journey.task_list(form, visit.answers, visit.today, seen=visit.seen):
        words, colour = _TASK_STATES[status.state]
        title = status.section.title
        items.append(
            {
                "title": title.get(visit.language, visit.easy_read) if title else status.section.id,
                "status": _words(visit, words),
                "status_colour": colour,
                "href": _url(form, status.page_id) if status.page_id else None,
            }
        )
    complete = journey.can_visit(form, CHECK_ANSWERS, visit.answers, visit.today, seen=visit.seen)
    context = {"items": items, "complete": complete, "check_href": _url(form, CHECK_ANSWERS)}
    return _render(request, visit, "pages/task_list.html", context)


def _summary(visit: Visit, answers: Mapping[str, Any], *, changeable: bool) -> list[dict[str, Any]]:
    """Check-answers sections as the summary list component takes them."""
    form = visit.form
    sections = []
    shown = journey.check_answers_rows(
        form, answers, visit.today, visit.language, visit.easy_read, seen=visit.seen
    )
    for section in shown:
        rows = []
        for row in section.rows:
            if row.item_index is not None:
                href = f"{_url(form, row.page_id)}/items/{row.item_index + 1}?change=1"
            else:
                href = _url(form, row.page_id, change=True)
            rows.append(
                {
                    "key": row.label,
                    "value": row.answer if row.answered else _words(visit, "not_answered"),
                    "change_href": href if changeable else None,
                }
            )
        sections.append({"title": section.title, "rows": rows})
    return sections


def _check_answers(
    request: Request,
    visit: Visit,
    *,
    status: int = 200,
    notice: str | None = None,
    raw_email: str = "",
    errors: Mapping[str, FieldError] | None = None,
) -> Response:
    offered = visit.form.receipt and _composer(request) is not None
    context = {
        "receipt": None
        if not offered
        else {
            "label": email_words("receipt_email_label", visit.language),
            "hint": email_words("receipt_email_hint", visit.language),
            "value": raw_email,
            "error": (errors or {}).get(RECEIPT_EMAIL),
        },
        "errors": list((errors or {}).values()),
        "sections": _summary(visit, visit.answers, changeable=True),
        "back_href": _url(visit.form, "tasks")
        if visit.form.task_list
        else _back_href(visit, CHECK_ANSWERS, change=False),
        "notice": notice,
    }
    return _render(request, visit, "pages/check_answers.html", context, status=status)


@journey_page
async def check_answers(request: Request) -> Response:
    visit = await _visit(request)
    _require_on_route(visit, CHECK_ANSWERS)
    return _check_answers(request, visit)


@journey_page
async def submit(request: Request) -> Response:
    """Send the answers that count. A second submit (double click, back button, retry) finds the
    draft already submitted and shows the same reference."""
    visit = await _visit(request, submitted_ok=True)
    if visit.submitted:
        return _redirect(_url(visit.form, "confirmation"))
    data, _, csrf_ok = await _form_data(request)
    _require_on_route(visit, CHECK_ANSWERS)
    typed = str(data.get(RECEIPT_EMAIL) or "").strip()
    if not csrf_ok:
        notice = _words(visit, "csrf_notice_submit")
        return _check_answers(request, visit, status=403, notice=notice, raw_email=typed)
    composer = _composer(request)
    receipt_to = None
    if typed and composer is not None and visit.form.receipt:
        try:
            receipt_to = normalise_address(typed)
        except InvalidAddress as problem:
            errors = {RECEIPT_EMAIL: _address_error(problem, RECEIPT_EMAIL, visit.language)}
            return _check_answers(request, visit, status=422, raw_email=typed, errors=errors)
    final = journey.relevant_answers(visit.form, visit.answers, visit.today, seen=visit.seen)
    await storage.submit(
        visit.draft.id,
        encode_answers(visit.form, final),
        visit.form.reference_prefix,
        emails=None if composer is None else _submission_emails(composer, visit, receipt_to),
    )
    _wake_sender(request)
    return _redirect(_url(visit.form, "confirmation") + ("?receipt=1" if receipt_to else ""))


def _submission_emails(
    composer: Composer, visit: Visit, receipt_to: str | None
) -> Callable[[storage.Submission], list[Email]]:
    """The messages a submission causes, composed once its reference is known: the receipt the
    respondent asked for, and an alert to each of the form's staff addresses."""

    def compose(submission: storage.Submission) -> list[Email]:
        form, reference, when = visit.form, submission.reference, submission.submitted_at
        emails = [composer.staff_alert(form, reference, when, to) for to in form.alert_emails]
        if receipt_to is not None:
            language, easy_read = visit.language, visit.easy_read
            emails.append(composer.receipt(form, reference, when, receipt_to, language, easy_read))
        return emails

    return compose


async def _submission(visit: Visit) -> storage.Submission:
    if not visit.submitted or visit.draft.reference is None:
        raise Detour(_redirect(_url(visit.form, CHECK_ANSWERS)))
    submission = await storage.get_submission(visit.draft.reference)
    if submission is None:
        raise HTTPException(404)
    return submission


@journey_page
async def confirmation(request: Request) -> Response:
    visit = await _visit(request, submitted_ok=True)
    submission = await _submission(visit)
    context = {
        "reference": submission.reference,
        "answers_href": _url(visit.form, "confirmation/answers"),
        "receipt_sent": email_words("receipt_emailed", visit.language)
        if request.query_params.get("receipt") == "1" and _composer(request) is not None
        else None,
    }
    return _render(request, visit, "pages/confirmation.html", context)


@journey_page
async def answers_copy(request: Request) -> Response:
    """The submitted answers as a page to print or save, with the reference and the date sent."""
    visit = await _visit(request, submitted_ok=True)
    submission = await _submission(visit)
    answers = decode_answers(visit.form, submission.answers)
    context = {
        "reference": submission.reference,
        "sent_on": format_date(submission.submitted_at.astimezone(LONDON).date(), visit.language),
        "sections": _summary(visit, answers, changeable=False),
        "back_href": _url(visit.form, "confirmation"),
    }
    return _render(request, visit, "pages/answers_copy.html", context)


_PAGE = "/forms/{slug}/{page_id:page_id}"
_ITEM = _PAGE + "/items/{number:int}"

routes = [
    Route("/resume/email/{secret}", resume_from_email, methods=["GET", "POST"], name="email_link"),
    Route("/resume/{token}", resume, name="resume"),
    Route("/forms/{slug}", start_page, name="start_page"),
    Route("/forms/{slug}/start", begin, methods=["POST"], name="begin"),
    Route("/forms/{slug}/tasks", task_list_page, name="task_list"),
    Route("/forms/{slug}/check-answers", check_answers, name="check_answers"),
    Route("/forms/{slug}/submit", submit, methods=["POST"], name="submit"),
    Route("/forms/{slug}/confirmation", confirmation, name="confirmation"),
    Route("/forms/{slug}/confirmation/answers", answers_copy, name="answers_copy"),
    Route("/forms/{slug}/save", saved_page, name="saved"),
    Route("/forms/{slug}/save", email_resume_link, methods=["POST"], name="email_resume_link"),
    Route(_PAGE, show_page, name="page"),
    Route(_PAGE, answer_page, methods=["POST"], name="answer_page"),
    Route(_PAGE + "/autosave", autosave, methods=["POST"], name="autosave"),
    Route(_PAGE + "/files/{file_id}/remove", remove_file, methods=["POST"], name="remove_file"),
    Route(_PAGE + "/items/new", show_item, name="new_item"),
    Route(_PAGE + "/items/new", answer_item, methods=["POST"], name="add_item"),
    Route(_ITEM, show_item, name="item"),
    Route(_ITEM, answer_item, methods=["POST"], name="change_item"),
    Route(_ITEM + "/remove", show_remove_item, name="remove_item"),
    Route(_ITEM + "/remove", remove_item, methods=["POST"], name="removed"),
]
