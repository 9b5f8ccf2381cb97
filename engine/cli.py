"""The `coform` command: check, schema, migrate, serve, ...

Each subcommand is a small function taking parsed arguments and returning an exit code; they are
listed in `build_parser` so `coform --help` shows them all.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.accounts import ROLES, SECOND_FACTOR_ROLES, StaffAccount
from engine.definition import Form
from engine.loader import DefinitionError, DefinitionErrors, language_schema, load_form, load_forms
from engine.settings import Settings


def cmd_check(args: argparse.Namespace) -> int:
    """Check form files (or folders of them): print every mistake and exit 1, or a summary per form."""
    paths: list[Path] = args.paths or [Settings.from_environ().forms_dir]
    forms: list[Form] = []
    errors: list[DefinitionError] = []
    for path in paths:
        if path.is_dir():
            found, problems = load_forms(path)
            forms.extend(found.values())
            errors.extend(problems)
        elif path.is_file():
            try:
                forms.append(load_form(path))
            except DefinitionErrors as problems:
                errors.extend(problems.errors)
        else:
            print(f"{path}: no such file or folder", file=sys.stderr)
            return 2
    if args.stored and not errors:
        import asyncio

        errors.extend(asyncio.run(orphaning_against_stored(forms, Settings.from_environ().database_url)))
    for error in errors:
        print(error)
    if errors:
        print(f"{_count(len(errors), 'mistake')} found", file=sys.stderr)
        return 1
    for form in forms:
        print(summary_line(form))
    return 0


async def orphaning_against_stored(forms: Sequence[Form], database_url: str) -> list[DefinitionError]:
    """Changes in `forms` that would orphan answers given to a version stored in the database: the
    live version and every version someone has answered."""
    from engine import storage
    from engine.versions import form_from_record, orphaned_answers

    found: list[DefinitionError] = []
    async with storage.connect(database_url):
        for form in forms:
            for record in await storage.version_records(form.slug):
                answered = record.drafts or record.submissions or record.published_at is not None
                if record.version == form.version or not answered:
                    continue
                definition = await storage.form_version_definition(form.slug, record.version)
                old = form_from_record(form.slug, record.version, definition)
                if old is None:
                    continue
                found.extend(
                    DefinitionError(
                        form.source_path,
                        1,
                        1,
                        f"{orphan.message} (version {record.version[:12]}, first seen "
                        f"{record.first_seen:%d %B %Y})",
                        orphan.fix,
                    )
                    for orphan in orphaned_answers(old, form)
                )
    return found


def cmd_map(args: argparse.Namespace) -> int:
    """Print the map of a form: its pages, and where each leads and when."""
    from engine.formmap import as_text, build_map

    path: Path = args.form
    if not path.is_file():
        path = Settings.from_environ().forms_dir / f"{args.form}.yaml"
    try:
        form = load_form(path)
    except FileNotFoundError:
        print(f"{args.form}: no such form file, and no {path}", file=sys.stderr)
        return 2
    except DefinitionErrors as problems:
        for error in problems.errors:
            print(error, file=sys.stderr)
        return 1
    print(as_text(build_map(form)), end="")
    return 0


def summary_line(form: Form) -> str:
    """'say-hello: Say hello (1 page, 2 questions, version f24a7b5e1c2d)'."""
    questions = sum(1 for question in form.iter_questions() if not question.is_content)
    return (
        f"{form.slug}: {form.title} ({_count(len(form.pages), 'page')}, {_count(questions, 'question')}, "
        f"version {form.version[:12]})"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of the form language (committed as forms/schema.json)."""
    print(schema_text())
    return 0


def schema_text() -> str:
    return json.dumps(language_schema(), indent=2, ensure_ascii=False)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve coform with uvicorn on 127.0.0.1:8000."""
    import uvicorn

    uvicorn.run("app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring DATABASE_URL's schema up to date; safe while other workers start and do the same."""
    import asyncio

    from engine import storage
    from engine.settings import Settings

    applied = asyncio.run(storage.migrate(Settings.from_environ().database_url))
    print("\n".join(f"applied {name}" for name in applied) or "the database is up to date")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    """Count the outbox's messages and list those given up on (exit 1 when there are any)."""
    import asyncio

    from engine import outbox, storage

    async def report() -> tuple[dict[str, int], list[outbox.FailedMessage]]:
        async with storage.connect(Settings.from_environ().database_url):
            return await outbox.count_by_status(), await outbox.failed_messages()

    counts, failed = asyncio.run(report())
    print(f"{counts[outbox.PENDING]} pending, {counts[outbox.SENT]} sent, {counts[outbox.FAILED]} failed")
    for message in failed:
        about = f" ({message.reference})" if message.reference else ""
        print(
            f"{message.created_at:%Y-%m-%d %H:%M} {message.kind} to {message.to_address}{about}, "
            f"given up after {message.attempts} attempts: {message.last_error}"
        )
    return 1 if failed else 0


def cmd_send_mail(args: argparse.Namespace) -> int:
    """Send the outbox's messages until interrupted, for a deployment that sends outside the web workers."""
    import asyncio
    import signal

    from engine import outbox, storage

    settings = Settings.from_environ()
    if not settings.email_enabled:
        print("Email is not configured (COFORM_SMTP_HOST unset): nothing to send with", file=sys.stderr)
        return 1

    async def send() -> None:
        stop = asyncio.Event()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signal_number, stop.set)
        async with storage.connect(settings.database_url):
            await outbox.run_sender(settings, stop)

    asyncio.run(send())
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete submissions, drafts and files older than each form's retention period, and expired drafts."""
    import asyncio
    import datetime as dt

    from engine import review, storage

    settings = Settings.from_environ()
    forms, errors = load_forms(settings.forms_dir)
    for error in errors:
        print(f"not purged, the form does not load: {error}", file=sys.stderr)

    async def purge() -> tuple[dict[str, storage.PurgeCount], int]:
        now = dt.datetime.now(dt.UTC)
        async with storage.connect(settings.database_url):
            counts = await review.purge_expired(forms.values(), now)
            return counts, await storage.expire_drafts(now - dt.timedelta(days=settings.draft_days))

    counts, expired = asyncio.run(purge())
    for slug, count in sorted(counts.items()):
        print(
            f"{slug}: deleted {_count(count.submissions, 'submission')}, {_count(count.drafts, 'draft')} and "
            f"{_count(count.files, 'file')} older than {_count(forms[slug].retention_days, 'day')}"
        )
    print(f"deleted {_count(expired, 'unsent draft')} not changed for {_count(settings.draft_days, 'day')}")
    return 1 if errors else 0


def cmd_user(args: argparse.Namespace) -> int:
    """Add, list, turn off or reset staff accounts; adding or resetting prints a one-time link."""
    import asyncio

    from engine import accounts, storage

    settings = Settings.from_environ()

    async def run() -> int:
        # Migrating first lets the very first admin be added to a brand-new database.
        await storage.migrate(settings.database_url)
        async with storage.connect(settings.database_url):
            if args.action == "list":
                for user in await accounts.list_users():
                    print(f"{user.email}  {user.role}  {_account_state(user)}")
                return 0
            if args.action == "add":
                staff, token = await accounts.add_user(args.email, args.role)
                print(f"Added {staff.email} as {staff.role}.")
            elif args.action == "reset":
                token = await accounts.reset_user(args.email)
                print(f"Reset {args.email}: their password and authenticator app are forgotten.")
            else:
                await accounts.disable_user(args.email)
                print(f"Turned off {args.email}; they are signed out everywhere.")
                return 0
        days = _count(accounts.SETUP_LINK_LIFETIME.days, "day")
        print(f"Send them this link to set a password. It works once, for {days}:")
        print(_setup_link(settings, token))
        return 0

    try:
        return asyncio.run(run())
    except accounts.AccountError as problem:
        print(problem, file=sys.stderr)
        return 1


def _account_state(user: StaffAccount) -> str:
    if user.disabled:
        return "turned off"
    if not user.has_password:
        return "has not set a password yet"
    if user.role in SECOND_FACTOR_ROLES and not user.has_second_factor:
        return "has not set up an authenticator app yet"
    return "active"


def _setup_link(settings: Settings, token: str) -> str:
    """The whole link when COFORM_PUBLIC_URL is set, else the path to add to coform's address."""
    path = f"/staff/setup/{token}"
    return f"{settings.public_url.rstrip('/')}{path}" if settings.public_url else path


def cmd_import_xlsform(args: argparse.Namespace) -> int:
    """Turn an XLSForm workbook into a coform form: print what was refused or left out, then the YAML."""
    from engine.xlsform import XLSFormError, import_xlsform

    output: Path | None = args.output
    if output is not None and output.exists():
        print(f"{output} already exists; choose another name or delete it first", file=sys.stderr)
        return 1
    try:
        imported = import_xlsform(args.file, slug=output.stem if output is not None else None)
    except (XLSFormError, FileNotFoundError) as problem:
        print(f"{args.file}: {problem}", file=sys.stderr)
        return 1
    for line in imported.report():
        print(line, file=sys.stderr)
    if not imported.ok or imported.yaml is None:
        return 1
    if output is None:
        print(imported.yaml, end="")
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(imported.yaml, encoding="utf-8")
        print(f"wrote {output}; run coform check {output} after editing it", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coform", description="Accessible forms for co-production.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="check form definitions and report every mistake")
    check.add_argument("paths", nargs="*", type=Path, help="form files or folders (default: forms/)")
    check.add_argument(
        "--stored",
        action="store_true",
        help="also flag changes that would orphan answers to the versions stored in DATABASE_URL",
    )
    check.set_defaults(handler=cmd_check)

    form_map = commands.add_parser("map", help="print a form's pages and the routes between them")
    form_map.add_argument("form", type=Path, help="a form file, or the name of a form in forms/")
    form_map.set_defaults(handler=cmd_map)

    schema = commands.add_parser("schema", help="print the JSON Schema of the form language")
    schema.set_defaults(handler=cmd_schema)

    serve = commands.add_parser("serve", help="serve the forms in forms/")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="create or upgrade the database at DATABASE_URL")
    migrate.set_defaults(handler=cmd_migrate)

    outbox = commands.add_parser("outbox", help="count the email outbox and list messages given up on")
    outbox.set_defaults(handler=cmd_outbox)

    send_mail = commands.add_parser("send-mail", help="send the email outbox until stopped")
    send_mail.set_defaults(handler=cmd_send_mail)

    purge = commands.add_parser("purge", help="delete responses and files past each form's retention period")
    purge.set_defaults(handler=cmd_purge)

    user = commands.add_parser("user", help="add, list, turn off or reset staff accounts")
    user_actions = user.add_subparsers(dest="action", required=True)
    user_add = user_actions.add_parser("add", help="add an account and print its set-password link")
    user_add.add_argument("email")
    user_add.add_argument("--role", required=True, choices=ROLES)
    user_actions.add_parser("list", help="list every account")
    for action, about in (
        ("disable", "turn an account off and sign it out everywhere"),
        ("reset", "forget the password and authenticator app, and print a new set-password link"),
    ):
        user_actions.add_parser(action, help=about).add_argument("email")
    user.set_defaults(handler=cmd_user)

    xlsform = commands.add_parser("import-xlsform", help="turn an XLSForm .xlsx workbook into a form")
    xlsform.add_argument("file", type=Path, help="the .xlsx workbook")
    xlsform.add_argument("-o", "--output", type=Path, help="write the form here, e.g. forms/my-form.yaml")
    xlsform.set_defaults(handler=cmd_import_xlsform)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
