"""Add another: the list of a repeating page's items, adding, changing and removing one."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from engine import storage
from engine.definition import Page, Question, Text
from engine.questions import QUESTION_TYPES
from engine.validation import FieldError, validate_page
from engine.web.drafts import (
    RawFields,
    encode_answers,
    raw_fields,
)
from engine.web.files import load_uploaded, merged_errors, with_uploads
from engine.web.question_pages import question_page
from engine.web.views import QuestionView
from engine.web.visits import (
    Visit,
    after_save,
    back_link,
    form_url,
    is_change,
    journey_page,
    load_visit,
    posted_form,
    progress_label,
    redirect,
    reload_visit,
    render,
    requested_page,
    require_on_route,
    words_for,
)

ADD_ANOTHER = "add_another"


CONFIRM_REMOVE = "confirm_remove"


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
        label=Text(words_for(visit, "add_another_question", item=name)),
        errors=MappingProxyType({"required": Text(words_for(visit, "add_another_required", item=name))}),
    )


def item_list(
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
        return redirect(f"{form_url(visit.form, page.id)}/items/new" + ("?change=1" if change else ""))
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
                "change_href": f"{form_url(visit.form, page.id)}/items/{number}",
                "remove_href": f"{form_url(visit.form, page.id)}/items/{number}/remove",
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
        "back_href": back_link(visit, page.id, change),
        "action": form_url(visit.form, page.id, change=change),
        "progress_label": progress_label(visit, page),
        "notice": notice,
    }
    return render(request, visit, "pages/item_list.html", context, status=status)


async def answer_item_list(request: Request, visit: Visit, page: Page, change: bool) -> Response:
    repeat = page.repeat
    if repeat is None:
        raise HTTPException(404)
    data, raw, csrf_ok = await posted_form(request)
    if not csrf_ok:
        notice = words_for(visit, "csrf_notice")
        return item_list(request, visit, page, change, raw=raw, status=403, notice=notice)
    if data.get("action") == "save":
        return redirect(form_url(visit.form, "save"))
    items = _items(visit, page)
    if len(items) < repeat.max_items:
        check = Page(id=f"{page.id}__list", questions=(_add_another_question(visit, page),))
        result = validate_page(visit.form, check, raw, {}, visit.today, visit.language)
        if not result.ok:
            return item_list(request, visit, page, change, errors=result.errors, raw=raw, status=422)
        if result.answers[ADD_ANOTHER] is True:
            return redirect(f"{form_url(visit.form, page.id)}/items/new" + ("?change=1" if change else ""))
    if len(items) < repeat.min_items:
        message = words_for(visit, "too_few_items", count=repeat.min_items, item=_item_name(visit, page))
        error = FieldError(code="too_few_items", message=message, target_id=ADD_ANOTHER)
        return item_list(request, visit, page, change, errors={ADD_ANOTHER: error}, raw=raw, status=422)
    if page.id not in visit.seen:
        reload_visit(visit, await storage.save_answers(visit.draft.id, {}, seen_page=page.id))
    return redirect(after_save(visit, page.id, change))


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
    base = f"{form_url(visit.form, page.id)}/items/{number or 'new'}"
    change = is_change(request)
    items = _items(visit, page)
    name = _item_name(visit, page)
    title = page.title.get(visit.language, visit.easy_read) if page.title else None
    if page.heading_question is None:
        title = f"{name[:1].upper()}{name[1:]} {number or len(items) + 1}" if title is None else title
    context = ChainMap(dict(items[number - 1]) if number else {}, visit.answers)
    back = form_url(visit.form, page.id, change=change) if items else back_link(visit, page.id, change)
    return question_page(
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
    visit = await load_visit(request)
    page = requested_page(visit, request)
    require_on_route(visit, page.id)
    if page.repeat is None:
        raise HTTPException(404)
    items = _items(visit, page)
    number = _item_number(request, items)
    if number is None and len(items) >= page.repeat.max_items:
        return redirect(form_url(visit.form, page.id))
    raw = raw_fields(page.questions, items[number - 1]) if number else {}
    await load_uploaded(visit, page)
    return _item_page(request, visit, page, number, raw)


@journey_page
async def answer_item(request: Request) -> Response:
    visit = await load_visit(request)
    page = requested_page(visit, request)
    require_on_route(visit, page.id)
    if page.repeat is None:
        raise HTTPException(404)
    items = _items(visit, page)
    number = _item_number(request, items)
    data, raw, csrf_ok = await posted_form(request)
    if not csrf_ok:
        return _item_page(
            request, visit, page, number, raw, status=403, notice=words_for(visit, "csrf_notice")
        )
    stored = items[number - 1] if number else {}
    raw, upload_errors = await with_uploads(request, visit, page, data, raw, stored)
    await load_uploaded(visit, page)
    result = validate_page(visit.form, page, raw, visit.answers, visit.today, visit.language)
    errors = merged_errors(result, upload_errors)
    if errors:
        context = ChainMap(dict(result.answers), visit.answers)
        return _item_page(request, visit, page, number, raw, errors=errors, context=context, status=422)
    item = MappingProxyType(dict(result.answers))
    if number is None:
        if len(items) >= page.repeat.max_items:
            return redirect(form_url(visit.form, page.id))
        changed = (*items, item)
    else:
        changed = (*items[: number - 1], item, *items[number:])
    await _save_items(visit, page, changed)
    if data.get("action") == "save":
        return redirect(form_url(visit.form, "save"))
    return redirect(form_url(visit.form, page.id, change=is_change(request)))


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
        label=Text(words_for(visit, "remove_item_question", item=name, number=number)),
        errors=MappingProxyType({"required": Text(words_for(visit, "remove_item_required", item=name))}),
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
        "back_href": form_url(visit.form, page.id),
        "action": f"{form_url(visit.form, page.id)}/items/{number}/remove",
        **extra,
    }
    return render(request, visit, "pages/remove_item.html", context, status=extra.get("status", 200))


@journey_page
async def show_remove_item(request: Request) -> Response:
    visit = await load_visit(request)
    page = requested_page(visit, request)
    require_on_route(visit, page.id)
    number = _item_number(request, _items(visit, page))
    if number is None:
        raise HTTPException(404)
    return _remove_page(request, visit, page, number)


@journey_page
async def remove_item(request: Request) -> Response:
    visit = await load_visit(request)
    page = requested_page(visit, request)
    require_on_route(visit, page.id)
    items = _items(visit, page)
    number = _item_number(request, items)
    if number is None:
        raise HTTPException(404)
    _, raw, csrf_ok = await posted_form(request)
    if not csrf_ok:
        notice = words_for(visit, "csrf_notice")
        return _remove_page(request, visit, page, number, raw=raw, status=403, notice=notice)
    check = Page(id=f"{page.id}__remove", questions=(_remove_question(visit, page, number),))
    result = validate_page(visit.form, check, raw, {}, visit.today, visit.language)
    if not result.ok:
        return _remove_page(request, visit, page, number, raw=raw, errors=result.errors, status=422)
    if result.answers[CONFIRM_REMOVE] is True:
        await _save_items(visit, page, (*items[: number - 1], *items[number:]))
    return redirect(form_url(visit.form, page.id))
