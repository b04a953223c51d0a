"""A fake Twilio REST API (2010-04-01) on loopback: `POST /2010-04-01/Accounts/{sid}/Messages.json` and
`…/Calls.json`, form-encoded as Twilio's library sends them, with HTTP Basic auth of the account SID and auth
token. It records every Message and Call it creates (and every request), answers a wrong login 401 the way
Twilio does, and can answer the next requests with a fault (400 with a Twilio error code, 429, 500)."""

import base64
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from testkit.fakes.server import FakeApi

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-0000000000000000"
FROM_NUMBER = "+15005550006"


@dataclass
class Created:
    sid: str
    kind: str  # "message" or "call"
    fields: dict[str, str]  # To, From, Body / Twiml, StatusCallback …

    def __getitem__(self, name: str) -> str:
        return self.fields[name]


class FakeTwilio(FakeApi):
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.requests: list[tuple[str, int]] = []  # (path, status answered)
        self.messages: list[Created] = []
        self.calls: list[Created] = []
        self.faults: list[tuple[int, int | None]] = []  # (status, Twilio error code)
        self.app = FastAPI()
        self.app.add_api_route("/2010-04-01/Accounts/{sid}/Messages.json", self._message, methods=["POST"])
        self.app.add_api_route("/2010-04-01/Accounts/{sid}/Calls.json", self._call, methods=["POST"])
        self.serve()

    @property
    def api_url(self) -> str:
        return self.served.url

    def fail_next(self, status: int, code: int | None = None) -> None:
        self.faults.append((status, code))

    async def _message(self, sid: str, request: Request):
        return await self._create(sid, request, "message", "SM", ("To", "From", "Body"), self.messages)

    async def _call(self, sid: str, request: Request):
        return await self._create(sid, request, "call", "CA", ("To", "From"), self.calls)

    async def _create(self, sid: str, request: Request, kind: str, prefix: str, required: tuple[str, ...],
                      created: list[Created]):
        fields = {k: v[0] for k, v in parse_qs((await request.body()).decode(), keep_blank_values=True).items()}
        answer = self._refusal(sid, request, fields, required)
        if answer is None:
            record = Created(prefix + uuid.uuid4().hex, kind, fields)
            created.append(record)
            answer = JSONResponse({"sid": record.sid, "account_sid": sid, "to": fields["To"], "from": fields["From"],
                                   "status": "queued", "body": fields.get("Body")}, status_code=201)
        self.requests.append((request.url.path, answer.status_code))
        return answer

    def _refusal(self, sid: str, request: Request, fields: dict, required: tuple[str, ...]) -> JSONResponse | None:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if sid != self.account_sid or request.headers.get("authorization") != expected:
            return _error(401, 20003, "Authenticate")
        if self.faults:
            status, code = self.faults.pop(0)
            return _error(status, code or (20429 if status == 429 else 20500), f"fault {status}")
        missing = [name for name in required if not fields.get(name)]
        if missing or ("Twiml" not in fields and "Url" not in fields and "Body" not in required):
            return _error(400, 21201, f"missing parameter(s): {', '.join(missing) or 'Twiml or Url'}")
        if not fields["To"].startswith("+"):
            return _error(400, 21211, f"The 'To' number {fields['To']} is not a valid phone number.")
        return None


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                         "status": status}, status_code=status)
