"""Any HTTP endpoint on loopback (a chat service's incoming webhook, ntfy, a customer's webhook receiver): it
records every request (method, path, headers, raw body) and answers 200, or the statuses queued with
`fail_next`."""

from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from testkit.fakes.server import FakeApi


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def text(self) -> str:
        return self.body.decode()


class FakeReceiver(FakeApi):
    def __init__(self):
        self.received: list[Received] = []
        self.faults: list[int] = []
        self.app = FastAPI()
        self.app.add_api_route("/{path:path}", self._receive, methods=["GET", "POST", "PUT"])
        self.serve()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.served.port}"

    def fail_next(self, *statuses: int) -> None:
        self.faults.extend(statuses)

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.status < 300]

    async def _receive(self, path: str, request: Request):
        status = self.faults.pop(0) if self.faults else 200
        self.received.append(Received(request.method, "/" + path, dict(request.headers), await request.body(), status))
        return JSONResponse({"ok": status < 300}, status_code=status)
