"""Email pages through SMTP (aiosmtplib): the paged person's `email` gets one mail per page, with a Message-ID
derived from the page's key. What went out is kept in the direct channels' delivery log, so a retried activity
never mails twice. A 5xx answer is a refusal for good (a bad address, a relay that does not take us); a 4xx,
a timeout or a dropped connection is retried."""

import hashlib
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib
from pydantic import SecretStr

from adapters.channels.errors import rejected, unavailable
from adapters.stores.delivery_log import DeliveryLog
from domain.comms.notifications import Notification, PageRequest
from domain.policy.oncall_policy import Person


def page_subject(request: PageRequest) -> str:
    return f"[{request.severity.value.upper()}] {request.title} — {request.incident_id}"


def page_body(request: PageRequest, target: str) -> str:
    return (
        f"You are paged ({request.tier.value}) for [{request.severity.value.upper()}] {request.service}: "
        f"{request.title}\n\n"
        f"Incident: {request.incident_id}\n"
        f"Why: {request.reason}\n\n"
        "What to do now:\n"
        f"  1. Acknowledge: the Acknowledge button in Slack, `incident ack {request.incident_id} --by {target}`, "
        "or reply 1 to the SMS page.\n"
        "  2. Join the incident channel, take or hand over the IC role, and follow the service's runbook.\n"
        "Until it is acknowledged the next tier is paged when the acknowledgement deadline passes.\n"
    )


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@incidentflow>"


class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, log: DeliveryLog, username: str | None = None,
                 password: SecretStr | None = None, starttls: bool = True, timeout: float = 10.0):
        self.host = host
        self.port = port
        self.sender = sender
        self.log = log
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        if person is None or not person.email or self.log.sent(request.key, self.name):
            return
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = formataddr((person.name, person.email))
        message["Subject"] = page_subject(request)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(request.key)
        message.set_content(page_body(request, target))
        await self._send(message, f"page {request.incident_id} to {target}")
        self.log.record(request.incident_id, request.key, self.name, person.email, at=request.at)

    async def send(self, notification: Notification) -> None:
        """Messages belong in the incident room; email carries pages only."""

    async def _send(self, message: EmailMessage, what: str) -> None:
        password = self.password.get_secret_value() if self.password else None
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port, username=self.username,
                                  password=password, start_tls=self.starttls, timeout=self.timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            if codes and all(code >= 500 for code in codes):
                raise rejected("SMTP", what, detail) from None
            raise unavailable("SMTP", what, detail) from None
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx: the server refuses this mail for good (a bad address, relaying denied, a wrong password)
            if exc.code >= 500:
                raise rejected("SMTP", what, f"{exc.code} {exc.message}") from None
            raise unavailable("SMTP", what, f"{exc.code} {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise unavailable("SMTP", what, f"{type(exc).__name__}: {exc}") from None
