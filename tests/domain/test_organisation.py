"""The organisation: jurisdiction tree, departments, routing rules (docs/domain.md, "Organisation")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.organisation import (
    Department,
    InvalidOrganisation,
    InvalidRoute,
    JurisdictionLevel,
    NoRoute,
    Organisation,
    RouteSuggestion,
    UnknownId,
    demo_organisation,
    load_organisation,
    suggest_route,
    validate_route,
)

GRID = "grid-donghu-huayuan-1"  # 东湖街道 > 花园社区 > 第一网格


def _small() -> dict[str, Any]:
    return {
        "jurisdictions": [
            {"id": "d", "name": "区", "level": "district", "parent": None},
            {"id": "s", "name": "街道", "level": "street", "parent": "d"},
            {"id": "c", "name": "社区", "level": "community", "parent": "s"},
            {"id": "g", "name": "网格", "level": "grid", "parent": "c"},
        ],
        "departments": [
            {"id": "s-zz", "name": "综治中心", "level": "street", "jurisdiction": "s", "kind": "zongzhi"},
            {"id": "c-cm", "name": "居委会", "level": "community", "jurisdiction": "c", "kind": "committee"},
        ],
        "categories": [{"id": "neighbour", "name": "邻里纠纷"}, {"id": "other", "name": "其他"}],
        "rules": [{"category": "neighbour", "lead_kind": "committee", "co_kinds": []}],
    }


def _load(data: dict[str, Any]) -> Organisation:
    return load_organisation(json.dumps(data, ensure_ascii=False))


def test_demo_organisation_loads_and_is_consistent() -> None:
    org = demo_organisation()
    assert org is demo_organisation()  # cached
    assert load_organisation(org.model_dump_json()) == org
    levels = [j.level for j in org.jurisdictions]
    assert levels.count(JurisdictionLevel.district) == 1
    assert levels.count(JurisdictionLevel.street) == 2
    assert levels.count(JurisdictionLevel.community) == 4
    assert levels.count(JurisdictionLevel.grid) == 8
    assert {c.id for c in org.categories} >= {
        "leak", "wages", "property_fee", "parking", "heating",
        "pet_noise", "family", "land_boundary", "neighbour", "consumer",
    }  # fmt: skip
    assert org.category("leak").name == "楼上漏水"
    assert org.fallback_rule is not None
    for d in org.departments:
        assert org.jurisdiction(d.jurisdiction).level is d.level
    committees = org.departments_of_kind("committee")
    assert {d.jurisdiction for d in committees} == {
        j.id for j in org.jurisdictions if j.level is JurisdictionLevel.community
    }
    # every category routes from every grid
    for grid in (j.id for j in org.jurisdictions if j.level is JurisdictionLevel.grid):
        for category in org.categories:
            route = suggest_route(org, category.id, grid)
            validate_route(org, route.lead, route.co)


def test_levels_are_ordered() -> None:
    ranks = [level.rank for level in JurisdictionLevel]
    assert ranks == sorted(ranks, reverse=True)  # district > street > community > grid
    assert JurisdictionLevel.grid.above is JurisdictionLevel.community
    assert JurisdictionLevel.district.above is None


def test_ancestors_and_parent() -> None:
    org = demo_organisation()
    assert [j.id for j in org.ancestors(GRID)] == [GRID, "cm-donghu-huayuan", "st-donghu", "dist-linjiang"]
    assert [j.id for j in org.ancestors("dist-linjiang")] == ["dist-linjiang"]
    assert org.jurisdiction("cm-donghu-huayuan").name == "花园社区"
    parent = org.parent_of(GRID)
    assert parent is not None and parent.id == "cm-donghu-huayuan"
    assert org.parent_of("dist-linjiang") is None


def test_unknown_ids() -> None:
    org = demo_organisation()
    with pytest.raises(UnknownId, match="unknown department 'dept-nowhere'"):
        org.department("dept-nowhere")
    with pytest.raises(KeyError):
        org.jurisdiction("grid-nowhere")
    with pytest.raises(UnknownId, match="jurisdiction 'grid-nowhere'"):
        org.ancestors("grid-nowhere")
    with pytest.raises(UnknownId, match="category 'astrology'"):
        suggest_route(org, "astrology", GRID)


def test_escalation_target_is_the_next_level_up() -> None:
    org = demo_organisation()
    target = org.escalation_target("dept-donghu-justice")
    assert target is not None and target.id == "dist-linjiang"
    target = org.escalation_target("dept-donghu-huayuan-committee")
    assert target is not None and target.id == "st-donghu"
    assert org.escalation_target("dept-linjiang-zongzhi") is None


def test_suggest_route_takes_the_lowest_level() -> None:
    org = demo_organisation()
    assert suggest_route(org, "leak", GRID) == RouteSuggestion(
        lead="dept-donghu-huayuan-committee", co=("dept-donghu-housing",)
    )
    assert suggest_route(org, "wages", "grid-xicheng-gulou-2") == RouteSuggestion(
        lead="dept-xicheng-labour", co=("dept-xicheng-justice",)
    )
    assert suggest_route(org, "property_fee", GRID) == RouteSuggestion(
        lead="dept-donghu-housing", co=("dept-donghu-huayuan-committee", "dept-donghu-justice")
    )
    assert suggest_route(org, "parking", "grid-donghu-binhe-2") == RouteSuggestion(
        lead="dept-donghu-binhe-committee", co=("dept-donghu-police",)
    )
    assert suggest_route(org, "consumer", GRID) == RouteSuggestion(lead="dept-donghu-market")
    # no land office below the district: walk up to it
    assert suggest_route(org, "land_boundary", GRID) == RouteSuggestion(
        lead="dept-donghu-land", co=("dept-donghu-justice", "dept-donghu-tribunal"))
    # 访调对接 and 诉调对接: the petitions office and the tribunal take the categories that call for them
    assert suggest_route(org, "petition", GRID) == RouteSuggestion(
        lead="dept-linjiang-petitions", co=("dept-donghu-justice",))
    assert suggest_route(org, "pre_litigation", GRID) == RouteSuggestion(
        lead="dept-donghu-justice", co=("dept-donghu-tribunal",))
    assert suggest_route(org, "family", GRID).co == ("dept-donghu-huayuan-committee", "dept-donghu-tribunal")


def test_excluded_departments_are_skipped() -> None:
    org = demo_organisation()
    route = suggest_route(org, "leak", GRID, excluded=frozenset({"dept-donghu-huayuan-committee"}))
    # no other committee up the chain: the street's 综治中心 leads; housing stays as co
    assert route == RouteSuggestion(lead="dept-donghu-zongzhi", co=("dept-donghu-housing",))
    route = suggest_route(
        org, "leak", GRID, excluded=frozenset({"dept-donghu-huayuan-committee", "dept-donghu-zongzhi"})
    )
    assert route.lead == "dept-linjiang-zongzhi"
    # an excluded co-department is dropped, not replaced by a department of another kind
    route = suggest_route(org, "leak", GRID, excluded=frozenset({"dept-donghu-housing"}))
    assert route == RouteSuggestion(lead="dept-donghu-huayuan-committee", co=())


def test_excluded_continues_to_the_district_department_of_the_same_kind() -> None:
    data = _small()
    data["departments"].append(
        {"id": "d-cm", "name": "区级调委会", "level": "district", "jurisdiction": "d", "kind": "committee"}
    )
    org = _load(data)
    assert suggest_route(org, "neighbour", "g").lead == "c-cm"
    assert suggest_route(org, "neighbour", "g", frozenset({"c-cm"})).lead == "d-cm"


def test_rule_level_and_fallback() -> None:
    data = _small()
    data["rules"][0]["level"] = "street"  # the community committee is too low
    data["rules"].append({"category": "*", "lead_kind": "zongzhi", "co_kinds": ["committee"]})
    org = _load(data)
    assert suggest_route(org, "neighbour", "g") == RouteSuggestion(lead="s-zz")
    assert suggest_route(org, "other", "g") == RouteSuggestion(lead="s-zz", co=("c-cm",))  # no own rule


def test_no_route() -> None:
    org = _load(_small())  # no fallback rule
    with pytest.raises(NoRoute, match="'other'"):
        suggest_route(org, "other", "g")
    with pytest.raises(NoRoute, match="c-cm"):
        suggest_route(org, "neighbour", "g", frozenset({"c-cm"}))
    everyone = frozenset(d.id for d in demo_organisation().departments)
    with pytest.raises(NoRoute):
        suggest_route(demo_organisation(), "leak", GRID, everyone)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["jurisdictions"][1].update(parent="nowhere"), "unknown parent 'nowhere'"),
        (lambda o: o["jurisdictions"][3].update(parent="s"), "expected community"),
        (lambda o: o["jurisdictions"][1].update(parent=None), r"'s' \(street\) has no parent"),
        (lambda o: o["jurisdictions"].append(dict(o["jurisdictions"][3])), "duplicate jurisdiction 'g'"),
        (lambda o: o["departments"][0].update(jurisdiction="nowhere"), "unknown jurisdiction 'nowhere'"),
        (lambda o: o["departments"][0].update(jurisdiction="c"), "'c' is a community"),
        (lambda o: o["departments"].append(dict(o["departments"][0])), "duplicate department 's-zz'"),
        (lambda o: o["rules"][0].update(category="astrology"), "unknown category 'astrology'"),
        (lambda o: o["rules"][0].update(lead_kind="oracle"), "kind 'oracle'"),
        (lambda o: o["rules"][0].update(co_kinds=["committee"]), "lead kind 'committee' among co kinds"),
        (lambda o: o["rules"].append(dict(o["rules"][0])), "duplicate routing rule for category 'neighbour'"),
        (lambda o: o["departments"][0].update(colour="red"), "colour"),
        (lambda o: o["departments"][0].update(id="Not A Slug"), r"departments\[0\]\.id"),
    ],
)
def test_referential_integrity_errors(change: Any, message: str) -> None:
    data = _small()
    _load(data)  # valid as given
    change(data)
    with pytest.raises(InvalidOrganisation, match=message):
        _load(data)


def test_invalid_json() -> None:
    with pytest.raises(InvalidOrganisation):
        load_organisation("{not json")
    with pytest.raises(ValueError):  # InvalidOrganisation is a ValueError
        load_organisation("{}")


def test_validate_route() -> None:
    org = demo_organisation()
    lead, housing, police = "dept-donghu-huayuan-committee", "dept-donghu-housing", "dept-donghu-police"
    validate_route(org, lead, [housing, police])
    validate_route(org, lead, (), excluded=frozenset({"dept-donghu-justice"}))
    with pytest.raises(InvalidRoute, match="unknown department 'dept-nowhere'"):
        validate_route(org, "dept-nowhere", [])
    with pytest.raises(InvalidRoute, match="unknown department 'dept-nowhere'"):
        validate_route(org, lead, [housing, "dept-nowhere"])
    with pytest.raises(InvalidRoute, match="also among the co-departments"):
        validate_route(org, lead, [housing, lead])
    with pytest.raises(InvalidRoute, match="named twice"):
        validate_route(org, lead, [housing, housing])
    with pytest.raises(InvalidRoute, match=f"{lead!r} returned this case"):
        validate_route(org, lead, [housing], excluded=frozenset({lead}))
    with pytest.raises(InvalidRoute, match=f"{police!r} returned this case"):
        validate_route(org, lead, [housing, police], excluded=frozenset({police}))


def test_models_are_frozen() -> None:
    department = demo_organisation().department("dept-donghu-justice")
    assert isinstance(department, Department) and department.name == "东湖司法所"
    with pytest.raises(ValueError):
        department.name = "别的"  # type: ignore[misc]
