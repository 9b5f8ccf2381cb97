"""The baseline: a bare Starlette route returning "ok", served exactly as coform is.

Every coform figure is divided by this one, measured in the same run on the same machine, so a
noisy shared machine moves both and the ratio stays meaningful.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def create_app() -> Starlette:
    return Starlette(routes=[Route("/", ok)])
