"""Slack user groups by handle (`@game-sre-oncall`): who is in them, for the declaration's /invite of seed 000.
`usergroups.list` with `include_users` answers every group with its members in one call (needs the
`usergroups:read` scope; https://api.slack.com/methods/usergroups.list)."""

from collections.abc import Awaitable, Callable

from pydantic import BaseModel

# a workspace without user groups (free plans) or a bot without the scope: the people are still invited
GROUPS_UNAVAILABLE = {"missing_scope", "not_allowed_token_type", "paid_teams_only", "plan_upgrade_required"}


class GroupMembers(BaseModel):
    users: list[str] = []  # Slack user ids, each once, in the order of the groups asked for
    missing: list[str] = []  # handles Slack does not know (or an empty group)
    unavailable: str | None = None  # why no group could be read at all


async def members_of(call: Callable[..., Awaitable[dict]], handles: list[str]) -> GroupMembers:
    """The members of the user groups with these handles; `call` is the channel's Slack call (errors mapped)."""
    if not handles:
        return GroupMembers()
    answer = await call("usergroups_list", include_users=True, benign=GROUPS_UNAVAILABLE)
    if not answer.get("ok", True) and answer.get("error"):
        return GroupMembers(missing=list(handles), unavailable=answer["error"])
    by_handle = {g.get("handle"): g.get("users") or [] for g in answer.get("usergroups", [])}
    users: list[str] = []
    missing: list[str] = []
    for handle in handles:
        members = by_handle.get(handle)
        if not members:
            missing.append(handle)
        users += [u for u in members or [] if u not in users]
    return GroupMembers(users=users, missing=missing)


def missing_text(groups: GroupMembers) -> str:
    """What the room is told when a group could not be invited, so someone invites its people by hand."""
    named = " ".join(f"@{h}" for h in groups.missing)
    if groups.unavailable:
        return f"⚠️ Could not invite {named}: Slack user groups cannot be read ({groups.unavailable})."
    return f"⚠️ Could not invite {named}: no such Slack user group, or it has no members."
