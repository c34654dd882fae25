"""研判 (docs/api.md §7): the hotspots of a period against the period before, and the period's totals. Wiring
only: application/analysis.py reads the period and does the rest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from application import analysis
from application.cases import Application
from domain.analysis import HotspotBy
from entrypoints.http.context import Caller, roles, services

router = APIRouter(prefix="/analysis", tags=["analysis"])
Svc = Annotated[Application, Depends(services)]
PeriodQuery = Annotated[str | None, Query(description="2026-11, 2026-Q4 or 2026", max_length=20)]


@router.get("/hotspots", summary="研判: cases received per street, community, grid or category, against the "
            "period before, biggest first")
async def hotspots(
    svc: Svc, who: Caller = Depends(roles(analysis.READ_ANALYSIS)), period: PeriodQuery = None,
    by: Annotated[str | None, Query(description="grid, community, street (default) or category",
                                    max_length=20)] = None,
) -> list[dict[str, Any]]:
    chosen, grouping = analysis.parse_period(period), analysis.parse_by(by)
    return analysis.hotspots_json(await analysis.analysis(svc, who.actor, chosen, grouping))


@router.get("/totals", summary="研判: the period's cases received, against the period before, and the count of "
            "repeat visitors (counts only)")
async def totals(svc: Svc, who: Caller = Depends(roles(analysis.READ_ANALYSIS)),
                 period: PeriodQuery = None) -> dict[str, Any]:
    chosen = analysis.parse_period(period)
    return analysis.totals_json(await analysis.analysis(svc, who.actor, chosen, HotspotBy.street))
