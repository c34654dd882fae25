"""Which answers of the workflow service the case client repeats: only the server's refusal of an update while
the case's workflow task is failing (it clears once a worker completes a task), never another refusal."""

from __future__ import annotations

from temporalio.service import RPCError, RPCStatusCode

from application.case_client import TASK_FAILING_BACKOFF_S, task_failing

FAILING = "Unable to perform workflow execution update due to Workflow Task in failed state."


def test_only_the_failing_workflow_task_refusal_is_repeated() -> None:
    assert task_failing(RPCError(FAILING, RPCStatusCode.FAILED_PRECONDITION, b""))
    assert not task_failing(RPCError("Workflow is paused. Cannot update the workflow.",
                                     RPCStatusCode.FAILED_PRECONDITION, b""))
    assert not task_failing(RPCError("workflow execution not found", RPCStatusCode.NOT_FOUND, b""))
    assert not task_failing(RPCError(FAILING, RPCStatusCode.INVALID_ARGUMENT, b""))


def test_the_repeats_are_bounded_and_outlast_two_workflow_task_timeouts() -> None:
    # two more task timeouts of 10 s can pass before a new worker completes one; a task that keeps failing is
    # raised after about half a minute, not waited on for ever
    assert 20 <= sum(TASK_FAILING_BACKOFF_S) <= 30
    assert list(TASK_FAILING_BACKOFF_S) == sorted(TASK_FAILING_BACKOFF_S)
