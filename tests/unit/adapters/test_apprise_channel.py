"""Push and chat through Apprise, with Apprise's own URL schemes (json://, ntfy://, mmost://) pointed at an HTTP
endpoint on loopback (testkit/fakes/receiver.py)."""

import json
import logging

import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from adapters.channels.apprise_chat import AppriseChannel
from adapters.channels.errors import is_rejection
from adapters.stores.delivery_log import DeliveryLog
from testkit.channels import PERSON, drill_page, notification, paging
from testkit.environment import free_port
from testkit.fakes.receiver import FakeReceiver

MATTERMOST_TOKEN = "mattermosthooktoken0000secret"


@pytest.fixture
def receiver():
    with FakeReceiver() as fake:
        yield fake


def channel_for(urls: str, tmp_path) -> AppriseChannel:
    return AppriseChannel(SecretStr(urls), DeliveryLog(tmp_path / "direct.db"), timeout=5)


async def test_a_page_reaches_every_service_once_with_the_incident_title(receiver, policy, tmp_path):
    urls = (f"json://{receiver.host}/hook, ntfy://{receiver.host}/oncall "
            f"mmost://{receiver.host}/{MATTERMOST_TOKEN}")
    chat = channel_for(urls, tmp_path)
    request, handle = paging(policy.oncall, title="결제 오류 급증")

    await chat.page(request, handle, PERSON)
    await chat.page(request, handle, PERSON)  # a retried activity: nothing twice

    by_path = {r.path: json.loads(r.body) for r in receiver.received}
    assert len(receiver.received) == 3
    title = f"[SEV1] 결제 오류 급증 — {request.incident_id}"
    assert by_path["/hook"]["title"] == title and "Kim Minsu" in by_path["/hook"]["message"]
    assert by_path["/"]["topic"] == "oncall" and by_path["/"]["title"] == title
    assert title in by_path[f"/hooks/{MATTERMOST_TOKEN}"]["text"]


async def test_a_message_is_sent_with_its_text(receiver, tmp_path):
    await channel_for(f"json://{receiver.host}/hook", tmp_path).send(notification(text="IC is seoyeon"))

    body = json.loads(receiver.received[0].body)
    assert body["message"] == "IC is seoyeon" and body["title"] == "[SEV1] Payments down — 20261207-payments-ab12"


async def test_a_service_that_fails_is_retried_alone_and_a_4xx_is_a_refusal(receiver, policy, tmp_path):
    chat = channel_for(f"json://{receiver.host}/first json://{receiver.host}/second", tmp_path)
    request, handle = paging(policy.oncall)
    receiver.fail_next(200, 503)  # the first takes it, the second is down
    with pytest.raises(ApplicationError) as down:
        await chat.page(request, handle, PERSON)
    await chat.page(request, handle, PERSON)  # the retry
    refused_request, _ = paging(policy.oncall)
    receiver.fail_next(400)
    with pytest.raises(ApplicationError) as refused:
        await chat.page(refused_request, handle, PERSON)

    assert not down.value.non_retryable and "apprise #2 (JSON)" in down.value.message
    assert [r.path for r in receiver.accepted()][:2] == ["/first", "/second"]
    assert [r.path for r in receiver.received][:3] == ["/first", "/second", "/second"]
    assert is_rejection(refused.value) and "error=400" in refused.value.message


async def test_an_unreachable_service_is_retried_and_its_token_never_logged(policy, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    chat = channel_for(f"mmost://127.0.0.1:{free_port()}/{MATTERMOST_TOKEN}", tmp_path)
    request, handle = paging(policy.oncall)

    with pytest.raises(ApplicationError) as down:
        await chat.page(request, handle, PERSON)

    assert down.value.type == "AppriseUnavailable" and "apprise #1 (Mattermost)" in down.value.message
    assert caplog.records and MATTERMOST_TOKEN not in caplog.text and MATTERMOST_TOKEN not in str(down.value)


def test_a_url_apprise_cannot_use_is_refused_at_start_without_showing_it(tmp_path):
    with pytest.raises(ValueError) as bad:
        channel_for(f"json://127.0.0.1/ok nosuchscheme://{MATTERMOST_TOKEN}", tmp_path)

    assert "entry 2 (nosuchscheme://…)" in str(bad.value) and MATTERMOST_TOKEN not in str(bad.value)


async def test_a_drill_page_reaches_no_service(receiver, policy, tmp_path):
    outcome = await drill_page(channel_for(f"json://{receiver.host}/hook", tmp_path), policy.oncall)

    assert outcome.channels == ["drill-transcript"] and receiver.received == []
