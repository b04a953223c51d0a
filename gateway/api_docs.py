"""`/docs`: Swagger UI over `/openapi.json`, served by the gateway itself — its assets come from the
fastapi-offline package, its start-up script from here — so it works without Internet access and under a
Content-Security-Policy that allows no inline script and no other origin (gateway/security_headers.py).
FastAPI's own /docs and /redoc load from a CDN and are turned off in create_app."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"  # swagger-ui-bundle.js, swagger-ui.css, favicon.png

# Relative URLs, so the page also works behind a proxy that serves the gateway under a path prefix.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>incidentflow gateway — API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="icon" href="docs/assets/favicon.png">
</head><body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body></html>
"""
START = """window.ui = SwaggerUIBundle({
  url: "openapi.json", dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true,
  validatorUrl: null,  // no call to validator.swagger.io
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def install(app: FastAPI) -> None:
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/docs/start.js", include_in_schema=False)
    async def start() -> Response:
        return Response(START, media_type="text/javascript")
