"""The coform web application: `create_app(settings)`; `python app.py` serves it on 127.0.0.1:8000."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from engine import outbox, storage
from engine.definition import Form
from engine.settings import Settings
from engine.versions import Library
from engine.web import author, emails, pages, respond, review, staff, summary
from engine.web.drafts import DraftCookies
from engine.web.errors import ErrorPages
from engine.web.security import BodyLimitMiddleware, CsrfMiddleware, CsrfTokens, SecurityHeadersMiddleware
from engine.web.templating import make_templates

STATIC_DIR = Path(__file__).resolve().parent / "static"

logger = logging.getLogger("coform")


def load_bundled_forms(settings: Settings) -> dict[str, Form]:
    """The forms in settings.forms_dir that load cleanly; the others are logged and not served."""
    from engine.loader import load_forms

    forms, errors = load_forms(settings.forms_dir)
    for error in errors:
        logger.error("Form not served: %s", error)
    return dict(forms)


def watches_form_files(settings: Settings) -> bool:
    """Whether to re-check forms/ and templates/ as files change: in development (debug, or
    COFORM_RELOAD=1)."""
    return settings.debug or os.environ.get("COFORM_RELOAD") == "1"


#: How long a stopping worker lets the email sender finish the message it is sending.
_SENDER_STOP_SECONDS = 10.0


@contextlib.asynccontextmanager
async def sending_email(app: Starlette, settings: Settings) -> AsyncIterator[None]:
    """The outbox's sender loop, in the background while the app serves, when email is configured.

    Every worker runs one: claiming rows keeps each message to one sender. `app.state.wake_sender`
    lets a page that has just written a message start sending now rather than at the next poll.
    """
    if not settings.email_enabled:
        logger.warning(
            "Email is not configured (COFORM_SMTP_HOST unset): receipts, save-and-return emails "
            "and staff alerts are turned off."
        )
        yield
        return
    stop, wake = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    # Thread-safe: a second test client on the same app runs its requests on another event loop.
    app.state.wake_sender = lambda: loop.call_soon_threadsafe(wake.set)
    sender = asyncio.create_task(outbox.run_sender(settings, stop, wake=wake))
    logger.info("Email is sent through %s:%d", settings.smtp_host, settings.smtp_port)
    try:
        yield
    finally:
        app.state.wake_sender = None
        stop.set()
        try:
            await asyncio.wait_for(sender, _SENDER_STOP_SECONDS)
        except TimeoutError:
            # Cancelled mid-send: the message's claim runs out and another worker sends it again,
            # with the same Message-ID.
            logger.warning("The email sender did not stop in time and was cancelled")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    settings: Settings | None = None,
    forms: Mapping[str, Form] | None = None,
    clock: Callable[[], dt.datetime] = _utc_now,
) -> Starlette:
    """Build the app. Tests pass `forms` built in python (and a `clock` to fix "now"); otherwise
    the files in settings.forms_dir are read. Either way the forms served are the live versions in
    the database (engine.versions), which these join at start-up."""
    settings = settings or Settings.from_environ()
    library = Library(preset=forms) if forms is not None else Library(forms_dir=settings.forms_dir)
    max_age = settings.draft_days * 24 * 60 * 60
    # A CSRF token stays valid as long as a draft does, so a page left open overnight still sends.
    csrf = CsrfTokens(settings.secret_key, max_age_seconds=max_age)
    templates = make_templates(csrf, auto_reload=watches_form_files(settings))
    error_pages = ErrorPages(templates)

    running = 0

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal running
        if running:
            # A second server of the same app in one process (two test clients at once) shares the
            # database the first opened: tortoise allows one global connection set per process.
            running += 1
            try:
                yield
            finally:
                running -= 1
            return
        # migrate() takes a lock, so several workers starting at once apply each migration once.
        await storage.migrate(settings.database_url)
        async with RegisterTortoise(app, config=storage.storage_config(settings.database_url)):
            await library.start()
            keeping = asyncio.create_task(library.keep_current(watch_files=watches_form_files(settings)))
            running = 1
            try:
                async with sending_email(app, settings):
                    yield
            finally:
                running = 0
                keeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeping

    app = Starlette(
        debug=settings.debug,
        # pages.routes first: /forms/{slug}/preview must win over the journey's /forms/{slug}/{page_id}.
        routes=[
            *pages.routes,
            *respond.routes,
            *staff.routes,
            *author.routes,
            *review.routes,
            *summary.routes,
            *emails.routes,
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        # Outermost first. The CSRF secret is made before the body limit can answer 413, because
        # every page, the 413 page included, is rendered with a token.
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(CsrfMiddleware, secure=settings.secure_cookies),
            Middleware(
                BodyLimitMiddleware, max_bytes=settings.max_body_bytes, reject=error_pages.reject_too_large
            ),
        ],
        exception_handlers={
            HTTPException: error_pages.http_error,
            ClientDisconnect: error_pages.client_gone,
            Exception: error_pages.server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.forms = library.forms
    app.state.library = library
    app.state.templates = templates
    app.state.csrf = csrf
    app.state.clock = clock
    app.state.wake_sender = None
    app.state.draft_cookies = DraftCookies(settings.secret_key, max_age, secure=settings.secure_cookies)
    return app


if __name__ == "__main__":
    import dataclasses
    import os

    import uvicorn

    local_settings = Settings.from_environ()
    if "COFORM_SECURE_COOKIES" not in os.environ:
        # `python app.py` serves plain http on this machine only, where Secure cookies would not
        # come back from every browser; a real deployment sits behind https and keeps them Secure.
        local_settings = dataclasses.replace(local_settings, secure_cookies=False)
    uvicorn.run(create_app(local_settings), host="127.0.0.1", port=8000)
