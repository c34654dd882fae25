"""A district's own organisation file (docs/api.md §4): every problem is reported, each with its JSON path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.organisation import (
    InvalidOrganisation,
    Notify,
    check_organisation,
    demo_organisation,
    load_organisation,
    organisation_problems,
    summary,
)


def _county() -> dict[str, Any]:
    return {
        "jurisdictions": [
            {"id": "cty", "name": "青山县", "level": "district", "parent": None},
            {"id": "tn", "name": "石门镇", "level": "street", "parent": "cty"},
            {"id": "vl", "name": "柳湾村", "level": "community", "parent": "tn"},
            {"id": "gd", "name": "一组", "level": "grid", "parent": "vl"},
        ],
        "departments": [
            {"id": "tn-zz", "name": "石门镇综治中心", "level": "street", "jurisdiction": "tn", "kind": "zongzhi",
             "notify": {"liaisons": ["json://hooks.example/zz"], "head": ["mailto://head@example.org"]}},
            {"id": "vl-cm", "name": "柳湾村委会", "level": "community", "jurisdiction": "vl", "kind": "committee"},
        ],
        "categories": [{"id": "water", "name": "用水纠纷"}],
        "rules": [{"category": "water", "lead_kind": "committee", "co_kinds": []},
                  {"category": "*", "lead_kind": "zongzhi"}],
    }


def _problems(data: Any) -> list[str]:
    return organisation_problems(json.dumps(data, ensure_ascii=False))


def test_a_valid_file_has_no_problems_and_a_summary() -> None:
    org, problems = check_organisation(json.dumps(_county(), ensure_ascii=False))
    assert problems == [] and org is not None
    assert summary(org) == "4 jurisdictions, 2 departments, 1 categories, 2 rules"
    zz = org.department("tn-zz")
    assert zz.notify == Notify(liaisons=("json://hooks.example/zz",), head=("mailto://head@example.org",))
    assert org.department("vl-cm").notify is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: o["departments"][1].update(jurisdiction="st-x"),
         "departments[1].jurisdiction: unknown jurisdiction 'st-x'"),
        (lambda o: o["departments"][1].update(level="street"), "departments[1].level: department 'vl-cm' has level"),
        (lambda o: o["departments"][1].update(kind="Bad Kind"), "departments[1].kind: String should match"),
        (lambda o: o["departments"][1].pop("kind"), "departments[1].kind: missing"),
        (lambda o: o["departments"][1].update(colour="red"), "departments[1].colour: unknown field"),
        (lambda o: o["departments"][0]["notify"].update(head=["not a url"]), "departments[0].notify.head[0]:"),
        (lambda o: o["departments"][0]["notify"].update(pager=["json://x"]), "departments[0].notify.pager: unknown"),
        (lambda o: o["departments"][0].update(notify=["json://x"]), "departments[0].notify:"),
        (lambda o: o["departments"].append(dict(o["departments"][0])),
         "departments[2].id: duplicate department 'tn-zz' (also departments[0])"),
        (lambda o: o["jurisdictions"][2].update(parent="nowhere"),
         "jurisdictions[2].parent: jurisdiction 'vl' has unknown parent 'nowhere'"),
        (lambda o: o["jurisdictions"][3].update(parent="tn"), "jurisdictions[3].parent: jurisdiction 'gd' (grid)"),
        (lambda o: o["jurisdictions"][1].update(parent=None), "jurisdictions[1].parent: jurisdiction 'tn'"),
        (lambda o: o["jurisdictions"][1].update(level="town"), "jurisdictions[1].level: Input should be"),
        (lambda o: o["jurisdictions"][0].update(name=""), "jurisdictions[0].name:"),
        (lambda o: o["categories"].append({"id": "water", "name": "又一个"}),
         "categories[1].id: duplicate category 'water'"),
        (lambda o: o["categories"][0].pop("name"), "categories[0].name: missing"),
        (lambda o: o["rules"][0].update(category="astrology"), "rules[0].category: routing rule for unknown category"),
        (lambda o: o["rules"][0].update(lead_kind="oracle"), "rules[0].lead_kind: routing rule for 'water' names"),
        (lambda o: o["rules"][0].update(co_kinds=["zongzhi", "oracle"]), "rules[0].co_kinds[1]:"),
        (lambda o: o["rules"][0].update(co_kinds=["committee"]), "rules[0].co_kinds[0]: routing rule"),
        (lambda o: o["rules"][0].update(co_kinds=["zongzhi", "zongzhi"]), "rules[0].co_kinds[1]: routing"),
        (lambda o: o["rules"][0].update(level="planet"), "rules[0].level:"),
        (lambda o: o["rules"].append({"category": "water", "lead_kind": "zongzhi"}),
         "rules[2].category: duplicate routing rule for category 'water'"),
        (lambda o: o.pop("rules"), "rules: missing"),
        (lambda o: o.update(rules={}), "rules: must be a list"),
        (lambda o: o.update(version=2), "version: unknown field"),
    ],
)
def test_each_kind_of_problem_names_its_json_path(change: Any, expected: str) -> None:
    data = _county()
    change(data)
    problems = _problems(data)
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(InvalidOrganisation) as raised:
        load_organisation(json.dumps(data, ensure_ascii=False))
    assert raised.value.problems == tuple(problems)


def test_every_problem_is_reported_not_just_the_first() -> None:
    data = _county()
    data["departments"][1]["jurisdiction"] = "st-x"
    data["departments"][0]["id"] = "Bad Id"  # does not parse: still the other problems are found
    data["rules"][0]["lead_kind"] = "oracle"
    data["categories"][0]["colour"] = "blue"
    problems = _problems(data)
    assert [p.split(":")[0] for p in problems] == [
        "departments[0].id", "categories[0].colour", "departments[1].jurisdiction", "rules[0].lead_kind",
    ]


def test_not_json_or_not_an_object() -> None:
    assert organisation_problems("{not json")[0].startswith("$: not valid JSON: ")
    assert organisation_problems("[]") == [
        "$: must be a JSON object with jurisdictions, departments, categories and rules"]
    assert organisation_problems("{}") == [
        f"{s}: missing (a list is needed, possibly empty)"
        for s in ("jurisdictions", "departments", "categories", "rules")]


def test_fingerprint_names_the_content_not_the_formatting() -> None:
    data = _county()
    compact = load_organisation(json.dumps(data, ensure_ascii=False))
    spaced = load_organisation(json.dumps(data, ensure_ascii=False, indent=4, sort_keys=True))
    assert compact.fingerprint == spaced.fingerprint and len(compact.fingerprint) == 64
    data["departments"][1]["name"] = "柳湾村民委员会"
    assert load_organisation(json.dumps(data, ensure_ascii=False)).fingerprint != compact.fingerprint
    assert demo_organisation().fingerprint != compact.fingerprint
    assert load_organisation(compact.canonical_json).fingerprint == compact.fingerprint


def test_names_for_people() -> None:
    org = load_organisation(json.dumps(_county(), ensure_ascii=False))
    assert org.department_name("vl-cm") == "柳湾村委会"
    assert org.jurisdiction_name("gd") == "石门镇柳湾村一组"
    assert org.category_name("water") == "用水纠纷"
    assert org.department_name("gone") == "gone"  # a case from an older organisation still shows something
