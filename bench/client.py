"""A small HTTP/1.1 client on asyncio streams: one kept-alive connection and a browser-like cookie jar.

The load generator shares two cores with the server, so it must be cheap per request; a full client
library would spend more CPU than the thing measured. This speaks just enough HTTP for coform:
Content-Length and chunked bodies, Set-Cookie (name=value, Max-Age=0 deletes), no TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self
from urllib.parse import urlsplit


class HTTPClientError(Exception):
    """The server sent something this client cannot read."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Client:
    """One respondent: requests go out one at a time on one connection, reopened if the server closes it."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    @classmethod
    def for_url(cls, base_url: str) -> Self:
        parts = urlsplit(base_url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 80)

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        return await self.request("GET", path, headers=headers)

    async def post_form(self, path: str, body: str, headers: Mapping[str, str] | None = None) -> Reply:
        form_headers = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
        return await self.request("POST", path, body.encode(), form_headers)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> Reply:
        reader, writer = await self._connection()
        lines = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        if self.cookies:
            lines.append("cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body or method == "POST":
            lines.append(f"content-length: {len(body)}")
        lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        reply = await self._read_reply(reader, method)
        self._keep_cookies(reply)
        if (reply.header("connection") or "").lower() == "close":
            await self.close()
        return reply

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._reader.at_eof():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def _read_reply(self, reader: asyncio.StreamReader, method: str) -> Reply:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            await self.close()
            raise ConnectionResetError("the server closed the connection without replying") from error
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HTTPClientError(f"not an HTTP status line: {status_line!r}")
        headers = tuple(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in header_lines if line)
        )
        reply = Reply(int(parts[1]), headers, b"")
        if method == "HEAD" or reply.status in (204, 304) or 100 <= reply.status < 200:
            return reply
        if (reply.header("transfer-encoding") or "").lower() == "chunked":
            body = await self._read_chunked(reader)
        else:
            body = await reader.readexactly(int(reply.header("content-length") or 0))
        return Reply(reply.status, headers, body)

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)

    def _keep_cookies(self, reply: Reply) -> None:
        for key, value in reply.headers:
            if key != "set-cookie":
                continue
            pair, *attributes = value.split(";")
            name, _, cookie_value = pair.strip().partition("=")
            expired = any(a.strip().lower() in ("max-age=0", "max-age=-1") for a in attributes)
            if expired or cookie_value in ('""', ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie_value
