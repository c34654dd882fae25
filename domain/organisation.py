"""The organisation (DOMAIN.md, "Organisation"): the jurisdiction tree, the departments (责任单位), the case
categories and the routing rules (归口调处).

Jurisdictions form a tree district 区 > street 街道 > community 社区 > grid 网格. Routing follows
"小事不出网格，大事不出社区": :func:`suggest_route` walks up from the case's grid and proposes the
lowest-level department of the kind the category's rule names. Pure code: the only I/O is
:func:`demo_organisation`, which reads the packaged demo ``domain/data/org.json``."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from enum import StrEnum
from importlib import resources
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]

FALLBACK_CATEGORY = "*"
"""The category of the fallback rule: used for a category without a rule of its own, and for the lead when no
department of the rule's kind can be found (DOMAIN.md: the 综治中心 takes what nobody else can)."""


class OrganisationError(Exception):
    """Base class of the errors of this module."""


class UnknownId(OrganisationError, KeyError):
    """An id that is not in the organisation."""

    def __init__(self, what: str, id: str) -> None:
        super().__init__(f"unknown {what} {id!r}")
        self.what = what
        self.id = id

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0])


class InvalidOrganisation(OrganisationError, ValueError):
    """Organisation data that does not hold together (bad JSON, missing or dangling ids, wrong levels)."""


class NoRoute(OrganisationError, LookupError):
    """No department can take the case."""


class InvalidRoute(OrganisationError, ValueError):
    """A routing decision (lead and co-departments) that cannot be accepted."""


class JurisdictionLevel(StrEnum):
    """Ordered district > street > community > grid; compare with :attr:`rank`, not with ``<``."""

    district = "district"  # 区
    street = "street"  # 街道/镇
    community = "community"  # 社区
    grid = "grid"  # 网格

    @property
    def rank(self) -> int:
        """Height in the tree: grid 0, community 1, street 2, district 3."""
        return _RANKS[self]

    @property
    def above(self) -> JurisdictionLevel | None:
        """The next level up, or ``None`` for the district."""
        return _ABOVE[self]


_RANKS: dict[JurisdictionLevel, int] = {
    JurisdictionLevel.grid: 0,
    JurisdictionLevel.community: 1,
    JurisdictionLevel.street: 2,
    JurisdictionLevel.district: 3,
}
_ABOVE: dict[JurisdictionLevel, JurisdictionLevel | None] = {
    JurisdictionLevel.grid: JurisdictionLevel.community,
    JurisdictionLevel.community: JurisdictionLevel.street,
    JurisdictionLevel.street: JurisdictionLevel.district,
    JurisdictionLevel.district: None,
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Jurisdiction(Frozen):
    id: Slug
    name: str
    level: JurisdictionLevel
    parent: Slug | None = None


class Department(Frozen):
    id: Slug
    name: str
    level: JurisdictionLevel
    jurisdiction: Slug
    kind: Slug  # the department type: zongzhi, justice, police, labour, housing, committee, ...


class Category(Frozen):
    id: Slug
    name: str


class RoutingRule(Frozen):
    """Category -> kind of the lead department (牵头单位) and kinds of the co-departments (协办单位).

    ``level``, when set, is the lowest level at which the lead is sought (e.g. ``street`` for wage arrears:
    a grid or community cannot take it); co-departments are sought from the grid up regardless."""

    category: Annotated[str, Field(pattern=r"^(\*|[a-z0-9][a-z0-9_-]*)$")]
    lead_kind: Slug
    co_kinds: tuple[Slug, ...] = ()
    level: JurisdictionLevel | None = None


class RouteSuggestion(Frozen):
    lead: str
    co: tuple[str, ...] = ()


class Organisation(Frozen):
    jurisdictions: tuple[Jurisdiction, ...]
    departments: tuple[Department, ...]
    categories: tuple[Category, ...]
    rules: tuple[RoutingRule, ...]

    _jurisdictions: dict[str, Jurisdiction] = PrivateAttr(default_factory=dict)
    _departments: dict[str, Department] = PrivateAttr(default_factory=dict)
    _categories: dict[str, Category] = PrivateAttr(default_factory=dict)
    _rules: dict[str, RoutingRule] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_integrity(self) -> Organisation:
        self._jurisdictions = _index("jurisdiction", ((j.id, j) for j in self.jurisdictions))
        self._departments = _index("department", ((d.id, d) for d in self.departments))
        self._categories = _index("category", ((c.id, c) for c in self.categories))
        self._rules = _index("routing rule for category", ((r.category, r) for r in self.rules))
        for j in self.jurisdictions:
            if j.parent is None:
                if j.level is not JurisdictionLevel.district:
                    raise ValueError(f"jurisdiction {j.id!r} ({j.level}) has no parent")
                continue
            parent = self._jurisdictions.get(j.parent)
            if parent is None:
                raise ValueError(f"jurisdiction {j.id!r} has unknown parent {j.parent!r}")
            if parent.level is not j.level.above:
                raise ValueError(
                    f"jurisdiction {j.id!r} ({j.level}) has parent {parent.id!r} of level {parent.level}, "
                    f"expected {j.level.above}"
                )
        for d in self.departments:
            where = self._jurisdictions.get(d.jurisdiction)
            if where is None:
                raise ValueError(f"department {d.id!r} has unknown jurisdiction {d.jurisdiction!r}")
            if where.level is not d.level:
                raise ValueError(
                    f"department {d.id!r} has level {d.level} "
                    f"but its jurisdiction {where.id!r} is a {where.level}"
                )
        kinds = {d.kind for d in self.departments}
        for r in self.rules:
            if r.category != FALLBACK_CATEGORY and r.category not in self._categories:
                raise ValueError(f"routing rule for unknown category {r.category!r}")
            for kind in (r.lead_kind, *r.co_kinds):
                if kind not in kinds:
                    raise ValueError(
                        f"routing rule for {r.category!r} names department kind {kind!r}, "
                        "which no department has"
                    )
            if r.lead_kind in r.co_kinds:
                raise ValueError(
                    f"routing rule for {r.category!r} has lead kind {r.lead_kind!r} among co kinds"
                )
            if len(set(r.co_kinds)) != len(r.co_kinds):
                raise ValueError(f"routing rule for {r.category!r} repeats a co kind")
        return self

    def jurisdiction(self, id: str) -> Jurisdiction:
        try:
            return self._jurisdictions[id]
        except KeyError:
            raise UnknownId("jurisdiction", id) from None

    def department(self, id: str) -> Department:
        try:
            return self._departments[id]
        except KeyError:
            raise UnknownId("department", id) from None

    def category(self, id: str) -> Category:
        try:
            return self._categories[id]
        except KeyError:
            raise UnknownId("category", id) from None

    def rule_for(self, category: str) -> RoutingRule | None:
        """The category's own rule, else the fallback rule, else ``None``. Raises :class:`UnknownId` for an
        unknown category."""
        self.category(category)
        return self._rules.get(category) or self.fallback_rule

    @property
    def fallback_rule(self) -> RoutingRule | None:
        return self._rules.get(FALLBACK_CATEGORY)

    def parent_of(self, jurisdiction_id: str) -> Jurisdiction | None:
        parent = self.jurisdiction(jurisdiction_id).parent
        return None if parent is None else self._jurisdictions[parent]

    def ancestors(self, jurisdiction_id: str) -> list[Jurisdiction]:
        """The jurisdiction itself first, then its parent, ... up to the district."""
        chain = [self.jurisdiction(jurisdiction_id)]
        while (parent := chain[-1].parent) is not None:
            chain.append(self._jurisdictions[parent])
        return chain

    def escalation_target(self, department_id: str) -> Jurisdiction | None:
        """Where listed supervision (挂牌督办) of a department's task is notified: the next jurisdiction
        level up from the department's own; ``None`` for a district department."""
        return self.parent_of(self.department(department_id).jurisdiction)

    def escalation_targets(self, department_ids: Iterable[str]) -> dict[str, str | None]:
        """For a route: each department and the jurisdiction its listed supervision goes to."""
        return {d: (up.id if (up := self.escalation_target(d)) else None) for d in department_ids}

    def departments_of_kind(self, kind: str) -> tuple[Department, ...]:
        return tuple(d for d in self.departments if d.kind == kind)

    def departments_in(self, jurisdiction_id: str) -> tuple[Department, ...]:
        self.jurisdiction(jurisdiction_id)
        return tuple(d for d in self.departments if d.jurisdiction == jurisdiction_id)


_T = TypeVar("_T")


def _index(what: str, items: Iterable[tuple[str, _T]]) -> dict[str, _T]:
    index: dict[str, _T] = {}
    for key, item in items:
        if key in index:
            raise ValueError(f"duplicate {what} {key!r}")
        index[key] = item
    return index


def _lowest(
    org: Organisation, kind: str, chain: Sequence[Jurisdiction], skip: frozenset[str] | set[str]
) -> str | None:
    """The first department of ``kind`` along ``chain`` (lowest level first) that is not in ``skip``."""
    for place in chain:
        for d in org.departments:
            if d.kind == kind and d.jurisdiction == place.id and d.id not in skip:
                return d.id
    return None


def suggest_route(
    org: Organisation, category: str, grid_id: str, excluded: frozenset[str] = frozenset()
) -> RouteSuggestion:
    """Propose the lead and co-departments for a case of ``category`` located in ``grid_id``.

    Walks up from the grid (grid, community, street, district) and takes, for the lead and for each co kind,
    the department of that kind at the lowest level. Departments in ``excluded`` (those that returned the
    case) are skipped and the search continues upward; when no department of the lead kind is left, the lead
    falls back to the fallback rule's kind (the 综治中心), again lowest level first. A co kind with no
    department left is omitted; co-departments never repeat the lead or each other."""
    rule = org.rule_for(category)
    if rule is None:
        raise NoRoute(f"no routing rule for category {category!r} and no fallback rule")
    chain = org.ancestors(grid_id)
    lead_chain = chain if rule.level is None else [j for j in chain if j.level.rank >= rule.level.rank]
    lead = _lowest(org, rule.lead_kind, lead_chain, excluded)
    if lead is None:
        fallback = org.fallback_rule
        if fallback is not None:
            lead = _lowest(org, fallback.lead_kind, chain, excluded)
    if lead is None:
        raise NoRoute(
            f"no department of kind {rule.lead_kind!r} (nor a fallback) can lead a {category!r} case "
            f"in {grid_id!r}" + (f" excluding {sorted(excluded)}" if excluded else "")
        )
    co: list[str] = []
    for kind in rule.co_kinds:
        found = _lowest(org, kind, chain, excluded | {lead, *co})
        if found is not None:
            co.append(found)
    return RouteSuggestion(lead=lead, co=tuple(co))


def validate_route(
    org: Organisation, lead: str, co: Sequence[str], excluded: frozenset[str] = frozenset()
) -> None:
    """Check a routing decision, the mediator's own or a suggestion: every department exists, the lead is
    not also a co-department, no co-department is named twice, and none returned the case before."""
    for department in (lead, *co):
        try:
            org.department(department)
        except UnknownId:
            raise InvalidRoute(f"unknown department {department!r}") from None
    if lead in co:
        raise InvalidRoute(f"lead department {lead!r} is also among the co-departments")
    seen: set[str] = set()
    for department in co:
        if department in seen:
            raise InvalidRoute(f"co-department {department!r} is named twice")
        seen.add(department)
    for department in (lead, *co):
        if department in excluded:
            raise InvalidRoute(f"department {department!r} returned this case and cannot be routed it again")


def load_organisation(text: str) -> Organisation:
    """Parse and check organisation JSON: ``{"jurisdictions", "departments", "categories", "rules"}``.
    Raises :class:`InvalidOrganisation` naming the first problem found."""
    try:
        return Organisation.model_validate_json(text)
    except ValidationError as e:
        raise InvalidOrganisation(_describe(e.errors())) from None


def _describe(errors: Sequence[Any]) -> str:
    parts = []
    for error in errors:
        loc = ".".join(str(p) for p in error.get("loc", ()))
        msg = str(error.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "invalid organisation: " + "; ".join(parts)


def _read_demo() -> str:
    return resources.files("domain").joinpath("data/org.json").read_text(encoding="utf-8")


@functools.cache
def demo_organisation() -> Organisation:
    """The packaged demo organisation (临江区), loaded once."""
    return load_organisation(_read_demo())
