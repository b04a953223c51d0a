"""Browser protections on what the gateway answers: `X-Content-Type-Options: nosniff` on every response, and
on HTML pages (`/status`, `/docs`) a Content-Security-Policy that allows only the gateway's own scripts and
no framing (plus `X-Frame-Options: DENY` for browsers that predate `frame-ancestors`); the console's pages send
CONSOLE_POLICY, which lets their forms post to the gateway."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The status page has no script and an inline <style>; /docs runs Swagger UI from /docs/assets (its icons are
# data: URIs). Nothing is loaded from another origin, nothing may frame a page, no form posts anywhere.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                           "frame-ancestors 'none'")
# The console (gateway/console/): its own script, stylesheet and event stream only, no inline script or style,
# and its forms post to the gateway itself.
CONSOLE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                    headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, with_headers)
