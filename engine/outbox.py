"""The email outbox: messages written in the same transaction as the event that causes them.

A sender loop claims pending rows, delivers them over SMTP and records the outcome, so a mail relay
that is down never costs a submission and a message is neither lost nor sent twice.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


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
