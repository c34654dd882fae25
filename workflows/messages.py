"""What goes in and out of the case workflow."""

from __future__ import annotations

from pydantic import BaseModel

from domain.case import CaseState
from domain.commands import Command
from domain.events import Actor


class CaseInput(BaseModel):
    case_id: str
    state: CaseState | None = None  # carried over by continue-as-new
    # The workflow changes built into this run (workflows/dispute_case.py, BUILT_IN); 0 for runs started before
    # generations, which ask workflow.patched for each.
    generation: int = 0


class ActionRequest(BaseModel):
    command: Command
    actor: Actor


class ActionResult(BaseModel):
    case_id: str
    version: int
    stage: str
    events: list[str]  # the types of the events this action recorded
