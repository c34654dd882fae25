"""Where a case is handled (``handling_level``) and by which centre; 上交 (hand-up), one level at a time. Pure.

"小事不出网格，大事不出社区": a case is handled at the lowest level able to handle it. It starts at the level of
the jurisdiction that received it (a grid worker's settlement on the spot: the grid; any other grid report: the
community; a mediator's intake: the level of the mediator's centre) and is handed up one level at a time.

The centre handling a case at a level is the 综治中心 (``zongzhi``) of the case's grid's ancestor at that level,
or the nearest one above it when that jurisdiction has none (a community without a centre of its own is served
by its street's): the one told of a hand-up, and the one whose mediators find the case in their triage queue."""

from __future__ import annotations

from collections.abc import Iterable

from domain.case import CaseState
from domain.commands import HandUp
from domain.events import CaseHandedUp
from domain.organisation import Department, JurisdictionLevel, Organisation, UnknownId
from domain.rules import ActionRefused, require_stage
from domain.vocabulary import Stage

LEVEL_NAMES = {JurisdictionLevel.grid: "网格", JurisdictionLevel.community: "社区",
               JurisdictionLevel.street: "街道", JurisdictionLevel.district: "区"}
ZONGZHI = "zongzhi"
# Cases received before handling levels were recorded are read as handled where the centres sat: the street.
DEFAULT_LEVEL = JurisdictionLevel.street


def hand_up(state: CaseState, command: HandUp) -> CaseHandedUp:
    """上交 while the case is being handled (triage or coordination), to the next level up; never past the
    district. A settled, verified or archived case is not handed up."""
    require_stage(state, Stage.triage, Stage.coordination)
    level = state.handling_level
    if command.from_level is not None and command.from_level is not level:
        raise ActionRefused(f"the case is handled at {level.value} now, not at {command.from_level.value}: "
                            "it was handed up meanwhile", "handling_level", level=level.value)
    up = level.above
    if up is None:
        raise ActionRefused("the case is handled at the district: there is no level above to hand it up to",
                            "top_level")
    return CaseHandedUp(from_level=level, to_level=up, reason=command.reason)


# ------------------------------------------------------------------------------------------- with the organisation


def _centres(org: Organisation) -> dict[str, Department]:
    """Each jurisdiction's own 综治中心, by jurisdiction id."""
    return {d.jurisdiction: d for d in reversed(org.departments) if d.kind == ZONGZHI}


def _centre_from(org: Organisation, jurisdiction_id: str, centres: dict[str, Department]) -> Department | None:
    """The centre of the jurisdiction or the nearest one above it."""
    try:
        chain = org.ancestors(jurisdiction_id)
    except UnknownId:
        return None
    return next((centres[j.id] for j in chain if j.id in centres), None)


def place_at(org: Organisation, grid_id: str, level: JurisdictionLevel) -> str | None:
    """The id of the grid's ancestor at ``level`` (the grid itself at ``grid``); None for an unknown grid."""
    try:
        chain = org.ancestors(grid_id)
    except UnknownId:
        return None
    return next((j.id for j in chain if j.level is level), None)


def handling_centre(org: Organisation, grid_id: str, level: JurisdictionLevel,
                    centres: dict[str, Department] | None = None) -> Department | None:
    """The centre handling a case of ``grid_id`` at ``level`` (see the module's docstring)."""
    place = place_at(org, grid_id, level)
    return None if place is None else _centre_from(org, place, centres or _centres(org))


def receiving_level(org: Organisation, department_id: str | None) -> JurisdictionLevel:
    """The level a mediator's intake is handled at: their department's (a street centre's mediator: the street).
    A mediator without a department the organisation knows: the street, as before levels were recorded."""
    if department_id is None:
        return DEFAULT_LEVEL
    try:
        return org.department(department_id).level
    except UnknownId:
        return DEFAULT_LEVEL


def desk_centre(org: Organisation, department_id: str | None) -> Department | None:
    """The centre whose triage a mediator of ``department_id`` works: the department itself when it is a centre,
    else the centre of its jurisdiction or the nearest above. None: no department the organisation knows (such a
    mediator sees every case in triage, as before)."""
    if department_id is None:
        return None
    try:
        department = org.department(department_id)
    except UnknownId:
        return None
    if department.kind == ZONGZHI:
        return department
    return _centre_from(org, department.jurisdiction, _centres(org))


def handled_by(org: Organisation, centre_id: str) -> tuple[tuple[str, JurisdictionLevel], ...]:
    """Every (grid, level) whose cases ``centre_id`` handles: what its triage queue holds."""
    centres = _centres(org)
    grids: Iterable[str] = (j.id for j in org.jurisdictions if j.level is JurisdictionLevel.grid)
    return tuple((g, level) for g in grids for level in JurisdictionLevel
                 if (c := handling_centre(org, g, level, centres)) is not None and c.id == centre_id)
