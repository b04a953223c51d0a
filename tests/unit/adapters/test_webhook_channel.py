"""The signed outbound webhook against a receiver on loopback that verifies it the way a customer would, with
standardwebhooks.Webhook(secret).verify."""

import base64
import logging
from datetime import timedelta

import pytest
from pydantic import SecretStr
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from temporalio.exceptions import ApplicationError

from adapters.channels.errors import is_rejection
from adapters.channels.webhook import WebhookChannel
from adapters.stores.delivery_log import DeliveryLog
from testkit.channels import PERSON, drill_page, notification, paging
from testkit.environment import free_port
from testkit.fakes.receiver import FakeReceiver

SECRET = "whsec_" + base64.b64encode(b"incidentflow-webhook-secret-32by").decode()


@pytest.fixture
def receiver():
    with FakeReceiver() as fake:
        yield fake


def channel_for(url: str, tmp_path, secret: str = SECRET) -> WebhookChannel:
    return WebhookChannel(url, SecretStr(secret), DeliveryLog(tmp_path / "direct.db"), timeout=5)


def verified(received) -> dict:
    return Webhook(SECRET).verify(received.body, received.headers)


async def test_a_page_and_a_message_arrive_signed_once_each(receiver, policy, tmp_path):
    hook = channel_for(f"{receiver.served.url}/incidents", tmp_path)
    request, handle = paging(policy.oncall, title="결제 오류")
    message = notification(text="IC is seoyeon")

    await hook.page(request, handle, PERSON)
    await hook.page(request, handle, PERSON)
    await hook.send(message)

    page, sent = [verified(r) for r in receiver.received]
    assert page["type"] == "incident.page" and sent["type"] == "incident.notification"
    assert page["data"]["incident_id"] == request.incident_id and page["data"]["title"] == "결제 오류"
    assert (page["data"]["paged"], page["data"]["paged_name"]) == (handle, "Kim Minsu")
    assert page["data"]["severity"] == "sev1"
    assert sent["data"]["text"] == "IC is seoyeon"
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert ids[0] != ids[1] and all(i.startswith("msg_") for i in ids)


async def test_a_signature_by_another_secret_does_not_verify(receiver, policy, tmp_path):
    other = "whsec_" + base64.b64encode(b"some-other-secret-of-32-bytes-xx").decode()
    request, handle = paging(policy.oncall)

    await channel_for(f"{receiver.served.url}/incidents", tmp_path, secret=other).page(request, handle, PERSON)

    with pytest.raises(WebhookVerificationError):
        verified(receiver.received[0])


async def test_4xx_is_a_refusal_5xx_and_429_are_retried_with_the_same_id(receiver, policy, tmp_path):
    hook = channel_for(f"{receiver.served.url}/incidents", tmp_path)
    request, handle = paging(policy.oncall)
    receiver.fail_next(503, 429)
    with pytest.raises(ApplicationError) as down:
        await hook.page(request, handle, PERSON)
    with pytest.raises(ApplicationError) as limited:
        await hook.page(request, handle, PERSON)
    await hook.page(request, handle, PERSON)
    receiver.fail_next(410)
    with pytest.raises(ApplicationError) as refused:
        await hook.send(notification())

    assert not down.value.non_retryable and down.value.type == "WebhookUnavailable"
    assert limited.value.next_retry_delay == timedelta(seconds=30)
    assert is_rejection(refused.value) and "HTTP 410" in refused.value.message
    assert len({r.headers["webhook-id"] for r in receiver.received[:3]}) == 1  # one delivery, retried
    assert len(receiver.accepted()) == 1


async def test_an_unreachable_receiver_is_retried_and_the_secret_never_logged(policy, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    request, handle = paging(policy.oncall)

    with pytest.raises(ApplicationError) as down:
        await channel_for(f"http://127.0.0.1:{free_port()}/incidents", tmp_path).page(request, handle, PERSON)

    assert down.value.type == "WebhookUnavailable"
    secret = SECRET.removeprefix("whsec_")
    assert caplog.records and secret not in caplog.text and secret not in str(down.value)


def test_a_secret_that_is_not_whsec_base64_is_refused_without_showing_it(tmp_path):
    with pytest.raises(ValueError) as bad:
        channel_for("http://127.0.0.1/x", tmp_path, secret="whsec_not*base64!")

    assert "must be whsec_ followed by base64" in str(bad.value) and "not*base64" not in str(bad.value)


async def test_a_drill_page_reaches_no_receiver(receiver, policy, tmp_path):
    outcome = await drill_page(channel_for(f"{receiver.served.url}/incidents", tmp_path), policy.oncall)

    assert outcome.channels == ["drill-transcript"] and receiver.received == []
