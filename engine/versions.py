"""Form definitions as stored versions: publishing, the live version, diffs and the orphaning check.

Every version of a form is a row in the database (engine.storage.FormVersion) holding its YAML. The
live version of a form is the one published most recently, so every worker, on every machine,
serves the same one: each worker's `Library` asks the database for the live versions about once a
second and builds a `Form` only when one has changed. A file in forms/ is published when its content
is new; a file that fails the checker is reported (`Library.problems`) and the last good version
stays live. An upload is stored unpublished and goes live only when an author confirms it.

    library = Library(forms_dir=Path("forms"))
    await library.start()            # store and publish new file versions, then serve the live ones
    library.forms["board"]           # the live Form, looked up without touching the database
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from engine import storage
from engine.definition import Form, Option, Question
from engine.loader import DefinitionError, DefinitionErrors, load_form, load_form_text

logger = logging.getLogger("coform.versions")

#: How often a worker asks the database which versions are live (and, when watching, looks at forms/).
CHECK_INTERVAL_SECONDS = 1.0


# --- what is stored with a version -------------------------------------------------------------------


def definition_record(form: Form, yaml_text: str | None) -> dict[str, str]:
    """What is kept of a version: its title, where it came from and, whenever known, its YAML, which is
    what lets another worker (or a later reader of old answers) rebuild the form."""
    record = {"slug": form.slug, "title": form.title.default, "source_path": form.source_path}
    if yaml_text is not None:
        record["yaml"] = yaml_text
    return record


def file_text(form: Form) -> str | None:
    """The YAML of a form read from a file, if the file on disk still holds that version."""
    source = Path(form.source_path)
    if not source.is_file():
        return None
    data = source.read_bytes()
    return data.decode("utf-8") if hashlib.sha256(data).hexdigest() == form.version else None


def form_from_record(slug: str, version: str, record: storage.JSON) -> Form | None:
    """Rebuild a stored version from its YAML; None when none was kept or it no longer checks out."""
    if not isinstance(record, dict) or not isinstance(record.get("yaml"), str):
        return None
    source = record.get("source_path")
    path = source if isinstance(source, str) and Path(source).stem == slug else f"{slug}.yaml"
    try:
        form = load_form_text(str(record["yaml"]), path)
    except DefinitionErrors:
        return None
    return form if form.version == version else None


# --- the forms a worker serves --------------------------------------------------------------------------


class LiveForms(Mapping[str, Form]):
    """A read-only view of the forms being served now: `app.state.forms`.

    Request handlers look a form up here on every request; the library swaps the dict behind it, so
    a lookup is one dictionary read and never waits for the database.
    """

    def __init__(self, library: Library) -> None:
        self._library = library

    def __getitem__(self, slug: str) -> Form:
        return self._library.live[slug]

    def __iter__(self) -> Iterator[str]:
        return iter(self._library.live)

    def __len__(self) -> int:
        return len(self._library.live)


@dataclass(frozen=True)
class _FileState:
    mtime_ns: int
    size: int


class Library:
    """The definitions one worker knows: files in forms/ (if any), forms handed over in code (tests),
    versions rebuilt from the database, what is live now, and the problems found in files."""

    def __init__(self, forms_dir: Path | None = None, preset: Mapping[str, Form] | None = None) -> None:
        self.forms_dir = forms_dir
        self.live: Mapping[str, Form] = MappingProxyType(dict(preset or {}))
        self.forms = LiveForms(self)
        #: Checker errors of files in forms/, by file path; the file's last good version stays live.
        self.problems: dict[str, tuple[DefinitionError, ...]] = {}
        self._known: dict[tuple[str, str], Form] = {}
        self._texts: dict[tuple[str, str], str] = {}
        for form in (preset or {}).values():
            self._known[(form.slug, form.version)] = form
            if (text := file_text(form)) is not None:
                self._texts[(form.slug, form.version)] = text
        self._unbuildable: set[tuple[str, str]] = set()
        self._files: dict[Path, _FileState] = {}
        self._lock = asyncio.Lock()
        self._checked_at = 0.0
        if forms_dir is not None:
            self._read_files(forms_dir)

    # --- start-up and keeping current

    async def start(self) -> None:
        """Store every version this worker has read and publish those never published, then serve
        the live ones. Several workers starting at once store and publish each version once."""
        for (slug, version), form in self._known.items():
            await storage.record_form_version(
                slug, version, definition_record(form, self._texts.get((slug, version)))
            )
            await storage.publish_form_version(slug, version, if_never_published=True)
        await self.refresh()

    async def refresh(self) -> None:
        """Serve the live version of every form, building a Form only for a version new to this worker."""
        async with self._lock:
            live = await storage.live_form_versions()
            serving: dict[str, Form] = {}
            for slug, version in live.items():
                form = await self._form(slug, version)
                if form is None:
                    # A version stored without YAML (made in code, in tests) can only be served by the
                    # worker that made it; any other keeps what it served before.
                    form = self.live.get(slug)
                if form is not None:
                    serving[slug] = form
            self.live = MappingProxyType(serving)
            self._checked_at = time.monotonic()

    async def keep_current(self, watch_files: bool, interval: float = CHECK_INTERVAL_SECONDS) -> None:
        """Run until cancelled: follow the live versions and, in development, changes to forms/."""
        while True:
            await asyncio.sleep(interval)
            try:
                if watch_files:
                    await self.check_files()
                await self.refresh()
            except Exception:
                # A database hiccup must not stop the loop: the forms served stay as they were.
                logger.exception("Could not check which form versions are live")

    async def check_files(self) -> list[str]:
        """Check the files in forms/ that changed since last looked at; publish each good one.

        Returns the slugs published. A broken file is recorded in `problems` and logged, and its
        form's last good version stays live.
        """
        if self.forms_dir is None:
            return []
        published: list[str] = []
        for path in sorted(self.forms_dir.rglob("*.yaml")):
            state = _state_of(path)
            if state is None or self._files.get(path) == state:
                continue
            self._files[path] = state
            form = self._load_file(path)
            if form is None:
                continue
            key = (form.slug, form.version)
            await storage.record_form_version(
                form.slug, form.version, definition_record(form, self._texts[key])
            )
            if await storage.publish_form_version(form.slug, form.version):
                published.append(form.slug)
        if published:
            await self.refresh()
        return published

    # --- uploads and any stored version

    async def store_upload(self, text: str, filename: str) -> Form:
        """Check an uploaded definition and store it unpublished; raises DefinitionErrors if broken."""
        form = load_form_text(text, filename)
        self._remember(form, text)
        await storage.record_form_version(
            form.slug, form.version, definition_record(form, text), source="upload"
        )
        return form

    async def publish(self, slug: str, version: str) -> None:
        """Make a stored version live for every worker (this one at once, the others within a second)."""
        await storage.publish_form_version(slug, version)
        await self.refresh()

    async def stored_form(self, slug: str, version: str) -> Form | None:
        """Any stored version of a form, built from its YAML (None if unknown or not rebuildable)."""
        return await self._form(slug, version)

    def problems_of(self, slug: str) -> tuple[DefinitionError, ...]:
        """Checker errors of the file (or files) for this slug, in file order."""
        return tuple(
            error
            for path, errors in sorted(self.problems.items())
            if Path(path).stem == slug
            for error in errors
        )

    # --- inside

    def _read_files(self, directory: Path) -> None:
        """Read every file once; until start() has asked the database, the good ones are served."""
        read: dict[str, Form] = {}
        for path in sorted(directory.rglob("*.yaml")):
            state = _state_of(path)
            if state is None:
                continue
            self._files[path] = state
            form = self._load_file(path)
            if form is None:
                continue
            if form.slug in read:
                self._forget(form)
                self.problems[str(path)] = (
                    DefinitionError(
                        str(path),
                        1,
                        1,
                        f"another form is also called '{form.slug}' ({read[form.slug].source_path})",
                        "rename one of the files; the file name is the form's address",
                    ),
                )
                continue
            read[form.slug] = form
        self.live = MappingProxyType(read)

    def _load_file(self, path: Path) -> Form | None:
        try:
            form = load_form(path)
        except DefinitionErrors as found:
            self.problems[str(path)] = found.errors
            for error in found.errors:
                logger.error("Form file not published: %s", error)
            return None
        except OSError as problem:
            logger.error("Form file not read: %s: %s", path, problem)
            return None
        self.problems.pop(str(path), None)
        self._remember(form, path.read_bytes().decode("utf-8"))
        return form

    def _remember(self, form: Form, text: str) -> None:
        self._known[(form.slug, form.version)] = form
        self._texts[(form.slug, form.version)] = text

    def _forget(self, form: Form) -> None:
        self._known.pop((form.slug, form.version), None)
        self._texts.pop((form.slug, form.version), None)

    async def _form(self, slug: str, version: str) -> Form | None:
        key = (slug, version)
        if key in self._known:
            return self._known[key]
        if key in self._unbuildable:
            return None
        try:
            record = await storage.form_version_definition(slug, version)
        except storage.NotFound:
            return None
        form = form_from_record(slug, version, record)
        if form is None:
            logger.warning("Form %s version %s has no usable definition stored", slug, version[:12])
            self._unbuildable.add(key)
            return None
        self._known[key] = form
        return form


def _state_of(path: Path) -> _FileState | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return _FileState(stat.st_mtime_ns, stat.st_size)


# --- what changed between two versions ---------------------------------------------------------------

ChangeKind = Literal[
    "page_added",
    "page_removed",
    "question_added",
    "question_removed",
    "question_renamed",
    "question_reworded",
    "type_changed",
    "option_added",
    "option_removed",
    "option_reworded",
]


@dataclass(frozen=True)
class Change:
    """One difference between two versions, said in a sentence an author can read."""

    kind: ChangeKind
    subject: str
    sentence: str

    def __str__(self) -> str:
        return self.sentence


def diff(old: Form, new: Form) -> tuple[Change, ...]:
    """What changed from `old` to `new`: pages and questions added or removed, renamed (replaces:),
    reworded or retyped, and options added, removed or reworded. Content blocks are left out.

    A label "Your name" becoming "Full name" gives the change
    Change("question_reworded", "name", 'Reworded question name: "Your name" is now "Full name"').
    """
    changes: list[Change] = []
    old_pages, new_pages = {p.id for p in old.pages}, {p.id for p in new.pages}
    for page in new.pages:
        if page.id not in old_pages:
            changes.append(Change("page_added", page.id, f"Added page {page.id}"))
    for page in old.pages:
        if page.id not in new_pages:
            changes.append(Change("page_removed", page.id, f"Removed page {page.id}"))
    old_questions = _answerable(old)
    matched: set[str] = set()
    for question in _answerable(new).values():
        before = _predecessor(question, old_questions)
        if before is None:
            label = _quoted(question.label.default)
            changes.append(
                Change(
                    "question_added",
                    question.id,
                    f"Added question {question.id} ({label}) on page {new.page_of[question.id].id}",
                )
            )
            continue
        matched.add(before.id)
        changes.extend(_question_changes(before, question))
    for question in old_questions.values():
        if question.id not in matched:
            label = _quoted(question.label.default)
            changes.append(
                Change("question_removed", question.id, f"Removed question {question.id} ({label})")
            )
    return tuple(changes)


def _question_changes(before: Question, after: Question) -> Iterator[Change]:
    name = after.id
    if before.id != after.id:
        yield Change("question_renamed", name, f"Question {before.id} is now called {after.id}")
    if before.label.default != after.label.default:
        yield Change(
            "question_reworded",
            name,
            f"Reworded question {name}: {_quoted(before.label.default)} "
            f"is now {_quoted(after.label.default)}",
        )
    if before.type != after.type:
        yield Change("type_changed", name, f"Question {name} was {before.type} and is now {after.type}")
    for kind, old_options, new_options in (
        ("option", before.options, after.options),
        ("statement", before.statements, after.statements),
    ):
        yield from _option_changes(name, kind, old_options, new_options)


def _option_changes(
    name: str, kind: str, old_options: tuple[Option, ...], new_options: tuple[Option, ...]
) -> Iterator[Change]:
    old_by_value = {option.value: option for option in old_options}
    kept: set[str] = set()
    for option in new_options:
        before = old_by_value.get(option.value) or old_by_value.get(option.replaces or "")
        label = _quoted(option.label.default)
        if before is None:
            yield Change("option_added", name, f"Added {kind} {option.value} ({label}) to question {name}")
            continue
        kept.add(before.value)
        if before.label.default != option.label.default:
            yield Change(
                "option_reworded",
                name,
                f"Reworded {kind} {option.value} of question {name}: "
                f"{_quoted(before.label.default)} is now {label}",
            )
    for option in old_options:
        if option.value not in kept:
            label = _quoted(option.label.default)
            yield Change(
                "option_removed", name, f"Removed {kind} {option.value} ({label}) from question {name}"
            )


# --- would answers be orphaned? ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Orphaning:
    """A change that leaves answers already given with nowhere to go, and how to avoid it."""

    question_id: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.message}. Fix: {self.fix}"


def orphaned_answers(old: Form, new: Form) -> tuple[Orphaning, ...]:
    """Changes from `old` to `new` that would orphan answers given to `old`.

    A question id or option value that is gone, or a question kept under its id with another type,
    orphans answers, unless a question or option of `new` says `replaces:` the old id or value.
    """
    found: list[Orphaning] = []
    new_questions = _answerable(new)
    replaced = {q.replaces: q for q in new_questions.values() if q.replaces}
    for question in _answerable(old).values():
        after = replaced.get(question.id)
        if after is None:
            after = new_questions.get(question.id)
            if after is None:
                found.append(
                    Orphaning(
                        question.id,
                        f"question {question.id} has gone, so the answers given to it would be orphaned",
                        f"put it back, or add replaces: {question.id} to the question that takes its place",
                    )
                )
                continue
            if after.type != question.type:
                found.append(
                    Orphaning(
                        question.id,
                        f"question {question.id} was {question.type} and is now {after.type}, "
                        "so the answers already given would not fit it",
                        f"give the new question another id and replaces: {question.id}",
                    )
                )
                continue
        for kind, before, now in (
            ("option", question.options, after.options),
            ("statement", question.statements, after.statements),
        ):
            kept = {o.value for o in now} | {o.replaces for o in now if o.replaces}
            for option in before:
                if option.value not in kept:
                    found.append(
                        Orphaning(
                            question.id,
                            f"{kind} {option.value} of question {question.id} has gone, "
                            "so the answers choosing it would be orphaned",
                            f"put it back, or add replaces: {option.value} "
                            f"to the {kind} that takes its place",
                        )
                    )
    return tuple(found)


def _answerable(form: Form) -> dict[str, Question]:
    return {q.id: q for q in form.iter_questions() if not q.is_content}


def _predecessor(question: Question, old_questions: Mapping[str, Question]) -> Question | None:
    """The question of the old version this one continues: the one it replaces, else its namesake."""
    if question.replaces and question.replaces in old_questions:
        return old_questions[question.replaces]
    return old_questions.get(question.id)


def _quoted(text: str) -> str:
    return f'"{text}"'
