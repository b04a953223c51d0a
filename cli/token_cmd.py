"""`incident token create|list|revoke`: API tokens for people, scripts and alert senders, kept in the ledger
(service/tokens.py, docs/security.md "Tokens"). Whoever can run the CLI against the ledger may manage them."""

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.common import fail, print_json
from cli.learning_common import ledger, policy
from cli.plain_text import plain_text as plain
from cli.remote_config import remote_target
from domain.common.text import terminal_text
from domain.identity.roles import Role


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="API tokens: personal, service (alert intake) and admin.", no_args_is_help=True)
    app.add_typer(group, name="token")

    @group.command("create")
    def create(
        name: Annotated[str, typer.Option(help="What the token is for, e.g. 'minsu laptop' or 'alertmanager'")],
        person: Annotated[str | None, typer.Option(help="A person of the policy: the token acts as them")] = None,
        service: Annotated[bool, typer.Option("--service", help="An alert sender: may open and feed incidents, "
                                                                "never read or decide")] = False,
        admin: Annotated[bool, typer.Option("--admin", help="May do anything, like INCIDENTFLOW_API_TOKEN")] = False,
        role: Annotated[Role | None, typer.Option(help="Cap a personal token below the person's role")] = None,
        expires: Annotated[str | None, typer.Option(help="Lifetime, e.g. 90d or 12h; default: no expiry")] = None,
    ) -> None:
        """Create a token and print its secret, this once only."""
        from domain.common.durations import parse_duration
        from domain.identity.principal import PrincipalKind
        from service import tokens

        if [person is not None, service, admin].count(True) != 1:
            fail("give exactly one of --person PERSON, --service or --admin", 2)
        kind = PrincipalKind.PERSON if person is not None else PrincipalKind.SERVICE if service else PrincipalKind.ADMIN
        now = datetime.now(UTC)
        try:
            expires_at = now + parse_duration(expires) if expires else None
        except (ValueError, OverflowError) as exc:  # OverflowError: a lifetime past the year 9999
            fail(f"--expires: {exc}", 2)
        remote = remote_target()
        if remote is not None:
            from cli.remote_admin import create_token

            issued = create_token(remote, {"name": name, "kind": kind.value, "person": person,
                                           "role": role.value if role else None, "expires_in": expires})
        else:
            issued = tokens.issue(ledger(), name=name, kind=kind, person=person, role=role, expires_at=expires_at,
                                  policy=policy(), created_by="cli", now=now)
        print(terminal_text(f"Created {issued.kind.value} token {issued.id} ({issued.name})"
                    + (f", expires {issued.expires_at:%Y-%m-%d %H:%M} UTC" if issued.expires_at else "")),
              file=sys.stderr)
        print(issued.secret)
        print("warning: this secret cannot be shown again; store it now (only its hash is kept).", file=sys.stderr)

    @group.command("list")
    def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Every token, newest first, with its state; never a secret."""
        remote = remote_target()
        if remote is not None:
            from cli.remote_admin import token_list

            found = token_list(remote)
        else:
            from service import tokens

            found = tokens.tokens(ledger())
        if as_json:
            print_json([t.model_dump(mode="json") for t in found])
            return
        from rich.table import Table

        from cli.common import console

        table = Table(title="API tokens")
        for column in ("id", "name", "kind", "person", "state", "created", "expires", "last used"):
            table.add_column(column)
        for t in found:
            table.add_row(t.id, plain(t.name), t.kind.value, plain(t.person or ""), t.state, _when(t.created_at),
                          _when(t.expires_at), _when(t.last_used_at))
        console.print(table if found else "No API tokens.")

    @group.command("revoke")
    def revoke(token_id: Annotated[str, typer.Argument(metavar="ID", help="Token id from `incident token list`")],
               ) -> None:
        """Revoke a token: the gateway refuses it from the next request on."""
        remote = remote_target()
        if remote is not None:
            from cli.remote_admin import revoke_token

            revoke_token(remote, token_id)
        else:
            from service import tokens

            tokens.revoke(ledger(), token_id)
        print(f"revoked {token_id}")


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else ""
