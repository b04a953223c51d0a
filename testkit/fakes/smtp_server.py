"""A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts, parsed. It can require a login,
refuse recipients with a code of its own (`refuse`), and answer the next messages' DATA with a given reply
(`fail_next`, e.g. "451 4.3.0 try again later")."""

import email
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from testkit.environment import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return self.message.get_body(("plain",)).get_content()


class FakeSmtp:
    def __init__(self, username: str | None = None, password: str | None = None):
        self.username, self.password = username, password
        self.received: list[Received] = []
        self.refused: dict[str, str] = {}  # recipient → the reply to its RCPT TO
        self.faults: list[str] = []
        self.logins: list[str] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, auth_require_tls=False,
                                     auth_required=username is not None, authenticator=self._authenticate)

    def refuse(self, address: str, reply: str = "550 5.1.1 mailbox unavailable") -> None:
        self.refused[address] = reply

    def fail_next(self, reply: str) -> None:
        self.faults.append(reply)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.username
              and auth_data.password.decode() == self.password)
        if ok:
            self.logins.append(self.username)
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.faults:
            return self.faults.pop(0)
        message = email.message_from_bytes(envelope.content, policy=default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 accepted"
