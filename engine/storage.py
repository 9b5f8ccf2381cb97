"""Drafts, submissions, answers and uploaded files, kept with tortoise-orm on SQLite or PostgreSQL.

The only module that imports tortoise. Callers get small frozen dataclasses and JSON-compatible
answer values, never ORM objects::

    draft, token = await create_draft("board", "3f9a...", "en")
    draft = await save_answers(draft.id, {"role": "carer"}, remove=["age"])
    submission = await submit(draft.id, draft.answers, "CPB")   # submission.reference == "CPB-7K3P-2QXD"

Every write runs in one transaction and a function returns only after COMMIT has returned, so an
acknowledged save or submission survives a crash. Each answer value of a submission is also kept as
one indexed row (form, question, value), which is what makes counting and filtering fast.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import functools
import hashlib
import json
import math
import os
import re
import secrets
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.models import Model
from tortoise.transactions import in_transaction

from engine import outbox
from engine.mail import Email
from engine.settings import Settings
from engine.transactions import in_one_step, reader, writing

#: An answer value as stored: what json.loads returns.
JSON: TypeAlias = "str | int | float | bool | list[JSON] | dict[str, JSON] | None"
#: What callers may pass in: tuples and read-only mappings are accepted and stored as lists/objects.
JSONInput: TypeAlias = "str | int | float | bool | Sequence[JSONInput] | Mapping[str, JSONInput] | None"

APP_LABEL = "coform"
DRAFT: Literal["draft"] = "draft"
SUBMITTED: Literal["submitted"] = "submitted"

#: Reference characters: no 0/O, 1/I/L or U, so a reference read out over the phone is unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_PREFIX = re.compile(r"[A-Z]{2,5}")
_REFERENCE_ATTEMPTS = 5
#: Longest answer value given its own index row; longer text is never a choice worth counting.
_INDEXED_VALUE_LENGTH = 255
#: Arbitrary constant naming coform's PostgreSQL advisory lock for migrations.
_MIGRATION_LOCK_KEY = 0x636F666F726D
_SQLITE_BUSY_TIMEOUT_MS = 30_000
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


class StorageError(Exception):
    """Base of every error this module raises on purpose."""


class StorageInputError(StorageError, ValueError):
    """A value that cannot be stored (a NUL byte, invalid Unicode, not JSON, a bad prefix...)."""


class NotFound(StorageError, LookupError):
    """No draft, submission, form version or file with that id."""


class AlreadySubmitted(StorageError):
    """The draft has been submitted, so its answers and files can no longer change."""


@dataclass(frozen=True)
class Draft:
    id: str
    form_slug: str
    version: str
    language: str
    answers: Mapping[str, JSON]
    status: Literal["draft", "submitted"]
    started_at: dt.datetime
    updated_at: dt.datetime
    #: Set once submitted, so a page reached by the back button can show the confirmation.
    reference: str | None = None
    #: The pages the respondent has pressed Continue on, in the order first continued past.
    seen_pages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Submission:
    reference: str
    draft_id: str
    form_slug: str
    version: str
    language: str
    answers: Mapping[str, JSON]
    started_at: dt.datetime
    submitted_at: dt.datetime
    review_status: str | None = None


@dataclass(frozen=True)
class StoredFile:
    id: str
    draft_id: str
    question_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


# --- tables -------------------------------------------------------------------------------------


class FormVersion(Model):
    """A version of a form that someone answered: its definition is kept so old answers stay readable.

    The newest published version of a slug is the one every worker serves (engine.versions).
    """

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=100)
    version = fields.CharField(max_length=64)
    definition = fields.TextField()
    first_seen = fields.DatetimeField()
    #: When it last became the live version (null while an upload waits for confirmation).
    published_at = fields.DatetimeField(null=True)
    #: Where it came from: "file" (forms/ at start-up or on change) or "upload" (through the browser).
    source = fields.CharField(max_length=10, default="file", db_default="file")

    class Meta:
        table = "form_version"
        unique_together = (("slug", "version"),)


class Response(Model):
    """One respondent's answers: a draft until submitted, then a submission with a reference."""

    id = fields.UUIDField(primary_key=True)
    form_version: fields.ForeignKeyRelation[FormVersion] = fields.ForeignKeyField(
        "coform.FormVersion", related_name="responses", on_delete=fields.RESTRICT
    )
    # Copied from form_version so listing a form's submissions needs no join.
    form_slug = fields.CharField(max_length=100)
    language = fields.CharField(max_length=20)
    status = fields.CharField(max_length=10, default=DRAFT)
    resume_token_hash = fields.CharField(max_length=64, unique=True)
    reference = fields.CharField(max_length=20, null=True, unique=True)
    started_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    submitted_at = fields.DatetimeField(null=True)
    review_status = fields.CharField(max_length=50, null=True)
    # Set when a reviewer raises a safeguarding concern: only the safeguarding role sees the list.
    flagged_at = fields.DatetimeField(null=True)
    flag_reason = fields.TextField(null=True)
    # An unanswered optional question leaves no answer, so this is how a page of them counts as done.
    #: The ids of the pages the respondent has continued past, as a JSON list.
    seen_pages = fields.TextField(default="[]", db_default="[]")
    # Written with the answer rows in the submitting transaction, so an export reads one text per
    # submission instead of assembling it from one row per question.
    #: A submission's answers as one JSON object, question ids in order (null while a draft).
    submitted_answers = fields.TextField(null=True)

    class Meta:
        table = "response"
        indexes = (("form_slug", "status", "submitted_at"), ("status", "updated_at"))


class Answer(Model):
    """One question's answer in a response, as JSON text."""

    id = fields.BigIntField(primary_key=True)
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "coform.Response", related_name="answers", on_delete=fields.CASCADE
    )
    question_id = fields.CharField(max_length=100)
    value = fields.TextField()

    class Meta:
        table = "answer"
        unique_together = (("response", "question_id"),)


class AnswerValue(Model):
    """One value of a submitted answer (each box ticked is a row), indexed for counting and filtering."""

    id = fields.BigIntField(primary_key=True)
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "coform.Response", related_name="answer_values", on_delete=fields.CASCADE
    )
    form_slug = fields.CharField(max_length=100)
    question_id = fields.CharField(max_length=100)
    value = fields.CharField(max_length=_INDEXED_VALUE_LENGTH)

    class Meta:
        table = "answer_value"
        indexes = (("form_slug", "question_id", "value"),)


class UploadedFile(Model):
    """A file attached to a response: its bytes are in `data`, or in the file at `path`."""

    id = fields.UUIDField(primary_key=True)
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "coform.Response", related_name="files", on_delete=fields.CASCADE
    )
    question_id = fields.CharField(max_length=100)
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=255)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    data = fields.BinaryField(null=True)
    path = fields.CharField(max_length=1000, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "uploaded_file"


class Tag(Model):
    """A label reviewers define per form (the review seam: tagging comes later)."""

    id = fields.IntField(primary_key=True)
    form_slug = fields.CharField(max_length=100)
    name = fields.CharField(max_length=100)

    class Meta:
        table = "tag"
        unique_together = (("form_slug", "name"),)


class ResponseTag(Model):
    """A tag put on a submission."""

    id = fields.BigIntField(primary_key=True)
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "coform.Response", related_name="tags", on_delete=fields.CASCADE
    )
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "coform.Tag", related_name="responses", on_delete=fields.CASCADE
    )

    class Meta:
        table = "response_tag"
        unique_together = (("response", "tag"),)


class Note(Model):
    """A reviewer's note on a submission."""

    id = fields.BigIntField(primary_key=True)
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "coform.Response", related_name="notes", on_delete=fields.CASCADE
    )
    author = fields.CharField(max_length=200)
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "note"


class AuditEvent(Model):
    """Who did what, when. Names the reference rather than linking the row, so it outlives deletion."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor = fields.CharField(max_length=200)
    action = fields.CharField(max_length=50)
    form_slug = fields.CharField(max_length=100, null=True)
    reference = fields.CharField(max_length=20, null=True)
    detail = fields.TextField(default="{}")

    class Meta:
        table = "audit_event"
        indexes = (("form_slug", "at"),)


# --- configuration and schema -------------------------------------------------------------------


def storage_config(database_url: str) -> dict[str, Any]:
    """The tortoise configuration for DATABASE_URL, for RegisterTortoise and the tortoise CLI.

    storage_config("sqlite:///srv/coform.sqlite3")["connections"]["sqlite"]["credentials"]
        == {"file_path": "/srv/coform.sqlite3", "busy_timeout": 30000, "journal_mode": "WAL",
            "synchronous": "FULL", "foreign_keys": "ON", "journal_size_limit": 16384}
    """
    connection = expand_db_url(database_url)
    # tortoise caches each model's SQL per connection name for the whole process, so the name
    # says the dialect: tests that use SQLite and then PostgreSQL must not share cached SQL.
    alias = "sqlite" if connection["engine"] == "tortoise.backends.sqlite" else "postgres"
    if alias == "sqlite":
        credentials = connection["credentials"]
        # tortoise runs these as PRAGMAs in this order when it connects. The busy timeout comes
        # first so that switching a new file to WAL waits for other processes instead of failing;
        # synchronous=FULL makes each commit durable across power loss, not only process crashes.
        connection["credentials"] = {
            "file_path": credentials.pop("file_path"),
            "busy_timeout": _SQLITE_BUSY_TIMEOUT_MS,
            "journal_mode": "WAL",
            "synchronous": "FULL",
            "foreign_keys": "ON",
            **credentials,
        }
    return {
        "connections": {alias: connection},
        "apps": {
            APP_LABEL: {
                "models": ["engine.storage", "engine.outbox", "engine.accounts"],
                "migrations": "engine.migrations",
                "default_connection": alias,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


#: For the tortoise CLI: `tortoise -c engine.storage.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = storage_config(Settings.from_environ().database_url)


def _prepare_sqlite_directory(config: Mapping[str, Any]) -> None:
    connection = config["connections"].get("sqlite")
    if connection is not None and connection["engine"] == "tortoise.backends.sqlite":
        file_path = connection["credentials"]["file_path"]
        if file_path != ":memory:":
            Path(file_path).parent.mkdir(parents=True, exist_ok=True)


@asynccontextmanager
async def connect(database_url: str) -> AsyncIterator[None]:
    """Open the database for this process (the CLI, scripts and tests; the app uses RegisterTortoise).

    tortoise keeps some state on the model classes, so a process has one database open at a time.
    """
    config = storage_config(database_url)
    _prepare_sqlite_directory(config)
    context = TortoiseContext()
    # Current while tortoise loads the models; afterwards the global fallback lets every task see
    # it, as RegisterTortoise arranges for the app.
    with context:
        await context.init(config=config, _enable_global_fallback=True)
    try:
        yield
    finally:
        await context.close_connections()


async def migrate(database_url: str, target: str | None = None) -> list[str]:
    """Apply the migrations in engine/migrations (up to `target`, default all); returns those applied.

    Safe to run from several workers starting at once: they take turns under a lock (a PostgreSQL
    advisory lock, or an exclusive lock on a file beside the SQLite database).
    """
    config = storage_config(database_url)
    _prepare_sqlite_directory(config)
    async with TortoiseContext() as context:
        await context.init(config=config)
        client = context.db()
        async with _migration_lock(client):
            executor = MigrationExecutor(client, config["apps"])
            before = set(await _applied(client))
            targets = None if target is None else [MigrationTarget(APP_LABEL, target)]
            await executor.migrate(targets)
            return [name for name in await _applied(client) if name not in before]


async def applied_migrations(database_url: str) -> list[str]:
    """Names of the migrations applied to the database, oldest first."""
    async with TortoiseContext() as context:
        await context.init(config=storage_config(database_url))
        return await _applied(context.db())


async def unmigrated_model_changes() -> list[str]:
    """Descriptions of model changes that no migration holds yet; empty when the migrations are current."""
    config = storage_config("sqlite://:memory:")
    async with TortoiseContext() as context:
        await context.init(config=config, init_connections=False)
        if context.apps is None:
            raise StorageError("tortoise did not load coform's models")
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
        return [operation.describe() for writer in writers for operation in writer.operations]


async def _applied(client: BaseDBAsyncClient) -> list[str]:
    keys = await MigrationRecorder(client).applied_migrations()
    return [key.name for key in keys if key.app_label == APP_LABEL]


@asynccontextmanager
async def _migration_lock(client: BaseDBAsyncClient) -> AsyncIterator[None]:
    if client.capabilities.dialect == "postgres":
        # A session-level lock held on its own pooled connection while the executor uses others.
        async with client.acquire_connection() as connection:
            await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
        return
    # flock on a separate file: SQLite's own POSIX locks on the database file would be dropped if
    # this process opened and closed another descriptor for it.
    lock_path = Path(f"{getattr(client, 'filename', 'coform')}.migrate-lock")
    with lock_path.open("a+b") as handle:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)




async def sqlite_pragmas() -> dict[str, str]:
    """journal_mode, synchronous, busy_timeout and foreign_keys as the live SQLite connection has them."""
    async with in_transaction() as connection:
        if connection.capabilities.dialect != "sqlite":
            raise StorageError("the database is not SQLite")
        found: dict[str, str] = {}
        for pragma in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys"):
            _, rows = await connection.execute_query(f"PRAGMA {pragma}")
            found[pragma] = str(rows[0][0])
        return found


# --- checking what is stored ---------------------------------------------------------------------


def _check_text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise StorageInputError(f"{what} must be text, not {type(text).__name__}")
    if "\x00" in text:
        raise StorageInputError(f"{what} contains a NUL character (\\x00), which cannot be stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise StorageInputError(
            f"{what} contains invalid Unicode (a lone surrogate at position {error.start})"
        ) from None
    return text


def _clean_json(value: object, what: str) -> JSON:
    """A JSON-compatible copy of `value`: (1, ("a",)) -> [1, ["a"]]; refuses what JSON cannot hold."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _check_text(value, what)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StorageInputError(f"{what} is {value}, which JSON cannot hold")
        return value
    if isinstance(value, Mapping):
        cleaned: dict[str, JSON] = {}
        for key, item in value.items():
            _check_text(key, f"a key in {what}")
            cleaned[key] = _clean_json(item, f"{what}[{key!r}]")
        return cleaned
    if isinstance(value, list | tuple):
        return [_clean_json(item, f"{what}[{index}]") for index, item in enumerate(value)]
    raise StorageInputError(
        f"{what} is a {type(value).__name__}; answers must be JSON values (text, numbers, "
        "true/false, lists, objects) — convert dates and decimals to text first"
    )


def _clean_answers(answers: Mapping[str, JSONInput]) -> dict[str, JSON]:
    return {
        _check_text(question_id, "a question id"): _clean_json(value, f"the answer to {question_id!r}")
        for question_id, value in answers.items()
    }


def _dump(value: JSON) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _answers_document(answers: Mapping[str, JSON]) -> str:
    """A submission's answers as one JSON text, keys in question id order:
    {"role": "carer", "age": 15} -> '{"age":15,"role":"carer"}'."""
    return _dump(dict(sorted(answers.items())))


def _indexed_values(value: JSON) -> Iterator[str]:
    """The values of one answer worth an index row: "carer" -> "carer"; ["a", "b"] -> "a", "b".

    True/false and numbers are indexed as their JSON text; objects (addresses, grids) and long
    text are not, as nobody counts or filters on them.
    """
    items = value if isinstance(value, list) else [value]
    seen: set[str] = set()
    for item in items:
        if isinstance(item, bool | int | float):
            text = json.dumps(item)
        elif isinstance(item, str) and 0 < len(item) <= _INDEXED_VALUE_LENGTH:
            text = item
        else:
            continue
        if text not in seen:
            seen.add(text)
            yield text


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _new_reference(prefix: str) -> str:
    """A fresh reference: "CPB" -> "CPB-7K3P-2QXD" (30**8 possibilities after the prefix)."""
    characters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{characters[:4]}-{characters[4:]}"


def _parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"no {what} with id {value!r}") from None


# --- drafts and submissions ----------------------------------------------------------------------


async def record_form_version(
    slug: str, version: str, definition: JSONInput, *, source: Literal["file", "upload"] = "file"
) -> None:
    """Remember a form version's definition; recording the same version again changes nothing."""
    _check_text(slug, "the form slug")
    _check_text(version, "the form version")
    text = _dump(_clean_json(definition, "the form definition"))
    try:
        async with writing() as connection:
            exists = await FormVersion.filter(slug=slug, version=version).using_db(connection).exists()
            if not exists:
                await FormVersion.create(
                    slug=slug,
                    version=version,
                    definition=text,
                    first_seen=_now(),
                    source=source,
                    using_db=connection,
                )
    except IntegrityError:
        # Another worker recorded the same version between our check and our insert.
        return


# --- form versions: which one is live ------------------------------------------------------------


@dataclass(frozen=True)
class VersionRecord:
    """One stored version of a form as the author pages list it, with how many answered it."""

    slug: str
    version: str
    source: str
    first_seen: dt.datetime
    published_at: dt.datetime | None
    drafts: int
    submissions: int


async def publish_form_version(slug: str, version: str, *, if_never_published: bool = False) -> bool:
    """Make a recorded version the live one (the newest published); returns whether anything changed.

    With `if_never_published`, a version published before is left as it is: a worker starting with
    an unchanged file must not take the live place back from a version uploaded since.
    """
    query = FormVersion.filter(slug=slug, version=version)
    if if_never_published:
        query = query.filter(published_at__isnull=True)
    async with writing() as connection:
        changed = await query.using_db(connection).update(published_at=_now())
    if not changed and not await FormVersion.filter(slug=slug, version=version).exists():
        raise NotFound(f"form {slug!r} version {version!r} has not been recorded")
    return bool(changed)


async def live_form_versions() -> dict[str, str]:
    """Slug -> the version every worker serves: the one published most recently.

    One small query over the published rows; workers run it every second or so.
    """
    rows = (
        await FormVersion.filter(published_at__isnull=False)
        .order_by("slug", "-published_at", "-id")
        .values_list("slug", "version")
    )
    live: dict[str, str] = {}
    for slug, version in rows:
        live.setdefault(str(slug), str(version))
    return live


async def version_records(slug: str) -> list[VersionRecord]:
    """Every stored version of a form, newest first, with its draft and submission counts."""
    rows = await FormVersion.filter(slug=slug).order_by("-first_seen", "-id")
    counted = (
        await Response.filter(form_slug=slug)
        .group_by("form_version_id", "status")
        .annotate(count=Count("id"))
        .values_list("form_version_id", "status", "count")
    )
    counts: dict[tuple[int, str], int] = {(int(key), str(status)): int(n) for key, status, n in counted}
    return [
        VersionRecord(
            slug=row.slug,
            version=row.version,
            source=row.source,
            first_seen=row.first_seen,
            published_at=row.published_at,
            drafts=counts.get((row.id, DRAFT), 0),
            submissions=counts.get((row.id, SUBMITTED), 0),
        )
        for row in rows
    ]


async def create_draft(slug: str, version: str, language: str) -> tuple[Draft, str]:
    """Start a draft on a recorded form version; returns it and its resume token (never stored)."""
    _check_text(language, "the language")
    token = secrets.token_urlsafe(32)
    now = _now()
    async with writing() as connection:
        form_version = await FormVersion.filter(slug=slug, version=version).using_db(connection).first()
        if form_version is None:
            raise NotFound(f"form {slug!r} version {version!r} has not been recorded")
        response = await Response.create(
            id=uuid.uuid4(),
            form_version=form_version,
            form_slug=slug,
            language=language,
            status=DRAFT,
            resume_token_hash=_hash_token(token),
            started_at=now,
            updated_at=now,
            using_db=connection,
        )
    draft = Draft(
        id=str(response.id),
        form_slug=slug,
        version=version,
        language=language,
        answers=MappingProxyType({}),
        status=DRAFT,
        started_at=now,
        updated_at=now,
    )
    return draft, token


async def get_draft(draft_id: str) -> Draft:
    """The draft (or submitted draft) with this id, with its answers."""
    key = _parse_id(draft_id, "draft")
    draft = await _read_draft("r.id = ?", [key])
    if draft is None:
        raise NotFound(f"no draft with id {key}")
    return draft


async def find_draft_by_token(token: str, *, changed_after: dt.datetime | None = None) -> Draft | None:
    """The unsubmitted draft a resume token opens, if it was changed after `changed_after`."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    where = "r.resume_token_hash = ? AND r.status = ?"
    values: list[object] = [_hash_token(token), DRAFT]
    if changed_after is not None:
        where, values = f"{where} AND r.updated_at > ?", [*values, changed_after]
    return await _read_draft(where, values)


async def save_answers(
    draft_id: str,
    answers: Mapping[str, JSONInput],
    remove: Iterable[str] = (),
    *,
    seen_page: str | None = None,
) -> Draft:
    """Save one page: set `answers`, delete the answers to `remove`, and note `seen_page` as
    continued past, all or nothing."""
    key = _parse_id(draft_id, "draft")
    cleaned = _clean_answers(answers)
    removed = {_check_text(question_id, "a question id to remove") for question_id in remove}
    if both := removed & cleaned.keys():
        raise StorageInputError(f"{sorted(both)} cannot be both saved and removed")
    if seen_page is not None:
        _check_text(seen_page, "a page id")
    changed = removed | cleaned.keys()
    saved = await in_one_step(functools.partial(_save_in_sqlite, key, changed, cleaned, seen_page))
    if saved is not None:
        before, now, seen = saved
    else:
        async with writing() as connection:
            found = await _read_draft("r.id = ?", [key], connection=connection, lock=True)
            before = _still_a_draft(found, key)
            await _store_answers(connection, key, changed, cleaned)
            now = _now()
            seen = _seen_after(before, seen_page)
            if seen != before.seen_pages:
                # Read and written under the draft's row lock, so two tabs cannot lose each other's pages.
                await _execute(connection, _UPDATE_SEEN, [now, json.dumps(list(seen)), key])
            else:
                await _execute(connection, _UPDATE_CHANGED, [now, key])
    # The answers as stored now, in the order a read gives them (by answer id, new ones last),
    # without reading them back.
    kept = {question_id: value for question_id, value in before.answers.items() if question_id not in changed}
    stored: dict[str, JSON] = {**kept, **cleaned}
    return replace(before, answers=MappingProxyType(stored), updated_at=now, seen_pages=seen)


def _save_in_sqlite(
    key: uuid.UUID,
    changed: set[str],
    cleaned: Mapping[str, JSON],
    seen_page: str | None,
    db: sqlite3.Connection,
) -> tuple[Draft, dt.datetime, tuple[str, ...]]:
    """save_answers on SQLite, in one step in SQLite's thread (engine.transactions.in_one_step):
    the same statements as the general path, with the same values."""
    text_key = str(key)
    rows = db.execute(_DRAFT_QUERY.format(where="r.id = ?"), [text_key]).fetchall()
    before = _still_a_draft(_draft_of(rows), key)
    if changed:
        marks = ", ".join(["?"] * len(changed))
        db.execute(_DELETE_ANSWERS.format(marks=marks), [text_key, *changed])
    if cleaned:
        placeholders = ", ".join(["(?, ?, ?)"] * len(cleaned))
        values: list[object] = []
        for question_id, value in cleaned.items():
            values += [text_key, question_id, _dump(value)]
        db.execute(_INSERT_ANSWERS.format(rows=placeholders), values)
    now = _now()
    seen = _seen_after(before, seen_page)
    if seen != before.seen_pages:
        db.execute(_UPDATE_SEEN, [now, json.dumps(list(seen)), text_key])
    else:
        db.execute(_UPDATE_CHANGED, [now, text_key])
    return before, now, seen


def _still_a_draft(found: Draft | None, key: uuid.UUID) -> Draft:
    if found is None:
        raise NotFound(f"no draft with id {key}")
    if found.status != DRAFT:
        raise AlreadySubmitted(f"draft {key} has been submitted as {found.reference}")
    return found


def _seen_after(draft: Draft, seen_page: str | None) -> tuple[str, ...]:
    """The pages continued past once `seen_page` is added (at the end, once)."""
    if seen_page is None or seen_page in draft.seen_pages:
        return draft.seen_pages
    return (*draft.seen_pages, seen_page)


_UPDATE_SEEN = "UPDATE response SET updated_at = ?, seen_pages = ? WHERE id = ?"
_UPDATE_CHANGED = "UPDATE response SET updated_at = ? WHERE id = ?"


async def _store_answers(
    connection: BaseDBAsyncClient, key: uuid.UUID, changed: set[str], cleaned: Mapping[str, JSON]
) -> None:
    """Delete the draft's answers to `changed` and insert `cleaned`, in one statement each.

    Written as SQL rather than tortoise queries: building those cost more CPU than running them.
    """
    if changed:
        marks = ", ".join(["?"] * len(changed))
        await _execute(connection, _DELETE_ANSWERS.format(marks=marks), [key, *changed])
    if cleaned:
        rows = ", ".join(["(?, ?, ?)"] * len(cleaned))
        values: list[object] = []
        for question_id, value in cleaned.items():
            values += [key, question_id, _dump(value)]
        await _execute(connection, _INSERT_ANSWERS.format(rows=rows), values)


# Only placeholders are filled into these, never values.
_DELETE_ANSWERS = "DELETE FROM answer WHERE response_id = ? AND question_id IN ({marks})"
_INSERT_ANSWERS = "INSERT INTO answer (response_id, question_id, value) VALUES {rows}"


async def _execute(connection: BaseDBAsyncClient, sql: str, values: list[object]) -> None:
    """Run `sql` with ? parameters in the connection's dialect (UUIDs as text on SQLite, as tortoise
    writes them)."""
    dialect = connection.capabilities.dialect
    if dialect != "postgres":
        values = [str(value) if isinstance(value, uuid.UUID) else value for value in values]
    await connection.execute_query(_positional(sql, dialect), values)


def _seen_pages(stored: str | None) -> tuple[str, ...]:
    """The page ids in a response's seen_pages column: '["intro", "age"]' -> ("intro", "age")."""
    pages = json.loads(stored or "[]")
    return tuple(page for page in pages if isinstance(page, str)) if isinstance(pages, list) else ()


async def submit(
    draft_id: str,
    final_answers: Mapping[str, JSONInput],
    reference_prefix: str,
    *,
    emails: Callable[[Submission], Sequence[Email]] | None = None,
) -> Submission:
    """Submit a draft with its final answers and give it a reference, in one transaction.

    Submitting again (a double click, the back button, a retry after a timeout) returns the first
    submission unchanged and stores nothing. `emails` composes the messages the submission causes
    (a receipt, staff alerts) once its reference is known; they go into the outbox in the same
    transaction, so they are sent exactly when the submission is stored.
    """
    if not isinstance(reference_prefix, str) or not _REFERENCE_PREFIX.fullmatch(reference_prefix):
        raise StorageInputError(f"reference prefix {reference_prefix!r} must be 2 to 5 capital letters")
    key = _parse_id(draft_id, "draft")
    cleaned = _clean_answers(final_answers)
    async with writing() as connection:
        response = await _response(connection, key, lock=True)
        if response.status == SUBMITTED:
            return await _submission(connection, response)
        await Answer.filter(response_id=key).using_db(connection).delete()
        await Answer.bulk_create(
            [Answer(response_id=key, question_id=q, value=_dump(v)) for q, v in cleaned.items()],
            using_db=connection,
        )
        await AnswerValue.bulk_create(
            list(_answer_value_rows(key, response.form_slug, cleaned)), using_db=connection
        )
        now = _now()
        response.reference = await _assign_reference(connection, key, reference_prefix)
        response.status = SUBMITTED
        response.submitted_at = now
        response.updated_at = now
        response.submitted_answers = _answers_document(cleaned)
        await response.save(
            update_fields=["status", "submitted_at", "updated_at", "submitted_answers"], using_db=connection
        )
        submission = await _submission(connection, response)
        if emails is not None:
            await outbox.enqueue(connection, emails(submission), now=now)
    return submission


async def get_submission(reference: str) -> Submission | None:
    if not isinstance(reference, str) or "\x00" in reference:
        return None
    async with in_transaction() as connection:
        response = (
            await Response.filter(reference=reference.upper(), status=SUBMITTED)
            .using_db(connection)
            .select_related("form_version")
            .first()
        )
        return None if response is None else await _submission(connection, response)


async def expire_drafts(last_changed_before: dt.datetime) -> int:
    """Delete unsubmitted drafts (with their answers and files) last changed before the given time."""
    stale = Response.filter(status=DRAFT, updated_at__lt=last_changed_before)
    async with writing() as connection:
        ids = await stale.using_db(connection).values_list("id", flat=True)
        file_rows = (
            await UploadedFile.filter(response_id__in=ids, path__not_isnull=True)
            .using_db(connection)
            .values_list("path")
        )
        paths = [str(row[0]) for row in file_rows]
        await Response.filter(id__in=ids).using_db(connection).delete()
    _unlink_all(paths)
    return len(ids)


async def import_submissions(
    slug: str,
    version: str,
    language: str,
    answers_per_response: Iterable[Mapping[str, JSONInput]],
    reference_prefix: str,
) -> list[str]:
    """Store already-submitted responses (from another tool, or a benchmark) in one transaction.

    Rows go in as plain parameters, one executemany per table: building a tortoise model for each
    response, answer and indexed value took most of an import's time.
    """
    if not _REFERENCE_PREFIX.fullmatch(reference_prefix):
        raise StorageInputError(f"reference prefix {reference_prefix!r} must be 2 to 5 capital letters")
    cleaned = [_clean_answers(answers) for answers in answers_per_response]
    now = _now()
    references: list[str] = []
    async with writing() as connection:
        form_version = await FormVersion.filter(slug=slug, version=version).using_db(connection).first()
        if form_version is None:
            raise NotFound(f"form {slug!r} version {version!r} has not been recorded")
        responses: list[list[object]] = []
        answers: list[list[object]] = []
        values: list[list[object]] = []
        dialect = connection.capabilities.dialect
        for response_answers in cleaned:
            key = uuid.uuid4()
            # SQLite keeps UUIDs as text, as tortoise writes them.
            stored_key = key if dialect == "postgres" else str(key)
            reference = _new_reference(reference_prefix)
            references.append(reference)
            token_hash = _hash_token(secrets.token_urlsafe(32))
            named = [stored_key, form_version.id, slug, language, SUBMITTED, token_hash, reference]
            # Started, last changed and submitted at the same moment.
            responses.append([*named, now, now, now, _answers_document(response_answers)])
            answers.extend([stored_key, q, _dump(v)] for q, v in response_answers.items())
            values.extend([stored_key, slug, q, text] for q, text in _indexed_rows(response_answers))
        if responses:
            await connection.execute_many(_positional(_INSERT_SUBMISSION, dialect), responses)
        if answers:
            await connection.execute_many(_positional(_INSERT_ANSWER, dialect), answers)
        if values:
            await connection.execute_many(_positional(_INSERT_ANSWER_VALUE, dialect), values)
    return references


#: A submitted response, with its answers as one JSON text.
_INSERT_SUBMISSION = (
    "INSERT INTO response (id, form_version_id, form_slug, language, status, resume_token_hash, reference,"
    " started_at, updated_at, submitted_at, submitted_answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ANSWER = "INSERT INTO answer (response_id, question_id, value) VALUES (?, ?, ?)"
_INSERT_ANSWER_VALUE = (
    "INSERT INTO answer_value (response_id, form_slug, question_id, value) VALUES (?, ?, ?, ?)"
)


# --- for reviewers --------------------------------------------------------------------------------


async def count_by_answer(slug: str, question_id: str) -> dict[str, int]:
    """How many submissions gave each value: {"carer": 120, "young_person": 80}; true/false as "true"."""
    rows = (
        await AnswerValue.filter(form_slug=slug, question_id=question_id)
        .group_by("value")
        .annotate(count=Count("id"))
        .values_list("value", "count")
    )
    return {str(value): int(count) for value, count in rows}


async def count_submissions(slug: str, *, answer: tuple[str, str] | None = None) -> int:
    """How many submissions a form has, or how many gave `answer` = (question id, value)."""
    return int(await _submissions_query(slug, answer).count())


async def find_submissions(
    slug: str, *, answer: tuple[str, str] | None = None, limit: int = 50, offset: int = 0
) -> list[Submission]:
    """A page of a form's submissions, newest first, optionally only those that gave `answer`."""
    async with in_transaction() as connection:
        responses = (
            await _submissions_query(slug, answer)
            .using_db(connection)
            .select_related("form_version")
            .order_by("-submitted_at", "-id")
            .offset(offset)
            .limit(limit)
        )
        answers = await _answers_of(connection, [response.id for response in responses])
    return [_as_submission(response, answers.get(response.id, {})) for response in responses]


def _submissions_query(slug: str, answer: tuple[str, str] | None) -> Any:
    query = Response.filter(form_slug=slug, status=SUBMITTED)
    if answer is not None:
        question_id, value = answer
        matching = AnswerValue.filter(form_slug=slug, question_id=question_id, value=value)
        query = query.filter(id__in=Subquery(matching.values("response_id")))
    return query


# --- review: filters, status, tags, notes, flags, audit, erasure and purge ---------------------------
# Used by engine/review.py (the review domain) and, through it, the staff pages, the summary and the
# exports. Every change a member of staff makes writes an AuditEvent in the same transaction, so a
# change is never kept without the record of who made it.


@dataclass(frozen=True)
class Criteria:
    """Which submissions of a form to list, count or export; every part narrows the set (AND).

    `review_status` matches that status; `unset_is_status` also matches responses never given one
    (they count as the form's first status). `answers` are (question id, value) pairs matched
    against the indexed answer values. `search` looks in the reference and in the answers stored
    under `search_keys` (None: every answer).
    """

    review_status: str | None = None
    unset_is_status: bool = False
    submitted_from: dt.datetime | None = None
    submitted_before: dt.datetime | None = None
    answers: tuple[tuple[str, str], ...] = ()
    tag: str | None = None
    search: str | None = None
    search_keys: frozenset[str] | None = None


@dataclass(frozen=True)
class ReviewedSubmission:
    """A submission with what reviewers have added: its tags and any safeguarding flag."""

    submission: Submission
    tags: tuple[str, ...]
    flagged_at: dt.datetime | None
    flag_reason: str | None


@dataclass(frozen=True)
class NoteRecord:
    author: str
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class AuditRecord:
    at: dt.datetime
    actor: str
    action: str
    form_slug: str | None
    reference: str | None
    detail: Mapping[str, JSON]


@dataclass(frozen=True)
class PurgeCount:
    """What `purge_form` deleted for one form."""

    submissions: int
    drafts: int
    files: int


async def find_reviewed(
    slug: str, criteria: Criteria, *, limit: int = 50, offset: int = 0
) -> list[ReviewedSubmission]:
    """A page of the submissions `criteria` selects, newest first, with their tags and flags."""
    async with in_transaction() as connection:
        responses = (
            await _criteria_query(slug, criteria)
            .using_db(connection)
            .select_related("form_version")
            .order_by("-submitted_at", "-id")
            .offset(offset)
            .limit(limit)
        )
        keys = [response.id for response in responses]
        answers = await _answers_of(connection, keys)
        tags = await _tags_of(connection, keys)
    return [
        ReviewedSubmission(
            _as_submission(response, answers.get(response.id, {})),
            tags.get(response.id, ()),
            response.flagged_at,
            response.flag_reason,
        )
        for response in responses
    ]


async def count_reviewed(slug: str, criteria: Criteria) -> int:
    """How many submissions `criteria` selects."""
    return int(await _criteria_query(slug, criteria).count())


async def reviewed_references(slug: str, criteria: Criteria) -> AsyncIterator[list[str]]:
    """The references of every submission `criteria` selects, newest first, a thousand at a time.

    For acting on a whole filtered list (bulk tagging) without holding it in memory.
    """
    last: tuple[dt.datetime, uuid.UUID] | None = None
    while True:
        query = _criteria_query(slug, criteria)
        if last is not None:
            query = query.filter(Q(submitted_at__lt=last[0]) | Q(submitted_at=last[0], id__lt=last[1]))
        rows = (
            await query.order_by("-submitted_at", "-id")
            .limit(1000)
            .values_list("id", "submitted_at", "reference")
        )
        if not rows:
            return
        last = (rows[-1][1], uuid.UUID(str(rows[-1][0])))
        yield [str(row[2]) for row in rows]


async def get_reviewed(slug: str, reference: str) -> ReviewedSubmission | None:
    """One submission of the form by its reference, with its tags and flag."""
    if "\x00" in reference:
        return None
    async with in_transaction() as connection:
        response = (
            await Response.filter(form_slug=slug, reference=reference.upper(), status=SUBMITTED)
            .using_db(connection)
            .select_related("form_version")
            .first()
        )
        if response is None:
            return None
        answers = await _answers_of(connection, [response.id])
        tags = await _tags_of(connection, [response.id])
    return ReviewedSubmission(
        _as_submission(response, answers[response.id]),
        tags.get(response.id, ()),
        response.flagged_at,
        response.flag_reason,
    )


async def neighbours(slug: str, criteria: Criteria, reference: str) -> tuple[str | None, str | None]:
    """The references just newer and just older than `reference` in the list `criteria` selects."""
    response = await Response.filter(form_slug=slug, reference=reference, status=SUBMITTED).first()
    if response is None or response.submitted_at is None:
        return None, None
    at, key = response.submitted_at, response.id
    newer = await (
        _criteria_query(slug, criteria)
        .filter(Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=key))
        .order_by("submitted_at", "id")
        .first()
        .values_list("reference", flat=True)
    )
    older = await (
        _criteria_query(slug, criteria)
        .filter(Q(submitted_at__lt=at) | Q(submitted_at=at, id__lt=key))
        .order_by("-submitted_at", "-id")
        .first()
        .values_list("reference", flat=True)
    )
    return (None if newer is None else str(newer)), (None if older is None else str(older))


async def form_version_definition(slug: str, version: str) -> JSON:
    """The definition recorded for a form version (what `record_form_version` was given)."""
    row = await FormVersion.filter(slug=slug, version=version).first()
    if row is None:
        raise NotFound(f"form {slug!r} version {version!r} has not been recorded")
    loaded: JSON = json.loads(row.definition)
    return loaded


async def files_of(draft_id: str) -> list[StoredFile]:
    """The files attached to a response, oldest first."""
    key = _parse_id(draft_id, "response")
    rows = await UploadedFile.filter(response_id=key).order_by("created_at", "id")
    return [_as_stored_file(row) for row in rows]


async def tags_of_form(slug: str) -> list[str]:
    """The tags reviewers have made for a form, in alphabetical order."""
    names = await Tag.filter(form_slug=slug).order_by("name").values_list("name", flat=True)
    return [str(name) for name in names]


async def create_tag(slug: str, name: str, actor: str) -> bool:
    """Make a tag for a form; False when it already exists (nothing changes, nothing is audited)."""
    _check_text(name, "the tag name")
    async with writing() as connection:
        if await Tag.filter(form_slug=slug, name=name).using_db(connection).exists():
            return False
        await Tag.create(form_slug=slug, name=name, using_db=connection)
        await _audit(connection, actor, "tag_created", slug, None, {"tag": name})
    return True


async def tag_submissions(slug: str, references: Sequence[str], name: str, actor: str) -> int:
    """Put a tag on each of `references` (one or many); returns how many newly got it.

    Raises NotFound when the form has no such tag. Each response that gains the tag is audited.
    """
    async with writing() as connection:
        tag = await Tag.filter(form_slug=slug, name=name).using_db(connection).first()
        if tag is None:
            raise NotFound(f"form {slug!r} has no tag {name!r}")
        wanted = [reference.upper() for reference in references if "\x00" not in reference]
        rows = (
            await Response.filter(form_slug=slug, status=SUBMITTED, reference__in=wanted)
            .using_db(connection)
            .values_list("id", "reference")
        )
        tagged = set(
            await ResponseTag.filter(tag_id=tag.id, response_id__in=[row[0] for row in rows])
            .using_db(connection)
            .values_list("response_id", flat=True)
        )
        new = [(key, reference) for key, reference in rows if key not in tagged]
        await ResponseTag.bulk_create(
            [ResponseTag(response_id=key, tag_id=tag.id) for key, _ in new], using_db=connection
        )
        for _, reference in new:
            await _audit(connection, actor, "tag_added", slug, str(reference), {"tag": name})
    return len(new)


async def untag_submission(slug: str, reference: str, name: str, actor: str) -> bool:
    """Take a tag off a submission; False when it did not have it."""
    async with writing() as connection:
        response = await _reviewed_row(connection, slug, reference)
        deleted = await (
            ResponseTag.filter(response_id=response.id, tag__form_slug=slug, tag__name=name)
            .using_db(connection)
            .delete()
        )
        if deleted:
            await _audit(connection, actor, "tag_removed", slug, response.reference, {"tag": name})
    return bool(deleted)


async def set_review_status(slug: str, reference: str, status: str, actor: str) -> None:
    """Give a submission a review status (the caller checks it is one of the form's statuses)."""
    _check_text(status, "the review status")
    async with writing() as connection:
        response = await _reviewed_row(connection, slug, reference)
        before = response.review_status
        if before == status:
            return
        response.review_status = status
        await response.save(update_fields=["review_status"], using_db=connection)
        await _audit(
            connection, actor, "status_changed", slug, response.reference, {"from": before, "to": status}
        )


async def add_note(slug: str, reference: str, body: str, actor: str) -> None:
    """Add a reviewer's note; the audit records that a note was added, not what it says."""
    _check_text(body, "the note")
    async with writing() as connection:
        response = await _reviewed_row(connection, slug, reference)
        await Note.create(response=response, author=actor, body=body, created_at=_now(), using_db=connection)
        await _audit(connection, actor, "note_added", slug, response.reference, {})


async def notes_of(slug: str, reference: str) -> list[NoteRecord]:
    """A submission's notes, oldest first."""
    rows = await Note.filter(response__form_slug=slug, response__reference=reference).order_by(
        "created_at", "id"
    )
    return [NoteRecord(row.author, row.body, row.created_at) for row in rows]


async def flag_submission(
    slug: str, reference: str, reason: str, actor: str, emails: Sequence[Email] = ()
) -> bool:
    """Raise a safeguarding concern; False when the submission is already flagged.

    `emails` (the alerts to the safeguarding team) go into the outbox in the same transaction, so
    a concern is never recorded without its alert, nor an alert sent for a concern not recorded.
    """
    _check_text(reason, "the reason")
    async with writing() as connection:
        response = await _reviewed_row(connection, slug, reference)
        if response.flagged_at is not None:
            return False
        response.flagged_at = _now()
        response.flag_reason = reason
        await response.save(update_fields=["flagged_at", "flag_reason"], using_db=connection)
        await _audit(connection, actor, "flag_raised", slug, response.reference, {"alerts": len(emails)})
        await outbox.enqueue(connection, emails)
    return True


async def close_flag(slug: str, reference: str, outcome: str, actor: str) -> bool:
    """Record how a concern was handled and take the submission off the safeguarding list."""
    _check_text(outcome, "the outcome")
    async with writing() as connection:
        response = await _reviewed_row(connection, slug, reference)
        if response.flagged_at is None:
            return False
        await Response.filter(id=response.id).using_db(connection).update(flagged_at=None, flag_reason=None)
        await Note.create(
            response=response,
            author=actor,
            body=f"Safeguarding concern closed: {outcome}",
            created_at=_now(),
            using_db=connection,
        )
        await _audit(connection, actor, "flag_closed", slug, response.reference, {})
    return True


async def flagged_submissions() -> list[ReviewedSubmission]:
    """Every flagged submission of every form, the longest-waiting first (the safeguarding list)."""
    async with in_transaction() as connection:
        responses = (
            await Response.filter(status=SUBMITTED, flagged_at__not_isnull=True)
            .using_db(connection)
            .select_related("form_version")
            .order_by("flagged_at", "id")
        )
        keys = [response.id for response in responses]
        tags = await _tags_of(connection, keys)
    return [
        ReviewedSubmission(_as_submission(r, {}), tags.get(r.id, ()), r.flagged_at, r.flag_reason)
        for r in responses
    ]


async def record_audit(
    actor: str, action: str, slug: str | None, reference: str | None, detail: Mapping[str, JSONInput]
) -> None:
    """Record an event that changes nothing stored here (an export, a download)."""
    cleaned = _clean_json(detail, "the audit detail")
    async with writing() as connection:
        await _audit(connection, actor, action, slug, reference, cleaned if isinstance(cleaned, dict) else {})


async def audit_events(
    slug: str | None, reference: str | None = None, *, limit: int = 100, offset: int = 0
) -> list[AuditRecord]:
    """Audit events, newest first: of one form (and one reference), or of everything with slug None."""
    query = AuditEvent.all()
    if slug is not None:
        query = query.filter(form_slug=slug)
    if reference is not None:
        query = query.filter(reference=reference)
    rows = await query.order_by("-at", "-id").offset(offset).limit(limit)
    return [
        AuditRecord(row.at, row.actor, row.action, row.form_slug, row.reference, json.loads(row.detail))
        for row in rows
    ]


async def count_audit_events(slug: str | None) -> int:
    query = AuditEvent.all() if slug is None else AuditEvent.filter(form_slug=slug)
    return int(await query.count())


async def find_by_reference(reference: str) -> Submission | None:
    """Any form's submission with this reference (for erasure requests), or None."""
    return await get_submission(reference.strip())


async def erase_submission(reference: str, actor: str) -> bool:
    """Delete a submission with its answers, files, tags and notes (right to erasure), audited.

    False when there is no such submission. The audit entry keeps only the reference and form.
    """
    if "\x00" in reference:
        return False
    async with writing() as connection:
        response = await Response.filter(reference=reference.strip().upper()).using_db(connection).first()
        if response is None:
            return False
        paths = await _file_paths(connection, [response.id])
        await response.delete(using_db=connection)
        await _audit(connection, actor, "erased", response.form_slug, response.reference, {})
    _unlink_all(paths)
    return True


async def purge_form(slug: str, older_than: dt.datetime, actor: str) -> PurgeCount:
    """Delete a form's submissions submitted, and drafts last changed, before `older_than`."""
    async with writing() as connection:
        old = Response.filter(form_slug=slug).filter(
            Q(status=SUBMITTED, submitted_at__lt=older_than) | Q(status=DRAFT, updated_at__lt=older_than)
        )
        rows = await old.using_db(connection).values_list("id", "status")
        keys = [row[0] for row in rows]
        submissions = sum(1 for row in rows if row[1] == SUBMITTED)
        files = await UploadedFile.filter(response_id__in=keys).using_db(connection).count()
        paths = await _file_paths(connection, keys)
        await Response.filter(id__in=keys).using_db(connection).delete()
        count = PurgeCount(submissions, len(keys) - submissions, files)
        if keys:
            detail: dict[str, JSON] = {
                "submissions": count.submissions,
                "drafts": count.drafts,
                "files": count.files,
            }
            await _audit(connection, actor, "purged", slug, None, detail)
    _unlink_all(paths)
    return count


def _criteria_query(slug: str, criteria: Criteria) -> Any:
    """The submissions `criteria` selects; answer filters use the indexed answer_value rows."""
    query = Response.filter(form_slug=slug, status=SUBMITTED)
    if criteria.review_status is not None:
        same = Q(review_status=criteria.review_status)
        query = query.filter(same | Q(review_status__isnull=True) if criteria.unset_is_status else same)
    if criteria.submitted_from is not None:
        query = query.filter(submitted_at__gte=criteria.submitted_from)
    if criteria.submitted_before is not None:
        query = query.filter(submitted_at__lt=criteria.submitted_before)
    for question_id, value in criteria.answers:
        matching = AnswerValue.filter(form_slug=slug, question_id=question_id, value=value)
        query = query.filter(id__in=Subquery(matching.values("response_id")))
    if criteria.tag is not None:
        tagged = ResponseTag.filter(tag__form_slug=slug, tag__name=criteria.tag)
        query = query.filter(id__in=Subquery(tagged.values("response_id")))
    if criteria.search:
        answers = Answer.filter(response__form_slug=slug, value__icontains=criteria.search)
        if criteria.search_keys is not None:
            answers = answers.filter(question_id__in=sorted(criteria.search_keys))
        query = query.filter(
            Q(reference__icontains=criteria.search) | Q(id__in=Subquery(answers.values("response_id")))
        )
    return query


async def _tags_of(
    connection: BaseDBAsyncClient, keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, ...]]:
    found: dict[uuid.UUID, list[str]] = {}
    if keys:
        rows = (
            await ResponseTag.filter(response_id__in=keys)
            .using_db(connection)
            .order_by("tag__name")
            .values_list("response_id", "tag__name")
        )
        for response_id, name in rows:
            found.setdefault(uuid.UUID(str(response_id)), []).append(str(name))
    return {key: tuple(names) for key, names in found.items()}


async def _reviewed_row(connection: BaseDBAsyncClient, slug: str, reference: str) -> Response:
    if "\x00" in reference:
        raise NotFound(f"no submission {reference!r}")
    response = (
        await Response.filter(form_slug=slug, reference=reference.upper(), status=SUBMITTED)
        .using_db(connection)
        .select_for_update()
        .first()
    )
    if response is None:
        raise NotFound(f"form {slug!r} has no submission {reference!r}")
    return response


async def _file_paths(connection: BaseDBAsyncClient, keys: Sequence[uuid.UUID]) -> list[str]:
    if not keys:
        return []
    rows = (
        await UploadedFile.filter(response_id__in=keys, path__not_isnull=True)
        .using_db(connection)
        .values_list("path", flat=True)
    )
    return [str(path) for path in rows]


async def _audit(
    connection: BaseDBAsyncClient,
    actor: str,
    action: str,
    slug: str | None,
    reference: str | None,
    detail: Mapping[str, JSON],
) -> None:
    await AuditEvent.create(
        at=_now(),
        actor=actor,
        action=action,
        form_slug=slug,
        reference=reference,
        detail=_dump(dict(detail)),
        using_db=connection,
    )


# --- files ------------------------------------------------------------------------------------------


async def store_file(
    draft_id: str,
    question_id: str,
    filename: str,
    content_type: str,
    data: bytes,
    *,
    upload_dir: Path | None = None,
) -> StoredFile:
    """Keep an uploaded file for a draft, in the database or (with `upload_dir`) as a file there."""
    key = _parse_id(draft_id, "draft")
    for text, what in (
        (question_id, "the question id"),
        (filename, "the file name"),
        (content_type, "the content type"),
    ):
        _check_text(text, what)
    file_id = uuid.uuid4()
    checksum = hashlib.sha256(data).hexdigest()
    path = None if upload_dir is None else _write_durably(upload_dir / file_id.hex, data)
    try:
        async with writing() as connection:
            await _locked_draft(connection, key)
            row = await UploadedFile.create(
                id=file_id,
                response_id=key,
                question_id=question_id,
                filename=filename,
                content_type=content_type,
                size=len(data),
                sha256=checksum,
                data=data if path is None else None,
                path=None if path is None else str(path),
                created_at=_now(),
                using_db=connection,
            )
    except BaseException:
        if path is not None:
            _unlink_all([str(path)])
        raise
    return _as_stored_file(row)


async def get_file(file_id: str) -> tuple[StoredFile, bytes]:
    """A stored file and its bytes; raises StorageError if the bytes no longer match their checksum."""
    key = _parse_id(file_id, "file")
    row = await UploadedFile.get_or_none(id=key)
    if row is None:
        raise NotFound(f"no file with id {file_id!r}")
    data = bytes(row.data or b"") if row.path is None else await asyncio.to_thread(Path(row.path).read_bytes)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise StorageError(f"file {file_id} is damaged: its bytes no longer match their checksum")
    return _as_stored_file(row), data


async def delete_file(file_id: str) -> bool:
    """Delete a draft's file; False if there was none. A submitted response's files are kept."""
    key = _parse_id(file_id, "file")
    async with writing() as connection:
        row = await UploadedFile.filter(id=key).using_db(connection).select_related("response").first()
        if row is None:
            return False
        if row.response.status != DRAFT:
            raise AlreadySubmitted(f"file {file_id} belongs to a submitted response")
        await row.delete(using_db=connection)
    if row.path is not None:
        _unlink_all([row.path])
    return True


def _write_durably(path: Path, data: bytes) -> Path:
    """Write the file and fsync it and its directory, so the row never points at lost bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


def _unlink_all(paths: Iterable[str]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)


# --- reading rows ----------------------------------------------------------------------------------

#: A draft with its form version and its answers, one row per answer (or one row with no answer).
#: Every page a respondent opens reads its draft, so this is one statement: one round trip to the
#: database (on SQLite, one hop to aiosqlite's thread) and no transaction to begin and end.
_DRAFT_QUERY = (
    "SELECT r.id, r.form_slug, r.language, r.status, r.started_at, r.updated_at, r.reference,"
    " r.seen_pages, v.version, a.question_id, a.value"
    " FROM response r JOIN form_version v ON v.id = r.form_version_id"
    " LEFT JOIN answer a ON a.response_id = r.id"
    " WHERE {where} ORDER BY a.id"
)
_PLACEHOLDER = re.compile(r"\?")


def _positional(sql: str, dialect: str) -> str:
    """Parameters as the dialect writes them: "a = ? AND b = ?" -> "a = $1 AND b = $2" on PostgreSQL."""
    if dialect != "postgres":
        return sql
    numbers = iter(range(1, sql.count("?") + 1))
    return _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", sql)


async def _read_draft(
    where: str, values: list[object], *, connection: BaseDBAsyncClient | None = None, lock: bool = False
) -> Draft | None:
    """The draft the condition `where` (on `response r`, with ? parameters) picks, or None.

    With `lock`, inside a write transaction, the draft's row stays locked until it ends (PostgreSQL;
    SQLite's IMMEDIATE transaction already lets one writer in at a time).
    """
    connection = connection or Response._meta.db
    dialect = connection.capabilities.dialect
    if dialect != "postgres":
        # SQLite keeps UUIDs as text, as tortoise writes them.
        values = [str(value) if isinstance(value, uuid.UUID) else value for value in values]
    sql = _DRAFT_QUERY.format(where=where)
    if lock and dialect == "postgres":
        sql += " FOR UPDATE OF r"
    sql = _positional(sql, dialect)
    beside = reader(connection)
    if beside is not None:
        # Not queued behind a save's transaction and fsync on the writer's connection.
        rows: Sequence[Any] = beside.execute(sql, values).fetchall()
    else:
        _, rows = await connection.execute_query(sql, values)
    return _draft_of(rows)


def _draft_of(rows: Sequence[Any]) -> Draft | None:
    """The draft in the rows of _DRAFT_QUERY (one per answer), or None when there are none."""
    if not rows:
        return None
    first = rows[0]
    answers: dict[str, JSON] = {row[9]: json.loads(row[10]) for row in rows if row[9] is not None}
    fields_map = Response._meta.fields_map
    return Draft(
        id=str(first[0]),
        form_slug=first[1],
        version=first[8],
        language=first[2],
        answers=MappingProxyType(answers),
        status=SUBMITTED if first[3] == SUBMITTED else DRAFT,
        started_at=fields_map["started_at"].to_python_value(first[4]),
        updated_at=fields_map["updated_at"].to_python_value(first[5]),
        reference=first[6],
        seen_pages=_seen_pages(first[7]),
    )


async def _response(connection: BaseDBAsyncClient, key: uuid.UUID, *, lock: bool = False) -> Response:
    query = Response.filter(id=key).using_db(connection)
    if lock:
        # Serialises saves and submits of one draft on PostgreSQL; SQLite's IMMEDIATE
        # transaction already lets one writer in at a time.
        query = query.select_for_update()
    response = await query.first()
    if response is None:
        raise NotFound(f"no draft with id {key}")
    await response.fetch_related("form_version", using_db=connection)
    return response


async def _locked_draft(connection: BaseDBAsyncClient, key: uuid.UUID) -> Response:
    response = await _response(connection, key, lock=True)
    if response.status != DRAFT:
        raise AlreadySubmitted(f"draft {key} has been submitted as {response.reference}")
    return response


async def _answers_of(
    connection: BaseDBAsyncClient, keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, JSON]]:
    found: dict[uuid.UUID, dict[str, JSON]] = {key: {} for key in keys}
    if keys:
        rows = (
            await Answer.filter(response_id__in=keys)
            .using_db(connection)
            .order_by("id")
            .values_list("response_id", "question_id", "value")
        )
        for response_id, question_id, value in rows:
            found[uuid.UUID(str(response_id))][question_id] = json.loads(value)
    return found


async def _submission(connection: BaseDBAsyncClient, response: Response) -> Submission:
    answers = (await _answers_of(connection, [response.id]))[response.id]
    return _as_submission(response, answers)


def _as_submission(response: Response, answers: dict[str, JSON]) -> Submission:
    if response.reference is None or response.submitted_at is None:
        raise StorageError(f"response {response.id} is not submitted")
    return Submission(
        reference=response.reference,
        draft_id=str(response.id),
        form_slug=response.form_slug,
        version=response.form_version.version,
        language=response.language,
        answers=MappingProxyType(answers),
        started_at=response.started_at,
        submitted_at=response.submitted_at,
        review_status=response.review_status,
    )


def _as_stored_file(row: UploadedFile) -> StoredFile:
    return StoredFile(
        id=str(row.id),
        draft_id=str(row.response_id),  # type: ignore[attr-defined]
        question_id=row.question_id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
    )


def _answer_value_rows(key: uuid.UUID, slug: str, answers: Mapping[str, JSON]) -> Iterator[AnswerValue]:
    for question_id, text in _indexed_rows(answers):
        yield AnswerValue(response_id=key, form_slug=slug, question_id=question_id, value=text)


def _indexed_rows(answers: Mapping[str, JSON]) -> Iterator[tuple[str, str]]:
    """(question id, value) for each indexed value: {"a": ["x", "y"]} -> ("a", "x"), ("a", "y")."""
    for question_id, value in answers.items():
        for text in _indexed_values(value):
            yield question_id, text


async def _assign_reference(connection: BaseDBAsyncClient, key: uuid.UUID, prefix: str) -> str:
    """Give the response a reference no other response has, retrying on the rare collision."""
    for _ in range(_REFERENCE_ATTEMPTS):
        reference = _new_reference(prefix)
        try:
            # A savepoint, so a collision rolls back only this update and not the submission.
            async with in_transaction() as savepoint:
                await Response.filter(id=key).using_db(savepoint).update(reference=reference)
        except IntegrityError:
            continue
        return reference
    raise StorageError(f"could not find an unused reference after {_REFERENCE_ATTEMPTS} attempts")


# --- exports and summaries -----------------------------------------------------------------------------
# Read-only queries over the submissions a `Criteria` selects (the review list's filter), so a summary
# or an export covers exactly the responses the list shows. Whole sets are read in keyset batches
# (ordered by submitted_at and id, each batch starting after the last row of the one before), never
# all at once and never by OFFSET, so memory and time per batch stay flat however large the form.

#: Responses per batch of an export: big enough to amortise a round trip, small enough to stay flat
#: (5,000 saved little more CPU than 2,000 and held 14 MB more at its peak).
EXPORT_BATCH_SIZE = 2000


@dataclass(frozen=True)
class StoredVersion:
    """A recorded version of a form: its version hash, what `record_form_version` was given, when."""

    version: str
    definition: JSON
    first_seen: dt.datetime


@dataclass(frozen=True)
class ExportRecord:
    """One submission as an export writes it: its stored JSON answers and what reviewers added."""

    reference: str
    submitted_at: dt.datetime
    version: str
    language: str
    review_status: str | None
    tags: tuple[str, ...]
    answers: Mapping[str, JSON]


@dataclass(frozen=True)
class TextAnswer:
    """A free-text answer listed in a summary, with the submission's reference and tags."""

    reference: str
    submitted_at: dt.datetime
    text: str
    tags: tuple[str, ...]


async def form_versions(slug: str) -> list[StoredVersion]:
    """Every recorded version of a form, the first seen first."""
    rows = (
        await FormVersion.filter(slug=slug)
        .order_by("first_seen", "id")
        .values_list("version", "definition", "first_seen")
    )
    return [StoredVersion(str(version), json.loads(text), at) for version, text, at in rows]


async def export_batches(
    slug: str, criteria: Criteria, *, batch_size: int = EXPORT_BATCH_SIZE
) -> AsyncIterator[list[ExportRecord]]:
    """The submissions `criteria` selects, oldest first, `batch_size` at a time, with answers and tags.

    Each batch is two statements read as the driver returns them (tortoise converting every UUID
    and datetime took much of an export's time), and each submission's answers are the one JSON text
    stored when it was submitted. A submission without that text (none should be: migration 0007
    filled them) has its answers assembled from its answer rows instead.
    """
    versions = {
        int(key): str(version)
        for key, version in await FormVersion.filter(slug=slug).values_list("id", "version")
    }
    last: tuple[dt.datetime, object] | None = None
    while True:
        async with in_transaction() as connection:
            query = _criteria_query(slug, criteria).using_db(connection)
            if last is not None:
                # The >= lets the (form, status, submitted_at) index start the scan at the last row.
                after = Q(submitted_at__gt=last[0]) | Q(id__gt=last[1])
                query = query.filter(Q(submitted_at__gte=last[0]) & after)
            rows = await _stored_rows(
                connection,
                query.order_by("submitted_at", "id")
                .limit(batch_size)
                .values_list(
                    "id",
                    "reference",
                    "submitted_at",
                    "form_version_id",
                    "language",
                    "review_status",
                    "submitted_answers",
                ),
            )
            if not rows:
                return
            keys = [row[0] for row in rows]
            unstored = [row[0] for row in rows if row[6] is None]
            assembled = await _answer_objects(connection, unstored) if unstored else {}
            tags = await _tag_names(connection, keys)
        # One decode for the whole batch: a json.loads call per submission cost more than the parsing.
        documents = json.loads("[" + ",".join("null" if row[6] is None else row[6] for row in rows) + "]")
        yield [
            ExportRecord(
                reference=reference,
                submitted_at=_stored_datetime(submitted_at),
                version=versions.get(version_key, ""),
                language=language,
                review_status=status,
                tags=tags.get(key, ()),
                answers=assembled.get(key, {}) if answers is None else answers,
            )
            for (key, reference, submitted_at, version_key, language, status, _), answers in zip(
                rows, documents, strict=True
            )
        ]
        last = (_stored_datetime(rows[-1][2]), keys[-1])


async def count_values(
    slug: str, question_ids: Iterable[str], criteria: Criteria
) -> dict[str, dict[str, int]]:
    """How many of the selected submissions gave each value, per question, from the indexed rows.

    {"role": {"carer": 120, "young_person": 80}, "lives_here": {"true": 150, "false": 50}}
    """
    wanted = sorted(set(question_ids))
    if not wanted:
        return {}
    query = _selected_values(slug, criteria).filter(question_id__in=wanted)
    rows = (
        await query.group_by("question_id", "value")
        .annotate(count=Count("id"))
        .values_list("question_id", "value", "count")
    )
    found: dict[str, dict[str, int]] = {question_id: {} for question_id in wanted}
    for question_id, value, count in rows:
        found[str(question_id)][str(value)] = int(count)
    return found


async def submissions_per_hour(slug: str, criteria: Criteria) -> list[tuple[dt.datetime, int]]:
    """How many selected submissions arrived in each UTC hour that had any, oldest first.

    Grouped by the database, so a form with 100,000 responses sends back a few hundred rows; hours
    (not days) so the caller can count days in Europe/London, whose offset is always whole hours.
    """
    async with in_transaction() as connection:
        dialect = connection.capabilities.dialect
    # SQLite keeps tortoise datetimes as ISO text in UTC ("2026-11-26 09:41:07.123456+00:00").
    hour = (
        "to_char(\"submitted_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
        if dialect == "postgres"
        else 'substr("submitted_at", 1, 13)'
    )
    rows = (
        await _criteria_query(slug, criteria)
        .annotate(hour=RawSQL(hour), count=Count("id"))
        .group_by("hour")
        .order_by("hour")
        .values_list("hour", "count")
    )
    return [
        (dt.datetime.strptime(str(text), "%Y-%m-%d %H").replace(tzinfo=dt.UTC), int(count))
        for text, count in rows
    ]


async def answer_batches(
    slug: str, question_ids: Iterable[str], criteria: Criteria, *, batch_size: int = EXPORT_BATCH_SIZE
) -> AsyncIterator[list[tuple[str, JSON]]]:
    """The stored answers to `question_ids` of the selected submissions, as (question id, value), in
    batches: for counting answers that have no indexed rows (grids)."""
    wanted = sorted(set(question_ids))
    if not wanted:
        return
    selected = Subquery(_criteria_query(slug, criteria).values("id"))
    last = 0
    while True:
        rows = (
            await Answer.filter(question_id__in=wanted, response_id__in=selected, id__gt=last)
            .order_by("id")
            .limit(batch_size)
            .values_list("id", "question_id", "value")
        )
        if not rows:
            return
        last = int(rows[-1][0])
        yield [(str(question_id), json.loads(value)) for _, question_id, value in rows]


async def latest_text_answers(
    slug: str, question_id: str, criteria: Criteria, *, limit: int = 50
) -> tuple[int, list[TextAnswer]]:
    """How many selected submissions answered a text question, and the newest `limit` answers.

    Read from the submissions' side, newest first along their (form, status, submitted_at) index,
    each joined to its one answer to the question, so the newest few are found without sorting
    every answer the form has.
    """
    query = _criteria_query(slug, criteria).filter(answers__question_id=question_id)
    async with in_transaction() as connection:
        total = await query.using_db(connection).count()
        rows = (
            await query.using_db(connection)
            .order_by("-submitted_at", "-id")
            .limit(limit)
            .values_list("id", "answers__value", "reference", "submitted_at")
        )
        keys = [uuid.UUID(str(row[0])) for row in rows]
        tags = await _tags_of(connection, keys)
    answers = [
        TextAnswer(str(reference), submitted_at, text, tags.get(key, ()))
        for key, (_, value, reference, submitted_at) in zip(keys, rows, strict=True)
        if isinstance(text := json.loads(value), str)
    ]
    return int(total), answers


def _selected_values(slug: str, criteria: Criteria) -> Any:
    """The indexed answer values of the submissions `criteria` selects.

    Only submissions have indexed values, so with no criteria the subquery is left out: counting a
    whole form then reads the (form, question, value) index alone.
    """
    query = AnswerValue.filter(form_slug=slug)
    if criteria != Criteria():
        query = query.filter(response_id__in=Subquery(_criteria_query(slug, criteria).values("id")))
    return query


#: The answers of a batch of submissions as one JSON object each, assembled from the stored JSON
#: texts (nothing is parsed by the database), keys in question id order.
_BATCH_ANSWERS = {
    "sqlite": (
        # Read along the (response, question) index, so each object comes out in question id order.
        "SELECT response_id, '{' || group_concat(json_quote(question_id) || ':' || value, ',') || '}'"
        " FROM answer WHERE response_id IN (SELECT value FROM json_each(?)) GROUP BY response_id"
    ),
    "postgres": (
        "SELECT response_id,"
        " '{' || string_agg(to_json(question_id)::text || ':' || value, ',' ORDER BY question_id) || '}'"
        " FROM answer WHERE response_id = ANY($1::uuid[]) GROUP BY response_id"
    ),
}
#: The tags of a batch of submissions, each submission's in name order.
_BATCH_TAGS = {
    "sqlite": (
        "SELECT rt.response_id, t.name FROM response_tag rt JOIN tag t ON t.id = rt.tag_id"
        " WHERE rt.response_id IN (SELECT value FROM json_each(?)) ORDER BY t.name"
    ),
    "postgres": (
        "SELECT rt.response_id, t.name FROM response_tag rt JOIN tag t ON t.id = rt.tag_id"
        " WHERE rt.response_id = ANY($1::uuid[]) ORDER BY t.name"
    ),
}


async def _stored_rows(connection: BaseDBAsyncClient, query: Any) -> Sequence[Any]:
    """The rows of a tortoise query as the driver returns them: UUIDs and datetimes as stored
    (text on SQLite), without tortoise converting each value (what `query.sql()` runs, with its
    parameters)."""
    query._make_query()
    sql, values = query.query.get_parameterized_sql()
    _, rows = await connection.execute_query(sql, values)
    return rows


def _stored_datetime(value: dt.datetime | str) -> dt.datetime:
    """A datetime as the driver returned it: "2026-11-26 09:41:07.123456+00:00" (SQLite) -> aware."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def _keys_parameter(connection: BaseDBAsyncClient, keys: Sequence[object]) -> object:
    """Response ids as one parameter: a JSON array for SQLite's json_each, a uuid[] for PostgreSQL."""
    if connection.capabilities.dialect == "postgres":
        return list(keys)
    return json.dumps([str(key) for key in keys])


async def _answer_objects(
    connection: BaseDBAsyncClient, keys: Sequence[object]
) -> dict[object, dict[str, JSON]]:
    """The answers of each response in `keys` (ids as the driver returns them), decoded once each."""
    sql = _BATCH_ANSWERS[connection.capabilities.dialect]
    _, rows = await connection.execute_query(sql, [_keys_parameter(connection, keys)])
    return {key: json.loads(text) for key, text in rows}


async def _tag_names(connection: BaseDBAsyncClient, keys: Sequence[object]) -> dict[object, tuple[str, ...]]:
    sql = _BATCH_TAGS[connection.capabilities.dialect]
    _, rows = await connection.execute_query(sql, [_keys_parameter(connection, keys)])
    found: dict[object, list[str]] = {}
    for key, name in rows:
        found.setdefault(key, []).append(name)
    return {key: tuple(names) for key, names in found.items()}
