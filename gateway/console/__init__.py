"""The incident console (docs/console.md): server-rendered pages at `/` for logged-in people — the incident list,
one incident with every decision as a control, declaring — with live updates over server-sent events. Every
decision goes through the service layer with the session's principal, so it is authorized and audited exactly
as the REST API's."""

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from gateway import oncall_feeds
from gateway.console import (
    decide,
    drill_pages,
    live,
    oncall_pages,
    pages,
    postmortem_pages,
    review_pages,
    runbook_pages,
)
from gateway.console.session import LoginRequired, login_answer
from gateway.console.templating import STATIC_DIR


def install(app: FastAPI) -> None:
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(pages.router)
    app.include_router(decide.router)
    app.include_router(live.router)
    app.include_router(oncall_pages.router)  # the On call page (docs/console.md, "On call")
    app.include_router(oncall_feeds.router)  # its iCal feeds, opened by a key in the address, not a session
    app.include_router(postmortem_pages.router)
    app.include_router(review_pages.router)  # Reviews, Drills, Runbooks (docs/console.md)
    app.include_router(drill_pages.router)
    app.include_router(runbook_pages.router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        return login_answer(request, exc)
