"""The FastAPI application."""

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI(title="incidentflow gateway", version="0.1.0")

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    return app
