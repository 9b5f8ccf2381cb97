"""Friendly, plain-English error pages for 400, 403, 404, 405, 413 and 500.

Error pages are always whole pages. htmx 4 swaps every status except 204 and 304, so without help
a 403 or 500 page would land inside whatever fragment the request targeted; the HX-Retarget and
HX-Reswap headers tell htmx to replace the whole body instead.

A browser that goes away mid-request (a closed tab, a dropped connection) is ordinary, not an
error: it gets no page and leaves only a debug line in the log.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from engine.web.security import SECURITY_HEADERS

#: Statuses with their own wording; any other 4xx is shown as the 400 page with its real status.
FRIENDLY_STATUSES = frozenset({400, 403, 404, 405, 413, 500})

FULL_PAGE_HEADERS = {"HX-Retarget": "body", "HX-Reswap": "outerHTML"}

logger = logging.getLogger("coform.web")


def error_page(templates: Jinja2Templates, request: Request, status: int) -> Response:
    """The friendly page for `status`, marked so htmx swaps it in as the whole page."""
    wording = status if status in FRIENDLY_STATUSES else (500 if status >= 500 else 400)
    # The 500 page is made outside the middleware stack, so it carries the security headers itself.
    headers = {**SECURITY_HEADERS, **FULL_PAGE_HEADERS, "Vary": "HX-Request"}
    # Pages that show an error must never be cached and replayed as if the thing worked.
    headers["Cache-Control"] = "no-store"
    return templates.TemplateResponse(
        request,
        "pages/error.html",
        {"status": wording, "lang": "en", "easy_read": False},
        status_code=status,
        headers=headers,
    )


class ErrorPages:
    """The app's exception handlers: HTTP errors by status, and anything unexpected as a 500."""

    def __init__(self, templates: Jinja2Templates) -> None:
        self.templates = templates

    async def http_error(self, request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):
            return await self.server_error(request, exc)
        response = error_page(self.templates, request, exc.status_code)
        if exc.headers:
            # For example the Allow header that must come with a 405.
            response.headers.update(exc.headers)
        return response

    async def server_error(self, request: Request, exc: Exception) -> Response:
        # The details go to the log for staff; the page says only that something went wrong.
        logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_page(self.templates, request, 500)

    async def client_gone(self, request: Request, exc: Exception) -> Response:
        # Nobody is left to read an answer; uvicorn drops whatever is sent.
        logger.debug("Client went away during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    def reject_too_large(self, request: Request) -> Response:
        return error_page(self.templates, request, 413)
