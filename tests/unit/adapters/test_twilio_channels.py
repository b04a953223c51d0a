"""SMS and voice pages with the official twilio client against a fake Twilio REST API on loopback
(testkit/fakes/twilio_api.py)."""

import logging
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from adapters.channels.errors import is_rejection
from adapters.channels.twilio_phone import TwilioSmsChannel, TwilioVoiceChannel, twilio_client
from adapters.stores.delivery_log import DeliveryLog
from domain.policy.oncall_policy import Person
from testkit.channels import PERSON, PHONE, drill_page, page_through_activity, paging
from testkit.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

PUBLIC = "https://incidents.example"


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


def channel(kind, twilio, tmp_path, token: str = AUTH_TOKEN, public_url: str | None = PUBLIC):
    client = twilio_client(ACCOUNT_SID, SecretStr(token), twilio.api_url, timeout=5)
    return kind(client, FROM_NUMBER, DeliveryLog(tmp_path / "direct.db"), public_url)


async def test_an_sms_page_is_one_short_message_to_the_persons_number(twilio, policy, tmp_path):
    sms = channel(TwilioSmsChannel, twilio, tmp_path)
    request, handle = paging(policy.oncall)

    await sms.page(request, handle, PERSON)
    await sms.page(request, handle, PERSON)  # retried: sent once

    assert len(twilio.messages) == 1
    message = twilio.messages[0]
    assert (message["To"], message["From"]) == (PHONE, FROM_NUMBER)
    assert message["Body"] == f"[SEV1] {request.incident_id} Payments down. Reply 1 or ack to acknowledge"
    assert message["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/status"
    assert sms.log.recorded_at(request.key, "sms") is not None


async def test_a_voice_page_calls_with_inline_twiml_asking_for_a_key(twilio, policy, tmp_path):
    voice = channel(TwilioVoiceChannel, twilio, tmp_path)
    request, handle = paging(policy.oncall, title="결제 오류")

    await voice.page(request, handle, PERSON)

    [call] = twilio.calls
    assert call["To"] == PHONE and "Url" not in call.fields
    gather = ET.fromstring(call["Twiml"]).find("Gather")
    assert gather.get("action") == f"{PUBLIC}/webhooks/twilio/voice" and gather.get("numDigits") == "1"
    assert "payments: 결제 오류. Press 1 to acknowledge." in gather.find("Say").text
    assert call["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/status"


async def test_without_a_public_url_no_reply_is_asked_for(twilio, policy, tmp_path):
    request, handle = paging(policy.oncall)

    await channel(TwilioVoiceChannel, twilio, tmp_path, public_url=None).page(request, handle, PERSON)
    await channel(TwilioSmsChannel, twilio, tmp_path, public_url=None).page(request, handle, PERSON)

    twiml = ET.fromstring(twilio.calls[0]["Twiml"])
    assert twiml.find("Gather") is None and "replying to the text message" not in twiml.find("Say").text
    assert twilio.messages[0]["Body"].endswith(f"Acknowledge: incident ack {request.incident_id}")
    assert "StatusCallback" not in twilio.calls[0].fields and "StatusCallback" not in twilio.messages[0].fields


async def test_twilio_refusals_are_for_good_and_outages_are_retried(twilio, policy, tmp_path):
    sms = channel(TwilioSmsChannel, twilio, tmp_path)
    request, handle = paging(policy.oncall)

    twilio.fail_next(400, 21211)
    with pytest.raises(ApplicationError) as refused:
        await sms.page(request, handle, PERSON)
    twilio.fail_next(429)
    with pytest.raises(ApplicationError) as limited:
        await sms.page(request, handle, PERSON)
    twilio.fail_next(500)
    with pytest.raises(ApplicationError) as down:
        await sms.page(request, handle, PERSON)
    await sms.page(request, handle, PERSON)

    assert is_rejection(refused.value) and "error 21211" in refused.value.message
    assert not limited.value.non_retryable and limited.value.next_retry_delay == timedelta(seconds=30)
    assert not down.value.non_retryable and down.value.type == "TwilioUnavailable"
    assert len(twilio.messages) == 1
    assert [status for _, status in twilio.requests] == [400, 429, 500, 201]


async def test_a_wrong_token_is_refused_and_never_logged(twilio, policy, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-twilio-token-never-logged"
    request, _ = paging(policy.oncall)

    outcome = await page_through_activity(channel(TwilioSmsChannel, twilio, tmp_path, token=wrong), request)

    assert outcome.refused and "HTTP 401 error 20003" in outcome.refused[0]
    assert caplog.records and wrong not in caplog.text and wrong not in repr(outcome)
    assert twilio.messages == []


async def test_a_person_without_a_phone_gets_nothing(twilio, policy, tmp_path):
    request, handle = paging(policy.oncall, person=Person(name="No Phone", email="np@example.com"))

    outcome = await page_through_activity(channel(TwilioSmsChannel, twilio, tmp_path), request)

    assert outcome.channels == ["sms"] and twilio.requests == []


@pytest.mark.parametrize("kind", [TwilioSmsChannel, TwilioVoiceChannel])
async def test_a_drill_page_reaches_no_phone(twilio, policy, tmp_path, kind):
    outcome = await drill_page(channel(kind, twilio, tmp_path), policy.oncall)

    assert outcome.channels == ["drill-transcript"] and twilio.requests == []
