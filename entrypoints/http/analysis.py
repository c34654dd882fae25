"""研判 (docs/api.md §7): the hotspots of a period against the period before, and the period's totals. Wiring
only: application/analysis.py reads the period and does the rest."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from application import analysis
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
