"""The email outbox: messages written in the same transaction as the event that causes them.

A sender loop claims pending rows, delivers them over SMTP and records the outcome, so a mail relay
that is down never costs a submission and a message is neither lost nor sent twice::

    async with in_transaction() as connection:          # storage.submit does this for its caller
        ...                                             # the submission
        await enqueue(connection, [composer.receipt(...)])
    await run_sender(settings, stop_event)              # in every worker: each row is sent once

Claiming is what makes several workers (on several machines) safe: on PostgreSQL a worker locks
the due rows it takes with `FOR UPDATE SKIP LOCKED`, so two workers never take the same row, and
marks them claimed before committing; on SQLite the claim runs in a `BEGIN IMMEDIATE` transaction,
which only one process holds at a time. The message is sent after the claim commits, outside any
transaction, and recorded as sent at once. A claim that is never settled (the worker crashed)
runs out after a while and the row is sent again — with the same Message-ID, so a duplicate from
a crash between sending and recording can be recognised by the recipient's mail system.

This module also keeps the single-use save-and-return links that are sent by email.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import random
import secrets
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.models import Model

from engine.mail import Email, SendFailure, relay
from engine.settings import Settings
from engine.transactions import writing

PENDING = "pending"
SENT = "sent"
FAILED = "failed"

logger = logging.getLogger("coform.outbox")


class OutboxMessage(Model):
    """One email waiting to be sent, being sent, sent, or given up on (visible to admins)."""

    id = fields.UUIDField(primary_key=True)
    created_at = fields.DatetimeField()
    # receipt, resume_link or staff_alert: what caused the message, for admins and tests.
    kind = fields.CharField(max_length=30)
    form_slug = fields.CharField(max_length=100, null=True)
    reference = fields.CharField(max_length=20, null=True)
    to_address = fields.CharField(max_length=320)
    subject = fields.CharField(max_length=300)
    text_body = fields.TextField()
    html_body = fields.TextField()
    # Sent as Content-Language: the language the message is written in.
    language = fields.CharField(max_length=20, default="en")
    # The Message-ID header, fixed when the row is written so a retried send is recognisable.
    message_id = fields.CharField(max_length=255, unique=True)
    status = fields.CharField(max_length=10, default=PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # A sender holds a claim until this time; a claim left by a crashed sender runs out.
    claimed_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=100, null=True)
    last_error = fields.TextField(null=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"),)


class ResumeLink(Model):
    """A save-and-return link sent by email: it works once, until it expires.

    The link carries a random secret; the row keeps its sha256 and the draft's resume token sealed
    with a key made from that secret, so the table alone opens no draft.
    """

    id = fields.CharField(primary_key=True, max_length=64)
    response: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "coform.Response", related_name="resume_links", on_delete=fields.CASCADE
    )
    sealed_token = fields.CharField(max_length=400)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "resume_link"


@dataclass(frozen=True)
class RetryPolicy:
    """How often a message the relay did not take is tried again: exponential backoff with jitter,
    then given up on (`failed`, with the last error) after `max_attempts`."""

    first_delay_seconds: float = 60.0
    max_delay_seconds: float = 3600.0
    max_attempts: int = 10

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`th failure: 60 s, 120 s, 240 s ... up to an hour, each
        between half and all of that, so workers that failed together do not retry together."""
        ceiling = min(self.max_delay_seconds, self.first_delay_seconds * 2 ** max(attempts - 1, 0))
        return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - not a secret


@dataclass(frozen=True)
class Claimed:
    """A message this worker has claimed: the email, when it was written, and which attempt this is."""

    id: uuid.UUID
    email: Email
    created_at: dt.datetime
    attempt: int


@dataclass(frozen=True)
class FailedMessage:
    """A message given up on, for admins: no body, which may hold a link to someone's answers."""

    id: str
    kind: str
    form_slug: str | None
    reference: str | None
    to_address: str
    created_at: dt.datetime
    attempts: int
    last_error: str | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)




# --- writing messages --------------------------------------------------------------------------------


async def enqueue(
    connection: BaseDBAsyncClient, emails: Sequence[Email], *, now: dt.datetime | None = None
) -> None:
    """Write `emails` to the outbox inside the caller's open transaction: they are sent only if it commits."""
    if not emails:
        return
    moment = now or _now()
    await OutboxMessage.bulk_create(
        [
            OutboxMessage(
                id=uuid.uuid4(),
                created_at=moment,
                kind=email.kind,
                form_slug=email.form_slug,
                reference=email.reference,
                to_address=email.to_address,
                subject=email.subject,
                text_body=email.text_body,
                html_body=email.html_body,
                language=email.language,
                message_id=email.message_id,
                status=PENDING,
                attempts=0,
                next_attempt_at=moment,
            )
            for email in emails
        ],
        using_db=connection,
    )


async def send_later(emails: Sequence[Email]) -> None:
    """Write `emails` to the outbox in a transaction of their own (when nothing else is written)."""
    async with writing() as connection:
        await enqueue(connection, emails)


# --- single-use save-and-return links ------------------------------------------------------------------


def new_link_secret() -> str:
    """The secret an emailed save-and-return link carries (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def _link_id(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _keystream(secret: str, length: int) -> bytes:
    """Bytes made from the link secret alone (SHA-512 in counter mode), distinct from its sha256 id."""
    blocks = b"".join(
        hashlib.sha512(f"coform resume link {counter}:{secret}".encode("ascii")).digest()
        for counter in range(length // 64 + 1)
    )
    return blocks[:length]


def _seal(token: str, secret: str) -> str:
    data = token.encode("ascii")
    return bytes(a ^ b for a, b in zip(data, _keystream(secret, len(data)), strict=True)).hex()


def _unseal(sealed: str, secret: str) -> str | None:
    try:
        data = bytes.fromhex(sealed)
        return bytes(a ^ b for a, b in zip(data, _keystream(secret, len(data)), strict=True)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None


async def email_resume_link(
    draft_id: str, resume_token: str, secret: str, expires_at: dt.datetime, email: Email
) -> None:
    """Keep a single-use link (`secret`) to the draft and write the email carrying it, in one transaction."""
    if not resume_token.isascii() or not secret.isascii():
        raise ValueError("resume tokens and link secrets are ASCII")
    async with writing() as connection:
        await ResumeLink.create(
            id=_link_id(secret),
            response_id=uuid.UUID(draft_id),
            sealed_token=_seal(resume_token, secret),
            created_at=_now(),
            expires_at=expires_at,
            using_db=connection,
        )
        await enqueue(connection, [email])


def _plausible_secret(secret: object) -> bool:
    return isinstance(secret, str) and secret.isascii() and 20 <= len(secret) <= 100


async def resume_link_draft(secret: str, now: dt.datetime | None = None) -> str | None:
    """The id of the draft an unused, unexpired link opens, without using the link up."""
    if not _plausible_secret(secret):
        return None
    link = await ResumeLink.filter(
        id=_link_id(secret), used_at__isnull=True, expires_at__gt=now or _now()
    ).first()
    return None if link is None else str(link.response_id)  # type: ignore[attr-defined]


async def redeem_resume_link(secret: str, now: dt.datetime | None = None) -> str | None:
    """The draft's resume token for an unused, unexpired link, marking the link used; otherwise None.

    Marking it used is one conditional UPDATE, so two clicks at once cannot both succeed.
    """
    if not _plausible_secret(secret):
        return None
    moment = now or _now()
    link_id = _link_id(secret)
    async with writing() as connection:
        taken = (
            await ResumeLink.filter(id=link_id, used_at__isnull=True, expires_at__gt=moment)
            .using_db(connection)
            .update(used_at=moment)
        )
        if taken != 1:
            return None
        link = await ResumeLink.get(id=link_id, using_db=connection)
    return _unseal(link.sealed_token, secret)


# --- claiming and settling ----------------------------------------------------------------------------


async def claim(
    worker: str, *, limit: int, lease: dt.timedelta, now: dt.datetime | None = None
) -> list[Claimed]:
    """Take up to `limit` due messages for `worker` until now + `lease`; no other worker gets them."""
    moment = now or _now()
    async with writing() as connection:
        query = (
            OutboxMessage.filter(status=PENDING, next_attempt_at__lte=moment)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=moment))
            .order_by("next_attempt_at", "created_at")
            .limit(limit)
            .using_db(connection)
        )
        if connection.capabilities.dialect == "postgres":
            # Rows another worker is claiming right now are skipped rather than waited for.
            query = query.select_for_update(skip_locked=True)
        rows = await query
        if not rows:
            return []
        await (
            OutboxMessage.filter(id__in=[row.id for row in rows])
            .using_db(connection)
            .update(claimed_by=worker, claimed_until=moment + lease, attempts=F("attempts") + 1)
        )
    return [Claimed(row.id, _as_email(row), row.created_at, row.attempts + 1) for row in rows]


async def mark_sent(message: Claimed, worker: str, now: dt.datetime | None = None) -> None:
    async with writing() as connection:
        await (
            OutboxMessage.filter(id=message.id, claimed_by=worker)
            .using_db(connection)
            .update(status=SENT, sent_at=now or _now(), claimed_until=None, last_error=None)
        )


async def mark_not_sent(
    message: Claimed,
    worker: str,
    error: str,
    *,
    permanent: bool,
    retry: RetryPolicy,
    now: dt.datetime | None = None,
) -> None:
    """Record a failed attempt: try again after a backoff, or give up (`failed`) when trying again
    cannot help or the attempts are used up."""
    moment = now or _now()
    gives_up = permanent or message.attempt >= retry.max_attempts
    async with writing() as connection:
        await (
            OutboxMessage.filter(id=message.id, claimed_by=worker)
            .using_db(connection)
            .update(
                status=FAILED if gives_up else PENDING,
                next_attempt_at=moment + retry.delay(message.attempt),
                claimed_until=None,
                last_error=error[:2000],
            )
        )
    if gives_up:
        logger.error(
            "Gave up sending %s %s to %s after %d attempts: %s",
            message.email.kind,
            message.email.message_id,
            message.email.to_address,
            message.attempt,
            error,
        )


async def release(messages: Sequence[Claimed], worker: str) -> None:
    """Give back claimed messages this worker did not try, without counting an attempt."""
    if not messages:
        return
    async with writing() as connection:
        await (
            OutboxMessage.filter(id__in=[message.id for message in messages], claimed_by=worker)
            .using_db(connection)
            .update(claimed_until=None, attempts=F("attempts") - 1)
        )


def _as_email(row: OutboxMessage) -> Email:
    return Email(
        kind=row.kind,
        to_address=row.to_address,
        subject=row.subject,
        text_body=row.text_body,
        html_body=row.html_body,
        language=row.language,
        message_id=row.message_id,
        form_slug=row.form_slug,
        reference=row.reference,
    )


# --- for admins ----------------------------------------------------------------------------------------


async def failed_messages(limit: int = 100) -> list[FailedMessage]:
    """Messages given up on, newest first."""
    rows = await OutboxMessage.filter(status=FAILED).order_by("-created_at").limit(limit)
    return [
        FailedMessage(
            id=str(row.id),
            kind=row.kind,
            form_slug=row.form_slug,
            reference=row.reference,
            to_address=row.to_address,
            created_at=row.created_at,
            attempts=row.attempts,
            last_error=row.last_error,
        )
        for row in rows
    ]


async def try_again(message_id: str, now: dt.datetime | None = None) -> bool:
    """Put a message given up on back in the queue, to be sent at once with a fresh count of
    attempts (an admin does this once the relay is fixed); False when there is no such failed message.

    Its last error stays until it is sent, so the page still says what went wrong meanwhile.
    """
    try:
        key = uuid.UUID(message_id)
    except ValueError:
        return False
    async with writing() as connection:
        changed = (
            await OutboxMessage.filter(id=key, status=FAILED)
            .using_db(connection)
            .update(
                status=PENDING, attempts=0, next_attempt_at=now or _now(), claimed_until=None, claimed_by=None
            )
        )
    return bool(changed)


async def count_by_status() -> dict[str, int]:
    """How many messages are pending, sent and failed: {"pending": 2, "sent": 40, "failed": 0}."""
    counts = {PENDING: 0, SENT: 0, FAILED: 0}
    # One grouped query: counting each status separately could see a message in two states
    # while a sender moves it from pending to sent between the queries.
    rows = await OutboxMessage.all().annotate(count=Count("id")).group_by("status").values("status", "count")
    for row in rows:
        counts[row["status"]] = row["count"]
    return counts


# --- the sender loop -----------------------------------------------------------------------------------


def worker_name() -> str:
    """Who holds a claim, for admins reading the table: "host:pid:4f2a9c"."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


async def send_due(
    settings: Settings,
    worker: str,
    *,
    retry: RetryPolicy,
    batch_size: int = 10,
    lease: dt.timedelta = dt.timedelta(minutes=10),
) -> int:
    """Claim one batch of due messages and send it over one connection; returns how many were claimed.

    Each message is recorded as sent straight after the relay takes it, so a crash can at worst
    repeat one message. Messages left when the lease is nearly over are given back untried.
    """
    claimed = await claim(worker, limit=batch_size, lease=lease)
    if not claimed:
        return 0
    deadline = _now() + lease / 2
    remaining = list(claimed)
    try:
        async with relay(settings) as connection:
            while remaining and _now() < deadline:
                message = remaining.pop(0)
                try:
                    await connection.send(message.email, message.created_at)
                except SendFailure as failure:
                    await mark_not_sent(
                        message, worker, str(failure), permanent=failure.permanent, retry=retry
                    )
                    continue
                await mark_sent(message, worker)
    except SendFailure as failure:
        # The relay could not be reached (or dropped the connection): every message not yet
        # settled counts an attempt and waits for its backoff.
        for message in remaining:
            await mark_not_sent(message, worker, str(failure), permanent=False, retry=retry)
        logger.warning("Could not send %d messages: %s", len(remaining), failure)
        remaining = []
    await release(remaining, worker)
    return len(claimed)


async def run_sender(
    settings: Settings,
    stop_event: asyncio.Event,
    *,
    wake: asyncio.Event | None = None,
    retry: RetryPolicy | None = None,
    poll_seconds: float = 5.0,
    batch_size: int = 10,
) -> None:
    """Send due messages until `stop_event` is set: a batch at a time while there are more, then a
    nap of `poll_seconds` (cut short by `wake`, which the app sets after writing a message)."""
    worker = worker_name()
    policy = retry or RetryPolicy()
    logger.info("Email sender %s started", worker)
    while not stop_event.is_set():
        try:
            claimed = await send_due(settings, worker, retry=policy, batch_size=batch_size)
        except Exception:
            # The database may be briefly unreachable; the loop must outlive that and try again.
            logger.exception("Email sender %s could not read the outbox", worker)
            claimed = 0
        if claimed < batch_size:
            await _nap(stop_event, wake, poll_seconds)
    logger.info("Email sender %s stopped", worker)


async def _nap(stop_event: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    waits = [asyncio.ensure_future(stop_event.wait())]
    if wake is not None:
        waits.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
    if wake is not None:
        wake.clear()
