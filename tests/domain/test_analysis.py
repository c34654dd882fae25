"""研判 over a fixed set of cases in October and November 2026, worked out by hand (domain/analysis.py defines
each figure). tests/infra/test_analysis.py writes the same cases to PostgreSQL and expects the same numbers.

The cases (grid, category: how many), in the demo district (临江区):

    November  东湖 花园 网格1 leak 3 · 东湖 花园 网格2 leak 1 · 东湖 滨河 网格1 wages 2 · 西城 鼓楼 网格1 parking 1
    October   东湖 花园 网格1 leak 1 · 东湖 滨河 网格1 wages 2 · 西城 桃源 网格1 family 2

Streets:      东湖 6 against 3 (+3, +100 %), 西城 1 against 2 (−1, −50 %).
Communities:  花园 4/1 (+3, +300 %), 滨河 2/2 (0, 0 %), 鼓楼 1/0 (+1, no percent), 桃源 0/2 (−2, −100 %).
Grids:        花园1 3/1 (+2, +200 %), 滨河1 2/2, 花园2 1/0, 鼓楼1 1/0 (ties by id), 桃源1 0/2.
Categories:   leak 4/1, wages 2/2, parking 1/0, family 0/2.
Totals:       7 against 5 (+2, +40 %)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.analysis import (
    Change,
    Hotspot,
    HotspotBy,
    Tally,
    change,
    heat,
    hotspots,
    normal_id_number,
    normal_phone,
    visitors,
)
from domain.events import Party
from domain.figures import Period
from domain.organisation import demo_organisation
from domain.vocabulary import PartyRole

HY1, HY2 = "grid-donghu-huayuan-1", "grid-donghu-huayuan-2"
BH1, GL1, TY1 = "grid-donghu-binhe-1", "grid-xicheng-gulou-1", "grid-xicheng-taoyuan-1"

# (grid, category, month): one entry per case.
CASES = [
    *[(HY1, "leak", 11)] * 3, (HY2, "leak", 11), *[(BH1, "wages", 11)] * 2, (GL1, "parking", 11),
    (HY1, "leak", 10), *[(BH1, "wages", 10)] * 2, *[(TY1, "family", 10)] * 2,
]


def tallies(month: int) -> list[Tally]:
    counted: dict[tuple[str, str], int] = {}
    for grid, category, m in CASES:
        if m == month:
            counted[grid, category] = counted.get((grid, category), 0) + 1
    return [Tally(g, c, n) for (g, c), n in sorted(counted.items())]


def rows(by: HotspotBy) -> list[tuple[str, int, int, int, float | None]]:
    return [(r.key, r.count, r.previous, r.change.count, r.change.percent)
            for r in hotspots(demo_organisation(), tallies(11), tallies(10), by)]


def test_streets_roll_up_their_grids() -> None:
    assert rows(HotspotBy.street) == [("st-donghu", 6, 3, 3, 100.0), ("st-xicheng", 1, 2, -1, -50.0)]


def test_communities_with_no_previous_case_have_no_percent() -> None:
    assert rows(HotspotBy.community) == [
        ("cm-donghu-huayuan", 4, 1, 3, 300.0), ("cm-donghu-binhe", 2, 2, 0, 0.0),
        ("cm-xicheng-gulou", 1, 0, 1, None), ("cm-xicheng-taoyuan", 0, 2, -2, -100.0),
    ]


def test_grids_biggest_first_then_by_previous_then_by_id() -> None:
    assert rows(HotspotBy.grid) == [
        (HY1, 3, 1, 2, 200.0), (BH1, 2, 2, 0, 0.0), (HY2, 1, 0, 1, None), (GL1, 1, 0, 1, None),
        (TY1, 0, 2, -2, -100.0),
    ]


def test_categories_over_every_grid_with_their_names() -> None:
    assert rows(HotspotBy.category) == [
        ("leak", 4, 1, 3, 300.0), ("wages", 2, 2, 0, 0.0), ("parking", 1, 0, 1, None), ("family", 0, 2, -2, -100.0),
    ]
    org = demo_organisation()
    first = hotspots(org, tallies(11), tallies(10), HotspotBy.category)[0]
    assert first == Hotspot("leak", org.category_name("leak"), 4, 1, Change(3, 300.0))


def test_places_are_named_with_their_parents() -> None:
    (top, _) = hotspots(demo_organisation(), tallies(11), tallies(10), HotspotBy.street)
    assert top.name == "东湖街道"
    grid = hotspots(demo_organisation(), tallies(11), tallies(10), HotspotBy.grid)[0]
    assert grid.name.startswith("东湖街道") and grid.name.endswith("网格")


def test_totals_and_a_percent_rounded_to_one_decimal() -> None:
    assert change(7, 5) == Change(2, 40.0)
    assert change(1, 3) == Change(-2, -66.7)
    assert change(0, 0) == Change(0, None) and change(5, 0) == Change(5, None)


def test_a_grid_the_organisation_no_longer_has_stands_for_itself_at_every_level() -> None:
    gone = [Tally("grid-gone", "leak", 2)]
    for by in (HotspotBy.grid, HotspotBy.community, HotspotBy.street):
        assert [(r.key, r.name, r.count) for r in hotspots(demo_organisation(), gone, [], by)] == [
            ("grid-gone", "grid-gone", 2)]


def test_the_heat_table_is_grids_by_categories_biggest_first() -> None:
    table = heat(demo_organisation(), tallies(11))
    assert [g for g, _ in table.grids] == [HY1, BH1, HY2, GL1]
    assert [c for c, _ in table.categories] == ["leak", "wages", "parking"]
    assert table.cells == ((3, 0, 0), (0, 2, 0), (1, 0, 0), (0, 0, 1))
    assert table.top == 3
    assert heat(demo_organisation(), []).cells == () and heat(demo_organisation(), []).top == 0


@pytest.mark.parametrize(("text", "label", "first", "last"), [
    ("2026-11", "2026-10", date(2026, 10, 1), date(2026, 10, 31)),
    ("2026-03", "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2026-01", "2025-12", date(2025, 12, 1), date(2025, 12, 31)),
    ("2026-Q1", "2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
    ("2026-Q3", "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
    ("2026", "2025", date(2025, 1, 1), date(2025, 12, 31)),
])
def test_the_previous_period_is_the_one_of_the_same_kind_before(text: str, label: str, first: date,
                                                                 last: date) -> None:
    previous = Period.parse(text).previous()
    assert (previous.label, previous.first, previous.last) == (label, first, last)


def test_the_previous_of_a_range_is_as_many_days_just_before() -> None:
    previous = Period.parse(first=date(2026, 3, 10), last=date(2026, 3, 16)).previous()
    assert (previous.first, previous.last) == (date(2026, 3, 3), date(2026, 3, 9))


def test_id_numbers_and_phones_are_compared_normalised() -> None:
    assert normal_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert normal_id_number("１１０１０５") == "110105"  # full-width digits, as typed on some phones
    assert normal_id_number("") is None and normal_id_number(None) is None
    assert normal_phone("+86 138-0013-8000") == normal_phone("13800138000") == "13800138000"
    assert normal_phone("—") is None


def test_the_visitors_are_the_applicants_else_everyone() -> None:
    a = Party(name="张三", role=PartyRole.applicant, phone="1")
    r = Party(name="李四", role=PartyRole.respondent, phone="2")
    assert visitors([a, r]) == [a]
    assert visitors([r]) == [r]
