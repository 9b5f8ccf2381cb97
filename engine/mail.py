"""Email: composing receipts, save-and-return links and staff alerts, and handing them to the relay.

Every message is plain text plus accessible HTML, written from `templates/email/` in the form's
language, with no images, web fonts, tracking pixels or third-party links: the only links are to
coform itself, built from COFORM_PUBLIC_URL. Messages are not sent from here directly; they are
written to the outbox (`engine.outbox`) with the event that causes them::

    composer = Composer(settings)
    email = composer.receipt(form, "CPB-7K3P-2QXD", submitted_at, "sam@example.org", "cy")
    email.subject == "Ymuno â'r bwrdd: eich cyfeirnod yw CPB-7K3P-2QXD"     # the Welsh title, then the words
"""

from __future__ import annotations

import datetime as dt
import email.utils
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
import email_validator
import jinja2
import nh3
from markupsafe import Markup

from engine.definition import Form, Text
from engine.messages import format_date, furniture
from engine.settings import Settings
from engine.web.markdown import render_markdown
from engine.web.views import text_direction

EMAIL_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"
LONDON = ZoneInfo("Europe/London")

RECEIPT = "receipt"
RESUME_LINK = "resume_link"
STAFF_ALERT = "staff_alert"

#: Where a submission is read in the review workspace; staff alerts link here instead of carrying answers.
RESPONSE_PATH = "/staff/forms/{slug}/responses/{reference}"
#: Where an emailed save-and-return link leads (engine/web/respond.py serves it).
RESUME_LINK_PATH = "/resume/email/{secret}"

#: Seconds to wait for the relay to answer before counting the attempt as failed.
SMTP_TIMEOUT_SECONDS = 30.0

#: Wording only emails use. engine.messages is asked first, so shared words ("What happens next")
#: are translated once; a language missing here falls back to English, as engine.messages does.
_WORDS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en": MappingProxyType(
            {
                "receipt_subject": "{title}: your reference number is {reference}",
                "receipt_heading": "We have your answers",
                "receipt_intro": "Thank you. We received your answers to “{title}” on {date}.",
                "receipt_keep": (
                    "Keep this email. Give your reference number if you contact us about your answers."
                ),
                "resume_subject": "Your link to come back to {title}",
                "resume_heading": "Your link to come back",
                "resume_intro": (
                    "You asked for a link to come back to “{title}” and carry on where you left off."
                ),
                "resume_link_text": "Carry on filling in {title}",
                "resume_copy": "If the link does not open, copy this address into your web browser:",
                "resume_once": (
                    "The link works once, until {date}. After you use it, the browser you used keeps "
                    "your answers. To come back from another device later, save again and ask for a new link."
                ),
                "resume_warning": "Anyone with this link can see your answers. Do not forward this email.",
                "resume_not_asked": "If you did not ask for this link, you can ignore this email.",
                "alert_subject": "New response to {title}: {reference}",
                "alert_heading": "New response",
                "alert_intro": "A new response to “{title}” was sent on {date} at {time}.",
                "alert_reference": "Reference: {reference}",
                "alert_link_text": "Read response {reference}",
                "alert_sign_in": "You will need to sign in to the review workspace.",
                "alert_no_answers": "This email carries no answers, so nothing personal travels by email.",
                "contact": "Contact",
                # The pages that offer email (engine/web/respond.py)
                "save_email_heading": "Email me a link to come back",
                "save_email_body": (
                    "We will email you a link that opens your saved answers. It works once, until {date}."
                ),
                "save_email_label": "Email address",
                "save_email_button": "Send me the link",
                "save_emailed": (
                    "We are sending a link to the email address you gave. It can take a few minutes to "
                    "arrive. If it does not, check your spam or junk folder."
                ),
                "save_email_too_many": (
                    "You have asked for a link too many times. Wait 15 minutes and try again, or copy "
                    "the link on this page."
                ),
                "receipt_email_label": "Email address (optional)",
                "receipt_email_hint": (
                    "If you would like a receipt with your reference number, enter your email address. "
                    "We will not email your answers."
                ),
                "receipt_emailed": (
                    "We are sending a receipt with your reference number to the email address you gave."
                ),
                "resume_email_title": "Carry on with your saved answers",
                "resume_email_body": "This link opens the answers you saved for “{title}”. It works once.",
            }
        ),
        "cy": MappingProxyType(
            {
                "receipt_subject": "{title}: eich cyfeirnod yw {reference}",
                "receipt_heading": "Mae eich atebion gennym",
                "receipt_intro": "Diolch. Cawsom eich atebion i “{title}” ar {date}.",
                "receipt_keep": (
                    "Cadwch yr e-bost hwn. Rhowch eich cyfeirnod os byddwch yn cysylltu â ni am eich atebion."
                ),
                "resume_subject": "Eich dolen i ddod yn ôl i {title}",
                "resume_heading": "Eich dolen i ddod yn ôl",
                "resume_intro": (
                    "Gofynnoch am ddolen i ddod yn ôl i “{title}” a pharhau o'r man lle gwnaethoch adael."
                ),
                "resume_link_text": "Parhau i lenwi {title}",
                "resume_copy": "Os nad yw'r ddolen yn agor, copïwch y cyfeiriad hwn i'ch porwr gwe:",
                "resume_once": (
                    "Mae'r ddolen yn gweithio unwaith, tan {date}. Ar ôl i chi ei defnyddio, bydd y porwr a "
                    "ddefnyddiwyd gennych yn cadw eich atebion. I ddod yn ôl o ddyfais arall yn nes ymlaen, "
                    "cadwch eto a gofyn am ddolen newydd."
                ),
                "resume_warning": (
                    "Gall unrhyw un sydd â'r ddolen hon weld eich atebion. "
                    "Peidiwch ag anfon yr e-bost hwn ymlaen."
                ),
                "resume_not_asked": "Os na wnaethoch ofyn am y ddolen hon, gallwch anwybyddu'r e-bost hwn.",
                "contact": "Cysylltu",
                "save_email_heading": "Anfon dolen ataf i ddod yn ôl",
                "save_email_body": (
                    "Byddwn yn anfon dolen atoch drwy e-bost sy'n agor eich atebion sydd wedi'u cadw. "
                    "Mae'n gweithio unwaith, tan {date}."
                ),
                "save_email_label": "Cyfeiriad e-bost",
                "save_email_button": "Anfon y ddolen ataf",
                "save_emailed": (
                    "Rydym yn anfon dolen i'r cyfeiriad e-bost a roesoch. Gall gymryd ychydig funudau i "
                    "gyrraedd. Os na fydd yn cyrraedd, edrychwch yn eich ffolder sbam neu sothach."
                ),
                "save_email_too_many": (
                    "Rydych wedi gofyn am ddolen ormod o weithiau. Arhoswch 15 munud a rhoi cynnig arall "
                    "arni, neu copïwch y ddolen ar y dudalen hon."
                ),
                "receipt_email_label": "Cyfeiriad e-bost (dewisol)",
                "receipt_email_hint": (
                    "Os hoffech gael derbynneb gyda'ch cyfeirnod, rhowch eich cyfeiriad e-bost. "
                    "Ni fyddwn yn anfon eich atebion drwy e-bost."
                ),
                "receipt_emailed": (
                    "Rydym yn anfon derbynneb gyda'ch cyfeirnod i'r cyfeiriad e-bost a roesoch."
                ),
                "resume_email_title": "Parhau gyda'ch atebion sydd wedi'u cadw",
                "resume_email_body": (
                    "Mae'r ddolen hon yn agor yr atebion a gadwoch ar gyfer “{title}”. "
                    "Mae'n gweithio unwaith."
                ),
            }
        ),
    }
)


class InvalidAddress(ValueError):
    """An email address a respondent typed that cannot be used; `code` names the error wording."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SendFailure(Exception):
    """The relay did not take a message. `permanent` (a 5xx answer) means trying again cannot help."""

    def __init__(self, error: str, *, permanent: bool) -> None:
        super().__init__(error)
        self.permanent = permanent


@dataclass(frozen=True)
class Email:
    """One message as the outbox keeps it: everything needed to send it again, identically."""

    kind: str
    to_address: str
    subject: str
    text_body: str
    html_body: str
    language: str
    #: Fixed when the message is composed, so a retried send carries the same Message-ID and a
    #: duplicate (after a crash between sending and recording it) can be recognised.
    message_id: str
    form_slug: str | None = None
    reference: str | None = None


def normalise_address(typed: str) -> str:
    """A respondent's email address checked and normalised: " Sam@Example.ORG " -> "Sam@example.org".

    Raises InvalidAddress("required") when nothing was typed and InvalidAddress("email_invalid")
    for anything email-validator rejects. Deliverability (DNS) is not checked: a page must not wait
    on, or fail with, the network.
    """
    text = typed.strip()
    if not text:
        raise InvalidAddress("required")
    try:
        checked = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise InvalidAddress("email_invalid") from None
    return str(checked.normalized)


def _email_markdown(source: str) -> Markup:
    """Author markdown for an email: the page's sanitised HTML without images, which a mail client
    would fetch from elsewhere (and which could tell that someone opened the message)."""
    cleaned = nh3.clean(str(render_markdown(source)), tags={"p", "br", "strong", "em", "a", "ul", "ol", "li"})
    return Markup(cleaned)  # noqa: S704 - nh3 has just sanitised it


class Composer:
    """Writes the messages of one deployment: its From domain and public address, in any language."""

    def __init__(self, settings: Settings, directory: Path = EMAIL_TEMPLATES_DIR) -> None:
        if settings.public_url is None or settings.mail_from is None:
            raise ValueError("composing email needs COFORM_PUBLIC_URL and COFORM_MAIL_FROM")
        self.public_url = settings.public_url.rstrip("/")
        address = email.utils.parseaddr(settings.mail_from)[1]
        self._domain = address.rpartition("@")[2] or "coform.invalid"
        self._environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._environment.filters["markdown"] = _email_markdown

    def resume_url(self, secret: str) -> str:
        return self.public_url + RESUME_LINK_PATH.format(secret=secret)

    def response_url(self, slug: str, reference: str) -> str:
        return self.public_url + RESPONSE_PATH.format(slug=slug, reference=reference)

    def receipt(
        self,
        form: Form,
        reference: str,
        submitted_at: dt.datetime,
        to_address: str,
        language: str,
        easy_read: bool = False,
    ) -> Email:
        """Proof that answers arrived: the reference, what happens next and whom to contact. Never
        the answers themselves, which would put personal data in a mailbox."""
        title = form.title.get(language, easy_read)
        context = {
            "title": title,
            "reference": reference,
            "date": format_date(submitted_at.astimezone(LONDON).date(), language),
            "next_steps": form.next_steps.get(language, easy_read) if form.next_steps else None,
            "contact": form.contact,
        }
        return self._compose(
            RECEIPT, to_address, language, context, easy_read, form_slug=form.slug, reference=reference
        )

    def resume_link(
        self,
        form: Form,
        secret: str,
        expires_at: dt.datetime,
        to_address: str,
        language: str,
        easy_read: bool = False,
    ) -> Email:
        """A single-use link back to a draft, and until when it works."""
        context = {
            "title": form.title.get(language, easy_read),
            "link": self.resume_url(secret),
            "date": format_date(expires_at.astimezone(LONDON).date(), language),
        }
        return self._compose(RESUME_LINK, to_address, language, context, easy_read, form_slug=form.slug)

    def staff_alert(self, form: Form, reference: str, submitted_at: dt.datetime, to_address: str) -> Email:
        """Tells staff a response arrived: the form, when, its reference and a link to read it.
        No answers at all, so nothing personal is copied into staff mailboxes."""
        language = form.default_language
        local = submitted_at.astimezone(LONDON)
        context = {
            "title": form.title.get(language),
            "reference": reference,
            "date": format_date(local.date(), language),
            "time": local.strftime("%H:%M"),
            "link": self.response_url(form.slug, reference),
        }
        return self._compose(
            STAFF_ALERT, to_address, language, context, False, form_slug=form.slug, reference=reference
        )

    def _compose(
        self,
        kind: str,
        to_address: str,
        language: str,
        context: Mapping[str, Any],
        easy_read: bool,
        *,
        form_slug: str,
        reference: str | None = None,
    ) -> Email:
        def words(key: str, **params: object) -> str:
            return email_words(key, language, **params)

        def author_text(value: Text | None) -> str:
            return "" if value is None else value.get(language, easy_read)

        values = {
            **context,
            "lang": language,
            "dir": text_direction(language),
            "t": words,
            "text": author_text,
        }
        subject = words(f"{_SUBJECT_KEYS[kind]}", **context).replace("\n", " ")
        values["subject"] = subject
        return Email(
            kind=kind,
            to_address=to_address,
            subject=subject,
            text_body=self._environment.get_template(f"{kind}.txt").render(values),
            html_body=self._environment.get_template(f"{kind}.html").render(values),
            language=language,
            message_id=f"<{uuid.uuid4().hex}@{self._domain}>",
            form_slug=form_slug,
            reference=reference,
        )


_SUBJECT_KEYS: Mapping[str, str] = MappingProxyType(
    {RECEIPT: "receipt_subject", RESUME_LINK: "resume_subject", STAFF_ALERT: "alert_subject"}
)


def email_words(key: str, language: str, **params: object) -> str:
    """Email wording in `language`: ("alert_reference", "en", reference="CPB-1") -> "Reference: CPB-1"."""
    try:
        return furniture(key, language, **params)
    except KeyError:
        pass
    template = _WORDS.get(language, {}).get(key) or _WORDS["en"][key]
    return template.format_map(params)


def mime_message(message: Email, mail_from: str, created_at: dt.datetime) -> EmailMessage:
    """The message as sent: multipart/alternative (plain text first, then HTML), with the fixed
    Message-ID, the creation time as its Date (so a resend is identical) and its language."""
    mime = EmailMessage()
    mime["From"] = mail_from
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.format_datetime(created_at.astimezone(dt.UTC))
    mime["Message-ID"] = message.message_id
    # RFC 3834: tells mail servers and out-of-office robots not to answer it automatically.
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.text_body)
    mime.add_alternative(message.html_body, subtype="html")
    # After the content: setting the content drops every Content-* header already there.
    mime["Content-Language"] = message.language
    return mime


class Relay:
    """An open connection to the mail relay; `send` raises SendFailure when a message is not taken."""

    def __init__(self, client: aiosmtplib.SMTP, mail_from: str) -> None:
        self._client = client
        self._mail_from = mail_from

    async def send(self, message: Email, created_at: dt.datetime) -> None:
        try:
            await self._client.send_message(mime_message(message, self._mail_from, created_at))
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [recipient.code for recipient in refused.recipients]
            raise SendFailure(_describe(refused), permanent=all(code >= 500 for code in codes)) from None
        except aiosmtplib.SMTPResponseException as answer:
            raise SendFailure(_describe(answer), permanent=answer.code >= 500) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as problem:
            raise SendFailure(_describe(problem), permanent=False) from None


@asynccontextmanager
async def relay(settings: Settings) -> AsyncIterator[Relay]:
    """Connect (and sign in) to the relay in `settings`; SendFailure if it cannot be reached."""
    if settings.smtp_host is None or settings.mail_from is None:
        raise SendFailure("email is not configured (COFORM_SMTP_HOST unset)", permanent=False)
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        use_tls=settings.smtp_tls == "tls",
        # False, not None: aiosmtplib would otherwise upgrade whenever the server offers STARTTLS.
        start_tls=settings.smtp_tls == "starttls",
        timeout=SMTP_TIMEOUT_SECONDS,
    )
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as problem:
        raise SendFailure(
            f"could not connect to {settings.smtp_host}:{settings.smtp_port}: {_describe(problem)}",
            permanent=False,
        ) from None
    try:
        yield Relay(client, settings.mail_from)
    finally:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


def _describe(problem: BaseException) -> str:
    return f"{type(problem).__name__}: {problem}"
