"""The coform web application: `create_app(settings)`; `python app.py` serves it on 127.0.0.1:8000."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from engine.definition import Form
from engine.settings import Settings
from engine.web import pages
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


def create_app(settings: Settings | None = None, forms: Mapping[str, Form] | None = None) -> Starlette:
    """Build the app. Tests pass `forms` built in python; otherwise the bundled forms are loaded."""
    settings = settings or Settings.from_environ()
    loaded = dict(forms) if forms is not None else load_bundled_forms(settings)
    # A CSRF token stays valid as long as a draft does, so a page left open overnight still sends.
    csrf = CsrfTokens(settings.secret_key, max_age_seconds=settings.draft_days * 24 * 60 * 60)
    templates = make_templates(csrf)
    error_pages = ErrorPages(templates)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The database (engine.storage's tortoise config for settings.database_url) is opened here
        # and closed after the yield, once storage lands.
        yield

    app = Starlette(
        debug=settings.debug,
        routes=[*pages.routes, Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")],
        # Outermost first. The CSRF secret is made before the body limit can answer 413, because
        # every page, the 413 page included, is rendered with a token.
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(CsrfMiddleware, secure=settings.secure_cookies),
            Middleware(
                BodyLimitMiddleware, max_bytes=settings.max_body_bytes, reject=error_pages.reject_too_large
            ),
        ],
        exception_handlers={HTTPException: error_pages.http_error, Exception: error_pages.server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.forms = loaded
    app.state.templates = templates
    app.state.csrf = csrf
    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(), host="127.0.0.1", port=8000)
