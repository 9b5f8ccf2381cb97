"""Check answers, submit, the confirmation with its reference, and the copy of the answers to keep."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from engine import journey, storage
from engine.definition import CHECK_ANSWERS
from engine.mail import Composer, Email, InvalidAddress, email_words, normalise_address
from engine.messages import format_date
from engine.validation import FieldError
from engine.web.drafts import (
    decode_answers,
    encode_answers,
)
from engine.web.visits import (
    LONDON,
    Detour,
    Visit,
    address_error,
    back_link,
    email_composer,
    form_url,
    journey_page,
    load_visit,
    posted_form,
    redirect,
    render,
    require_on_route,
    wake_sender,
    words_for,
)

#: The optional address for an emailed receipt, posted with the answers on check answers.
RECEIPT_EMAIL = "receipt_email"


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
                href = f"{form_url(form, row.page_id)}/items/{row.item_index + 1}?change=1"
            else:
                href = form_url(form, row.page_id, change=True)
            rows.append(
                {
                    "key": row.label,
                    "value": row.answer if row.answered else words_for(visit, "not_answered"),
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
    offered = visit.form.receipt and email_composer(request) is not None
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
        "back_href": form_url(visit.form, "tasks")
        if visit.form.task_list
        else back_link(visit, CHECK_ANSWERS, change=False),
        "notice": notice,
    }
    return render(request, visit, "pages/check_answers.html", context, status=status)


@journey_page
async def check_answers(request: Request) -> Response:
    visit = await load_visit(request)
    require_on_route(visit, CHECK_ANSWERS)
    return _check_answers(request, visit)


@journey_page
async def submit(request: Request) -> Response:
    """Send the answers that count. A second submit (double click, back button, retry) finds the
    draft already submitted and shows the same reference."""
    visit = await load_visit(request, submitted_ok=True)
    if visit.submitted:
        return redirect(form_url(visit.form, "confirmation"))
    data, _, csrf_ok = await posted_form(request)
    require_on_route(visit, CHECK_ANSWERS)
    typed = str(data.get(RECEIPT_EMAIL) or "").strip()
    if not csrf_ok:
        notice = words_for(visit, "csrf_notice_submit")
        return _check_answers(request, visit, status=403, notice=notice, raw_email=typed)
    composer = email_composer(request)
    receipt_to = None
    if typed and composer is not None and visit.form.receipt:
        try:
            receipt_to = normalise_address(typed)
        except InvalidAddress as problem:
            errors = {RECEIPT_EMAIL: address_error(problem, RECEIPT_EMAIL, visit.language)}
            return _check_answers(request, visit, status=422, raw_email=typed, errors=errors)
    final = journey.relevant_answers(visit.form, visit.answers, visit.today, seen=visit.seen)
    await storage.submit(
        visit.draft.id,
        encode_answers(visit.form, final),
        visit.form.reference_prefix,
        emails=None if composer is None else _submission_emails(composer, visit, receipt_to),
    )
    wake_sender(request)
    return redirect(form_url(visit.form, "confirmation") + ("?receipt=1" if receipt_to else ""))


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
        raise Detour(redirect(form_url(visit.form, CHECK_ANSWERS)))
    submission = await storage.get_submission(visit.draft.reference)
    if submission is None:
        raise HTTPException(404)
    return submission


@journey_page
async def confirmation(request: Request) -> Response:
    visit = await load_visit(request, submitted_ok=True)
    submission = await _submission(visit)
    context = {
        "reference": submission.reference,
        "answers_href": form_url(visit.form, "confirmation/answers"),
        "receipt_sent": email_words("receipt_emailed", visit.language)
        if request.query_params.get("receipt") == "1" and email_composer(request) is not None
        else None,
    }
    return render(request, visit, "pages/confirmation.html", context)


@journey_page
async def answers_copy(request: Request) -> Response:
    """The submitted answers as a page to print or save, with the reference and the date sent."""
    visit = await load_visit(request, submitted_ok=True)
    submission = await _submission(visit)
    answers = decode_answers(visit.form, submission.answers)
    context = {
        "reference": submission.reference,
        "sent_on": format_date(submission.submitted_at.astimezone(LONDON).date(), visit.language),
        "sections": _summary(visit, answers, changeable=False),
        "back_href": form_url(visit.form, "confirmation"),
    }
    return render(request, visit, "pages/answers_copy.html", context)
