"""The task list of a task-list form: each section's state and where it links."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from engine import journey
from engine.definition import CHECK_ANSWERS
from engine.web.visits import form_url, journey_page, load_visit, render, words_for

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
    visit = await load_visit(request)
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
                "status": words_for(visit, words),
                "status_colour": colour,
                "href": form_url(form, status.page_id) if status.page_id else None,
            }
        )
    complete = journey.can_visit(form, CHECK_ANSWERS, visit.answers, visit.today, seen=visit.seen)
    context = {"items": items, "complete": complete, "check_href": form_url(form, CHECK_ANSWERS)}
    return render(request, visit, "pages/task_list.html", context)
