"""The author's workspace: preview any version, the form map, versions and diffs, and safe upload.

URLs (all for authors; admin passes every check):
    /staff/author                                 forms, with any problems in their files
    /staff/author/upload                          upload a definition (YAML or XLSForm) to check it
    /staff/forms/<slug>/preview                   one page at a time; ?page= ?lang= ?easy=1 ?version=
    /staff/forms/<slug>/map                       the form map, drawn and as a nested list
    /staff/forms/<slug>/versions                  every stored version, with dates and response counts
    /staff/forms/<slug>/versions/<version>        one version checked against the live one
    /staff/forms/<slug>/versions/<version>/publish  (POST) make it live, once an author confirms
    /staff/forms/<slug>/diff?from=&to=            what changed between two versions

Preview sends nothing: its pages have no form that posts, only links, so no answer given in a
preview can ever be stored as a response.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from engine import storage
from engine.definition import Form, Page
from engine.formmap import as_svg, build_map, edge_sentence
from engine.loader import DefinitionError, DefinitionErrors
from engine.versions import Change, Library, Orphaning, diff, orphaned_answers
from engine.web.staff import PageError, render, requires
from engine.web.views import QuestionView

LONDON = ZoneInfo("Europe/London")
AUTHOR = "author"
UPLOAD_PATH = "/staff/author/upload"
#: What the upload accepts: the form language, or an XLSForm workbook that the importer turns into it.
UPLOAD_TYPES = (".yaml", ".yml", ".xlsx")


def _library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def _slug(request: Request) -> str:
    slug: str = request.path_params["slug"]
    return slug


def when(moment: dt.datetime | None) -> str:
    """A date and time as UK staff read it: 26 November 2026, 14:35."""
    if moment is None:
        return ""
    return moment.astimezone(LONDON).strftime("%-d %B %Y, %H:%M")


async def _version_or_404(request: Request, slug: str, version: str | None) -> Form:
    """The asked-for stored version of a form, or its live version when none is asked for."""
    library = _library(request)
    form = library.forms.get(slug) if not version else await library.stored_form(slug, version)
    if form is None:
        raise HTTPException(404)
    return form


# --- the list of forms ----------------------------------------------------------------------------------


@requires(AUTHOR)
async def author_home(request: Request) -> Response:
    library = _library(request)
    slugs = sorted({*library.forms, *(Path(path).stem for path in library.problems)})
    rows = [(slug, library.forms.get(slug), library.problems_of(slug)) for slug in slugs]
    return render(request, "staff/author/forms.html", {"rows": rows})


# --- preview --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLinks:
    previous: str | None
    next: str | None


@requires(AUTHOR)
async def preview(request: Request) -> Response:
    version = request.query_params.get("version")
    form = await _version_or_404(request, _slug(request), version)
    asked = request.query_params.get("lang", "")
    language = asked if asked in form.languages else form.default_language
    easy_read = form.easy_read and request.query_params.get("easy") == "1"
    page = form.page_index.get(request.query_params.get("page", "")) or form.pages[0]
    index = form.pages.index(page)

    def link(target: Page | None) -> str | None:
        if target is None:
            return None
        query = request.url.include_query_params(page=target.id)
        return f"{query.path}?{query.query}"

    links = PreviewLinks(
        previous=link(form.pages[index - 1] if index > 0 else None),
        next=link(form.pages[index + 1] if index + 1 < len(form.pages) else None),
    )
    live = _library(request).forms.get(form.slug)
    context = {
        "form": form,
        "page": page,
        "number": index + 1,
        "section": form.section_of[page.id],
        "views": tuple(
            QuestionView(question, language, easy_read, is_heading=question is page.heading_question)
            for question in page.questions
        ),
        "links": links,
        "version": version or "",
        "is_live": live is not None and live.version == form.version,
        "lang": language,
        "easy_read": easy_read,
        "now": request.app.state.clock(),
    }
    return render(request, "staff/author/preview.html", context)


# --- the form map --------------------------------------------------------------------------------------


@requires(AUTHOR)
async def form_map(request: Request) -> Response:
    form = await _version_or_404(request, _slug(request), request.query_params.get("version"))
    built = build_map(form)
    context = {
        "subject": form,
        "map": built,
        # as_svg escapes every text it draws from the definition.
        "svg": Markup(as_svg(built)),  # noqa: S704
        "edge_sentence": edge_sentence,
    }
    return render(request, "staff/author/map.html", context)


# --- versions and diffs ---------------------------------------------------------------------------


@requires(AUTHOR)
async def versions(request: Request) -> Response:
    slug = _slug(request)
    library = _library(request)
    records = await storage.version_records(slug)
    problems = library.problems_of(slug)
    if not records and not problems:
        raise HTTPException(404)
    live = library.forms.get(slug)
    context = {
        "slug": slug,
        "title": live.title.default if live else slug,
        "records": records,
        "live_version": live.version if live else None,
        "problems": problems,
        "when": when,
    }
    return render(request, "staff/author/versions.html", context)


@requires(AUTHOR)
async def version_page(request: Request) -> Response:
    slug, version = _slug(request), request.path_params["version"]
    library = _library(request)
    form = await library.stored_form(slug, version)
    if form is None:
        raise HTTPException(404)
    live = library.forms.get(slug)
    changes: tuple[Change, ...] = diff(live, form) if live and live.version != version else ()
    context = {
        "subject": form,
        "version": version,
        "live": live,
        "is_live": live is not None and live.version == version,
        "changes": changes,
        "orphans": await _orphans(library, form),
        "questions": sum(1 for question in form.iter_questions() if not question.is_content),
    }
    return render(request, "staff/author/version.html", context)


async def _orphans(library: Library, form: Form) -> list[tuple[str, Orphaning]]:
    """What publishing `form` would orphan in every other version that is live or was answered."""
    found: list[tuple[str, Orphaning]] = []
    for record in await storage.version_records(form.slug):
        answered = record.drafts or record.submissions or record.published_at is not None
        if record.version == form.version or not answered:
            continue
        old = await library.stored_form(form.slug, record.version)
        if old is not None:
            found.extend((record.version, orphan) for orphan in orphaned_answers(old, form))
    return found


@requires(AUTHOR)
async def publish(request: Request) -> Response:
    await request.app.state.csrf.checked_form(request)
    slug, version = _slug(request), request.path_params["version"]
    library = _library(request)
    if await library.stored_form(slug, version) is None:
        raise HTTPException(404)
    await library.publish(slug, version)
    return RedirectResponse(f"/staff/forms/{slug}/versions?published={version}", status_code=303)


@requires(AUTHOR)
async def version_diff(request: Request) -> Response:
    slug = _slug(request)
    library = _library(request)
    records = await storage.version_records(slug)
    if not records:
        raise HTTPException(404)
    known = [record.version for record in records]
    # By default: the newest version against the one before it.
    newer = request.query_params.get("to") or known[0]
    older = request.query_params.get("from") or (known[1] if len(known) > 1 else known[0])
    old, new = await library.stored_form(slug, older), await library.stored_form(slug, newer)
    if old is None or new is None:
        raise HTTPException(404)
    context = {
        "slug": slug,
        "title": new.title.default,
        "records": records,
        "older": older,
        "newer": newer,
        "changes": diff(old, new),
        "orphans": orphaned_answers(old, new),
        "when": when,
    }
    return render(request, "staff/author/diff.html", context)


# --- upload --------------------------------------------------------------------------------------------


@requires(AUTHOR)
async def upload(request: Request) -> Response:
    if request.method == "GET":
        return _upload_page(request)
    data = await request.app.state.csrf.checked_form(request)
    chosen = data.get("definition")
    if not isinstance(chosen, UploadFile) or not chosen.filename:
        return _upload_page(request, message="Choose a form file to upload", status_code=422)
    filename = Path(chosen.filename).name
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        return _upload_page(
            request, message="The file must be a form (.yaml) or an XLSForm workbook (.xlsx)", status_code=422
        )
    content = await chosen.read()
    await chosen.close()
    try:
        text, filename = _definition_text(content, filename, suffix)
        form = await _library(request).store_upload(text, filename)
    except DefinitionErrors as found:
        return _upload_page(request, filename=filename, problems=found.errors, status_code=422)
    except _Refused as refused:
        return _upload_page(request, filename=filename, lines=refused.lines, status_code=422)
    return RedirectResponse(f"/staff/forms/{form.slug}/versions/{form.version}", status_code=303)


class _Refused(Exception):
    """The XLSForm importer refused the workbook; `lines` say why, by sheet, row and column."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _definition_text(content: bytes, filename: str, suffix: str) -> tuple[str, str]:
    """The YAML of an upload and the file name its errors are reported against."""
    if suffix != ".xlsx":
        # Undecodable bytes are kept as surrogates, so the loader points at them ("not UTF-8").
        return content.decode("utf-8", "surrogateescape"), filename
    from engine.xlsform import XLSFormError, import_workbook, read_sheets

    stem = Path(filename).stem
    try:
        imported = import_workbook(read_sheets(content), stem)
    except XLSFormError as problem:
        raise _Refused([f"{filename}: {problem}"]) from None
    if imported.yaml is None or imported.problems:
        raise _Refused(imported.report())
    return imported.yaml, f"{imported.slug}.yaml"


def _upload_page(
    request: Request,
    *,
    message: str = "",
    filename: str = "",
    problems: tuple[DefinitionError, ...] = (),
    lines: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    errors = [PageError("definition", message)] if message else []
    if problems or lines:
        errors = [PageError("problems", f"{filename} cannot be used yet: put right the mistakes listed")]
    context: Mapping[str, Any] = {
        "errors": errors,
        "field_errors": {"definition": message} if message else {},
        "filename": filename,
        "problems": problems,
        "lines": lines or [],
        "accept": ",".join(UPLOAD_TYPES),
    }
    return render(request, "staff/author/upload.html", context, status_code=status_code)


routes = [
    Route("/staff/author", author_home, methods=["GET"]),
    Route(UPLOAD_PATH, upload, methods=["GET", "POST"]),
    Route("/staff/forms/{slug}/preview", preview, methods=["GET"]),
    Route("/staff/forms/{slug}/map", form_map, methods=["GET"]),
    Route("/staff/forms/{slug}/versions", versions, methods=["GET"]),
    Route("/staff/forms/{slug}/versions/{version}", version_page, methods=["GET"]),
    Route("/staff/forms/{slug}/versions/{version}/publish", publish, methods=["POST"]),
    Route("/staff/forms/{slug}/diff", version_diff, methods=["GET"]),
]

#: Authors shape forms; admin passes every check anyway.
ROUTE_ROLES: Mapping[str, tuple[str, ...]] = {route.path: (AUTHOR,) for route in routes}
