"""Settings read from the environment, and the email settings that must come together."""

from __future__ import annotations

import pytest

from engine.settings import Settings, SettingsError

MAIL = {
    "COFORM_SMTP_HOST": "relay.example.gov.uk",
    "COFORM_MAIL_FROM": "forms@example.gov.uk",
    "COFORM_PUBLIC_URL": "https://forms.example.gov.uk/",
}


def test_email_is_off_when_no_mail_relay_is_named() -> None:
    assert Settings.from_environ({}).email_enabled is False


def test_the_mail_relay_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_environ(
        {**MAIL, "COFORM_SMTP_PORT": "2525", "COFORM_SMTP_TLS": "TLS", "COFORM_SMTP_USERNAME": "forms",
         "COFORM_SMTP_PASSWORD": "secret"}
    )  # fmt: skip

    assert settings.email_enabled is True
    assert (settings.smtp_host, settings.smtp_port) == ("relay.example.gov.uk", 2525)
    assert settings.smtp_tls == "tls"
    assert (settings.smtp_username, settings.smtp_password) == ("forms", "secret")
    assert settings.mail_from == "forms@example.gov.uk"
    assert settings.public_url == "https://forms.example.gov.uk"


@pytest.mark.parametrize(("tls", "port"), [("none", 25), ("starttls", 587), ("tls", 465)])
def test_the_usual_port_for_the_kind_of_tls_is_used_when_none_is_given(tls: str, port: int) -> None:
    assert Settings.from_environ({**MAIL, "COFORM_SMTP_TLS": tls}).smtp_port == port


@pytest.mark.parametrize("missing", ["COFORM_MAIL_FROM", "COFORM_PUBLIC_URL"])
def test_a_mail_relay_without_a_from_address_or_public_address_is_refused_at_start_up(missing: str) -> None:
    environ = {key: value for key, value in MAIL.items() if key != missing}

    with pytest.raises(SettingsError, match=missing):
        Settings.from_environ(environ)


def test_an_unknown_kind_of_tls_is_refused_with_the_choices() -> None:
    with pytest.raises(SettingsError, match="use none, starttls or tls"):
        Settings.from_environ({**MAIL, "COFORM_SMTP_TLS": "ssl"})
