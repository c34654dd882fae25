"""The Temporal case client: starts a case's workflow and sends it actions (the application layer, tests and
benchmarks use it; entry points go through `application.cases`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.case import CaseState
from domain.commands import Command, ReceiveCase
from domain.decide import ActionRefused, NotPermitted
from domain.events import Actor
from workflows.dispute_case import GENERATION, DisputeCaseWorkflow, intake_attributes
from workflows.messages import ActionRequest, ActionResult, CaseInput

# The workflow's update takes its ActionRequest raw (decoded once for its validator and handler), so it is
# named here rather than typed through the method.
ACT = "act"


class CaseNotFound(LookupError):
    pass


# While a case's workflow task has failed or timed out twice in a row (a worker killed mid-task, then a new one
# too slow for the 10 s task timeout under load), the server refuses new updates outright instead of queueing
# them, until a worker completes a task. Repeated with backoff for about two task timeouts more; a task that
# keeps failing (a bug, a nondeterminism: the worker's log and the history say which) is still raised after.
TASK_FAILING_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 8.0)


def task_failing(exc: RPCError) -> bool:
    """The server's answer to an update while the workflow task is failing (WorkflowNotReady)."""
    return exc.status is RPCStatusCode.FAILED_PRECONDITION and "Workflow Task in failed state" in exc.message


def _translate(exc: WorkflowUpdateFailedError) -> Exception:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type in ("NotPermitted", "ActionRefused"):
        refusal = NotPermitted if cause.type == "NotPermitted" else ActionRefused
        code, data = None, {}
        if len(cause.details) == 2 and isinstance(cause.details[0], str) and isinstance(cause.details[1], dict):
            code, data = cause.details[0], {str(k): str(v) for k, v in cause.details[1].items()}
        return refusal(cause.message, code, **data)
    return exc


class CaseClient:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def receive(
        self, case_id: str, command: ReceiveCase, actor: Actor, request_id: str | None = None
    ) -> ActionResult:
        """Start the case's workflow and record its intake in one step (update-with-start): by the time this
        returns, CaseReceived is in the event store. Repeating it with the same request id does nothing more.
        The workflow starts with the search attributes its intake leads to, so the intake upserts none (a
        visibility write fewer in the server)."""
        start = WithStartWorkflowOperation(
            DisputeCaseWorkflow.run,
            CaseInput(case_id=case_id, generation=GENERATION),
            id=case_id,
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=intake_attributes(case_id, command, actor, datetime.now(UTC)),
        )
        try:
            result: ActionResult = await self.client.execute_update_with_start_workflow(
                ACT,
                ActionRequest(command=command, actor=actor),
                start_workflow_operation=start,
                id=request_id,
                result_type=ActionResult,
            )
        except WorkflowUpdateFailedError as exc:
            raise _translate(exc) from exc
        return result

    async def act(
        self, case_id: str, command: Command, actor: Actor, request_id: str | None = None
    ) -> ActionResult:
        handle = self.client.get_workflow_handle(case_id, result_type=CaseState)
        request = ActionRequest(command=command, actor=actor)
        try:
            for delay in TASK_FAILING_BACKOFF_S:
                try:
                    result: ActionResult = await handle.execute_update(ACT, request, id=request_id,
                                                                       result_type=ActionResult)
                    return result
                except RPCError as exc:
                    if not task_failing(exc):
                        raise
                # refused before it was admitted: sending it again cannot apply it twice
                await asyncio.sleep(delay)
            last: ActionResult = await handle.execute_update(ACT, request, id=request_id, result_type=ActionResult)
            return last
        except WorkflowUpdateFailedError as exc:
            raise _translate(exc) from exc
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                # An archived case's workflow has completed and takes no more updates.
                if await self._exists(case_id):
                    raise ActionRefused("the case is archived: its record is sealed", "archived") from exc
                raise CaseNotFound(case_id) from exc
            raise

    async def _exists(self, case_id: str) -> bool:
        try:
            await self.client.get_workflow_handle(case_id).describe()
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def state(self, case_id: str) -> CaseState:
        handle = self.client.get_workflow_handle(case_id, result_type=CaseState)
        try:
            return await handle.query(DisputeCaseWorkflow.current_state)
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise CaseNotFound(case_id) from exc
            raise
