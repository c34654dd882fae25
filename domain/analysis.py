"""研判: where and about what disputes arise (hotspots), and who comes back (repeat visits). Pure code: the SQL in
infra/analysis.py only counts the facts named below; the roll-up to communities and streets is done here.

Each figure has one definition, written here and nowhere else.

* **count** (受理数) of a place or a category for a period: the cases received (``received_at``, Asia/Shanghai
  days) in the period, leaving out those archived as duplicates (重复件, ``archive_reason = 'duplicate'``): a
  duplicate is the same matter registered twice, not a second dispute. A grid's count is its own cases; a
  community's or a street's is the sum over the grids below it in the jurisdiction tree
  (``Organisation.ancestors``); a grid the organisation no longer knows is counted under its own id at every
  level. A category's count is over every grid.
* **previous** (上期): the same count over ``Period.previous()``: the month, quarter or year before, or as many
  days before a from/to range.
* **change** (环比): ``count - previous``, and **change_percent** ``100 × (count - previous) / previous``
  rounded to one decimal; with no previous case the percent is ``None`` (not infinite).
* Rows: every key with a case in either period, biggest ``count`` first, then biggest ``previous``, then key.
* **repeat visit** (重复来访): a case one of whose visitors (the applicants, every party when none is one) matches
  a visitor of a case received in the repeat window before it (``[analysis] repeat_window`` of the policy,
  90 days unless it says otherwise). Two visitors match when both carry an ID
  number and the numbers are equal (upper-cased), or when one of them carries none and their phones (digits
  only, a leading 86 of a 13-digit number dropped) are equal. The name is not compared: the same ID number
  under another spelling is the same person, another ID number is another person even on a shared phone.
* **repeat_visitors** (重复来访人数) of a period: the visitors of the cases received in the period that make
  them repeat visits, each counted once (by ID number, else by phone). Only this count leaves the database,
  never who they are."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.events import Party
from domain.organisation import JurisdictionLevel, Organisation, UnknownId
from domain.vocabulary import PartyRole


class HotspotBy(StrEnum):
    grid = "grid"
    community = "community"
    street = "street"
    category = "category"


@dataclass(frozen=True)
class Tally:
    """The counted cases of one grid and one category in one period (infra/analysis.py)."""

    grid_id: str
    category: str
    count: int


@dataclass(frozen=True)
class Change:
    count: int
    percent: float | None


@dataclass(frozen=True)
class Hotspot:
    key: str
    name: str
    count: int
    previous: int
    change: Change


def change(now: int, before: int) -> Change:
    """``now - before`` and its percent of ``before``; no percent when ``before`` is 0 (module docstring)."""
    return Change(count=now - before, percent=round(100 * (now - before) / before, 1) if before else None)


def place_of(org: Organisation, grid_id: str, level: JurisdictionLevel) -> str:
    """The jurisdiction at ``level`` that holds the grid; an unknown grid stands for itself."""
    try:
        chain = org.ancestors(grid_id)
    except UnknownId:
        return grid_id
    return next((j.id for j in chain if j.level is level), grid_id)


def key_of(org: Organisation, tally: Tally, by: HotspotBy) -> str:
    if by is HotspotBy.category:
        return tally.category
    return place_of(org, tally.grid_id, JurisdictionLevel(by.value))


def name_of(org: Organisation, key: str, by: HotspotBy) -> str:
    return org.category_name(key) if by is HotspotBy.category else org.jurisdiction_name(key)


def roll_up(org: Organisation, tallies: Iterable[Tally], by: HotspotBy) -> dict[str, int]:
    out: dict[str, int] = {}
    places: dict[str, str] = {}  # a grid's key, looked up once per grid rather than once per category
    for t in tallies:
        key = t.category if by is HotspotBy.category else places.get(t.grid_id)
        if key is None:
            key = places[t.grid_id] = key_of(org, t, by)
        out[key] = out.get(key, 0) + t.count
    return out


def hotspots(org: Organisation, now: Iterable[Tally], before: Iterable[Tally], by: HotspotBy) -> list[Hotspot]:
    """One row per key with a case in either period, biggest first (module docstring)."""
    counts, previous = roll_up(org, now, by), roll_up(org, before, by)
    keys = sorted(counts.keys() | previous.keys(), key=lambda k: (-counts.get(k, 0), -previous.get(k, 0), k))
    return [Hotspot(key=k, name=name_of(org, k, by), count=counts.get(k, 0), previous=previous.get(k, 0),
                    change=change(counts.get(k, 0), previous.get(k, 0))) for k in keys]


@dataclass(frozen=True)
class Heat:
    """The grid × category table: rows are grids, columns categories, both biggest first; ``cells[i][j]`` the
    count of grid i and category j; ``top`` the largest cell (what the shading is relative to)."""

    grids: tuple[tuple[str, str], ...]  # (id, name)
    categories: tuple[tuple[str, str], ...]
    cells: tuple[tuple[int, ...], ...]
    top: int


def heat(org: Organisation, tallies: Iterable[Tally]) -> Heat:
    tallies = [t for t in tallies if t.count]
    by_grid = roll_up(org, tallies, HotspotBy.grid)
    by_category = roll_up(org, tallies, HotspotBy.category)
    grids = sorted(by_grid, key=lambda k: (-by_grid[k], k))
    categories = sorted(by_category, key=lambda k: (-by_category[k], k))
    cell: dict[tuple[str, str], int] = {}
    places: dict[str, str] = {}
    for t in tallies:
        if (g := places.get(t.grid_id)) is None:
            g = places[t.grid_id] = key_of(org, t, HotspotBy.grid)
        cell[g, t.category] = cell.get((g, t.category), 0) + t.count
    cells = tuple(tuple(cell.get((g, c), 0) for c in categories) for g in grids)
    return Heat(grids=tuple((g, org.jurisdiction_name(g)) for g in grids),
                categories=tuple((c, org.category_name(c)) for c in categories),
                cells=cells, top=max(cell.values(), default=0))


# --------------------------------------------------------------------------------------------- repeat visits


def normal_id_number(value: str | None) -> str | None:
    """An ID number as compared: NFKC, no spaces, upper-cased (a final x is X); empty is none."""
    if value is None:
        return None
    text = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    return text or None


def normal_phone(value: str | None) -> str | None:
    """A phone as compared: digits only, a leading 86 of a 13-digit number dropped; empty is none."""
    if value is None:
        return None
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    digits = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    return digits or None


def visitors(parties: Iterable[Party]) -> list[Party]:
    """Who came: the applicants, or every party when none is one (as for the duplicate fingerprint)."""
    parties = tuple(parties)
    return [p for p in parties if p.role is PartyRole.applicant] or list(parties)
