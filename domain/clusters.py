"""聚集预警 (cluster alerts): many cases of one category in one community within a short time may be one
群体性隐患 in the making. Pure code: infra/clusters.py keeps the alerts, application/clusters.py applies the rule at
intake. docs/api.md §7.

* The **rule** (``[analysis] cluster = {window = "7d", threshold = 3}``): when a case is received, the cases of its
  category received in its community (the community above its grid, ``domain.analysis.place_of``) with
  ``received_at`` in ``[at - window, at]`` (both ends included; ``at`` the new case's ``received_at``) are counted,
  the new case among them. Duplicates (重复件) are not counted, as for the hotspots: they are one matter twice.
* When that count reaches ``threshold`` and no alert of that community and category is open, one alert **opens**
  holding those cases (oldest first), and each of them records ``ClusterDetected``.
* While an alert of that community and category is open, a new case of them **joins** it (whatever the window):
  the alert's cases grow by it and it alone records ``ClusterDetected``. A case already held changes nothing.
* A supervisor closes an alert with a note; the next case counts afresh (the cases of the closed alert count again
  if they are still within the window: the rule counts cases, not alerts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.analysis import place_of
from domain.organisation import JurisdictionLevel, Organisation


@dataclass(frozen=True)
class Received:
    """A counted case: its id and when it was received."""

    case_id: str
    received_at: datetime


@dataclass(frozen=True)
class Opens:
    """An alert opens over these cases, oldest first."""

    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class Joins:
    """The new case joins the open alert."""

    alert_id: str
    case_id: str


@dataclass(frozen=True)
class OpenAlert:
    alert_id: str
    case_ids: tuple[str, ...]


Verdict = Opens | Joins | None


def community_of(org: Organisation, grid_id: str) -> str:
    """The community (社区) that holds the grid; a grid the organisation does not know stands for itself."""
    return place_of(org, grid_id, JurisdictionLevel.community)


def grids_of(org: Organisation, community: str) -> tuple[str, ...]:
    """The grids whose community is ``community`` (an id the organisation does not know stands for itself)."""
    found = tuple(j.id for j in org.jurisdictions
                  if j.level is JurisdictionLevel.grid and community_of(org, j.id) == community)
    return found or (community,)


def within(at: datetime, window: timedelta, cases: Iterable[Received]) -> list[Received]:
    """The cases received in ``[at - window, at]``, oldest first (ties by case id)."""
    start = at - window
    return sorted((c for c in cases if start <= c.received_at <= at), key=lambda c: (c.received_at, c.case_id))


def on_intake(case: Received, window: timedelta, threshold: int, open_alert: OpenAlert | None,
              recent: Sequence[Received]) -> Verdict:
    """What receiving ``case`` does (module docstring): join the open alert, open one, or nothing. ``recent``
    are the community's cases of the category (the new one may be among them or not)."""
    if open_alert is not None:
        return None if case.case_id in open_alert.case_ids else Joins(open_alert.alert_id, case.case_id)
    counted = within(case.received_at, window, [*(c for c in recent if c.case_id != case.case_id), case])
    if len(counted) < threshold:
        return None
    return Opens(tuple(c.case_id for c in counted))


def worth_locking(open_alert: bool, others_in_window: int, threshold: int) -> bool:
    """Whether an intake must take the (community, category) lock and apply :func:`on_intake`: an alert is
    open (join it), or the case with the others in its window reaches the threshold (open one). Otherwise
    receiving it changes nothing, so most intakes answer from one read without the lock. The lock orders the
    writes to an alert, not the reads of the cases: every case is projected before its own check, so of two
    intakes racing the later read sees the other's case and the threshold is reached by one of them, with or
    without the lock. (Either way a case received a moment before another but projected after it is counted by
    neither intake: the window is read up to each case's own time.)"""
    return open_alert or others_in_window + 1 >= threshold


def alert_id_for(opening_case_id: str) -> str:
    """An alert is named after the case whose intake opened it: a case opens at most one, so a repeated intake
    names the same alert."""
    return f"CL-{opening_case_id}"
