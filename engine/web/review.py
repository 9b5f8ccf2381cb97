"""The review workspace: response lists, response pages, tags, notes, safeguarding, audit and erasure.

Every page is behind `requires` with the roles in ROUTE_ROLES. The board sees lists and responses
with personal answers hidden (engine.review decides what is personal). Changes are POSTs with a
CSRF token, then a 303 back to the page; a change that cannot be made shows the page again with
an error summary and what was typed.

URLs:
    /staff/forms                                        forms with their number of responses
    /staff/forms/<slug>/responses                       the list: filters, paging, bulk tagging
    /staff/forms/<slug>/responses/<reference>           one response, with next and previous
    /staff/forms/<slug>/responses/<reference>/files/<id>    a file, always as a download
    /staff/forms/<slug>/audit                           who changed what, and when
    /staff/safeguarding                                 flagged responses of every form
    /staff/erasure                                      find a response by reference and delete it
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from engine import review, storage
from engine.accounts import Staff
from engine.definition import Form
from engine.journey import check_answers_rows
from engine.settings import Settings
from engine.web.drafts import decode_answers
from engine.web.staff import current_staff, render, requires

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100
#: Roles that may change a response (admin passes every check as well).
REVIEWERS = ("reviewer",)

#: Confirmation shown after a change, keyed by the `done` query parameter.
DONE_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "status": "The status has been changed",
        "tag_added": "The tag has been added",
        "tag_removed": "The tag has been removed",
        "tag_created": "The tag has been made",
        "note": "Your note has been added",
        "flagged": "The safeguarding concern has been raised and the safeguarding team told",
        "already_flagged": "This response was already flagged as a safeguarding concern",
        "flag_closed": "The safeguarding concern has been closed",
    }
)

Endpoint = Callable[[Request], Awaitable[Response]]


# --- plumbing ---------------------------------------------------------------------------------------


def _form(request: Request) -> Form:
    forms: Mapping[str, Form] = request.app.state.forms
    form = forms.get(request.path_params["slug"])
    if form is None:
        raise HTTPException(404)
    return form


async def _staff(request: Request) -> Staff:
    staff = await current_staff(request)
    if staff is None:  # requires() has already sent anyone signed out to the sign-in page
        raise HTTPException(403)
    return staff


def _is_board(staff: Staff) -> bool:
    return staff.role == "board"


def _may_change(staff: Staff) -> bool:
    return staff.role in ("admin", *REVIEWERS)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def when(moment: dt.datetime | None) -> str:
    """A time as people read it, in Europe/London: "26 November 2026 at 9:41am"."""
    if moment is None:
        return ""
    local = moment.astimezone(review.LONDON)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def _list_query(raw: str) -> str:
    """The list's filter as a query string, re-encoded from its parts so nothing else rides along."""
    return urlencode(
        [(key, value) for key, value in parse_qsl(raw) if key in _FILTER_KEYS or key.startswith("answer.")]
    )


_FILTER_KEYS = frozenset({"q", "status", "from", "to", "tag"})


def _response_url(form: Form, reference: str, list_query: str = "", done: str = "") -> str:
    query = "&".join(part for part in (list_query, f"done={done}" if done else "") if part)
    return f"/staff/forms/{form.slug}/responses/{quote(reference)}" + (f"?{query}" if query else "")


# --- forms and the list -----------------------------------------------------------------------------


async def forms_page(request: Request) -> Response:
    forms: Mapping[str, Form] = request.app.state.forms
    rows = [
        {"form": form, "count": await storage.count_reviewed(form.slug, storage.Criteria())}
        for form in sorted(forms.values(), key=lambda form: form.title.default.casefold())
    ]
    return render(request, "staff/review/forms.html", {"rows": rows})


async def responses_page(request: Request) -> Response:
    form = _form(request)
    staff = await _staff(request)
    board = _is_board(staff)
    parsed = review.parse_filter(form, request.query_params.multi_items(), board=board)
    criteria = parsed.filter.criteria(form, board=board)
    page = _page_number(request.query_params.get("page"))
    total = await storage.count_reviewed(form.slug, criteria)
    found = await storage.find_reviewed(form.slug, criteria, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    list_query = urlencode(parsed.filter.query_items())
    problem = request.query_params.get("problem", "")
    context = {
        "the_form": form,
        "filter": parsed.filter,
        "problems": parsed.problems,
        "questions": review.filterable_questions(form, board=board),
        "filter_options": review.filter_options,
        "statuses": review.review_statuses(form),
        "tags": await storage.tags_of_form(form.slug),
        "rows": [
            {
                "reference": row.submission.reference,
                "href": _response_url(form, row.submission.reference, list_query),
                "submitted": when(row.submission.submitted_at),
                "status": review.status_label(form, row.submission.review_status),
                "tags": row.tags,
                "flagged": row.flagged_at is not None and not board,
            }
            for row in found
        ],
        "total": total,
        "first": (page - 1) * PAGE_SIZE + 1,
        "last": (page - 1) * PAGE_SIZE + len(found),
        "previous_href": _page_href(form, list_query, page - 1) if page > 1 else "",
        "next_href": _page_href(form, list_query, page + 1) if page * PAGE_SIZE < total else "",
        "list_query": list_query,
        "can_change": _may_change(staff),
        "done": _tagged_notice(request.query_params.get("tagged", "")),
        "tag_problem": review.REVIEW_MESSAGES.get(problem, ""),
    }
    return render(request, "staff/review/list.html", context)


def _tagged_notice(raw: str) -> str:
    """ "3 Transport" (how many newly tagged, and the tag) -> "3 responses tagged Transport"."""
    count, _, tag = raw.partition(" ")
    if not count.isdigit() or not tag:
        return ""
    return f"{count} {'response' if count == '1' else 'responses'} tagged {tag}"


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def _page_href(form: Form, list_query: str, page: int) -> str:
    query = "&".join(part for part in (list_query, f"page={page}" if page > 1 else "") if part)
    return f"/staff/forms/{form.slug}/responses" + (f"?{query}" if query else "")


async def bulk_tag(request: Request) -> Response:
    """Tag the ticked responses, or every response the list's filter selects."""
    form = _form(request)
    staff = await _staff(request)
    data = await request.app.state.csrf.checked_form(request)
    list_query = _list_query(_text(data, "list_query"))
    tag = _text(data, "tag")
    if _text(data, "scope") == "matching":
        parsed = review.parse_filter(form, parse_qsl(list_query), board=False)
        criteria = parsed.filter.criteria(form, board=False)
        references = [
            reference
            async for batch in storage.reviewed_references(form.slug, criteria)
            for reference in batch
        ]
    else:
        references = [value for value in data.getlist("reference") if isinstance(value, str)]
    try:
        count = await review.tag_responses(form, references, tag, staff.email)
    except review.ReviewError as refused:
        return _back_to_list(form, list_query, f"problem={refused.code}")
    return _back_to_list(form, list_query, urlencode({"tagged": f"{count} {tag}"}))


def _back_to_list(form: Form, list_query: str, extra: str) -> Response:
    query = "&".join(part for part in (list_query, extra) if part)
    return RedirectResponse(f"/staff/forms/{form.slug}/responses?{query}", status_code=303)


async def create_tag(request: Request) -> Response:
    form = _form(request)
    staff = await _staff(request)
    data = await request.app.state.csrf.checked_form(request)
    back = _text(data, "back")
    if not back.startswith(f"/staff/forms/{form.slug}/") or "//" in back or "\\" in back:
        back = f"/staff/forms/{form.slug}/responses"
    try:
        await review.create_tag(form, _text(data, "name"), staff.email)
    except review.ReviewError as refused:
        return RedirectResponse(_with_param(back, "problem", refused.code), status_code=303)
    return RedirectResponse(_with_param(back, "done", "tag_created"), status_code=303)


def _with_param(url: str, key: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode({key: value})}"


# --- one response -----------------------------------------------------------------------------------


async def response_page(request: Request) -> Response:
    form = _form(request)
    staff = await _staff(request)
    found = await _visible_response(form, staff, request.path_params["reference"])
    return await _render_response(request, form, staff, found)


async def _visible_response(form: Form, staff: Staff, reference: str) -> storage.ReviewedSubmission:
    """The response, or 404; the safeguarding role sees only responses that are flagged."""
    found = await storage.get_reviewed(form.slug, reference)
    if found is None or (staff.role == "safeguarding" and found.flagged_at is None):
        raise HTTPException(404)
    return found


async def _render_response(
    request: Request,
    form: Form,
    staff: Staff,
    found: storage.ReviewedSubmission,
    *,
    errors: Mapping[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    list_query: str | None = None,
) -> Response:
    submission = found.submission
    board = _is_board(staff)
    version = await review.answered_version(form, submission.version)
    answers = decode_answers(version, submission.answers)
    submitted_on = submission.submitted_at.astimezone(review.LONDON).date()
    sections = check_answers_rows(version, answers, submitted_on, version.default_language)
    if board:
        sections = review.redact_for_board(version, sections, version.default_language, current=form)
    if list_query is None:
        list_query = _list_query(request.url.query)
    parsed = review.parse_filter(form, parse_qsl(list_query), board=board)
    newer, older = await storage.neighbours(
        form.slug, parsed.filter.criteria(form, board=board), submission.reference
    )
    may_read_files = staff.role in ("admin", "reviewer", "safeguarding")
    files = await storage.files_of(submission.draft_id) if may_read_files else []
    context = {
        "the_form": form,
        "version": version,
        "submission": submission,
        "reference": submission.reference,
        "submitted": when(submission.submitted_at),
        "status": review.status_label(form, submission.review_status),
        "status_value": submission.review_status or review.review_statuses(form)[0].value,
        "statuses": review.review_statuses(form),
        "sections": sections,
        "tags": found.tags,
        "all_tags": await storage.tags_of_form(form.slug),
        "files": files,
        "board": board,
        "flagged": None if board else found.flagged_at,
        "flagged_when": when(found.flagged_at),
        "flag_reason": None if board else found.flag_reason,
        "notes": [] if board else await storage.notes_of(form.slug, submission.reference),
        "history": [] if board else await storage.audit_events(form.slug, submission.reference, limit=50),
        "action_words": review.ACTION_WORDS,
        "when": when,
        "can_change": _may_change(staff),
        "can_close_flag": staff.role in ("admin", "safeguarding") and found.flagged_at is not None,
        "newer_href": _response_url(form, newer, list_query) if newer else "",
        "older_href": _response_url(form, older, list_query) if older else "",
        "list_href": f"/staff/forms/{form.slug}/responses" + (f"?{list_query}" if list_query else ""),
        "list_query": list_query,
        "here": _response_url(form, submission.reference),
        "done": DONE_MESSAGES.get(request.query_params.get("done", ""), ""),
        "problem": review.REVIEW_MESSAGES.get(request.query_params.get("problem", ""), ""),
        "errors": [_PageError(field, message) for field, message in (errors or {}).items()],
        "field_errors": errors or {},
        "typed": typed or {},
    }
    return render(request, "staff/review/response.html", context, status_code=400 if errors else 200)


class _PageError:
    """An error summary entry, shaped like engine.validation.FieldError for the shared component."""

    def __init__(self, target_id: str, message: str) -> None:
        self.target_id = target_id
        self.message = message


def _change(field: str, action: Callable[[Form, str, str, str], Awaitable[Any]], done: str) -> Endpoint:
    """An endpoint that applies one change to a response from one form field, then goes back."""

    async def endpoint(request: Request) -> Response:
        form = _form(request)
        staff = await _staff(request)
        # The CSRF check comes first, so a forged request learns nothing, not even whether the
        # reference exists.
        data = await request.app.state.csrf.checked_form(request)
        reference = request.path_params["reference"]
        found = await _visible_response(form, staff, reference)
        list_query = _list_query(_text(data, "list_query"))
        value = _text(data, field)
        try:
            outcome = await action(form, reference, value, staff.email)
        except review.ReviewError as refused:
            return await _render_response(
                request,
                form,
                staff,
                found,
                errors={field: str(refused)},
                typed={field: value},
                list_query=list_query,
            )
        code = "already_flagged" if outcome is False and done == "flagged" else done
        return RedirectResponse(_response_url(form, reference, list_query, code), status_code=303)

    endpoint.__name__ = f"change_{field}"
    endpoint.__qualname__ = endpoint.__name__
    return endpoint


async def _add_tag(form: Form, reference: str, tag: str, actor: str) -> int:
    return await review.tag_responses(form, [reference], tag, actor)


async def _remove_tag(form: Form, reference: str, tag: str, actor: str) -> bool:
    return await storage.untag_submission(form.slug, reference, tag, actor)


set_status = _change("status", review.set_status, "status")
add_tag = _change("tag", _add_tag, "tag_added")
remove_tag = _change("tag", _remove_tag, "tag_removed")
add_note = _change("note", review.add_note, "note")
close_flag = _change("outcome", review.close_concern, "flag_closed")


async def flag(request: Request) -> Response:
    """Raise a safeguarding concern; the safeguarding team is emailed at once when email is set up."""
    settings: Settings = request.app.state.settings

    async def raise_concern(form: Form, reference: str, reason: str, actor: str) -> bool:
        alerts = []
        if settings.email_enabled and settings.public_url and settings.mail_from:
            # Built from the configured address, never the Host header a request's sender controls.
            link = f"{settings.public_url.rstrip('/')}/staff/forms/{form.slug}/responses/{quote(reference)}"
            alerts = [
                review.safeguarding_alert(form, reference.upper(), link, to, settings.mail_from)
                for to in await review.safeguarding_recipients()
            ]
        raised = await review.flag_concern(form, reference, reason, actor, alerts)
        wake = getattr(request.app.state, "wake_sender", None)
        if raised and alerts and wake is not None:
            wake()
        return raised

    return await _change("reason", raise_concern, "flagged")(request)


async def download(request: Request) -> Response:
    """A response's file, only ever as a download: never shown in the browser, never sniffed."""
    form = _form(request)
    staff = await _staff(request)
    found = await _visible_response(form, staff, request.path_params["reference"])
    try:
        stored, data = await storage.get_file(str(request.path_params["file_id"]))
    except storage.NotFound:
        raise HTTPException(404) from None
    if stored.draft_id != found.submission.draft_id:
        raise HTTPException(404)
    await storage.record_audit(
        staff.email, "file_downloaded", form.slug, found.submission.reference, {"file": stored.filename}
    )
    return Response(data, media_type="application/octet-stream", headers=download_headers(stored.filename))


def download_headers(filename: str) -> dict[str, str]:
    """Headers that make any file a download: 'plan.pdf' -> attachment; filename="plan.pdf"; filename*=…"""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    return {
        "content-disposition": (
            f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(filename, safe='')}"
        ),
        "x-content-type-options": "nosniff",
        # Should the file still be opened in the browser somehow, it may run nothing.
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "no-store",
    }


# --- safeguarding, audit and erasure ----------------------------------------------------------------


async def safeguarding_page(request: Request) -> Response:
    forms: Mapping[str, Form] = request.app.state.forms
    rows = [
        {
            "form_title": forms[row.submission.form_slug].title.default
            if row.submission.form_slug in forms
            else row.submission.form_slug,
            "reference": row.submission.reference,
            "href": f"/staff/forms/{row.submission.form_slug}/responses/{quote(row.submission.reference)}",
            "flagged": when(row.flagged_at),
            "reason": row.flag_reason,
        }
        for row in await storage.flagged_submissions()
    ]
    return render(request, "staff/review/safeguarding.html", {"rows": rows})


async def audit_page(request: Request) -> Response:
    form = _form(request)
    page = _page_number(request.query_params.get("page"))
    total = await storage.count_audit_events(form.slug)
    events = await storage.audit_events(form.slug, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE)
    base = f"/staff/forms/{form.slug}/audit"
    context = {
        "the_form": form,
        "events": events,
        "when": when,
        "action_words": review.ACTION_WORDS,
        "previous_href": f"{base}?page={page - 1}" if page > 1 else "",
        "next_href": f"{base}?page={page + 1}" if page * AUDIT_PAGE_SIZE < total else "",
    }
    return render(request, "staff/review/audit.html", context)


async def erasure_page(request: Request) -> Response:
    """Find a response by its reference (GET) and delete it for good (POST, after confirming)."""
    forms: Mapping[str, Form] = request.app.state.forms
    if request.method == "GET":
        reference = request.query_params.get("reference", "").strip()
        return await _erasure_form(request, forms, reference, erased=request.query_params.get("erased", ""))
    staff = await _staff(request)
    data = await request.app.state.csrf.checked_form(request)
    reference = _text(data, "reference").strip()
    if _text(data, "confirm") != "yes":
        errors = {"confirm": "Confirm that this is the response to delete"}
        return await _erasure_form(request, forms, reference, errors=errors)
    if not await storage.erase_submission(reference, staff.email):
        return await _erasure_form(request, forms, reference)
    return RedirectResponse(f"/staff/erasure?{urlencode({'erased': reference.upper()})}", status_code=303)


async def _erasure_form(
    request: Request,
    forms: Mapping[str, Form],
    reference: str,
    *,
    erased: str = "",
    errors: Mapping[str, str] | None = None,
) -> Response:
    found = await storage.find_by_reference(reference) if reference else None
    problems = dict(errors or {})
    if reference and found is None:
        problems["reference"] = "No response has that reference. Check it and try again"
    context = {
        "reference": reference,
        "found": found,
        "form_title": (forms[found.form_slug].title.default if found.form_slug in forms else found.form_slug)
        if found
        else "",
        "submitted": when(found.submitted_at) if found else "",
        "erased": erased,
        "errors": [_PageError(field, message) for field, message in problems.items()],
        "field_errors": problems,
    }
    return render(request, "staff/review/erasure.html", context, status_code=400 if problems else 200)


# --- routes -----------------------------------------------------------------------------------------

_RESPONSE = "/staff/forms/{slug}/responses/{reference}"

_TABLE: tuple[tuple[str, Endpoint, tuple[str, ...], tuple[str, ...]], ...] = (
    ("/staff/forms", forms_page, ("GET",), ("reviewer", "board")),
    ("/staff/forms/{slug}/responses", responses_page, ("GET",), ("reviewer", "board")),
    ("/staff/forms/{slug}/responses/bulk-tag", bulk_tag, ("POST",), REVIEWERS),
    ("/staff/forms/{slug}/tags", create_tag, ("POST",), REVIEWERS),
    ("/staff/forms/{slug}/audit", audit_page, ("GET",), ("reviewer",)),
    (_RESPONSE, response_page, ("GET",), ("reviewer", "board", "safeguarding")),
    (_RESPONSE + "/status", set_status, ("POST",), REVIEWERS),
    (_RESPONSE + "/tags", add_tag, ("POST",), REVIEWERS),
    (_RESPONSE + "/tags/remove", remove_tag, ("POST",), REVIEWERS),
    (_RESPONSE + "/notes", add_note, ("POST",), REVIEWERS),
    (_RESPONSE + "/flag", flag, ("POST",), REVIEWERS),
    (_RESPONSE + "/flag/close", close_flag, ("POST",), ("safeguarding",)),
    (_RESPONSE + "/files/{file_id:uuid}", download, ("GET",), ("reviewer", "safeguarding")),
    ("/staff/safeguarding", safeguarding_page, ("GET",), ("safeguarding",)),
    ("/staff/erasure", erasure_page, ("GET", "POST"), ("admin",)),
)

#: One table gives both the guard on each endpoint and ROUTE_ROLES, so the two cannot disagree.
#: bulk-tag comes before the {reference} routes so its path is never read as a reference.
routes = [
    Route(path, requires(*roles)(endpoint), methods=list(methods))
    for path, endpoint, methods, roles in _TABLE
]

#: Who may open each route (admin may open them all); tests/web/test_role_matrix.py checks it.
ROUTE_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType({path: roles for path, _, _, roles in _TABLE})
