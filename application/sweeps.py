"""Sweeps (排查) as use cases: start one over the grids under a jurisdiction, a grid worker's report (the cases
found, each received as a case through intake, or the zero report 排查无纠纷), and the reads. The sweep's own
workflow watches each grid's deadline and climbs the ladder for the grids that stay silent."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import uuid4

from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.sweeps import SweepStart
from application.access import require_role
from application.calendar import pin_for_new_case
from application.errors import Forbidden, InvalidInput, NotFound, Refused, Unavailable, from_domain
from domain.events import Actor
from domain.organisation import JurisdictionLevel, Organisation, UnknownId
from domain.sweeps import (
    InvalidDue,
    ReportSweep,
    StartSweep,
    SweepCommand,
    SweepNotPermitted,
    SweepRefused,
    SweepState,
    decide,
    parse_due,
    replay,
)
from domain.vocabulary import Channel, Role
from infra.sweeps import (
    StaleSweep,
    SweepChain,
    append_sweep_events,
    seen_request,
    sweep_events,
    sweeps_started,
    verify_sweep,
)
from workflows.sweep import SweepWorkflow

if TYPE_CHECKING:
    from application.cases import Application, Intake, OnSpot

READ_SWEEPS = frozenset({Role.mediator, Role.supervisor, Role.leader, Role.auditor})
VERIFY_SWEEPS = frozenset({Role.auditor, Role.supervisor})


@dataclass(frozen=True)
class SweepCase:
    """One case body of a report: the intake fields (the grid and the channel come from the report)."""

    intake: Intake
    on_spot: OnSpot | None = None


def grids_under(org: Organisation, jurisdiction: str) -> tuple[str, ...]:
    """Every grid (网格) under the jurisdiction, in the organisation's order. 422 for a grid or an unknown id."""
    try:
        place = org.jurisdiction(jurisdiction)
    except UnknownId as exc:
        raise InvalidInput(str(exc), "jurisdiction") from exc
    if place.level is JurisdictionLevel.grid:
        raise InvalidInput(f"{jurisdiction} is a grid; a sweep covers the grids under a street, community or "
                           "district", "jurisdiction")
    grids = tuple(j.id for j in org.jurisdictions if j.level is JurisdictionLevel.grid
                  and any(a.id == jurisdiction for a in org.ancestors(j.id)))
    if not grids:
        raise InvalidInput(f"{jurisdiction} has no grid under it", "jurisdiction")
    return grids


async def start_sweep(app: Application, actor: Actor, jurisdiction: str, due: str, note: str | None = None,
                      request_id: str | None = None) -> SweepState:
    """排查: each grid under the jurisdiction is due to report by ``due`` (a duration such as "3wd", counted on
    the policy's calendar, or an ISO time), watched with the policy's ladder, pinned to the sweep."""
    grids = grids_under(app.org, jurisdiction)
    if request_id is not None and (seen := await seen_request(app.pool, request_id)) is not None:
        state = await _state(app, seen)
    else:
        now = app.clock()
        pinned = await pin_for_new_case(app.pool, app.policy, now)
        try:
            due_at = parse_due(due, now, pinned)
        except InvalidDue as exc:
            raise InvalidInput(str(exc), "due") from exc
        tail = hashlib.sha256(request_id.encode()).hexdigest()[:8] if request_id else uuid4().hex[:8]
        sweep_id = f"SW-{now.strftime('%Y%m%d')}-{tail}"
        command = StartSweep(jurisdiction=jurisdiction, grids=grids, due=due.strip(), due_at=due_at, note=note,
                             policy=pinned)
        state = await _write(app, actor, sweep_id, command, request_id)
    # Also for a repeat: a start whose watch could not be scheduled (503) gets it when the client repeats.
    await _watch(app, state.sweep_id)
    return state


async def _watch(app: Application, sweep_id: str) -> None:
    try:
        await app.temporal.start_workflow(SweepWorkflow.run, SweepStart(sweep_id=sweep_id), id=f"sweep-{sweep_id}",
                                          task_queue=app.cases.task_queue)
    except WorkflowAlreadyStartedError:
        pass  # already watched (or watched to its end)
    except RPCError as exc:
        raise Unavailable(f"the engine could not start watching the sweep: {exc.message}") from exc


async def report(app: Application, actor: Actor, sweep_id: str, grid_id: str, cases: Sequence[SweepCase],
                 note: str | None = None, request_id: str | None = None) -> tuple[SweepState, tuple[str, ...]]:
    """A grid's report: each case body received as a case of that grid (channel grid_report), then the report
    with their ids. ``[]`` is the zero report (排查无纠纷). A grid reports once (409 after)."""
    if actor.role is not Role.grid_worker:
        raise Forbidden("a sweep is answered by a grid worker of the grid", "sweep_grid_worker_only")
    if actor.jurisdiction != grid_id:
        raise Forbidden(f"a grid worker of {actor.jurisdiction} may not report for grid {grid_id}: "
                        "report only for your own grid", "sweep_other_grid")
    if request_id is not None and await seen_request(app.pool, request_id) == sweep_id:
        state = await _state(app, sweep_id)
        grid = state.grid(grid_id)
        return state, grid.cases if grid else ()
    state = await _state(app, sweep_id)
    grid = state.grid(grid_id)
    if grid is None:
        raise NotFound(f"sweep {sweep_id} has no grid {grid_id}", "not_in_sweep")
    if grid.reported_at is not None:
        raise Refused(f"grid {grid_id} already reported to sweep {sweep_id} at {grid.reported_at.isoformat()}",
                      "sweep_reported")
    for n, case in enumerate(cases):
        if case.intake.grid_id != grid_id or case.intake.channel is not Channel.grid_report:
            raise InvalidInput("a sweep's case is of the grid reported for, through grid_report", f"cases[{n}]")
        try:
            app.check_intake(case.intake)
        except InvalidInput as exc:
            raise InvalidInput(str(exc), f"cases[{n}]") from exc
    received: list[str] = []
    for n, case in enumerate(cases):
        # One request id per case of this grid's report: a report retried after a failure half-way receives
        # the same cases again (the same ids), never a second copy.
        got = await app.report(actor, case.intake, case.on_spot, f"sweep:{sweep_id}:{grid_id}:{n}")
        received.append(got.case_id)
    after = await _write(app, actor, sweep_id, ReportSweep(grid_id=grid_id, cases=tuple(received), note=note),
                         request_id)
    try:
        await app.temporal.get_workflow_handle(f"sweep-{sweep_id}").signal(SweepWorkflow.reported)
    except RPCError:
        pass  # the sweep's watch is over or away; it plans from the stored events when it runs again
    return after, tuple(received)


async def get_sweep(app: Application, actor: Actor, sweep_id: str) -> SweepState:
    require_role(actor, READ_SWEEPS)
    return await _state(app, sweep_id)


async def verify(app: Application, actor: Actor, sweep_id: str) -> SweepChain:
    """The sweep's hash chain recomputed from its stored events (the auditor's check, as for a case)."""
    require_role(actor, VERIFY_SWEEPS)
    await _state(app, sweep_id)  # 404 for a sweep that does not exist
    return await verify_sweep(app.pool, sweep_id)


async def list_sweeps(app: Application, actor: Actor, limit: int = 100) -> list[SweepState]:
    require_role(actor, READ_SWEEPS)
    return await _states(app, await sweeps_started(app.pool, None, limit))


async def sweeps_of_my_grid(app: Application, actor: Actor, limit: int = 20) -> list[SweepState]:
    """A grid worker's sweeps: those over their grid (latest first), reported or not."""
    if actor.role is not Role.grid_worker or actor.jurisdiction is None:
        raise Forbidden("only a grid worker has a grid's sweeps", "sweep_grid_worker_only")
    try:
        places = [j.id for j in app.org.ancestors(actor.jurisdiction)]
    except UnknownId:
        return []
    states = await _states(app, await sweeps_started(app.pool, places, limit))
    return [s for s in states if s.grid(actor.jurisdiction) is not None]


async def _states(app: Application, sweep_ids: Sequence[str]) -> list[SweepState]:
    found = [replay(await sweep_events(app.pool, s)) for s in sweep_ids]
    return [s for s in found if s is not None]


async def _state(app: Application, sweep_id: str) -> SweepState:
    state = replay(await sweep_events(app.pool, sweep_id)) if len(sweep_id) <= 100 else None
    if state is None:
        raise NotFound(f"no sweep {sweep_id[:100]}", "no_sweep", {"sweep": sweep_id[:100]})
    return state


async def _write(app: Application, actor: Actor, sweep_id: str, command: SweepCommand,
                 request_id: str | None) -> SweepState:
    for _ in range(5):  # the engine's rungs are the only other writer: decide again on a race
        events = await sweep_events(app.pool, sweep_id)
        state = replay(events)
        if state is None and not isinstance(command, StartSweep):
            raise NotFound(f"no sweep {sweep_id}", "no_sweep", {"sweep": sweep_id})
        now = app.clock()
        try:
            new = decide(state, command, actor=actor, sweep_id=sweep_id, now=now)
        except (SweepNotPermitted, SweepRefused) as exc:  # the domain's two refusals, mapped as a case's are
            raise from_domain(exc) from exc
        after = replay([*events, *new])
        assert after is not None
        try:
            await append_sweep_events(app.pool, sweep_id, after.jurisdiction, len(events), new, actor, now,
                                      request_id)
        except StaleSweep:
            if request_id is not None and await seen_request(app.pool, request_id) is not None:
                return await _state(app, sweep_id)
            continue
        return after
    raise Refused(f"sweep {sweep_id} changed meanwhile; try again", "sweep_changed")
