"""研判 (docs/api.md §7): the hotspots of a period against the period before, and the period's totals. Wiring
only: application/analysis.py reads the period and does the rest."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from application import analysis, clusters
from application.cases import Application
from domain.analysis import HotspotBy
from entrypoints.http.context import Caller, roles, services

router = APIRouter(prefix="/analysis", tags=["analysis"])
Svc = Annotated[Application, Depends(services)]
# The schema states the form of a period (years 1901 to 2999, each with a period before it), so any period it
# lets through is answered; the pattern is only declared, not enforced here, so that a period out of it gets
# application/analysis.py's message saying what was expected rather than the regular expression.
_PERIOD_PATTERN = r"^(190[1-9]|19[1-9][0-9]|2[0-9]{3})(-(0[1-9]|1[0-2])|-[Qq][1-4])?$"
PeriodQuery = Annotated[str, Query(description="a month (2026-11), a quarter (2026-Q4) or a year (2026)",
                                   max_length=20, json_schema_extra={"pattern": _PERIOD_PATTERN})]


@router.get("/hotspots", summary="研判: cases received per street, community, grid or category, against the "
            "period before, biggest first")
async def hotspots(
    period: PeriodQuery, svc: Svc, who: Caller = Depends(roles(analysis.READ_ANALYSIS)),
    by: Annotated[Literal["street", "community", "grid", "category"],
                  Query(description="street (the default), community, grid or category")] = "street",
) -> list[dict[str, Any]]:
    chosen, grouping = analysis.parse_period(period), analysis.parse_by(by)
    return analysis.hotspots_json(await analysis.analysis(svc, who.actor, chosen, grouping))


@router.get("/totals", summary="研判: the period's cases received, against the period before, and the count of "
            "repeat visitors (counts only)")
async def totals(period: PeriodQuery, svc: Svc,
                 who: Caller = Depends(roles(analysis.READ_ANALYSIS))) -> dict[str, Any]:
    chosen = analysis.parse_period(period)
    return analysis.totals_json(await analysis.analysis(svc, who.actor, chosen, HotspotBy.street))


class CloseAlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(min_length=1, max_length=clusters.NOTE_MAX,
                               description="what was done about the alert (研判处置)")]


AlertId = Annotated[str, Field(min_length=1, max_length=200)]


@router.get("/alerts", summary="预警: the cluster alerts (聚集预警), open or closed, latest first")
async def alerts(svc: Svc, who: Caller = Depends(roles(clusters.READ_ALERTS)),
                 status: Annotated[Literal["open", "closed"] | None,
                                   Query(description="open or closed (default: both)")] = None,
                 ) -> list[dict[str, Any]]:
    found = await clusters.alerts(svc, who.actor, clusters.parse_status(status))
    return [clusters.alert_json(svc, a) for a in found]


@router.post("/alerts/{alert_id}/close", summary="预警: a supervisor closes an open cluster alert with a note")
async def close_alert(alert_id: AlertId, body: CloseAlertIn, svc: Svc,
                      who: Caller = Depends(roles(clusters.CLOSE_ALERTS))) -> dict[str, Any]:
    return clusters.alert_json(svc, await clusters.close(svc, who.actor, alert_id, body.note))
