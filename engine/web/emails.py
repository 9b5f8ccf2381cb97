"""Emails that could not be sent, for admins: what failed and why, and sending one again.

The outbox gives up on a message after its retries (engine.outbox.RetryPolicy) and marks it
failed. A receipt or a save-and-return link that never arrives is a promise broken to a
respondent, so admins see them here, newest first, and can put one back in the queue once the
relay is working again. Bodies are never shown: a message can hold a link to someone's answers.

    /staff/emails                          the failed messages, and how many are waiting or sent
    /staff/emails/{message_id}/try-again   POST: send that message again
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from engine import outbox
from engine.mail import RECEIPT, RESUME_LINK, STAFF_ALERT
from engine.settings import Settings
from engine.web.review import when
from engine.web.staff import render, requires

Endpoint = Callable[[Request], Awaitable[Response]]

#: The outbox's kinds of message as people say them.
KIND_WORDS: Mapping[str, str] = MappingProxyType(
    {
        RECEIPT: "Receipt to a respondent",
        RESUME_LINK: "Link to come back to a form",
        STAFF_ALERT: "Alert to staff",
    }
)

#: Confirmation after trying again, keyed by the `done` query parameter.
DONE_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "queued": "The email will be sent again now",
        "gone": "That email is no longer waiting to be tried again: it may have been sent already",
    }
)

PATH = "/staff/emails"


async def emails_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    rows = [
        {
            "id": message.id,
            "kind": KIND_WORDS.get(message.kind, message.kind),
            "to": message.to_address,
            "reference": message.reference or "",
            "written": when(message.created_at),
            "attempts": message.attempts,
            "error": message.last_error or "No reason was given",
        }
        for message in await outbox.failed_messages()
    ]
    context = {
        "rows": rows,
        "counts": await outbox.count_by_status(),
        "email_enabled": settings.email_enabled,
        "done": DONE_MESSAGES.get(request.query_params.get("done", ""), ""),
    }
    return render(request, "staff/emails.html", context)


async def try_again(request: Request) -> Response:
    await request.app.state.csrf.checked_form(request)
    queued = await outbox.try_again(str(request.path_params["message_id"]), request.app.state.clock())
    wake = getattr(request.app.state, "wake_sender", None)
    if queued and wake is not None:
        wake()
    return RedirectResponse(f"{PATH}?done={'queued' if queued else 'gone'}", status_code=303)


_TABLE: tuple[tuple[str, Endpoint, tuple[str, ...], tuple[str, ...]], ...] = (
    (PATH, emails_page, ("GET",), ("admin",)),
    (PATH + "/{message_id:uuid}/try-again", try_again, ("POST",), ("admin",)),
)

routes = [
    Route(path, requires(*roles)(endpoint), methods=list(methods))
    for path, endpoint, methods, roles in _TABLE
]

#: Who may open each route: admins only (tests/web/test_role_matrix.py checks it).
ROUTE_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType({path: roles for path, _, _, roles in _TABLE})
