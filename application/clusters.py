"""聚集预警 as use cases: the cluster rule applied at intake, the alerts listed and closed (docs/api.md §7).

At intake (:func:`detect`, called by ``Application.receive`` once the case is in the read models) the rule of
domain/clusters.py runs under the community's and category's lock (infra/clusters.py); then each case the alert
takes records ``ClusterDetected`` through its own workflow (``NoteCluster``), so the alert is in every case's
hash chain. The case whose intake opened the alert carries the notification to the street's and the district's
centres (domain/notifications.py, ``cluster_alert``, urgent). An archived case's record is sealed: it stays one of
the alert's cases without the event."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from application.access import require_role
from application.case_client import CaseNotFound
from application.errors import InvalidInput, NotFound, Refused
from domain.case import CaseState
from domain.clusters import (
    Joins,
    Opens,
    Received,
    alert_id_for,
    community_of,
    grids_of,
    on_intake,
    worth_locking,
)
from domain.commands import NoteCluster
from domain.decide import ActionRefused, NotPermitted
from domain.events import SYSTEM_ACTOR, Actor
from domain.policy import wall_clock_seconds
from domain.vocabulary import Role
from infra.clusters import Alert, close_alert, get_alert, glance, list_alerts, locked
from infra.logging import get_logger

if TYPE_CHECKING:
    from application.cases import Application

log = get_logger(__name__)

READ_ALERTS = frozenset({Role.mediator, Role.supervisor, Role.leader})
CLOSE_ALERTS = frozenset({Role.supervisor})
STATUSES = ("open", "closed")
NOTE_MAX = 2000


@dataclass(frozen=True)
class Noted:
    """What the intake did to an alert: its id and whether this case opened it."""

    alert_id: str
    opened: bool


async def detect(app: Application, state: CaseState) -> Noted | None:
    """Apply the cluster rule to a case just received (domain/clusters.py); None when it opens or joins nothing."""
    rule = app.policy.analysis_rules.cluster
    if rule is None or state.duplicate_of is not None or state.received_at is None:
        return None
    community = community_of(app.org, state.grid_id)
    window = timedelta(seconds=wall_clock_seconds(rule.window))
    case = Received(state.case_id, state.received_at)
    grids = grids_of(app.org, community)
    since = case.received_at - window
    if not worth_locking(*await glance(app.pool, community, state.category, grids, since, case.received_at,
                                       case.case_id), rule.threshold):
        return None
    async with locked(app.pool, community, state.category) as alerts:
        current = await alerts.open_alert()
        recent = [] if current is not None else await alerts.received(grids, since, case.received_at)
        verdict = on_intake(case, window, rule.threshold, current, recent)
        if isinstance(verdict, Opens):
            alert_id, case_ids = alert_id_for(case.case_id), verdict.case_ids
            await alerts.open(alert_id, case_ids, app.clock())
            notes = case_ids
        elif isinstance(verdict, Joins):
            alert_id, case_ids = verdict.alert_id, await alerts.join(verdict.alert_id, case.case_id)
            notes = (case.case_id,)
        elif current is not None and case.case_id in current.case_ids:
            # A repeated intake (its first try got this far): record again what may not have been recorded.
            alert_id, case_ids = current.alert_id, current.case_ids
            notes = case_ids if alert_id == alert_id_for(case.case_id) else (case.case_id,)
        else:
            return None
    opener = alert_id == alert_id_for(case.case_id)
    await asyncio.gather(*(_note(app, c, NoteCluster(
        alert_id=alert_id, jurisdiction=community, category=state.category, case_ids=case_ids,
        opened=opener and c == case.case_id)) for c in notes))
    await app.projector.catch_up()  # read-your-writes: the cases show the alert when the intake answers
    log.info("cluster alert", alert_id=alert_id, opened=opener, cases=len(case_ids))
    return Noted(alert_id=alert_id, opened=opener)


# How long the intake waits for another case's workflow to record the alert. A case whose worker is slow or
# gone must not hold the intake (nor the resident at the counter): the alert is saved, the update stays with
# Temporal and is recorded when that case's workflow runs again (the request id makes a repeat harmless).
NOTE_WAIT_S = 10.0


async def _note(app: Application, case_id: str, command: NoteCluster) -> None:
    try:
        await asyncio.wait_for(app.cases.act(case_id, command, SYSTEM_ACTOR,
                                             request_id=f"cluster-{command.alert_id}-{case_id}"), NOTE_WAIT_S)
    except (ActionRefused, NotPermitted, CaseNotFound) as exc:  # archived (sealed), or recorded already
        log.info("cluster alert not recorded on case", case_id=case_id, alert_id=command.alert_id,
                 reason=str(exc))
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        # The SDK answers the wait's cancellation with its own error rather than letting TimeoutError through.
        log.warning("cluster alert not yet recorded on case: its workflow did not answer in time",
                    case_id=case_id, alert_id=command.alert_id, waited_s=NOTE_WAIT_S)


# --------------------------------------------------------------------------------------------- reading, closing


def parse_status(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    if text not in STATUSES:
        raise InvalidInput(f"{text!r} is not one of open, closed", "status")
    return text


async def alerts(app: Application, actor: Actor, status: str | None) -> list[Alert]:
    require_role(actor, READ_ALERTS)
    return await list_alerts(app.pool, status)


async def close(app: Application, actor: Actor, alert_id: str, note: str | None) -> Alert:
    """A supervisor closes an open alert with a note saying what was done (研判处置)."""
    require_role(actor, CLOSE_ALERTS)
    text = (note or "").strip()
    if not text:
        raise InvalidInput("say what was done about the alert (a note is required)", "note")
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"the note is too long: at most {NOTE_MAX} characters", "note")
    closed = await close_alert(app.pool, alert_id[:200], actor.id, text, app.clock())
    if closed is not None:
        return closed
    if await get_alert(app.pool, alert_id[:200]) is None:
        raise NotFound(f"no alert {alert_id[:200]}", "no_alert")
    raise Refused(f"alert {alert_id[:200]} is closed already", "alert_closed")


def alert_json(app: Application, alert: Alert) -> dict[str, Any]:
    """An alert as GET /analysis/alerts answers it (docs/api.md §7), with the names of its place and category."""
    return {"alert_id": alert.alert_id, "kind": alert.kind, "jurisdiction": alert.jurisdiction,
            "jurisdiction_name": app.org.jurisdiction_name(alert.jurisdiction), "category": alert.category,
            "category_name": app.org.category_name(alert.category), "case_ids": list(alert.case_ids),
            "opened_at": alert.opened_at.isoformat(), "status": alert.status,
            "closed_at": alert.closed_at.isoformat() if alert.closed_at else None, "closed_by": alert.closed_by,
            "note": alert.note}
