"""A real OpenID provider on loopback for the login tests: the certified `oidc-provider` under Node
(testkit/oidc/provider.js, installed by `npm ci --prefix testkit/oidc`, which `make test` runs), and the HTML
form its login page posts, read the way a browser would."""

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx

from testkit.environment import PROJECT, free_port
from testkit.polling import wait_until_sync

OIDC_DIR = PROJECT / "testkit" / "oidc"
CLIENT_ID = "incidentflow-tests"
CLIENT_SECRET = "incidentflow-tests-client-secret"


def missing() -> str | None:
    """Why the provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (Node.js 20.19 or later runs testkit/oidc/provider.js)"
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed: run `npm ci --prefix testkit/oidc` (make test does)"
    return None


@dataclass
class OidcProvider:
    """Its port is chosen at once, so a gateway can be configured with `issuer` before the provider starts with
    that gateway's redirect URI (authlib reads the discovery document at the first login)."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, redirect_uri: str) -> None:
        self.log = Path(tempfile.mkstemp(prefix="oidc-provider-", suffix=".log")[1])
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                ["node", str(OIDC_DIR / "provider.js"), str(self.port), redirect_uri, CLIENT_ID, CLIENT_SECRET],
                cwd=OIDC_DIR, stdout=output, stderr=subprocess.STDOUT)
        wait_until_sync(self._discoverable, f"the OpenID provider's discovery document at {self.issuer}", 30, 0.1)

    def _discoverable(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"oidc-provider exited with {self.process.returncode}: {self.log.read_text()}")
        try:
            return httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def first_form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The first form of an HTML page: where it posts (absolute) and its named inputs with their values."""
    form = _Form()
    form.feed(page.text)
    if form.action is None:
        raise AssertionError(f"no form on {page.url}: {page.text[:500]}")
    return urljoin(str(page.url), form.action), form.fields
