"""The question pages: show a page, answer it (Continue or save for later), autosave as answers change,
and remove an uploaded file."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine import storage
from engine.definition import Page
from engine.validation import FieldError, PageResult, validate_page
from engine.web.drafts import (
    encode_answers,
    own_ids,
    raw_fields,
)
from engine.web.files import file_questions, keep_uploads, load_uploaded, merged_errors, with_uploads
from engine.web.items import answer_item_list, item_list
from engine.web.question_pages import question_page
from engine.web.visits import (
    Visit,
    after_save,
    back_link,
    form_url,
    holds,
    is_change,
    journey_page,
    load_visit,
    posted_form,
    redirect,
    reload_visit,
    render,
    requested_page,
    require_on_route,
    words_for,
)


@journey_page
async def show_page(request: Request) -> Response:
    visit = await load_visit(request)
    page = requested_page(visit, request)
    require_on_route(visit, page.id)
    change = is_change(request)
    if page.exit:
        context = {"page": page, "back_href": back_link(visit, page.id, change)}
        return render(request, visit, "pages/exit.html", context)
    if page.repeat is not None:
        return item_list(request, visit, page, change)
    await load_uploaded(visit, page)
    return question_page(
        request,
        visit,
        page,
        raw_fields(page.questions, visit.answers),
        action=form_url(visit.form, page.id, change=change),
        back_href=back_link(visit, page.id, change),
    )


@journey_page
async def answer_page(request: Request) -> Response:
    visit = await load_visit(request)
    page = requested_page(visit, request)
    require_on_route(visit, page.id)
    change = is_change(request)
    if page.exit:
        raise HTTPException(405)
    if page.repeat is not None:
        return await answer_item_list(request, visit, page, change)
    data, raw, csrf_ok = await posted_form(request)
    action = form_url(visit.form, page.id, change=change)
    back = back_link(visit, page.id, change)
    if not csrf_ok:
        notice = words_for(visit, "csrf_notice")
        return question_page(
            request, visit, page, raw, action=action, back_href=back, status=403, notice=notice
        )
    raw, upload_errors = await with_uploads(request, visit, page, data, raw, visit.answers)
    await load_uploaded(visit, page)
    result = validate_page(visit.form, page, raw, visit.answers, visit.today, visit.language)
    errors = merged_errors(result, upload_errors)
    saving = data.get("action") == "save"
    if errors and not saving:
        await keep_uploads(visit, page, raw)
        context = ChainMap(dict(result.answers), visit.answers)
        return question_page(
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
        return redirect(form_url(visit.form, "save"))
    return redirect(after_save(visit, page.id, change))


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
    reload_visit(visit, draft)


@journey_page
async def autosave(request: Request) -> Response:
    """Save what is valid on a page as answers change (JavaScript only), and say which of the
    page's questions the answers so far make visible: {"saved": true, "visible": ["q1", "q3"]}."""
    visit = await load_visit(request)
    page = requested_page(visit, request)
    if page.repeat is not None or page.exit or not visit.route.can_visit(page.id):
        return JSONResponse({"saved": False, "visible": []}, status_code=409)
    _, raw, csrf_ok = await posted_form(request)
    if not csrf_ok:
        return JSONResponse({"saved": False, "visible": []}, status_code=403)
    for question in file_questions(page):
        raw[question.id] = tuple(visit.answers.get(question.id, ()))
    result = validate_page(visit.form, page, raw, visit.answers, visit.today, visit.language)
    await _save_page(visit, page, result, result.errors, continued=False)
    context = ChainMap(dict(result.answers), visit.answers)
    visible = [q.id for q in page.questions if holds(q.show_if, context, visit.today)]
    return JSONResponse({"saved": True, "visible": visible})


@journey_page
async def remove_file(request: Request) -> Response:
    """The Remove button beside an uploaded file: take it out of the answer, delete the stored file."""
    visit = await load_visit(request)
    page = requested_page(visit, request)
    require_on_route(visit, page.id)
    if page.exit or page.repeat is not None:
        raise HTTPException(404)
    _, _, csrf_ok = await posted_form(request)
    await load_uploaded(visit, page)
    stored = visit.uploaded.get(request.path_params["file_id"])
    if stored is None or stored.question_id not in {question.id for question in file_questions(page)}:
        raise HTTPException(404)
    change = is_change(request)
    if not csrf_ok:
        return question_page(
            request,
            visit,
            page,
            raw_fields(page.questions, visit.answers),
            action=form_url(visit.form, page.id, change=change),
            back_href=back_link(visit, page.id, change),
            status=403,
            notice=words_for(visit, "csrf_notice"),
        )
    kept = tuple(file_id for file_id in visit.answers.get(stored.question_id, ()) if file_id != stored.id)
    if kept:
        await storage.save_answers(visit.draft.id, encode_answers(visit.form, {stored.question_id: kept}))
    else:
        await storage.save_answers(visit.draft.id, {}, remove=[stored.question_id])
    await storage.delete_file(stored.id)
    return redirect(form_url(visit.form, page.id, change=change))
