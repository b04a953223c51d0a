"""`incident login|logout`: keep a gateway's URL and a personal token for remote mode (cli/remote_config.py).
The token is checked against the gateway (`GET /api/whoami`) before it is stored, and never printed."""

from typing import Annotated

import typer

from domain.common.text import terminal_text


def register(app: typer.Typer) -> None:
    @app.command()
    def login(
        url: Annotated[str, typer.Option("--url", help="The gateway's address, e.g. https://incidents.example")],
        token: Annotated[str, typer.Option(
            "--token", prompt="Token", hide_input=True,
            help="A personal token (`incident token create --person …`); asked for, hidden, when not given")],
    ) -> None:
        """Check a token against the gateway and keep both: the incident commands then work through it."""
        from cli.remote_client import RemoteClient
        from cli.remote_commands import whoami
        from cli.remote_config import checked, store_credentials

        remote = checked(url.strip(), token.strip(), "login")
        with RemoteClient(remote) as client:
            principal = whoami(client)
        path = store_credentials(remote)
        print(terminal_text(f"logged in to {remote.url} as {principal.name} ({principal.kind.value}, "
                            f"{principal.role.value}); stored in {path}"))

    @app.command()
    def logout() -> None:
        """Forget the gateway and token `incident login` kept (INCIDENTFLOW_URL/TOKEN still count)."""
        from cli.remote_config import credentials_path, remove_credentials

        removed = remove_credentials()
        print(f"logged out: removed {removed}" if removed else f"not logged in ({credentials_path()} does not exist)")
