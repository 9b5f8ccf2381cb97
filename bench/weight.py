"""How heavy a page is for a respondent on a phone: bytes over the wire (gzipped) and requests made.

The page and each same-origin stylesheet, script and image it names are fetched once, as a browser
with an empty cache would. When the server sends them uncompressed (coform leaves compression to the
reverse proxy in front of it), the body is gzipped here at level 6, what nginx and Caddy use.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass

from bench.client import Client, Reply

#: <link rel="stylesheet" href>, <script src>, <img src>: what a browser fetches before it can show the page.
_ASSET = re.compile(
    r"""<link\b[^>]*\brel=["']?(?:stylesheet|icon|preload|modulepreload)["']?[^>]*>"""
    r"""|<(?:script|img)\b[^>]*\bsrc=["'][^"']+["'][^>]*>""",
    re.IGNORECASE,
)
_URL = re.compile(r"""\b(?:href|src)=["']([^"']+)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class Weight:
    requests: int
    gzip_bytes: int
    raw_bytes: int
    #: Whether the server itself compressed every response (else the bench gzipped the bodies).
    server_compressed: bool


def assets_of(html: str) -> list[str]:
    """Same-origin asset paths in order of appearance: '<script src="/static/a.js">' -> ['/static/a.js']."""
    found: list[str] = []
    for tag in _ASSET.finditer(html):
        url = _URL.search(tag.group(0))
        if url and url.group(1).startswith("/") and not url.group(1).startswith("//"):
            path = url.group(1)
            if path not in found:
                found.append(path)
    return found


async def page_weight(client: Client, path: str) -> Weight:
    page = await _fetch(client, path)
    replies = [page, *[await _fetch(client, asset) for asset in assets_of(page.text)]]
    return Weight(
        requests=len(replies),
        gzip_bytes=sum(_gzipped_size(reply) for reply in replies),
        raw_bytes=sum(len(_plain_body(reply)) for reply in replies),
        server_compressed=all(reply.header("content-encoding") == "gzip" for reply in replies),
    )


async def _fetch(client: Client, path: str) -> Reply:
    reply = await client.get(path, {"accept-encoding": "gzip"})
    if reply.status != 200:
        raise RuntimeError(f"GET {path} answered {reply.status}, so its weight cannot be measured")
    return reply


def _plain_body(reply: Reply) -> bytes:
    return gzip.decompress(reply.body) if reply.header("content-encoding") == "gzip" else reply.body


def _gzipped_size(reply: Reply) -> int:
    if reply.header("content-encoding") == "gzip":
        return len(reply.body)
    return len(gzip.compress(reply.body, compresslevel=6))
