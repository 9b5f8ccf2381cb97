"""Staff accounts: who may sign in to review or author forms, their sessions and sign-in attempts.

Passwords are argon2id hashes; a second factor (TOTP) is required for roles that see personal data.
Attempts are counted in the database so rate limits hold across every worker and machine.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

#: Every role, from most to least powerful; see docs/design.md for what each may see.
ROLES = ("admin", "author", "reviewer", "safeguarding", "board")


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
