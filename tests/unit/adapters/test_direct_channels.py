"""Which direct channels the worker builds from the settings, and what a half-configured one says."""

import base64

import pytest

from adapters.channels import build_channels
from settings import Settings

CONFIGURED = dict(smtp_host="smtp.example", smtp_from="incidentflow@example.com", twilio_account_sid="AC1",
                  twilio_auth_token="token", twilio_from_number="+15005550006", apprise_urls="json://127.0.0.1/hook",
                  webhook_url="https://receiver.example/incidents",
                  webhook_secret="whsec_" + base64.b64encode(b"x" * 32).decode())


def test_configured_direct_channels_are_added_and_voice_only_when_named(tmp_path):
    settings = Settings(data_dir=tmp_path, notify="console", status_page=False, **CONFIGURED)
    named = Settings(data_dir=tmp_path, notify="console,voice", status_page=False, **CONFIGURED)

    assert [c.name for c in build_channels(settings.channels, settings=settings)] == [
        "email", "sms", "apprise", "webhook", "console"]
    assert "voice" in [c.name for c in build_channels(named.channels, settings=named)]


@pytest.mark.parametrize(("channel", "missing"), [
    ("email", "INCIDENTFLOW_SMTP_HOST and INCIDENTFLOW_SMTP_FROM"),
    ("voice", "INCIDENTFLOW_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM_NUMBER"),
    ("apprise", "INCIDENTFLOW_APPRISE_URLS"),
    ("webhook", "INCIDENTFLOW_WEBHOOK_URL and INCIDENTFLOW_WEBHOOK_SECRET"),
])
def test_a_channel_named_without_its_settings_says_which_are_missing(tmp_path, channel, missing):
    settings = Settings(data_dir=tmp_path, notify=channel, status_page=False)

    with pytest.raises(ValueError, match=f"channel {channel} needs {missing}"):
        build_channels(settings.channels, settings=settings)
