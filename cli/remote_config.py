"""Which gateway the CLI talks to in remote mode: `INCIDENTFLOW_URL` and `INCIDENTFLOW_TOKEN`, else what
`incident login` stored in `$XDG_CONFIG_HOME/incidentflow/credentials.toml` (default ~/.config/…, mode 0600);
neither: local mode. `INCIDENTFLOW_URL=` (empty) forces local mode whatever is stored. The token is never
printed, not even in an error."""

import json
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cli.common import fail

URL_VARIABLE = "INCIDENTFLOW_URL"
TOKEN_VARIABLE = "INCIDENTFLOW_TOKEN"
FILE_NAME = "credentials.toml"


@dataclass(frozen=True)
class Remote:
    url: str  # no trailing slash
    token: str = field(repr=False)
    source: str = "environment"  # or the credentials file it came from


def credentials_path() -> Path:
    configured = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(configured) if configured and Path(configured).is_absolute() else Path.home() / ".config"
    return base / "incidentflow" / FILE_NAME  # a relative XDG_CONFIG_HOME is to be ignored (XDG spec)


def checked(url: str, token: str, where: str) -> Remote:
    """`url` and `token` validated (an http(s) URL; a token of printable characters without spaces)."""
    from pydantic import ValidationError

    from cli.remote_models import Credentials

    try:
        found = Credentials(url=url, token=token)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        fail(f"{where}: {error['loc'][0]}: {error['msg']}", 2)
    return Remote(url=str(found.url).rstrip("/"), token=found.token, source=where)


def stored_credentials() -> Remote | None:
    """What `incident login` stored; None when nothing is."""
    import tomllib

    path = credentials_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        fail(f"{path}: cannot be read: {exc.strerror or exc}", 2)
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(f"warning: {path} is readable by others; `chmod 600 {path}` (it holds a token)", file=sys.stderr)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        fail(f"{path}: not TOML ({exc}); run `incident login` again", 2)
    if not isinstance(document.get("url"), str) or not isinstance(document.get("token"), str):
        fail(f"{path}: needs `url` and `token` strings; run `incident login` again", 2)
    return checked(document["url"], document["token"], str(path))


def remote_target() -> Remote | None:
    """The gateway of remote mode, or None for local mode. Environment variables win over the stored file; a
    stored token only goes with the stored URL."""
    url, token = os.environ.get(URL_VARIABLE), os.environ.get(TOKEN_VARIABLE) or None
    if url is not None and not url.strip():
        return None
    stored = stored_credentials() if url is None or token is None else None
    if url is None and token is None:
        return stored
    if url is None:
        if stored is None:
            fail(f"{TOKEN_VARIABLE} is set but no gateway: set {URL_VARIABLE} too, or run `incident login`", 2)
        url = stored.url
    if token is None:
        if stored is None or stored.url != checked(url, "-", URL_VARIABLE).url:
            fail(f"{URL_VARIABLE} is {url} but there is no token for it: set {TOKEN_VARIABLE}, or run "
                 f"`incident login --url {url}`", 2)
        token = stored.token
    return checked(url, token, "environment")


def store_credentials(remote: Remote) -> Path:
    """Write the credentials file, owner-only from its first byte, replacing any earlier one at once."""
    path = credentials_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # json.dumps of these (an http(s) URL, printable ASCII) is a valid TOML basic string
    text = (f"# written by `incident login`; `incident logout` removes it. Holds a secret: keep it mode 0600.\n"
            f"url = {json.dumps(remote.url)}\ntoken = {json.dumps(remote.token)}\n")
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def remove_credentials() -> Path | None:
    """Delete the credentials file; the path it had, or None when there was none."""
    path = credentials_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path


def stack_only(command: str) -> None:
    """For a command the gateway has no endpoint for: in remote mode, one line saying where it runs (exit 2)."""
    remote = remote_target()
    if remote is not None:
        fail(f"`incident {command}` runs where the stack is (Temporal and the ledger), not against the gateway at "
             f"{remote.url}; run it there, or here in local mode with {URL_VARIABLE}= set empty", 2)
