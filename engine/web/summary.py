"""The summary page of a form and its exports (CSV, XLSX, JSON Lines), filtered like the response list.

    GET /staff/forms/{slug}/summary?status=new&answer.role=carer
    GET /staff/forms/{slug}/export.csv?personal=1&from=2026-11-01     (also .xlsx, .jsonl)
    GET /staff/forms/{slug}/export-items.csv                           (repeating pages, one row per item)

Exports leave personal data out unless a reviewer (or admin) asks with ?personal=1; for the board
it is always left out. Every export is written to the audit log before its first byte is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from engine import storage
from engine.accounts import Staff
from engine.definition import Form
from engine.export import (
    ExportLayout,
    Writer,
    csv_items_stream,
    csv_stream,
    form_history,
    jsonl_stream,
    xlsx_stream,
)
from engine.review import ParsedFilter, filter_options, filterable_questions, parse_filter, review_statuses
from engine.summary import summarise
from engine.web.staff import current_staff, render, requires

SUMMARY_PATH = "/staff/forms/{slug}/summary"


class ExportFormat:
    """How one export is written and sent."""

    def __init__(self, extension: str, media_type: str, writer: Writer) -> None:
        self.extension = extension
        self.media_type = media_type
        self.writer = writer


#: Export path -> its format; an explicit table, so no path or function name is built from a string.
EXPORT_FORMATS: Mapping[str, ExportFormat] = {
    "/staff/forms/{slug}/export.csv": ExportFormat("csv", "text/csv; charset=utf-8", csv_stream),
    "/staff/forms/{slug}/export-items.csv": ExportFormat("csv", "text/csv; charset=utf-8", csv_items_stream),
    "/staff/forms/{slug}/export.xlsx": ExportFormat(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_stream
    ),
    "/staff/forms/{slug}/export.jsonl": ExportFormat("jsonl", "application/x-ndjson", jsonl_stream),
}


class ExportResponse(StreamingResponse):
    """A streamed download whose writer is always closed, even when the client goes away mid-way,
    so its scratch files are removed at once rather than whenever the generator is collected."""

    def __init__(self, stream: AsyncGenerator[bytes, None], media_type: str, filename: str) -> None:
        super().__init__(
            stream,
            media_type=media_type,
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._stream.aclose()


@requires("reviewer", "board")
async def summary_page(request: Request) -> Response:
    form, staff, parsed = await _context(request)
    board = staff.role == "board"
    history = await form_history(form)
    summary = await summarise(history, parsed.filter.criteria(form, board=board), board=board)
    query = parsed.filter.query_items()
    context = {
        "form_title": form.title.default,
        "slug": form.slug,
        "summary": summary,
        "filter": parsed.filter,
        "problems": parsed.problems,
        "filter_questions": [
            (question, filter_options(question)) for question in filterable_questions(form, board=board)
        ],
        "statuses": review_statuses(form),
        "board": board,
        "query": query,
    }
    return render(request, "staff/summary/summary.html", context)


@requires("reviewer", "board")
async def export(request: Request) -> Response:
    form, staff, parsed = await _context(request)
    route_path = request.scope["route"].path
    chosen = EXPORT_FORMATS[route_path]
    board = staff.role == "board"
    personal = not board and request.query_params.get("personal") == "1"
    criteria = parsed.filter.criteria(form, board=board)
    layout = ExportLayout.of(await form_history(form), personal=personal)
    await storage.record_audit(
        staff.email,
        "exported",
        form.slug,
        None,
        {
            "file": route_path.rsplit("/", 1)[-1],
            "personal": personal,
            "filter": [list(item) for item in parsed.filter.query_items()],
        },
    )
    stamp = request.app.state.clock().astimezone(dt.UTC).strftime("%Y-%m-%d")
    name = route_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    filename = f"{form.slug}-{name}-{stamp}{'' if personal else '-anonymised'}.{chosen.extension}"
    stream = chosen.writer(layout, storage.export_batches(form.slug, criteria))
    return ExportResponse(stream, chosen.media_type, filename)


async def _context(request: Request) -> tuple[Form, Staff, ParsedFilter]:
    forms: Mapping[str, Form] = request.app.state.forms
    form = forms.get(request.path_params["slug"])
    staff = await current_staff(request)
    if form is None or staff is None:
        raise HTTPException(404)
    parsed = parse_filter(form, request.query_params.multi_items(), board=staff.role == "board")
    return form, staff, parsed


routes = [
    Route(SUMMARY_PATH, summary_page, methods=["GET"]),
    *(Route(path, export, methods=["GET"]) for path in EXPORT_FORMATS),
]

#: Who may open each route above (admin may open every one): reviewers, and the board without
#: personal data.
ROUTE_ROLES: Mapping[str, tuple[str, ...]] = {
    SUMMARY_PATH: ("reviewer", "board"),
    **dict.fromkeys(EXPORT_FORMATS, ("reviewer", "board")),
}
