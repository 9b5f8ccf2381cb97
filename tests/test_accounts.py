"""Staff accounts: set-password links, argon2id hashes, sign-in limits kept in the database,
sessions that expire, and TOTP second factors that cannot be replayed."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from argon2 import PasswordHasher

from engine import accounts
from engine.accounts import SignInAttempt, Staff, StaffUser
from engine.cli import main

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"
OFFICE = "192.0.2.10"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, with the least work: the limit tests check dozens of passwords."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


async def a_user_with_a_password(role: str = "board", email: str = "sam@example.org") -> Staff:
    _staff, token = await accounts.add_user(email, role, now=NOW)
    return await accounts.set_password(token, PASSWORD, now=NOW)


async def a_user_with_totp(role: str = "reviewer") -> tuple[Staff, pyotp.TOTP]:
    staff = await a_user_with_a_password(role)
    enrolment = await accounts.begin_totp(staff.id)
    totp = pyotp.TOTP(enrolment.secret)
    assert await accounts.confirm_totp(staff.id, totp.at(NOW), now=NOW)
    return staff, totp


# --- accounts and set-password links ----------------------------------------------------------------


async def test_passwords_are_stored_as_argon2id_hashes(storage: str) -> None:
    staff = await a_user_with_a_password()

    stored = await StaffUser.get(id=staff.id)

    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


async def test_a_new_account_has_its_role_and_a_lower_case_email(storage: str) -> None:
    staff, token = await accounts.add_user("  Sam.Jones@Example.ORG ", "reviewer", now=NOW)

    assert staff.email == "sam.jones@example.org"
    assert staff.role == "reviewer"
    assert await accounts.setup_link_staff(token, now=NOW) == staff


async def test_adding_an_email_twice_or_an_unknown_role_is_refused(storage: str) -> None:
    await accounts.add_user("sam@example.org", "board", now=NOW)

    with pytest.raises(accounts.AccountExists):
        await accounts.add_user("SAM@example.org", "author", now=NOW)
    with pytest.raises(accounts.UnknownRole):
        await accounts.add_user("alex@example.org", "superuser", now=NOW)
    with pytest.raises(accounts.InvalidEmail):
        await accounts.add_user("not an address", "board", now=NOW)


async def test_a_setup_link_works_only_once(storage: str) -> None:
    _, token = await accounts.add_user("sam@example.org", "board", now=NOW)
    await accounts.set_password(token, PASSWORD, now=NOW)

    with pytest.raises(accounts.SetupLinkInvalid):
        await accounts.set_password(token, "another long passphrase", now=NOW)
    assert await accounts.setup_link_staff(token, now=NOW) is None


async def test_a_setup_link_stops_working_after_three_days(storage: str) -> None:
    _, token = await accounts.add_user("sam@example.org", "board", now=NOW)
    later = NOW + accounts.SETUP_LINK_LIFETIME

    assert await accounts.setup_link_staff(token, now=later - dt.timedelta(minutes=1)) is not None
    assert await accounts.setup_link_staff(token, now=later) is None
    with pytest.raises(accounts.SetupLinkInvalid):
        await accounts.set_password(token, PASSWORD, now=later)


@pytest.mark.parametrize(
    ("password", "code"),
    [("short words", "too_short"), ("x" * 201, "too_long"), ("Sam@Example.org", "is_email")],
)
async def test_a_weak_password_is_refused_and_the_link_still_works(
    storage: str, password: str, code: str
) -> None:
    _, token = await accounts.add_user("sam@example.org", "board", now=NOW)

    with pytest.raises(accounts.PasswordRejected) as rejected:
        await accounts.set_password(token, password.replace("Sam@Example.org", "sam@example.org"), now=NOW)

    assert rejected.value.code == code
    assert await accounts.setup_link_staff(token, now=NOW) is not None


async def test_reset_forgets_the_password_and_second_factor_and_ends_sessions(storage: str) -> None:
    staff, _ = await a_user_with_totp()
    session = await accounts.start_session(staff.id, second_factor_done=True, now=NOW)

    token = await accounts.reset_user("sam@example.org", now=NOW)

    assert await accounts.staff_for_session(session, now=NOW) is None
    assert await accounts.sign_in("sam@example.org", PASSWORD, OFFICE, now=NOW) is None
    assert not await accounts.has_confirmed_totp(staff.id)
    assert await accounts.setup_link_staff(token, now=NOW) == staff


async def test_the_list_of_users_shows_who_has_a_password_and_second_factor(storage: str) -> None:
    await a_user_with_totp()
    await accounts.add_user("alex@example.org", "author", now=NOW)

    listed = await accounts.list_users()

    assert [(user.email, user.role, user.has_password, user.has_second_factor) for user in listed] == [
        ("alex@example.org", "author", False, False),
        ("sam@example.org", "reviewer", True, True),
    ]


# --- signing in ---------------------------------------------------------------------------------------


async def test_the_right_email_and_password_sign_in(storage: str) -> None:
    staff = await a_user_with_a_password()

    assert await accounts.sign_in(" SAM@example.org", PASSWORD, OFFICE, now=NOW) == staff


async def test_a_wrong_password_and_an_unknown_email_are_treated_alike(
    storage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await a_user_with_a_password()
    checked: list[str] = []
    real_check = accounts._password_matches

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash[:10])
        return real_check(password_hash, password)

    monkeypatch.setattr(accounts, "_password_matches", spy)

    wrong_password = await accounts.sign_in("sam@example.org", "not the password", OFFICE, now=NOW)
    unknown_email = await accounts.sign_in("nobody@example.org", PASSWORD, OFFICE, now=NOW)

    assert wrong_password is None
    assert unknown_email is None
    # A missing account still costs one argon2id check, so the answer takes as long.
    assert checked == ["$argon2id$", "$argon2id$"]


async def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(storage: str) -> None:
    staff = await a_user_with_a_password()
    session = await accounts.start_session(staff.id, second_factor_done=True, now=NOW)

    await accounts.disable_user("sam@example.org")

    assert await accounts.sign_in("sam@example.org", PASSWORD, OFFICE, now=NOW) is None
    assert await accounts.staff_for_session(session, now=NOW) is None


async def test_after_five_failures_even_the_right_password_is_refused_for_fifteen_minutes(
    storage: str,
) -> None:
    staff = await a_user_with_a_password()
    for _ in range(accounts.EMAIL_ATTEMPT_LIMIT):
        assert await accounts.sign_in("sam@example.org", "guess", OFFICE, now=NOW) is None

    with pytest.raises(accounts.TooManyAttempts):
        await accounts.sign_in(
            "sam@example.org", PASSWORD, "198.51.100.7", now=NOW + dt.timedelta(minutes=14)
        )
    later = NOW + accounts.ATTEMPT_WINDOW + dt.timedelta(minutes=15)
    assert await accounts.sign_in("sam@example.org", PASSWORD, OFFICE, now=later) == staff


async def test_an_unknown_email_is_limited_in_the_same_way(storage: str) -> None:
    for _ in range(accounts.EMAIL_ATTEMPT_LIMIT):
        assert await accounts.sign_in("nobody@example.org", "guess", OFFICE, now=NOW) is None

    with pytest.raises(accounts.TooManyAttempts):
        await accounts.sign_in("nobody@example.org", "guess", OFFICE, now=NOW)


async def test_one_address_trying_many_emails_is_limited(storage: str) -> None:
    for number in range(accounts.ADDRESS_ATTEMPT_LIMIT):
        await accounts.sign_in(f"person{number}@example.org", "guess", OFFICE, now=NOW)

    with pytest.raises(accounts.TooManyAttempts):
        await accounts.sign_in("another@example.org", "guess", OFFICE, now=NOW)
    assert await accounts.sign_in("another@example.org", "guess", "198.51.100.7", now=NOW) is None


async def test_a_hash_made_with_weaker_settings_is_upgraded_on_sign_in(
    storage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = await a_user_with_a_password()
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher())

    assert await accounts.sign_in("sam@example.org", PASSWORD, OFFICE, now=NOW) == staff

    stored = await StaffUser.get(id=staff.id)
    assert stored.password_hash is not None
    assert not PasswordHasher().check_needs_rehash(stored.password_hash)


async def test_signing_in_forgives_earlier_mistakes_and_stores_no_email_address(storage: str) -> None:
    staff = await a_user_with_a_password()
    for _ in range(accounts.EMAIL_ATTEMPT_LIMIT - 1):
        await accounts.sign_in("sam@example.org", "guess", OFFICE, now=NOW)
    await accounts.sign_in("sam@example.org", PASSWORD, OFFICE, now=NOW)

    for _ in range(accounts.EMAIL_ATTEMPT_LIMIT - 1):
        await accounts.sign_in("sam@example.org", "guess", OFFICE, now=NOW)

    assert await accounts.sign_in("sam@example.org", PASSWORD, OFFICE, now=NOW) == staff
    assert not await SignInAttempt.filter(key__contains="example").exists()


# --- sessions -----------------------------------------------------------------------------------------


async def test_a_session_ends_after_thirty_minutes_without_a_request(storage: str) -> None:
    staff = await a_user_with_a_password()
    token = await accounts.start_session(staff.id, second_factor_done=True, now=NOW)
    busy_until = NOW + dt.timedelta(minutes=29)

    assert await accounts.staff_for_session(token, now=busy_until) == staff
    assert await accounts.staff_for_session(token, now=busy_until + dt.timedelta(minutes=29)) == staff
    assert await accounts.staff_for_session(token, now=busy_until + dt.timedelta(minutes=59)) is None


async def test_a_busy_session_still_ends_ten_hours_after_signing_in(storage: str) -> None:
    staff = await a_user_with_a_password()
    token = await accounts.start_session(staff.id, second_factor_done=True, now=NOW)
    moment = NOW
    while moment < NOW + accounts.SESSION_LIFETIME - dt.timedelta(minutes=20):
        moment += dt.timedelta(minutes=20)
        assert await accounts.staff_for_session(token, now=moment) == staff

    assert await accounts.staff_for_session(token, now=NOW + accounts.SESSION_LIFETIME) is None


async def test_only_the_hash_of_a_session_token_is_stored(storage: str) -> None:
    staff = await a_user_with_a_password()
    token = await accounts.start_session(staff.id, second_factor_done=True, now=NOW)

    stored = [session.token_hash for session in await accounts.StaffSession.all()]

    assert token not in stored
    assert len(stored) == 1
    assert len(stored[0]) == 64


async def test_a_session_waits_for_the_second_factor_only_where_the_role_needs_it(storage: str) -> None:
    reviewer = await a_user_with_a_password("reviewer", "rev@example.org")
    board = await a_user_with_a_password("board", "board@example.org")
    reviewer_session = await accounts.start_session(reviewer.id, second_factor_done=False, now=NOW)
    board_session = await accounts.start_session(board.id, second_factor_done=False, now=NOW)

    assert await accounts.staff_for_session(reviewer_session, now=NOW) is None
    assert await accounts.session_awaiting_second_factor(reviewer_session, now=NOW) == reviewer
    assert await accounts.staff_for_session(board_session, now=NOW) == board
    assert await accounts.session_awaiting_second_factor(board_session, now=NOW) is None


async def test_an_ended_session_no_longer_signs_anyone_in(storage: str) -> None:
    staff = await a_user_with_a_password()
    token = await accounts.start_session(staff.id, second_factor_done=True, now=NOW)

    await accounts.end_session(token)

    assert await accounts.staff_for_session(token, now=NOW) is None


async def test_a_made_up_session_token_signs_no_one_in(storage: str) -> None:
    await a_user_with_a_password()

    assert await accounts.staff_for_session("x" * 43, now=NOW) is None
    assert await accounts.staff_for_session("", now=NOW) is None


# --- the second factor --------------------------------------------------------------------------------


async def test_the_enrolment_secret_stays_the_same_until_it_is_confirmed(storage: str) -> None:
    staff = await a_user_with_a_password("reviewer")

    first = await accounts.begin_totp(staff.id)
    again = await accounts.begin_totp(staff.id)

    assert first == again
    assert first.uri.startswith("otpauth://totp/coform:sam%40example.org?secret=")


async def test_a_totp_code_is_accepted_once_and_never_replayed(storage: str) -> None:
    staff, totp = await a_user_with_totp()
    later = NOW + dt.timedelta(minutes=5)
    code = totp.at(later)

    assert await accounts.verify_totp(staff.id, code, now=later)
    assert not await accounts.verify_totp(staff.id, code, now=later)


async def test_the_code_of_the_step_before_is_accepted_for_a_slow_phone_clock(storage: str) -> None:
    staff, totp = await a_user_with_totp()
    later = NOW + dt.timedelta(minutes=5)

    assert await accounts.verify_totp(staff.id, totp.at(later - dt.timedelta(seconds=30)), now=later)
    assert not await accounts.verify_totp(staff.id, totp.at(later - dt.timedelta(minutes=2)), now=later)


async def test_wrong_codes_are_refused_and_then_limited(storage: str) -> None:
    staff, totp = await a_user_with_totp()
    later = NOW + dt.timedelta(minutes=5)
    for wrong in ("000000", "12345", "abcdef", "", "9999999"):
        assert not await accounts.verify_totp(staff.id, wrong, now=later)

    with pytest.raises(accounts.TooManyAttempts):
        await accounts.verify_totp(staff.id, totp.at(later), now=later)


async def test_a_code_does_not_confirm_an_enrolment_twice_or_verify_before_it(storage: str) -> None:
    staff = await a_user_with_a_password("reviewer")
    totp = pyotp.TOTP((await accounts.begin_totp(staff.id)).secret)

    assert not await accounts.verify_totp(staff.id, totp.at(NOW), now=NOW)
    assert await accounts.confirm_totp(staff.id, totp.at(NOW), now=NOW)
    assert not await accounts.confirm_totp(staff.id, totp.at(NOW + dt.timedelta(minutes=1)), now=NOW)
    with pytest.raises(accounts.AccountError):
        await accounts.begin_totp(staff.id)


# --- the coform user command --------------------------------------------------------------------------


def test_coform_user_add_prints_a_one_time_link_that_sets_the_password(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COFORM_PUBLIC_URL", "https://forms.example.gov.uk/")

    code = main(["user", "add", "Sam@example.org", "--role", "reviewer"])

    printed = capsys.readouterr().out
    assert code == 0
    assert "Added sam@example.org as reviewer." in printed
    assert "It works once, for 3 days" in printed
    link = re.search(r"^https://forms\.example\.gov\.uk/staff/setup/([\w-]{43})$", printed, re.M)
    assert link is not None
    assert main(["user", "list"]) == 0
    assert "sam@example.org  reviewer  has not set a password yet" in capsys.readouterr().out


def test_coform_user_add_refuses_an_email_that_has_an_account(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("COFORM_PUBLIC_URL", raising=False)
    assert main(["user", "add", "sam@example.org", "--role", "board"]) == 0
    assert "/staff/setup/" in capsys.readouterr().out

    code = main(["user", "add", "sam@example.org", "--role", "admin"])

    assert code == 1
    assert "sam@example.org already has an account" in capsys.readouterr().err


def test_coform_user_disable_and_reset(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    main(["user", "add", "sam@example.org", "--role", "board"])
    main(["user", "add", "alex@example.org", "--role", "author"])
    capsys.readouterr()

    assert main(["user", "disable", "sam@example.org"]) == 0
    assert main(["user", "reset", "alex@example.org"]) == 0
    assert main(["user", "disable", "nobody@example.org"]) == 1

    out, err = capsys.readouterr()
    assert "Turned off sam@example.org" in out
    assert "Reset alex@example.org" in out
    assert "no account has the email address nobody@example.org" in err
    main(["user", "list"])
    assert capsys.readouterr().out.splitlines() == [
        "alex@example.org  author  has not set a password yet",
        "sam@example.org  board  turned off",
    ]
