"""Files on a page of questions: accepting uploads (checked and stored by engine.uploads), keeping them
in the answer, and listing them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from engine import storage
from engine.definition import Page, Question
from engine.messages import error_message
from engine.questions import Invalid
from engine.uploads import accept_upload
from engine.validation import FieldError, PageResult
from engine.web.drafts import (
    RawFields,
    encode_answers,
)
from engine.web.visits import Visit, app_settings, form_url, is_change, reload_visit


def file_questions(page: Page) -> list[Question]:
    found: list[Question] = []
    pending = list(page.questions)
    while pending:
        question = pending.pop(0)
        if question.type == "file":
            found.append(question)
        pending.extend(option.follow_up for option in question.options if option.follow_up is not None)
    return found


async def with_uploads(
    request: Request, visit: Visit, page: Page, data: FormData, raw: RawFields, stored: Mapping[str, Any]
) -> tuple[RawFields, dict[str, FieldError]]:
    """The raw fields with each file question's file ids: those kept before, then new uploads
    (checked, stripped of location data and stored by engine.uploads)."""
    raw = dict(raw)
    errors: dict[str, FieldError] = {}
    if page.repeat is not None:
        await load_uploaded(visit, page)
    for question in file_questions(page):
        uploads = [u for u in data.getlist(question.id) if isinstance(u, UploadFile) and u.filename]
        ids: list[str] = list(stored.get(question.id, ()))
        if page.repeat is not None:
            ids += _waiting_files(visit, page, question, data, ids)
        for upload in uploads:
            try:
                ids.append(
                    await accept_upload(
                        visit.draft.id,
                        question,
                        upload.filename or "",
                        await upload.read(),
                        attached=len(ids),
                        upload_dir=app_settings(request).upload_dir,
                    )
                )
            except Invalid as problem:
                errors[question.id] = _upload_error(question, problem, visit.language)
                break
        raw[question.id] = tuple(ids)
    return raw, errors


def _waiting_files(
    visit: Visit, page: Page, question: Question, data: FormData, kept: list[str]
) -> list[str]:
    """Files sent earlier for an item that has not been saved yet, named again by the item page.

    An item is saved only when its page is valid, so files sent with a page that showed an error
    belong to no answer yet; the page lists them with their ids in hidden fields, and they are kept
    from those. Only this draft's files for this question that no answer holds are accepted, so a
    posted id cannot take another draft's file or one already in another item.
    """
    claimed: set[str] = set(kept)
    for item in visit.answers.get(page.id, ()):
        claimed.update(item.get(question.id, ()))
    waiting = {
        file_id
        for file_id, stored in visit.uploaded.items()
        if stored.question_id == question.id and file_id not in claimed
    }
    named = [value for value in data.getlist(question.id) if isinstance(value, str)]
    return list(dict.fromkeys(file_id for file_id in named if file_id in waiting))


async def keep_uploads(visit: Visit, page: Page, raw: RawFields) -> None:
    """Keep the files just uploaded in the answer even though the page shows an error: with
    JavaScript off the file input comes back empty, and the respondent should not send them again."""
    held = {
        question.id: raw[question.id]
        for question in file_questions(page)
        if raw.get(question.id, ()) != tuple(visit.answers.get(question.id, ()))
    }
    if held:
        reload_visit(visit, await storage.save_answers(visit.draft.id, encode_answers(visit.form, held)))


async def load_uploaded(visit: Visit, page: Page) -> None:
    """Read the names of the draft's files, for a page that shows the files it holds."""
    if file_questions(page):
        visit.uploaded = {stored.id: stored for stored in await storage.files_of(visit.draft.id)}


def listed_files(
    request: Request, visit: Visit, page: Page, raw: RawFields
) -> dict[str, list[dict[str, str]]]:
    """Each file question's files as the page lists them: name, id, and where "Remove" posts.

    An item of a repeating page keeps its files inside the item, so its files are listed without
    a Remove button (removing the item removes them).
    """
    remove = None if page.repeat is not None else f"{form_url(visit.form, page.id)}/files"
    query = "?change=1" if is_change(request) else ""
    listed: dict[str, list[dict[str, str]]] = {}
    for question in file_questions(page):
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


def _upload_error(question: Question, problem: Invalid, language: str) -> FieldError:
    custom = question.errors.get(problem.code)
    message = (
        custom.get(language)
        if custom
        else error_message(problem.code, "file", language, label=question.label, **problem.params)
    )
    return FieldError(code=problem.code, message=message, target_id=question.id)


def merged_errors(result: PageResult, extra: Mapping[str, FieldError]) -> Mapping[str, FieldError]:
    return MappingProxyType({**result.errors, **extra}) if extra else result.errors
