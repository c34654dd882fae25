"""Which exceptions mean "a server is unreachable just now" rather than "this code is wrong".

Every entry point (HTTP API, workbench, CLI) asks ``unreachable(exc)`` in its last-resort handler: an outage
of PostgreSQL or Temporal is answered 503 with ``Retry-After`` (docs/api.md §3), never 500. The cause chain is
walked because the application layer may wrap the driver's error in its own."""

from __future__ import annotations

import asyncpg
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

RETRY_AFTER_S = 5  # long enough for a restarted server to come back; short enough not to lose the person

_TEMPORAL_DOWN = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED,
                  RPCStatusCode.RESOURCE_EXHAUSTED}
# asyncpg's own words for a connection that went away under it (an InterfaceError otherwise means misuse).
_PG_GONE = ("connection is closed", "connection was closed", "pool is closed", "pool is closing",
            "connection has been released")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _postgres_down(exc: BaseException) -> bool:
    if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.exceptions.CannotConnectNowError,
                        asyncpg.exceptions.OperatorInterventionError, asyncpg.exceptions.TooManyConnectionsError,
                        asyncpg.exceptions.ConnectionDoesNotExistError)):
        return True
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # asyncpg's protocol left mid-operation by a connection that died under it ("cannot switch to state")
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return any(words in str(exc) for words in _PG_GONE)
    # asyncpg raises the socket's own error when it cannot connect (refused, reset, no route).
    return isinstance(exc, OSError) and not isinstance(exc, TimeoutError)


def _temporal_down(exc: BaseException) -> bool:
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError):
        return True
    return isinstance(exc, RPCError) and exc.status in _TEMPORAL_DOWN


def unreachable(exc: BaseException) -> str | None:
    """``"postgres"`` or ``"temporal"`` when ``exc`` (or what caused it) is an outage of that server."""
    for link in _chain(exc):
        if _temporal_down(link):
            return "temporal"
        if _postgres_down(link):
            return "postgres"
        if isinstance(link, TimeoutError) and _from_pool_acquire(link):
            return "postgres"
    return None


def _from_pool_acquire(exc: BaseException) -> bool:
    # pool.acquire(timeout=...) gives up with a bare TimeoutError while every connection is being re-made.
    tb = exc.__traceback__
    while tb is not None:
        if "asyncpg" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


# The classes an outage surfaces as, for handlers that dispatch by class (refined by ``unreachable``).
OUTAGE_CLASSES: tuple[type[BaseException], ...] = (
    OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError, RPCError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)

SERVER_NAMES = {"postgres": "PostgreSQL", "temporal": "Temporal"}


def outage_detail(server: str) -> str:
    return f"{SERVER_NAMES.get(server, server)} is unreachable just now; repeat the request in {RETRY_AFTER_S} s"
