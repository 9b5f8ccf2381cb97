"""Configuration read once from the environment into a frozen Settings object.

Settings.from_environ({"DATABASE_URL": "postgres://localhost/coform"}).database_url
    == "postgres://localhost/coform"
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything coform reads from its environment; tests build one directly."""

    database_url: str = f"sqlite://{PROJECT_ROOT / 'data' / 'coform.sqlite3'}"
    forms_dir: Path = PROJECT_ROOT / "forms"
    #: Signs cookies and CSRF tokens. Without COFORM_SECRET_KEY a random key is made per process,
    #: which is fine for one local worker but signs people out on restart.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: Cookies carry Secure unless this is turned off for plain-http local development.
    secure_cookies: bool = True
    #: Largest request body accepted, in bytes (uploads included).
    max_body_bytes: int = 25 * 1024 * 1024
    #: Days after the last change before an unsubmitted draft is deleted.
    draft_days: int = 28
    #: Where uploaded files are kept; None keeps them in the database.
    upload_dir: Path | None = None
    debug: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        upload_dir = env.get("COFORM_UPLOAD_DIR")
        return cls(
            database_url=env.get("DATABASE_URL") or defaults.database_url,
            forms_dir=Path(env["COFORM_FORMS_DIR"]) if env.get("COFORM_FORMS_DIR") else defaults.forms_dir,
            secret_key=env.get("COFORM_SECRET_KEY") or defaults.secret_key,
            secure_cookies=_flag(env.get("COFORM_SECURE_COOKIES"), True),
            max_body_bytes=int(env.get("COFORM_MAX_BODY_BYTES") or defaults.max_body_bytes),
            draft_days=int(env.get("COFORM_DRAFT_DAYS") or defaults.draft_days),
            upload_dir=Path(upload_dir) if upload_dir else None,
            debug=_flag(env.get("COFORM_DEBUG"), False),
        )
