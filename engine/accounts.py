"""Staff accounts: who may sign in to review or author forms, their sessions and sign-in attempts.

Passwords are argon2id hashes; a second factor (TOTP) is required for roles that see personal data.
Attempts are counted in the database so rate limits hold across every worker and machine. Callers
get frozen `Staff` values, never ORM objects::

    staff, setup_token = await add_user("sam@example.org", "reviewer")   # link: /staff/setup/<token>
    staff = await set_password(setup_token, "a long passphrase of words")
    staff = await sign_in("sam@example.org", "a long passphrase of words", "192.0.2.1")
    token = await start_session(staff.id, second_factor_done=False)
    ... the TOTP code checks out (verify_totp) ...
    await end_session(token)
    token = await start_session(staff.id, second_factor_done=True)
    await staff_for_session(token)   # Staff(id=1, email="sam@example.org", role="reviewer")
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from engine.transactions import writing

#: Every role, from most to least powerful; see docs/design.md for what each may see.
ROLES = ("admin", "author", "reviewer", "safeguarding", "board")
#: Roles that see personal data, so they must pass a second factor (TOTP) as well as a password.
SECOND_FACTOR_ROLES = frozenset({"admin", "reviewer", "safeguarding"})

#: How long the one-time link that sets a password works.
SETUP_LINK_LIFETIME = dt.timedelta(days=3)
#: A session ends after this long without a request...
SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=30)
#: ...and this long after signing in, however busy.
SESSION_LIFETIME = dt.timedelta(hours=10)
#: last_seen_at is written at most this often, so reading pages does not write on every request.
_TOUCH_INTERVAL = dt.timedelta(minutes=1)

#: Failed attempts allowed for one email address, and from one network address, within the window.
#: The address limit is higher because an office shares one address.
EMAIL_ATTEMPT_LIMIT = 5
ADDRESS_ATTEMPT_LIMIT = 30
SECOND_FACTOR_ATTEMPT_LIMIT = 5
ATTEMPT_WINDOW = dt.timedelta(minutes=15)

#: NCSC advice: ask for length, not a mix of character kinds.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 200
#: Shown in authenticator apps beside the account's email address.
TOTP_ISSUER = "coform"

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory parameters.
_hasher = PasswordHasher()


class AccountError(Exception):
    """Base of every error this module raises on purpose."""


class UnknownRole(AccountError, ValueError):
    """A role that is not one of ROLES."""


class AccountExists(AccountError):
    """add_user was given an email address that already has an account."""


class InvalidEmail(AccountError, ValueError):
    """Something that cannot be an email address."""


class NoSuchAccount(AccountError, LookupError):
    """No staff user with that email address or id."""


class SetupLinkInvalid(AccountError):
    """The set-password link is unknown, used already or expired."""


class PasswordRejected(AccountError, ValueError):
    """A new password that does not meet the rules; `code` says which (too_short, too_long, is_email)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class TooManyAttempts(AccountError):
    """Too many recent failed attempts for this email address, network address or second factor.

    Raised whether or not the account exists, so it reveals nothing about which accounts there are.
    """


@dataclass(frozen=True)
class Staff:
    """A signed-in (or signing-in) member of staff."""

    id: int
    email: str
    role: str

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES


@dataclass(frozen=True)
class StaffAccount:
    """An account as `coform user list` shows it."""

    id: int
    email: str
    role: str
    disabled: bool
    has_password: bool
    has_second_factor: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class TotpEnrolment:
    """What an authenticator app needs: the secret as text, and as an otpauth:// URI (for a QR code)."""

    secret: str
    uri: str


class StaffUser(Model):
    """A member of staff or of the co-production board."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)
    role = fields.CharField(max_length=20)
    password_hash = fields.CharField(max_length=255, null=True)
    # Base32 TOTP secret; confirmed once the user has entered a first code from their app.
    totp_secret = fields.CharField(max_length=64, null=True)
    totp_confirmed = fields.BooleanField(default=False)
    # The last TOTP time step accepted, so a code cannot be replayed within its window.
    totp_last_step = fields.BigIntField(null=True)
    # sha256 of the one-time link that sets a password; null once used.
    setup_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    setup_expires_at = fields.DatetimeField(null=True)
    disabled = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "staff_user"


class StaffSession(Model):
    """A signed-in browser: the cookie holds a random token, the table only its sha256."""

    token_hash = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[StaffUser] = fields.ForeignKeyField(
        "coform.StaffUser", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    # False between the password step and the second factor.
    second_factor_done = fields.BooleanField(default=False)

    class Meta:
        table = "staff_session"


class SignInAttempt(Model):
    """One attempt to sign in, keyed by a hash of the email (and separately of the address)."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=64)
    at = fields.DatetimeField()
    succeeded = fields.BooleanField(default=False)

    class Meta:
        table = "sign_in_attempt"
        indexes = (("key", "at"),)


# --- users and setup links ------------------------------------------------------------------------


async def add_user(email: str, role: str, *, now: dt.datetime | None = None) -> tuple[Staff, str]:
    """Create an account with no password; returns it and the token of its one-time set-password link."""
    address = _clean_email(email)
    _check_role(role)
    token = secrets.token_urlsafe(32)
    now = now or _now()
    try:
        async with writing() as connection:
            user = await StaffUser.create(
                email=address,
                role=role,
                setup_token_hash=_hash_token(token),
                setup_expires_at=now + SETUP_LINK_LIFETIME,
                created_at=now,
                using_db=connection,
            )
    except IntegrityError as error:
        raise AccountExists(f"{address} already has an account") from error
    return _staff(user), token


async def reset_user(email: str, *, now: dt.datetime | None = None) -> str:
    """Forget the password and second factor, end every session, and return a new setup link token.

    For someone who has lost their phone or forgotten their password: they start again from the link.
    """
    token = secrets.token_urlsafe(32)
    now = now or _now()
    async with writing() as connection:
        user = await StaffUser.filter(email=_clean_email(email)).using_db(connection).first()
        if user is None:
            raise NoSuchAccount(f"no account has the email address {email}")
        await StaffSession.filter(user_id=user.id).using_db(connection).delete()
        await (
            StaffUser.filter(id=user.id)
            .using_db(connection)
            .update(
                password_hash=None,
                totp_secret=None,
                totp_confirmed=False,
                totp_last_step=None,
                setup_token_hash=_hash_token(token),
                setup_expires_at=now + SETUP_LINK_LIFETIME,
            )
        )
    return token


async def disable_user(email: str) -> None:
    """Stop an account signing in and end its sessions at once; its history is kept."""
    async with writing() as connection:
        user = await StaffUser.filter(email=_clean_email(email)).using_db(connection).first()
        if user is None:
            raise NoSuchAccount(f"no account has the email address {email}")
        await (
            StaffUser.filter(id=user.id)
            .using_db(connection)
            .update(disabled=True, setup_token_hash=None, setup_expires_at=None)
        )
        await StaffSession.filter(user_id=user.id).using_db(connection).delete()


async def list_users() -> list[StaffAccount]:
    """Every account, by email address."""
    users = await StaffUser.all().order_by("email")
    return [
        StaffAccount(
            id=user.id,
            email=user.email,
            role=user.role,
            disabled=user.disabled,
            has_password=user.password_hash is not None,
            has_second_factor=user.totp_confirmed,
            created_at=user.created_at,
        )
        for user in users
    ]


async def setup_link_staff(setup_token: str, *, now: dt.datetime | None = None) -> Staff | None:
    """Whose set-password link this is, while it is unused and unexpired; None otherwise."""
    user = await _setup_link_user(setup_token, now or _now())
    return None if user is None else _staff(user)


def check_password_rules(password: str, email: str) -> None:
    """Raise PasswordRejected unless `password` is long enough and is not the email address."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise PasswordRejected("too_short")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise PasswordRejected("too_long")
    if password.strip().lower() == email.lower():
        raise PasswordRejected("is_email")


async def set_password(setup_token: str, password: str, *, now: dt.datetime | None = None) -> Staff:
    """Set the password through a one-time link, which then stops working."""
    now = now or _now()
    user = await _setup_link_user(setup_token, now)
    if user is None:
        raise SetupLinkInvalid("this set-password link is unknown, used or expired")
    check_password_rules(password, user.email)
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    async with writing() as connection:
        # The link is used up by the same UPDATE that sets the password, so two tabs sending the
        # form at once cannot both succeed.
        changed = (
            await StaffUser.filter(
                id=user.id,
                setup_token_hash=_hash_token(setup_token),
                setup_expires_at__gt=now,
                disabled=False,
            )
            .using_db(connection)
            .update(password_hash=password_hash, setup_token_hash=None, setup_expires_at=None)
        )
    if changed != 1:
        raise SetupLinkInvalid("this set-password link is unknown, used or expired")
    return _staff(user)


async def _setup_link_user(setup_token: str, now: dt.datetime) -> StaffUser | None:
    if not _plausible_token(setup_token):
        return None
    return await StaffUser.get_or_none(
        setup_token_hash=_hash_token(setup_token), setup_expires_at__gt=now, disabled=False
    )


# --- signing in -----------------------------------------------------------------------------------


async def sign_in(
    email: str, password: str, client_address: str | None, *, now: dt.datetime | None = None
) -> Staff | None:
    """The account if the email address and password are right; None otherwise.

    Raises TooManyAttempts after too many recent failures for the email address or the network
    address. Takes the same time whether or not the account exists: a missing account's password is
    checked against a dummy hash. The attempt is recorded and committed before counting, so workers
    racing each other can never together get more tries than the limits allow.
    """
    now = now or _now()
    email = email.strip().lower()
    email_key = _attempt_key("email", email)
    address_key = _attempt_key("address", client_address or "unknown")
    attempt_ids = await _record_attempts((email_key, address_key), now)
    if (
        await _recent_failures(email_key, now) > EMAIL_ATTEMPT_LIMIT
        or await _recent_failures(address_key, now) > ADDRESS_ATTEMPT_LIMIT
    ):
        raise TooManyAttempts("too many failed attempts to sign in; wait 15 minutes")
    user = await StaffUser.get_or_none(email=email)
    if user is None or user.password_hash is None or user.disabled:
        await asyncio.to_thread(_password_matches, _dummy_hash(), password)
        return None
    if not await asyncio.to_thread(_password_matches, user.password_hash, password):
        return None
    async with writing() as connection:
        await SignInAttempt.filter(id__in=attempt_ids).using_db(connection).update(succeeded=True)
        # Earlier mistakes by the owner of the account are forgiven once they get it right.
        await SignInAttempt.filter(key=email_key, succeeded=False).using_db(connection).delete()
        if _hasher.check_needs_rehash(user.password_hash):
            new_hash = await asyncio.to_thread(_hasher.hash, password)
            await StaffUser.filter(id=user.id).using_db(connection).update(password_hash=new_hash)
    return _staff(user)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    """A hash of a random password made with the same settings, so checking it costs the same."""
    return _dummy_hash_for(_hasher)


@functools.cache
def _dummy_hash_for(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


async def _record_attempts(keys: tuple[str, ...], now: dt.datetime) -> list[int]:
    async with writing() as connection:
        # Attempts older than the window no longer count; clearing this key's keeps the table small.
        await SignInAttempt.filter(key__in=keys, at__lt=now - ATTEMPT_WINDOW).using_db(connection).delete()
        rows = [await SignInAttempt.create(key=key, at=now, using_db=connection) for key in keys]
    return [row.id for row in rows]


async def _recent_failures(key: str, now: dt.datetime) -> int:
    count: int = await SignInAttempt.filter(key=key, succeeded=False, at__gte=now - ATTEMPT_WINDOW).count()
    return count


async def exceeds_limits(limits: Sequence[tuple[str, str, int]], *, now: dt.datetime | None = None) -> bool:
    """Count one more attempt at something that must not be done too often, and say whether it is
    one too many: [("resume_email_draft", draft_id, 3), ("resume_email_address", "192.0.2.1", 20)]
    records an attempt under each (kind, value) and is True when either now has more than its limit
    within ATTEMPT_WINDOW.

    The same table as sign-in attempts, recorded and committed before counting, so the limits
    hold across every worker; refused attempts count too, so hammering keeps the door shut.
    """
    now = now or _now()
    keys = tuple(_attempt_key(kind, value) for kind, value, _ in limits)
    await _record_attempts(keys, now)
    counts = [await _recent_failures(key, now) for key in keys]
    return any(count > limit for count, (_, _, limit) in zip(counts, limits, strict=True))


def _attempt_key(kind: str, value: str) -> str:
    """A hash, so the table does not list the email addresses people tried."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


# --- sessions -------------------------------------------------------------------------------------


async def start_session(staff_id: int, *, second_factor_done: bool, now: dt.datetime | None = None) -> str:
    """Start a session and return its token (for the cookie); only the token's sha256 is stored.

    Call it again after the second factor, rather than marking the old session, so a token seen
    before the second factor is never worth anything after it.
    """
    token = secrets.token_urlsafe(32)
    now = now or _now()
    async with writing() as connection:
        await StaffSession.create(
            token_hash=_hash_token(token),
            user_id=staff_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
            second_factor_done=second_factor_done,
            using_db=connection,
        )
    return token


async def staff_for_session(token: str, *, now: dt.datetime | None = None) -> Staff | None:
    """Who is signed in with this token: None if it is unknown, expired, or still waits for a second
    factor that the role requires."""
    found = await _live_session(token, now or _now())
    if found is None:
        return None
    session, user = found
    if user.role in SECOND_FACTOR_ROLES and not session.second_factor_done:
        return None
    return _staff(user)


async def session_awaiting_second_factor(token: str, *, now: dt.datetime | None = None) -> Staff | None:
    """Who this session belongs to when the password was right but the second factor is still due."""
    found = await _live_session(token, now or _now())
    if found is None:
        return None
    session, user = found
    if user.role not in SECOND_FACTOR_ROLES or session.second_factor_done:
        return None
    return _staff(user)


async def end_session(token: str) -> None:
    """Sign out: the token stops working at once, in every worker."""
    if _plausible_token(token):
        await StaffSession.filter(token_hash=_hash_token(token)).delete()


async def _live_session(token: str, now: dt.datetime) -> tuple[StaffSession, StaffUser] | None:
    if not _plausible_token(token):
        return None
    session = await StaffSession.get_or_none(token_hash=_hash_token(token)).prefetch_related("user")
    if session is None:
        return None
    user: StaffUser = session.user
    if now >= session.expires_at or now - session.last_seen_at >= SESSION_IDLE_TIMEOUT or user.disabled:
        await StaffSession.filter(token_hash=session.token_hash).delete()
        return None
    if now - session.last_seen_at >= _TOUCH_INTERVAL:
        await StaffSession.filter(token_hash=session.token_hash).update(last_seen_at=now)
    return session, user


# --- second factor (TOTP) ---------------------------------------------------------------------------


async def begin_totp(staff_id: int) -> TotpEnrolment:
    """The secret to add to an authenticator app. The same secret comes back until it is confirmed,
    so reloading the page does not undo a code already scanned."""
    user = await StaffUser.get_or_none(id=staff_id)
    if user is None:
        raise NoSuchAccount(f"no account has the id {staff_id}")
    if user.totp_confirmed:
        raise AccountError("this account has a second factor already; reset it to enrol again")
    secret = user.totp_secret
    if secret is None:
        secret = pyotp.random_base32()
        await StaffUser.filter(id=staff_id, totp_secret__isnull=True).update(totp_secret=secret)
        # Another tab may have stored its secret first: use whichever was kept.
        secret = (await StaffUser.get(id=staff_id)).totp_secret or secret
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
    return TotpEnrolment(secret=secret, uri=uri)


async def confirm_totp(staff_id: int, code: str, *, now: dt.datetime | None = None) -> bool:
    """Finish enrolment with a first code from the app; True if it was right."""
    return await _check_totp(staff_id, code, now or _now(), confirming=True)


async def verify_totp(staff_id: int, code: str, *, now: dt.datetime | None = None) -> bool:
    """Whether `code` is right for the account's confirmed secret and has not been used before.

    Accepts the code of the step before and after as well, for clocks a little out. Raises
    TooManyAttempts after too many wrong codes.
    """
    return await _check_totp(staff_id, code, now or _now(), confirming=False)


async def has_confirmed_totp(staff_id: int) -> bool:
    return await StaffUser.filter(id=staff_id, totp_confirmed=True).exists()


async def _check_totp(staff_id: int, code: str, now: dt.datetime, *, confirming: bool) -> bool:
    key = _attempt_key("totp", str(staff_id))
    attempt_ids = await _record_attempts((key,), now)
    if await _recent_failures(key, now) > SECOND_FACTOR_ATTEMPT_LIMIT:
        raise TooManyAttempts("too many wrong codes; wait 15 minutes")
    user = await StaffUser.get_or_none(id=staff_id, disabled=False)
    if user is None or user.totp_secret is None or user.totp_confirmed == confirming:
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    async with writing() as connection:
        # Conditional on the last step used, so the same code sent twice at once passes once only.
        used = (
            await StaffUser.filter(id=staff_id, totp_last_step__isnull=True)
            .using_db(connection)
            .update(totp_last_step=step, totp_confirmed=True)
        ) or (
            await StaffUser.filter(id=staff_id, totp_last_step__lt=step)
            .using_db(connection)
            .update(totp_last_step=step, totp_confirmed=True)
        )
        if used:
            await SignInAttempt.filter(id__in=attempt_ids).using_db(connection).update(succeeded=True)
            await SignInAttempt.filter(key=key, succeeded=False).using_db(connection).delete()
    return bool(used)


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code is `code` (now, or one step either side), or None."""
    code = code.replace(" ", "").replace("-", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- helpers --------------------------------------------------------------------------------------


def _staff(user: StaffUser) -> Staff:
    return Staff(id=user.id, email=user.email, role=user.role)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UnknownRole(f"{role!r} is not a role; choose one of {', '.join(ROLES)}")


def _clean_email(email: str) -> str:
    """'  Sam@Example.org ' -> 'sam@example.org'; raises InvalidEmail if it cannot be an address."""
    address = email.strip().lower()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or len(address) > 320 or any(c.isspace() for c in address):
        raise InvalidEmail(f"{email!r} is not an email address")
    return address


def _plausible_token(token: str) -> bool:
    return 20 <= len(token) <= 100 and token.isascii()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


