"""The demo's people: every liaison a demo case reaches is a named person, as in a real district."""

from domain.organisation import demo_organisation, suggest_route
from domain.vocabulary import Role
from entrypoints.demo.loader import CASES
from entrypoints.demo.people import PEOPLE, liaison_of


def test_every_department_a_demo_case_is_routed_to_has_a_named_liaison() -> None:
    org = demo_organisation()
    leads = {suggest_route(org, case.category, case.grid).lead for case in CASES}
    liaisons = [liaison_of(d) for d in sorted(leads)]
    names = [p.name for p in liaisons]
    assert all(p.role is Role.liaison for p in liaisons)
    assert "联络员" not in names  # the role's label is not a person's name
    everyone = {p.login: p.name for p in [*PEOPLE, *liaisons]}  # the lead's liaison is one of PEOPLE
    assert len(set(everyone.values())) == len(everyone), "two demo people share a name"
