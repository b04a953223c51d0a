"""The dev stack's API token: when INCIDENTFLOW_API_TOKEN is unset, `incident dev` keeps one in its data
directory (readable by the owner only), so the gateway is never open to anyone on the machine."""

import os
import secrets
from pathlib import Path

TOKEN_FILE = "api-token"
FEED_SECRET_FILE = "oncall-feed-secret"


def ensure_dev_token(data_dir: Path, configured: str | None, file: str = TOKEN_FILE) -> tuple[str, Path | None]:
    """Return (token(s) to use, the file it was read from or written to; None when configured)."""
    if configured and configured.strip():
        return configured, None
    path = data_dir / file
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token, path
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token, path


def usage(port: int, path: Path | None) -> str:
    source = f"$(cat {path})" if path else "$INCIDENTFLOW_API_TOKEN"
    where = f"in {path}" if path else "from INCIDENTFLOW_API_TOKEN"
    return (f"  API token:   {where} — send it as a bearer token:\n"
            f"    curl -H \"Authorization: Bearer {source}\" -H 'Content-Type: application/json' \\\n"
            f"         --data @examples/payloads/alertmanager-firing.json http://127.0.0.1:{port}/webhooks/alertmanager\n")


def ensure_feed_secret(data_dir: Path, configured: str | None) -> str:
    """The dev stack's secret for the on-call calendar feed addresses, kept beside the API token (owner only)."""
    return ensure_dev_token(data_dir, configured, FEED_SECRET_FILE)[0]
