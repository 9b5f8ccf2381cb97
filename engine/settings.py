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
from typing import Literal, cast

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SmtpTls = Literal["none", "starttls", "tls"]
#: The usual port for each way of securing SMTP, used when COFORM_SMTP_PORT is unset.
SMTP_PORTS: Mapping[str, int] = {"none": 25, "starttls": 587, "tls": 465}


class SettingsError(ValueError):
    """A setting that cannot work; the message names the environment variable and how to fix it."""


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
    #: The mail relay. Unset: no email at all, and the pages that would offer it do not.
    smtp_host: str | None = None
    smtp_port: int = SMTP_PORTS["starttls"]
    smtp_tls: SmtpTls = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    #: The From address of every message, like "Council forms <forms@example.gov.uk>".
    mail_from: str | None = None
    #: The address people reach coform at, like https://forms.example.gov.uk. Links in emails are
    #: built from it, never from a request's Host header, which a sender of forged requests controls.
    public_url: str | None = None

    def __post_init__(self) -> None:
        if self.smtp_tls not in SMTP_PORTS:
            raise SettingsError(f"COFORM_SMTP_TLS is {self.smtp_tls!r}; use none, starttls or tls")
        if self.smtp_host is not None:
            if not self.mail_from:
                raise SettingsError(
                    "COFORM_SMTP_HOST is set but COFORM_MAIL_FROM is not: set it to the address "
                    "messages come from, like forms@example.gov.uk"
                )
            if not self.public_url or not self.public_url.startswith(("https://", "http://")):
                raise SettingsError(
                    "COFORM_SMTP_HOST is set but COFORM_PUBLIC_URL is not a web address: set it to "
                    "the address people use to reach coform, like https://forms.example.gov.uk"
                )

    @property
    def email_enabled(self) -> bool:
        """Whether coform sends email (receipts, save-and-return links, staff alerts)."""
        return self.smtp_host is not None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        upload_dir = env.get("COFORM_UPLOAD_DIR")
        tls = (env.get("COFORM_SMTP_TLS") or defaults.smtp_tls).strip().lower()
        port = env.get("COFORM_SMTP_PORT")
        return cls(
            database_url=env.get("DATABASE_URL") or defaults.database_url,
            forms_dir=Path(env["COFORM_FORMS_DIR"]) if env.get("COFORM_FORMS_DIR") else defaults.forms_dir,
            secret_key=env.get("COFORM_SECRET_KEY") or defaults.secret_key,
            secure_cookies=_flag(env.get("COFORM_SECURE_COOKIES"), True),
            max_body_bytes=int(env.get("COFORM_MAX_BODY_BYTES") or defaults.max_body_bytes),
            draft_days=int(env.get("COFORM_DRAFT_DAYS") or defaults.draft_days),
            upload_dir=Path(upload_dir) if upload_dir else None,
            debug=_flag(env.get("COFORM_DEBUG"), False),
            smtp_host=env.get("COFORM_SMTP_HOST") or None,
            smtp_port=int(port) if port else SMTP_PORTS.get(tls, defaults.smtp_port),
            smtp_tls=cast(SmtpTls, tls),
            smtp_username=env.get("COFORM_SMTP_USERNAME") or None,
            smtp_password=env.get("COFORM_SMTP_PASSWORD") or None,
            mail_from=env.get("COFORM_MAIL_FROM") or None,
            public_url=(env.get("COFORM_PUBLIC_URL") or "").rstrip("/") or None,
        )
