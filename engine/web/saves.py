"""Save and come back later: the save page with the link to come back, emailing it, and opening a
resume link or an emailed link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from engine import accounts, journey, outbox, storage
from engine.definition import Form
from engine.mail import InvalidAddress, email_words, normalise_address
from engine.messages import format_date
from engine.validation import FieldError
from engine.web.drafts import (
    DraftCookie,
)
from engine.web.security import CSRF_FIELD
from engine.web.visits import (
    LONDON,
    Visit,
    address_error,
    app_settings,
    app_templates,
    current_time,
    draft_cookies,
    draft_form,
    email_composer,
    form_url,
    journey_page,
    live_draft,
    load_visit,
    posted_form,
    redirect,
    render,
    resume_target,
    wake_sender,
    words_for,
)

#: The address to email a save-and-return link to, on the save page.
SAVE_EMAIL = "email"


#: Save-and-return emails allowed per draft, and per client address, in accounts.ATTEMPT_WINDOW:
#: enough to fix a mistyped address, too few to send mail through the council's relay. The
#: address limit is higher because a library or an office shares one address.
RESUME_EMAILS_PER_DRAFT = 3


RESUME_EMAILS_PER_ADDRESS = 20


async def resume(request: Request) -> Response:
    """A resume link: swap the token for the cookie and redirect at once, so the token leaves the
    address bar (and the history, and any Referer) straight away."""
    return await _resumed(request, request.path_params["token"])


async def _resumed(request: Request, token: str | None) -> Response:
    """The draft `token` opens, in this browser's cookie, and a redirect to where it left off."""
    if token is None:
        return _resume_expired(request)
    now = current_time(request)
    draft = await live_draft(request, token, now)
    forms: Mapping[str, Form] = request.app.state.forms
    form = forms.get(draft.form_slug) if draft else None
    if draft is None or form is None:
        return _resume_expired(request)
    # A draft on a version that cannot be loaded any more goes to the live form, which says so.
    answered_on = await draft_form(request, form, draft) or form
    response = redirect(resume_target(answered_on, draft, now))
    draft_cookies(request).write(response, form.slug, DraftCookie(token, draft.id, draft.language, False))
    response.headers["Cache-Control"] = "no-store"
    return response


def _resume_expired(request: Request) -> Response:
    context = {"days": app_settings(request).draft_days, "lang": "en", "easy_read": False}
    expired = app_templates(request).TemplateResponse(request, "pages/resume_expired.html", context, 404)
    expired.headers["Cache-Control"] = "no-store"
    return expired


async def resume_from_email(request: Request) -> Response:
    """An emailed link. Opening it only shows a Continue button: mail scanners open links before
    people do, and would use up a single-use link. Pressing it (POST) uses the link up and swaps
    it for the cookie, as a resume link is."""
    secret = request.path_params["secret"]
    now = current_time(request)
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
    page = app_templates(request).TemplateResponse(request, "pages/resume_email.html", context)
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
    days = app_settings(request).draft_days
    expires = current_time(request) + dt.timedelta(days=days)
    expires_on = format_date(expires.astimezone(LONDON).date(), visit.language)
    language = visit.language
    context = {
        "link": link,
        "days": days,
        "continue_href": form_url(visit.form, "tasks" if visit.form.task_list else target),
        "email": None
        if email_composer(request) is None
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
    return render(request, visit, "pages/saved.html", context, status=status)


@journey_page
async def saved_page(request: Request) -> Response:
    visit = await load_visit(request)
    return _saved(request, visit)


async def _too_many_resume_emails(request: Request, visit: Visit) -> bool:
    """Count this request to email a link, for its draft and its client address."""
    client = request.client.host if request.client else "unknown"
    limits = [
        ("resume_email_draft", visit.draft.id, RESUME_EMAILS_PER_DRAFT),
        ("resume_email_address", client, RESUME_EMAILS_PER_ADDRESS),
    ]
    return await accounts.exceeds_limits(limits, now=current_time(request))


@journey_page
async def email_resume_link(request: Request) -> Response:
    """Email a single-use link to this draft; the link and its message are written together."""
    visit = await load_visit(request)
    composer = email_composer(request)
    if composer is None:
        raise HTTPException(404)
    data, _, csrf_ok = await posted_form(request)
    typed = str(data.get(SAVE_EMAIL) or "")
    if not csrf_ok:
        return _saved(request, visit, raw_email=typed, notice=words_for(visit, "csrf_notice"), status=403)
    try:
        address = normalise_address(typed)
    except InvalidAddress as problem:
        errors = {SAVE_EMAIL: address_error(problem, SAVE_EMAIL, visit.language)}
        return _saved(request, visit, raw_email=typed, errors=errors, status=422)
    if await _too_many_resume_emails(request, visit):
        words = email_words("save_email_too_many", visit.language)
        errors = {SAVE_EMAIL: FieldError(code="too_many_links", message=words, target_id=SAVE_EMAIL)}
        return _saved(request, visit, raw_email=typed, errors=errors, status=429)
    secret = outbox.new_link_secret()
    expires_at = current_time(request) + dt.timedelta(days=app_settings(request).draft_days)
    message = composer.resume_link(visit.form, secret, expires_at, address, visit.language, visit.easy_read)
    await outbox.email_resume_link(visit.draft.id, visit.cookie.token, secret, expires_at, message)
    wake_sender(request)
    return redirect(form_url(visit.form, "save") + "?emailed=1")
