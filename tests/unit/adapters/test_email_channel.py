"""The email channel against a real SMTP server on loopback (aiosmtpd, testkit/fakes/smtp_server.py)."""

import logging

import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from adapters.channels.email import EmailChannel
from adapters.channels.errors import is_rejection
from adapters.stores.delivery_log import DeliveryLog
from testkit.channels import PERSON, drill_page, page_through_activity, paging
from testkit.environment import free_port
from testkit.fakes.smtp_server import FakeSmtp

PASSWORD = "smtp-pa55word-never-logged"
# the loopback server takes a login without TLS, which aiosmtpd rightly warns about
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def smtp():
    with FakeSmtp(username="incidentflow", password=PASSWORD) as server:
        yield server


def channel_for(port: int, tmp_path, password: str = PASSWORD) -> EmailChannel:
    return EmailChannel("127.0.0.1", port, "incidentflow@example.com", DeliveryLog(tmp_path / "direct.db"),
                        username="incidentflow", password=SecretStr(password), starttls=False, timeout=5)


async def test_a_page_mails_the_person_once_with_subject_reason_and_what_to_do(smtp, policy, tmp_path):
    channel = channel_for(smtp.port, tmp_path)
    request, handle = paging(policy.oncall, reason="declared by jiyoung")

    await channel.page(request, handle, PERSON)
    await channel.page(request, handle, PERSON)  # the activity retried: nothing goes out twice

    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail.recipients == ["minsu@example.com"] and smtp.logins == ["incidentflow"]
    assert mail.message["To"] == "Kim Minsu <minsu@example.com>"
    assert mail.message["Subject"] == f"[SEV1] Payments down — {request.incident_id}"
    assert "Why: declared by jiyoung" in mail.body
    assert f"incident ack {request.incident_id} --by {handle}" in mail.body


async def test_a_korean_title_arrives_intact(smtp, policy, tmp_path):
    request, handle = paging(policy.oncall, title="결제 오류 급증")

    await channel_for(smtp.port, tmp_path).page(request, handle, PERSON)

    assert smtp.received[0].message["Subject"] == f"[SEV1] 결제 오류 급증 — {request.incident_id}"
    assert "결제 오류 급증" in smtp.received[0].body


async def test_a_550_is_a_refusal_for_good_and_a_451_is_retried(smtp, policy, tmp_path):
    channel = channel_for(smtp.port, tmp_path)
    smtp.refuse("minsu@example.com", "550 5.1.1 <minsu@example.com>: mailbox unavailable")
    request, handle = paging(policy.oncall)
    with pytest.raises(ApplicationError) as refused:
        await channel.page(request, handle, PERSON)
    assert is_rejection(refused.value) and "550" in refused.value.message

    smtp.refused.clear()
    smtp.fail_next("451 4.3.0 try again later")
    with pytest.raises(ApplicationError) as later:
        await channel.page(request, handle, PERSON)
    assert not is_rejection(later.value) and not later.value.non_retryable and "451" in later.value.message
    await channel.page(request, handle, PERSON)  # the retry
    assert len(smtp.received) == 1


async def test_a_refused_page_is_reported_by_the_activity_not_retried(smtp, policy, tmp_path):
    smtp.refuse("minsu@example.com")
    request, _ = paging(policy.oncall)

    outcome = await page_through_activity(channel_for(smtp.port, tmp_path), request)

    assert outcome.channels == [] and outcome.refused[0].startswith("email: SMTP refused page")


async def test_no_server_is_retried_and_the_password_is_not_logged(policy, tmp_path, caplog):
    request, _ = paging(policy.oncall)
    caplog.set_level(logging.DEBUG)
    with FakeSmtp(username="incidentflow", password="another-password") as wrong:
        # 535: the server refuses this login for good; the page is reported as refused
        bad_login = await page_through_activity(channel_for(wrong.port, tmp_path), request)
    with pytest.raises(ApplicationError) as down:
        await page_through_activity(channel_for(free_port(), tmp_path), request)

    assert "535" in bad_login.refused[0]
    assert not down.value.non_retryable and down.value.type == "SMTPUnavailable"
    assert caplog.records and PASSWORD not in caplog.text
    assert PASSWORD not in f"{bad_login!r} {down.value!r}"


async def test_a_drill_page_reaches_no_mail_server(smtp, policy, tmp_path):
    outcome = await drill_page(channel_for(smtp.port, tmp_path), policy.oncall)

    assert outcome.channels == ["drill-transcript"] and smtp.received == []
