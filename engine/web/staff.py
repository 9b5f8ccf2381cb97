"""Staff sign-in, second factor, set-password links, sign-out, and the guard on every staff page.

Other staff modules protect their endpoints with `requires` and declare, next to their routes, a
`ROUTE_ROLES` table of who may open each path; tests/web/test_role_matrix.py checks every /staff
route of the app against that table::

    ROUTE_ROLES = {"/staff/forms/{slug}/responses": ("reviewer", "board")}

    @requires("reviewer", "board")
    async def responses(request: Request) -> Response: ...

Admin passes every check. Someone not signed in is sent to the sign-in page and brought back after;
someone signed in without the role gets a 403 page saying so.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from engine import accounts
from engine.accounts import ROLES, Staff
from engine.settings import Settings

if TYPE_CHECKING:
    from engine.web.staff_nav import Place

#: The session cookie: a random token whose sha256 is the session's key in the database.
COOKIE = "coform_staff"
COOKIE_PATH = "/staff"
SIGN_IN_PATH = "/staff/sign-in"
SECOND_FACTOR_PATH = "/staff/second-factor"
HOME_PATH = "/staff"

#: In a ROUTE_ROLES table: a page anyone may open (the sign-in pages themselves).
PUBLIC: tuple[str, ...] = ()

ROLE_NAMES: Mapping[str, str] = {
    "admin": "Administrator",
    "author": "Form author",
    "reviewer": "Reviewer",
    "safeguarding": "Safeguarding lead",
    "board": "Co-production board member",
}

#: What the home page says each role can do.
ROLE_ABILITIES: Mapping[str, tuple[str, ...]] = {
    "admin": (
        "Add staff accounts, change roles and turn accounts off.",
        "Find a response by its reference and delete it when someone asks.",
    ),
    "author": ("Preview forms and see each version of them.",),
    "reviewer": (
        "Read responses, including personal information.",
        "Set the status of a response, tag it with themes and add notes.",
        "Flag a response as a safeguarding concern.",
        "See summaries and download exports.",
    ),
    "safeguarding": ("See responses flagged as a safeguarding concern and record what was done.",),
    "board": (
        "See summaries of responses, with small numbers shown as 'fewer than 5'.",
        "Read responses with personal information removed.",
    ),
}

#: Wording of every error on these pages, keyed by code.
MESSAGES: Mapping[str, str] = {
    "email_required": "Enter your email address",
    "password_required": "Enter your password",
    "wrong_password": "The email address or password is not right",
    "too_many_attempts": (
        "You have tried to sign in too many times. Wait 15 minutes, then try again. "
        "If you have forgotten your password, ask an administrator for a new set-up link."
    ),
    "code_required": "Enter the 6-digit code from your authenticator app",
    "wrong_code": "The code is not right, or has been used already. Enter the code your app shows now",
    "too_many_codes": "You have entered a wrong code too many times. Wait 15 minutes, then sign in again.",
    "new_password_required": "Enter a password",
    "too_short": f"Your password must be at least {accounts.PASSWORD_MIN_LENGTH} characters",
    "too_long": f"Your password must be {accounts.PASSWORD_MAX_LENGTH} characters or fewer",
    "is_email": "Your password must not be your email address",
    "mismatch": "The passwords do not match. Type the same password twice",
    "signed_out": "You have signed out.",
    "session_ended": "You have been signed out because you did not use the service for a while.",
}

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class PageError:
    """One error for the error summary: the id of the input it links to, and what to do."""

    target_id: str
    message: str


# --- who is signed in ---------------------------------------------------------------------------------


async def current_staff(request: Request) -> Staff | None:
    """The member of staff signed in on this request (second factor done where needed), or None."""
    if "coform.staff" not in request.scope:
        token = request.cookies.get(COOKIE)
        staff = await accounts.staff_for_session(token, now=_now(request)) if token else None
        request.scope["coform.staff"] = staff
    found: Staff | None = request.scope["coform.staff"]
    return found


def may(staff: Staff, roles: tuple[str, ...]) -> bool:
    """Whether `staff` holds one of `roles`; admin holds them all. No roles means any signed-in staff."""
    return staff.role == "admin" or not roles or staff.role in roles


def requires(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Guard a Starlette endpoint: only staff with one of `roles` (or admin) reach it.

    `@requires()` with no roles lets in anyone signed in. Pages behind it are never cached.
    """
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(f"unknown roles {unknown}; choose from {', '.join(ROLES)}")

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            staff = await current_staff(request)
            if staff is None:
                return RedirectResponse(sign_in_url(request), status_code=303)
            if not may(staff, roles):
                return render(request, "staff/forbidden.html", {}, status_code=403)
            response = await endpoint(request)
            # Staff pages show personal data: no browser or proxy may keep a copy.
            response.headers.setdefault("cache-control", "no-store")
            return response

        return guarded

    return decorate


def sign_in_url(request: Request) -> str:
    """/staff/sign-in?next=<this page>, so signing in leads back here."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{SIGN_IN_PATH}?{urlencode({'next': here})}"


def safe_next(value: object) -> str:
    """Where to go after signing in: a staff page on this site, never anywhere else.

    "/staff/forms/x" -> "/staff/forms/x"; "https://evil.example", "//evil.example" -> "/staff".
    """
    if isinstance(value, str) and value.startswith(HOME_PATH) and "\\" not in value:
        rest = value[len(HOME_PATH) :]
        if rest == "" or rest[0] in "/?":
            return value
    return HOME_PATH


def render(request: Request, name: str, context: Mapping[str, Any], *, status_code: int = 200) -> Response:
    """A staff page: English, never cached, with the signed-in person (if any) for the layout."""
    templates: Jinja2Templates = request.app.state.templates
    person: Staff | None = request.scope.get("coform.staff")
    full = {
        "lang": "en",
        "easy_read": False,
        "staff": person,
        "role_names": ROLE_NAMES,
        "places": _places(request, person),
        **context,
    }
    return templates.TemplateResponse(
        request, name, full, status_code=status_code, headers={"cache-control": "no-store"}
    )


# --- signing in -----------------------------------------------------------------------------------------


async def sign_in_page(request: Request) -> Response:
    if request.method == "GET":
        notice = request.query_params.get("notice", "")
        return _sign_in_form(
            request,
            next_page=safe_next(request.query_params.get("next")),
            message=MESSAGES[notice] if notice in {"signed_out", "session_ended"} else "",
        )
    form = await request.app.state.csrf.checked_form(request)
    email = _field(form, "email").strip()
    password = _field(form, "password")
    next_page = safe_next(form.get("next"))
    problems = {}
    if not email:
        problems["email"] = "email_required"
    if not password:
        problems["password"] = "password_required"  # noqa: S105 (a message code)
    if problems:
        return _sign_in_form(request, next_page=next_page, email=email, problems=problems)
    address = request.client.host if request.client else None
    try:
        staff = await accounts.sign_in(email, password, address, now=_now(request))
    except accounts.TooManyAttempts:
        return _sign_in_form(
            request, next_page=next_page, email=email, message=MESSAGES["too_many_attempts"], status_code=429
        )
    if staff is None:
        # The same words whether the address has no account, is turned off, or the password is wrong.
        return _sign_in_form(request, next_page=next_page, email=email, problems={"email": "wrong_password"})
    await _end_current_session(request)
    token = await accounts.start_session(
        staff.id, second_factor_done=not staff.needs_second_factor, now=_now(request)
    )
    target = (
        f"{SECOND_FACTOR_PATH}?{urlencode({'next': next_page})}" if staff.needs_second_factor else next_page
    )
    return _with_session(request, RedirectResponse(target, status_code=303), token)


def _sign_in_form(
    request: Request,
    *,
    next_page: str,
    email: str = "",
    problems: Mapping[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    problems = problems or {}
    context = {
        "next": next_page,
        "email": email,
        "message": message,
        **_errors_context(problems),
    }
    return render(request, "staff/sign_in.html", context, status_code=status_code)


async def second_factor_page(request: Request) -> Response:
    # The CSRF check comes first, so a forged POST learns nothing, not even whether a session exists.
    form = await request.app.state.csrf.checked_form(request) if request.method == "POST" else None
    token = request.cookies.get(COOKIE, "")
    now = _now(request)
    staff = await accounts.session_awaiting_second_factor(token, now=now) if token else None
    if staff is None:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    enrolled = await accounts.has_confirmed_totp(staff.id)
    if form is None:
        return await _second_factor_form(
            request, staff, enrolled, safe_next(request.query_params.get("next"))
        )
    next_page = safe_next(form.get("next"))
    code = _field(form, "code").strip()
    if not code:
        return await _second_factor_form(request, staff, enrolled, next_page, {"code": "code_required"})
    check = accounts.verify_totp if enrolled else accounts.confirm_totp
    try:
        passed = await check(staff.id, code, now=now)
    except accounts.TooManyAttempts:
        await accounts.end_session(token)
        response = render(
            request,
            "staff/sign_in.html",
            {"next": next_page, "email": "", "message": MESSAGES["too_many_codes"], **_errors_context({})},
            status_code=429,
        )
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
        return response
    if not passed:
        return await _second_factor_form(request, staff, enrolled, next_page, {"code": "wrong_code"})
    # A new token for the fully signed-in session: the half-way one is worth nothing from now on.
    await accounts.end_session(token)
    new_token = await accounts.start_session(staff.id, second_factor_done=True, now=now)
    return _with_session(request, RedirectResponse(next_page, status_code=303), new_token)


async def _second_factor_form(
    request: Request, staff: Staff, enrolled: bool, next_page: str, problems: Mapping[str, str] | None = None
) -> Response:
    enrolment = None if enrolled else await accounts.begin_totp(staff.id)
    context = {
        "next": next_page,
        "enrolment": enrolment,
        "qr_svg": qr_code_svg(enrolment.uri) if enrolment else "",
        **_errors_context(problems or {}),
    }
    return render(request, "staff/second_factor.html", context)


def qr_code_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code, made here so the secret never leaves the server."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, svgclass="qr-code__image", omitsize=False)
    # role=img with a name, so screen readers announce a picture rather than reading out the paths.
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code" ', 1))  # noqa: S704


# --- set-password links and signing out -------------------------------------------------------------


async def setup_page(request: Request) -> Response:
    form = await request.app.state.csrf.checked_form(request) if request.method == "POST" else None
    token = request.path_params["token"]
    now = _now(request)
    account = await accounts.setup_link_staff(token, now=now)
    if account is None:
        return _link_invalid(request)
    if form is None:
        return _setup_form(request, account, token)
    password = _field(form, "password")
    again = _field(form, "password_again")
    if not password:
        return _setup_form(request, account, token, {"password": "new_password_required"})
    if password != again:
        return _setup_form(request, account, token, {"password_again": "mismatch"})
    try:
        staff = await accounts.set_password(token, password, now=now)
    except accounts.PasswordRejected as rejected:
        return _setup_form(request, account, token, {"password": rejected.code})
    except accounts.SetupLinkInvalid:
        return _link_invalid(request)
    await _end_current_session(request)
    session = await accounts.start_session(
        staff.id, second_factor_done=not staff.needs_second_factor, now=now
    )
    target = SECOND_FACTOR_PATH if staff.needs_second_factor else HOME_PATH
    return _with_session(request, RedirectResponse(target, status_code=303), session)


def _setup_form(
    request: Request, account: Staff, token: str, problems: Mapping[str, str] | None = None
) -> Response:
    context = {
        "account": account,
        "token": token,
        "min_length": accounts.PASSWORD_MIN_LENGTH,
        **_errors_context(problems or {}),
    }
    return render(request, "staff/setup.html", context)


def _link_invalid(request: Request) -> Response:
    days = accounts.SETUP_LINK_LIFETIME.days
    return render(request, "staff/link_invalid.html", {"days": days}, status_code=404)


async def sign_out(request: Request) -> Response:
    await request.app.state.csrf.checked_form(request)
    await _end_current_session(request)
    response = RedirectResponse(f"{SIGN_IN_PATH}?notice=signed_out", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@requires()
async def home(request: Request) -> Response:
    staff = await current_staff(request)
    if staff is None:  # requires() has already sent anyone signed out to the sign-in page
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    # Admin can do what every role can, so sees every list.
    roles = ROLES if staff.role == "admin" else (staff.role,)
    can_do = [line for role in roles for line in ROLE_ABILITIES[role]]
    # Imported here for the reason _places gives.
    from engine.web.staff_nav import form_links, places_for

    forms = sorted(request.app.state.forms.values(), key=lambda form: form.title.default.casefold())
    context = {
        "can_do": can_do,
        "sections": [place for place in places_for(staff) if place.href != HOME_PATH],
        "forms": [(form, form_links(staff, form)) for form in forms],
    }
    return render(request, "staff/home.html", context)


# --- helpers ------------------------------------------------------------------------------------------


def _places(request: Request, person: Staff | None) -> list[Place]:
    """The staff bar's links for whoever is signed in (none on the sign-in pages)."""
    if person is None:
        return []
    # Imported here, not at the top: staff_nav reads the ROUTE_ROLES of the modules that import this one.
    from engine.web.staff_nav import places_for

    route = request.scope.get("route")
    return places_for(person, getattr(route, "path", request.url.path))


def _now(request: Request) -> Any:
    return request.app.state.clock()


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _errors_context(problems: Mapping[str, str]) -> dict[str, Any]:
    """The error summary's entries and each field's message, from {field name: message code}."""
    return {
        "errors": [PageError(name, MESSAGES[code]) for name, code in problems.items()],
        "field_errors": {name: MESSAGES[code] for name, code in problems.items()},
    }


def _with_session(request: Request, response: Response, token: str) -> Response:
    settings: Settings = request.app.state.settings
    # No max-age: the browser forgets it when closed, and the server ends it sooner when idle.
    response.set_cookie(
        COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="lax", secure=settings.secure_cookies
    )
    return response


async def _end_current_session(request: Request) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        await accounts.end_session(token)


routes = [
    Route(HOME_PATH, home, methods=["GET"]),
    Route(SIGN_IN_PATH, sign_in_page, methods=["GET", "POST"]),
    Route(SECOND_FACTOR_PATH, second_factor_page, methods=["GET", "POST"]),
    Route("/staff/setup/{token}", setup_page, methods=["GET", "POST"]),
    Route("/staff/sign-out", sign_out, methods=["POST"]),
]

#: Who may open each route above; PUBLIC pages are how people sign in, so anyone may.
ROUTE_ROLES: Mapping[str, tuple[str, ...]] = {
    HOME_PATH: ROLES,
    SIGN_IN_PATH: PUBLIC,
    SECOND_FACTOR_PATH: PUBLIC,
    "/staff/setup/{token}": PUBLIC,
    "/staff/sign-out": PUBLIC,
}
