"""The outbox: a message is written with its cause, delivered once the relay takes it, retried with
backoff while the relay is down, given up on (visibly) after too many tries, and sent exactly once
however many workers drain it.

Run as a script (`python tests/test_outbox.py DATABASE_URL SMTP_PORT`), this file is one of the
sender processes of the four-worker test: it says "ready", waits for "go" on standard input, then
sends until nothing is pending.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from engine import outbox, storage
from engine.cli import main
from engine.mail import RECEIPT, STAFF_ALERT, Email
from engine.settings import Settings
from tests.smtp_sink import SmtpSink, free_port, mail_settings

ROOT = Path(__file__).resolve().parent.parent
#: Retries fast enough for a test: a fifth of a second, doubling to a second at most.
QUICK = outbox.RetryPolicy(first_delay_seconds=0.2, max_delay_seconds=1.0, max_attempts=100)
WORKERS = 4
MESSAGES = 80


def an_email(number: int, kind: str = RECEIPT, to: str = "sam@example.org") -> Email:
    return Email(
        kind=kind,
        to_address=to,
        subject=f"Message {number}",
        text_body=f"Plain text of message {number}",
        html_body=f"<p>HTML of message {number}</p>",
        language="en",
        message_id=f"<message-{number}@example.gov.uk>",
        form_slug="board",
        reference=f"CPB-{number:04d}-TEST",
    )


async def a_draft() -> storage.Draft:
    await storage.record_form_version("board", "v1", {"title": "Join the board"})
    draft, _ = await storage.create_draft("board", "v1", "en")
    return draft


def receipt_and_alert(submission: storage.Submission) -> list[Email]:
    number = int(submission.draft_id[:6], 16)
    return [
        an_email(number, RECEIPT, "sam@example.org"),
        an_email(number + 10**8, STAFF_ALERT, "team@example.org"),
    ]


async def statuses() -> dict[str, int]:
    return await outbox.count_by_status()


async def send_until(settings: Settings, done: asyncio.Event, *, retry: outbox.RetryPolicy = QUICK) -> None:
    """Run one sender until `done` is set."""
    await outbox.run_sender(settings, done, retry=retry, poll_seconds=0.05, batch_size=5)


@asynccontextmanager
async def a_sender(settings: Settings, *, retry: outbox.RetryPolicy = QUICK) -> AsyncIterator[None]:
    """A sender loop running in this process while the block runs, stopped (and awaited) after it."""
    done = asyncio.Event()
    sender = asyncio.create_task(send_until(settings, done, retry=retry))
    try:
        yield
    finally:
        done.set()
        await sender


async def until(condition_met: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Wait for an async predicate to hold."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition_met():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not true after {timeout} s")
        await asyncio.sleep(0.05)


# --- written with the cause ---------------------------------------------------------------------------


@pytest.mark.usefixtures("storage")
async def test_a_submission_writes_its_messages_in_the_same_transaction() -> None:
    draft = await a_draft()

    submission = await storage.submit(draft.id, {"role": "carer"}, "CPB", emails=receipt_and_alert)

    assert await statuses() == {"pending": 2, "sent": 0, "failed": 0}
    assert {row.reference for row in await outbox.OutboxMessage.all()} == {
        an_email(int(submission.draft_id[:6], 16)).reference,
        an_email(int(submission.draft_id[:6], 16) + 10**8).reference,
    }


@pytest.mark.usefixtures("storage")
async def test_submitting_twice_writes_the_messages_once() -> None:
    draft = await a_draft()

    await storage.submit(draft.id, {"role": "carer"}, "CPB", emails=receipt_and_alert)
    await storage.submit(draft.id, {"role": "carer"}, "CPB", emails=receipt_and_alert)

    assert await outbox.OutboxMessage.all().count() == 2


@pytest.mark.usefixtures("storage")
async def test_a_message_whose_cause_rolls_back_is_never_written() -> None:
    async def a_submission_that_fails() -> None:
        async with in_transaction() as connection:
            await outbox.enqueue(connection, [an_email(1)])
            raise RuntimeError("the submission failed")

    with pytest.raises(RuntimeError, match="the submission failed"):
        await a_submission_that_fails()

    assert await outbox.OutboxMessage.all().count() == 0


# --- delivery ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("storage")
async def test_a_pending_message_is_delivered_and_recorded_as_sent() -> None:
    await outbox.send_later([an_email(1)])
    with SmtpSink() as sink:
        sent = await outbox.send_due(mail_settings(sink.port), "worker-a", retry=QUICK)

        [message] = sink.wait_for(1)
    assert sent == 1
    assert message["Message-ID"] == "<message-1@example.gov.uk>"
    row = await outbox.OutboxMessage.get(message_id="<message-1@example.gov.uk>")
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.claimed_until is None
    assert not row.last_error
    assert row.sent_at is not None


@pytest.mark.usefixtures("storage")
async def test_with_the_mail_server_down_every_submission_succeeds_and_every_message_arrives_later() -> None:
    port = free_port()
    drafts = [await a_draft() for _ in range(10)]

    async with a_sender(mail_settings(port)):
        submissions = [
            await storage.submit(draft.id, {"number": number}, "CPB", emails=receipt_and_alert)
            for number, draft in enumerate(drafts)
        ]
        assert len({submission.reference for submission in submissions}) == 10
        assert await storage.count_submissions("board") == 10

        async def each_tried_and_waiting() -> bool:
            rows = await outbox.OutboxMessage.all()
            return len(rows) == 20 and all(
                row.status == "pending" and "could not connect" in (row.last_error or "") for row in rows
            )

        await until(each_tried_and_waiting)

        with SmtpSink(port) as sink:

            async def all_sent() -> bool:
                return (await statuses())["sent"] == 20

            await until(all_sent)

    assert sorted(sink.message_id_counts().values()) == [1] * 20


@pytest.mark.usefixtures("storage")
async def test_a_message_is_given_up_on_after_its_attempts_and_listed_for_admins() -> None:
    await outbox.send_later([an_email(7)])
    policy = outbox.RetryPolicy(first_delay_seconds=0.01, max_delay_seconds=0.02, max_attempts=3)

    async def failed() -> bool:
        return (await statuses())["failed"] == 1

    async with a_sender(mail_settings(free_port()), retry=policy):
        await until(failed)

    [message] = await outbox.failed_messages()
    assert (message.kind, message.reference, message.to_address, message.attempts) == (
        "receipt",
        "CPB-0007-TEST",
        "sam@example.org",
        3,
    )
    assert "could not connect" in str(message.last_error)


@pytest.mark.usefixtures("storage")
async def test_a_recipient_the_relay_refuses_for_good_fails_at_once_and_the_others_are_sent() -> None:
    await outbox.send_later([an_email(1, to="nobody@example.org"), an_email(2, to="sam@example.org")])

    with SmtpSink(refuse=lambda address: address.startswith("nobody@")) as sink:
        await outbox.send_due(mail_settings(sink.port), "worker-a", retry=QUICK)
        [delivered] = sink.wait_for(1)

    assert delivered["To"] == "sam@example.org"
    [failed] = await outbox.failed_messages()
    assert (failed.to_address, failed.attempts) == ("nobody@example.org", 1)
    assert "550" in str(failed.last_error)


@pytest.mark.usefixtures("storage")
async def test_a_message_given_up_on_is_sent_when_an_admin_tries_it_again() -> None:
    await outbox.send_later([an_email(1, to="nobody@example.org")])
    with SmtpSink(refuse=lambda address: address.startswith("nobody@")) as refusing:
        await outbox.send_due(mail_settings(refusing.port), "worker-a", retry=QUICK)
    [failed] = await outbox.failed_messages()

    assert await outbox.try_again(failed.id)
    assert not await outbox.try_again(failed.id)  # no longer a failed message
    assert not await outbox.try_again("not-a-message-id")
    with SmtpSink() as sink:
        await outbox.send_due(mail_settings(sink.port), "worker-a", retry=QUICK)
        [delivered] = sink.wait_for(1)

    assert delivered["To"] == "nobody@example.org"
    assert await statuses() == {"pending": 0, "sent": 1, "failed": 0}


@pytest.mark.usefixtures("storage")
async def test_a_failed_attempt_waits_longer_each_time_with_jitter() -> None:
    policy = outbox.RetryPolicy(first_delay_seconds=60, max_delay_seconds=600, max_attempts=10)

    waits = [[policy.delay(attempt).total_seconds() for _ in range(50)] for attempt in (1, 2, 3, 8)]

    for (low, high), observed in zip([(30, 60), (60, 120), (120, 240), (300, 600)], waits, strict=True):
        assert all(low <= wait <= high for wait in observed)
        assert len(set(observed)) > 1


# --- claims ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("storage")
async def test_a_claimed_message_is_not_claimed_again_until_its_claim_runs_out() -> None:
    await outbox.send_later([an_email(1)])
    now = dt.datetime.now(dt.UTC)
    lease = dt.timedelta(minutes=10)

    first = await outbox.claim("worker-a", limit=10, lease=lease, now=now)
    meanwhile = await outbox.claim("worker-b", limit=10, lease=lease, now=now + dt.timedelta(minutes=5))
    after_a_crash = await outbox.claim("worker-b", limit=10, lease=lease, now=now + dt.timedelta(minutes=11))

    assert [message.attempt for message in first] == [1]
    assert meanwhile == []
    assert [(m.attempt, m.email.message_id) for m in after_a_crash] == [(2, "<message-1@example.gov.uk>")]


@pytest.mark.usefixtures("storage")
async def test_a_worker_whose_claim_was_taken_over_cannot_record_the_message() -> None:
    await outbox.send_later([an_email(1)])
    now = dt.datetime.now(dt.UTC)
    lease = dt.timedelta(minutes=1)
    [stale] = await outbox.claim("worker-a", limit=1, lease=lease, now=now)
    [current] = await outbox.claim("worker-b", limit=1, lease=lease, now=now + dt.timedelta(minutes=2))

    await outbox.mark_not_sent(stale, "worker-a", "late", permanent=True, retry=QUICK)

    row = await outbox.OutboxMessage.get(id=current.id)
    assert (row.status, row.claimed_by) == ("pending", "worker-b")
    assert not row.last_error


@pytest.mark.slow
async def test_four_worker_processes_drain_one_outbox_sending_each_message_exactly_once(
    database_url: str,
) -> None:
    await storage.migrate(database_url)
    async with storage.connect(database_url):
        await outbox.send_later([an_email(number) for number in range(MESSAGES)])

    with SmtpSink(delay_seconds=0.01) as sink:
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                database_url,
                str(sink.port),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])},
            )
            for _ in range(WORKERS)
        ]
        for worker in workers:
            assert worker.stdout is not None
            assert await asyncio.wait_for(worker.stdout.readline(), 20) == b"ready\n"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
            await worker.stdin.drain()
            worker.stdin.close()
        await asyncio.wait_for(asyncio.gather(*(worker.wait() for worker in workers)), 25)
        counts = sink.message_id_counts()

    assert [worker.returncode for worker in workers] == [0] * WORKERS
    assert len(counts) == MESSAGES
    assert set(counts.values()) == {1}, [message_id for message_id, n in counts.items() if n > 1]
    async with storage.connect(database_url):
        assert await statuses() == {"pending": 0, "sent": MESSAGES, "failed": 0}
        senders = await outbox.OutboxMessage.all().distinct().values_list("claimed_by", flat=True)
    assert len(set(senders)) > 1, "only one worker sent anything, so nothing was contended"


# --- emailed save-and-return links --------------------------------------------------------------------


@pytest.mark.usefixtures("storage")
async def test_an_emailed_link_opens_its_draft_once_and_its_email_is_written_with_it() -> None:
    draft = await a_draft()
    secret = outbox.new_link_secret()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=28)

    await outbox.email_resume_link(draft.id, "the-drafts-resume-token-" * 2, secret, expires, an_email(1))

    assert await outbox.OutboxMessage.all().count() == 1
    assert await outbox.resume_link_draft(secret) == draft.id
    assert await outbox.redeem_resume_link(secret) == "the-drafts-resume-token-" * 2
    assert await outbox.redeem_resume_link(secret) is None
    assert await outbox.resume_link_draft(secret) is None


@pytest.mark.usefixtures("storage")
async def test_an_emailed_link_stops_working_when_it_expires() -> None:
    draft = await a_draft()
    secret = outbox.new_link_secret()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=28)
    await outbox.email_resume_link(draft.id, "token-" * 8, secret, expires, an_email(1))

    assert await outbox.resume_link_draft(secret, now=expires) is None
    assert await outbox.redeem_resume_link(secret, now=expires + dt.timedelta(seconds=1)) is None
    assert await outbox.redeem_resume_link(secret, now=expires - dt.timedelta(seconds=1)) == "token-" * 8


@pytest.mark.usefixtures("storage")
async def test_the_table_alone_opens_no_draft_and_a_wrong_secret_opens_nothing() -> None:
    draft = await a_draft()
    secret = outbox.new_link_secret()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    await outbox.email_resume_link(draft.id, "token-" * 8, secret, expires, an_email(1))

    [row] = await outbox.ResumeLink.all()

    assert secret not in row.id
    assert "token-" not in row.sealed_token
    assert bytes.fromhex(row.sealed_token) != b"token-" * 8
    assert await outbox.redeem_resume_link(outbox.new_link_secret()) is None
    assert await outbox.redeem_resume_link("short") is None


@pytest.mark.usefixtures("storage")
async def test_two_clicks_at_once_on_an_emailed_link_open_the_draft_once() -> None:
    draft = await a_draft()
    secret = outbox.new_link_secret()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    await outbox.email_resume_link(draft.id, "token-" * 8, secret, expires, an_email(1))

    results = await asyncio.gather(*(outbox.redeem_resume_link(secret) for _ in range(5)))

    assert results.count("token-" * 8) == 1
    assert results.count(None) == 4


# --- for admins --------------------------------------------------------------------------------------


def test_coform_outbox_lists_the_messages_given_up_on(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def one_failed_message() -> None:
        await storage.migrate(database_url)
        async with storage.connect(database_url):
            await outbox.send_later([an_email(3, to="nobody@example.org"), an_email(4)])
            await outbox.OutboxMessage.filter(message_id="<message-3@example.gov.uk>").update(
                status="failed", attempts=10, last_error="SMTPRecipientsRefused: 550 No such mailbox"
            )

    asyncio.run(one_failed_message())
    monkeypatch.setenv("DATABASE_URL", database_url)

    code = main(["outbox"])

    out = capsys.readouterr().out
    assert code == 1
    assert "1 pending, 0 sent, 1 failed" in out
    assert "receipt to nobody@example.org (CPB-0003-TEST)" in out
    assert "after 10 attempts: SMTPRecipientsRefused: 550 No such mailbox" in out
    assert "sam@example.org" not in out


def test_coform_send_mail_refuses_plainly_without_a_mail_relay(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COFORM_SMTP_HOST", raising=False)

    code = main(["send-mail"])

    assert code == 1
    assert "Email is not configured (COFORM_SMTP_HOST unset)" in capsys.readouterr().err


# --- the worker process ------------------------------------------------------------------------------


async def run_worker(database_url: str, port: int) -> None:
    async with storage.connect(database_url):
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        async with a_sender(mail_settings(port)):
            while (await statuses())["pending"]:
                await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(run_worker(sys.argv[1], int(sys.argv[2])))
