"""Postmortem action items: kept in the ledger, each open one followed by its own ActionItemWorkflow for the
due-date reminder and the weekly nags (docs/learning-loop.md). The ledger's refusals come as LedgerError."""

import contextlib
from datetime import date, datetime
from typing import Literal

from temporalio.client import Client
from temporalio.service import RPCError

from adapters.stores.ledger import Ledger
from domain.incident.records import ActionItem
from domain.learning.postmortem import action_due_at
from domain.policy.model import Policy
from workflows.action_item import ActionItemStart, ActionItemWorkflow, action_workflow_id

Term = Literal["short", "mid", "long"]


async def add_action_item(client: Client, task_queue: str, store: Ledger, policy_: Policy, incident_id: str,
                          title: str, owner: str, due: date, term: Term, by: str, now: datetime) -> ActionItem:
    item = store.add_action(incident_id, title, owner, due, term, by, now)
    await client.start_workflow(
        ActionItemWorkflow.run,
        ActionItemStart(item=item, remind_at=action_due_at(due, policy_.incident.timezone),
                        nag_every=policy_.incident.learning.action_items.nag_every),
        id=action_workflow_id(item), task_queue=task_queue,
    )
    return item


async def complete_action_item(client: Client, store: Ledger, action_id: int, by: str, now: datetime) -> ActionItem:
    item = store.complete_action(action_id, by, now)
    with contextlib.suppress(RPCError):  # the reminder workflow already ended; the ledger is what counts
        await client.get_workflow_handle(action_workflow_id(item)).signal(ActionItemWorkflow.done, by)
    return item


def verify_action_item(store: Ledger, action_id: int, by: str, evidence: str, now: datetime) -> ActionItem:
    """A done item checked to work, with the evidence; its workflow ended when it was done."""
    return store.verify_action(action_id, by, evidence, now)


def list_action_items(store: Ledger, open_only: bool = False, owner: str | None = None) -> list[ActionItem]:
    """Soonest due first."""
    return store.actions(open_only=open_only, owner=owner)


def unknown_owner(policy_: Policy, owner: str) -> str | None:
    """Why `owner` cannot own an action item (not a person of the on-call policy), or None."""
    if owner in policy_.oncall.people:
        return None
    people = ", ".join(sorted(policy_.oncall.people))
    return f"unknown person {owner!r}: pick one of the people of the policy ({people})"
