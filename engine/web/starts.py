"""The start page of a form, and Start now: a new draft (or this browser's own) and its first page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from engine import storage
from engine.definition import Form
from engine.web.drafts import (
    DraftCookie,
)
from engine.web.security import CSRF_FIELD
from engine.web.templating import furniture_words
from engine.web.visits import (
    app_templates,
    closed_page,
    current_time,
    draft_cookies,
    draft_form,
    journey_page,
    live_draft,
    live_form,
    reading_preferences,
    redirect,
    resume_target,
)


@journey_page
async def start_page(request: Request) -> Response:
    form = live_form(request)
    now = current_time(request)
    cookie = draft_cookies(request).read(request, form.slug)
    language, easy_read = reading_preferences(request, form, cookie)
    if not form.is_open(now):
        return closed_page(request, form, language, now, has_draft=cookie is not None)
    draft = await live_draft(request, cookie.token, now) if cookie else None
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
    return app_templates(request).TemplateResponse(request, "pages/start.html", context, status_code=status)


@journey_page
async def begin(request: Request) -> Response:
    """Start now: make a draft (or carry on with the one this browser has) and go to its first page."""
    form = live_form(request)
    now = current_time(request)
    cookie = draft_cookies(request).read(request, form.slug)
    data = await request.form()
    language = str(data.get("lang") or "")
    language = language if language in form.languages else form.default_language
    easy_read = form.easy_read and data.get("easy") == "1"
    token = data.get(CSRF_FIELD)
    if not request.app.state.csrf.is_valid(request, token if isinstance(token, str) else None):
        notice = furniture_words("csrf_notice_start", language)
        return _start(request, form, language, easy_read, continuing=cookie is not None, notice=notice)
    if not form.is_open(now):
        return closed_page(request, form, language, now, has_draft=False, status=403)
    # "Start again" (fresh) leaves the draft this browser has, as does one on a version gone for good.
    draft = await live_draft(request, cookie.token, now) if cookie and data.get("fresh") != "1" else None
    answered_on = await draft_form(request, form, draft) if draft is not None else None
    if draft is not None and answered_on is not None:
        return redirect(resume_target(answered_on, draft, now))
    draft, token = await storage.create_draft(form.slug, form.version, language)
    response = redirect(resume_target(form, draft, now))
    draft_cookies(request).write(response, form.slug, DraftCookie(token, draft.id, language, easy_read))
    return response
