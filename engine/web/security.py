"""Security for every response: headers, a request body limit, and CSRF tokens.

The middlewares here are pure ASGI (not BaseHTTPMiddleware) so they add no task switching per
request and never buffer a response body.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from http.cookies import SimpleCookie

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

SECURITY_HEADERS: Mapping[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    # Forms never need these; denying them stops a compromised page from asking.
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}

#: The cookie holding this browser's CSRF secret. Tokens in pages are signed copies bound to it.
CSRF_COOKIE = "coform_csrf"
#: The form field, and the header (for htmx requests such as hx-delete that send no form), carrying it.
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: Where CsrfMiddleware leaves the browser's secret in the request scope for this request's tokens.
CSRF_SCOPE_KEY = "coform.csrf_secret"


class SecurityHeadersMiddleware:
    """Adds CSP and the other security headers, and `Vary: HX-Request`, to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                # htmx asks for fragments and full pages at the same URL; caches must keep them apart.
                if "hx-request" not in headers.get("vary", "").lower():
                    headers.add_vary_header("HX-Request")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Answers 413 when a request body is larger than `max_bytes`.

    A declared Content-Length over the limit is refused before the body is read. A body sent in
    chunks (no length) is counted as it arrives; the read that crosses the limit raises a 413
    HTTPException, which the app's exception handler turns into the friendly page.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, reject: Callable[[Request], Response]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.reject = reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Request(scope).headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self.reject(Request(scope))(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413)
            return message

        await self.app(scope, counting_receive, send)


class CsrfMiddleware:
    """Gives each browser a random CSRF secret in an HttpOnly cookie, made on its first visit.

    The secret is put in the request scope so `csrf_token(request)` can sign it for the page being
    rendered, even on the very first response, before the browser has the cookie.
    """

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        existing = Request(scope).cookies.get(CSRF_COOKIE, "")
        is_new = len(existing) != 43  # token_urlsafe(32) is 43 characters; anything else is replaced
        scope[CSRF_SCOPE_KEY] = secrets.token_urlsafe(32) if is_new else existing

        async def send_with_cookie(message: Message) -> None:
            if is_new and message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", self._cookie(scope[CSRF_SCOPE_KEY]))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, value: str) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[CSRF_COOKIE] = value
        morsel = cookie[CSRF_COOKIE]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        if self.secure:
            morsel["secure"] = True
        return morsel.OutputString()


class CsrfTokens:
    """Signs and checks CSRF tokens.

    Each token binds the browser's cookie secret to a fresh random nonce and the time it was issued,
    so the token differs on every render (a fixed token in compressed pages can leak through
    BREACH-style attacks) while any of them stays valid for `max_age_seconds` in that browser only.
    A token is "<nonce>.<issued>.<mac>": the HMAC-SHA256 of the cookie secret, nonce and time under
    a key derived from the app's secret key. Unlike the signed JSON it replaces, it does not carry
    the cookie secret itself, and it costs one HMAC rather than JSON, zlib checks and two base64 layers.
    """

    def __init__(self, secret_key: str, max_age_seconds: int) -> None:
        self._key = hmac.digest(secret_key.encode(), b"coform.csrf", "sha256")
        # Tokens from before the HMAC format, still in pages left open, stay valid for their lifetime.
        self._legacy = URLSafeTimedSerializer(secret_key, salt="coform.csrf")
        self.max_age_seconds = max_age_seconds

    def token_for(self, request: Request) -> str:
        nonce = secrets.token_urlsafe(8)
        issued = str(int(time.time()))
        return f"{nonce}.{issued}.{self._mac(_cookie_secret(request), nonce, issued)}"

    def is_valid(self, request: Request, token: str | None) -> bool:
        """Whether `token` was issued to this browser (the one holding the same cookie) and is fresh."""
        cookie = request.cookies.get(CSRF_COOKIE)
        # compare_digest refuses non-ASCII text (a TypeError, so a 500); no real token or cookie has any.
        if not token or not cookie or not token.isascii() or not cookie.isascii():
            return False
        nonce, _, rest = token.partition(".")
        issued, _, mac = rest.partition(".")
        if issued.isdigit() and hmac.compare_digest(mac, self._mac(cookie, nonce, issued)):
            return 0 <= time.time() - int(issued) <= self.max_age_seconds
        return self._legacy_is_valid(cookie, token)

    def _mac(self, cookie: str, nonce: str, issued: str) -> str:
        digest = hmac.digest(self._key, f"{cookie}.{nonce}.{issued}".encode(), "sha256")
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _legacy_is_valid(self, cookie: str, token: str) -> bool:
        try:
            payload = self._legacy.loads(token, max_age=self.max_age_seconds)
        except BadData:
            return False
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], str)):
            return False
        return hmac.compare_digest(payload[0], cookie)

    async def checked_form(self, request: Request) -> FormData:
        """The request's form data, or a 403 HTTPException when its CSRF token is missing or wrong.

        For endpoints with nothing to show again; the journey, which keeps the respondent's input
        when the token fails, calls `is_valid` itself.
        """
        form = await request.form()
        token = form.get(CSRF_FIELD)
        if not isinstance(token, str):
            token = request.headers.get(CSRF_HEADER)
        if not self.is_valid(request, token):
            raise HTTPException(403, detail="csrf")
        return form


def _cookie_secret(request: Request) -> str:
    secret = request.scope.get(CSRF_SCOPE_KEY)
    if not isinstance(secret, str):
        raise RuntimeError("CsrfMiddleware is not installed, so there is no CSRF secret to sign")
    return secret
