"""The `coform` command: check, schema, migrate, serve, ...

Each subcommand is a small function taking parsed arguments and returning an exit code; they are
listed in `build_parser` so `coform --help` shows them all.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coform", description="Accessible forms for co-production.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the forms in forms/")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="create or upgrade the database at DATABASE_URL")
    migrate.set_defaults(handler=cmd_migrate)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
