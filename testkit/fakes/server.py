"""Serve an ASGI app with uvicorn in a thread on a free loopback port."""

import threading

import uvicorn

from testkit.environment import free_port
from testkit.polling import wait_until_sync


class ServedApp:
    def __init__(self, app, lifespan: str = "off"):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan=lifespan))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        wait_until_sync(self._started, f"{type(self.app).__name__} on {self.url} to start", interval=0.02)
        return self

    def _started(self) -> bool:
        if not self.thread.is_alive():
            raise RuntimeError(f"{type(self.app).__name__} on {self.url} stopped while starting")
        return self.server.started

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class FakeApi:
    """A fake third-party API: a subclass builds its FastAPI `app`, then calls `serve()`; `with` runs it."""

    app: object

    def serve(self) -> None:
        self.served = ServedApp(self.app)

    def __enter__(self):
        self.served.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.served.__exit__(*exc)
