"""The organisation (docs/domain.md, "Organisation"): the jurisdiction tree, the departments (责任单位), the case
categories and the routing rules (归口调处).

Jurisdictions form a tree district 区 > street 街道 > community 社区 > grid 网格. Routing follows
"小事不出网格，大事不出社区": :func:`suggest_route` walks up from the case's grid and proposes the
lowest-level department of the kind the category's rule names. Pure code: the only I/O is
:func:`demo_organisation`, which reads the packaged demo ``domain/data/org.json``.

A district brings its own organisation as a JSON file (docs/api.md §4). :func:`organisation_problems` lists every
problem of such a file with its JSON path (``departments[3].jurisdiction: unknown jurisdiction 'st-x'``), and
:attr:`Organisation.fingerprint` identifies the organisation a case was received under."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from importlib import resources
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]

FALLBACK_CATEGORY = "*"
"""The category of the fallback rule: used for a category without a rule of its own, and for the lead when no
department of the rule's kind can be found (docs/domain.md: the 综治中心 takes what nobody else can)."""


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
    """Organisation data that does not hold together (bad JSON, missing or dangling ids, wrong levels).
    ``problems`` holds every problem found, one line each, led by its JSON path."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("invalid organisation: " + "; ".join(problems))
        self.problems = tuple(problems)


class NoRoute(OrganisationError, LookupError):
    """No department can take the case."""


class InvalidRoute(OrganisationError, ValueError):
    """A routing decision (lead and co-departments) that cannot be accepted; ``code`` and ``data`` say which
    rule and department for a program, as a case's refusals do (domain/rules.py ``Refusal``)."""

    def __init__(self, message: str, code: str, **data: str) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


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
    name: str = Field(min_length=1)
    level: JurisdictionLevel
    parent: Slug | None = None


NotifyUrl = Annotated[str, Field(pattern=r"^[a-z][a-z0-9+.-]*://\S+$", max_length=2000)]


class Notify(Frozen):
    """Where a department's messages go (docs/domain.md, "Notifications"): Apprise URLs (``wecombot://``,
    ``dingtalk://``, ``mailto://``, ``json://``, ...) for its liaisons and for its head. The notifier reads
    ``department.notify.liaisons`` and ``department.notify.head``. The URLs may embed secrets (robot keys, SMTP
    passwords), so they never leave the organisation: events, logs and answers carry only
    ``domain.events.DeliveryTarget``, a redacted form."""

    liaisons: tuple[NotifyUrl, ...] = ()
    head: tuple[NotifyUrl, ...] = ()


class Department(Frozen):
    id: Slug
    name: str = Field(min_length=1)
    level: JurisdictionLevel
    jurisdiction: Slug
    kind: Slug  # the department type: zongzhi, justice, police, labour, housing, committee, ...
    notify: Notify | None = None


class Category(Frozen):
    id: Slug
    name: str = Field(min_length=1)


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
    _fingerprint: str = PrivateAttr(default="")
    # Each jurisdiction's chain up to the district and its full name, worked out once: routing, notifying and
    # 研判 ask for them per case and per tally (a private attribute costs pydantic's __getattr__ on each read).
    _chains: dict[str, tuple[Jurisdiction, ...]] = PrivateAttr(default_factory=dict)
    _full_names: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_integrity(self) -> Organisation:
        problems = _integrity_problems(
            list(enumerate(self.jurisdictions)), list(enumerate(self.departments)),
            list(enumerate(self.categories)), list(enumerate(self.rules)),
        )
        if problems:
            raise ValueError("; ".join(problems))
        self._jurisdictions = {j.id: j for j in self.jurisdictions}
        self._departments = {d.id: d for d in self.departments}
        self._categories = {c.id: c for c in self.categories}
        self._rules = {r.category: r for r in self.rules}
        self._fingerprint = hashlib.sha256(self.canonical_json.encode("utf-8")).hexdigest()
        by_id = self._jurisdictions
        chains: dict[str, tuple[Jurisdiction, ...]] = {}
        for j in self.jurisdictions:
            chain = [j]
            while (parent := chain[-1].parent) is not None:
                chain.append(by_id[parent])
            chains[j.id] = tuple(chain)
        self._chains = chains
        self._full_names = {
            id: "".join(j.name for j in reversed([j for j in chain if j.level is not JurisdictionLevel.district]))
            or by_id[id].name
            for id, chain in chains.items()}
        return self

    @property
    def canonical_json(self) -> str:
        """The organisation in canonical JSON (keys sorted, no whitespace, defaults left out): what
        :attr:`fingerprint` hashes, and what is kept so an auditor can see which organisation routed a case."""
        return json.dumps(self.model_dump(mode="json", exclude_defaults=True), sort_keys=True,
                          ensure_ascii=False, separators=(",", ":"))

    @property
    def fingerprint(self) -> str:
        """sha256 (lowercase hex) of :attr:`canonical_json`: names this organisation on the cases it receives."""
        return self._fingerprint

    def department_name(self, id: str) -> str:
        """The department's name, or the id itself when this organisation does not know it (an old case)."""
        found = self._departments.get(id)
        return found.name if found is not None else id

    def jurisdiction_name(self, id: str) -> str:
        """The jurisdiction's name with its parents' for a grid or community (东湖街道花园社区第一网格)."""
        return self._full_names.get(id, id)

    def category_name(self, id: str) -> str:
        found = self._categories.get(id)
        return found.name if found is not None else id

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
        chain = self._chains.get(jurisdiction_id)
        if chain is None:
            raise UnknownId("jurisdiction", jurisdiction_id)
        return list(chain)

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
            raise InvalidRoute(f"unknown department {department!r}", "unknown_department",
                               department=department) from None
    if lead in co:
        raise InvalidRoute(f"lead department {lead!r} is also among the co-departments", "lead_is_co", department=lead)
    seen: set[str] = set()
    for department in co:
        if department in seen:
            raise InvalidRoute(f"co-department {department!r} is named twice", "co_twice", department=department)
        seen.add(department)
    for department in (lead, *co):
        if department in excluded:
            raise InvalidRoute(f"department {department!r} returned this case and cannot be routed it again",
                               "returned_before", department=department)


def load_organisation(text: str) -> Organisation:
    """Parse and check organisation JSON: ``{"jurisdictions", "departments", "categories", "rules"}``.
    Raises :class:`InvalidOrganisation` listing every problem found."""
    org, problems = check_organisation(text)
    if org is None:
        raise InvalidOrganisation(problems)
    return org


_SECTIONS: dict[str, type[Frozen]] = {
    "jurisdictions": Jurisdiction, "departments": Department, "categories": Category, "rules": RoutingRule,
}


def check_organisation(text: str) -> tuple[Organisation | None, list[str]]:
    """The organisation in ``text`` and an empty list, or ``None`` and every problem, one line each, led by
    its JSON path (``departments[3].jurisdiction: unknown jurisdiction 'st-x'``).

    Each item is checked on its own, so one malformed department does not hide the dangling reference of
    another: items that parse are cross-checked, items that do not are reported as they are."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return None, [f"$: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"]
    if not isinstance(data, dict):
        return None, ["$: must be a JSON object with jurisdictions, departments, categories and rules"]
    problems = [f"{key}: unknown field" for key in data if key not in _SECTIONS]
    parsed: dict[str, list[tuple[int, Any]]] = {}
    # Ids and kinds of items that did not parse: their own problem is reported; references to them are not.
    unparsed: set[str] = set()
    for section, model in _SECTIONS.items():
        parsed[section] = []
        items = data.get(section)
        if items is None:
            problems.append(f"{section}: missing (a list is needed, possibly empty)")
            continue
        if not isinstance(items, list):
            problems.append(f"{section}: must be a list")
            continue
        adapter: TypeAdapter[Any] = TypeAdapter(model)
        for i, item in enumerate(items):
            try:
                parsed[section].append((i, adapter.validate_python(item)))
            except ValidationError as e:
                problems += [_problem(f"{section}[{i}]", error) for error in e.errors()]
                if isinstance(item, dict):
                    unparsed |= {str(item[key]) for key in ("id", "kind") if key in item}
    problems += _integrity_problems(parsed["jurisdictions"], parsed["departments"], parsed["categories"],
                                    parsed["rules"], unparsed)
    if problems:
        return None, problems
    return Organisation.model_validate({section: [item for _, item in parsed[section]] for section in _SECTIONS}), []


def organisation_problems(text: str) -> list[str]:
    """Every problem of an organisation file (empty when it is valid): see :func:`check_organisation`."""
    return check_organisation(text)[1]


def _problem(prefix: str, error: Any) -> str:
    path = prefix
    for part in error.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        message = "unknown field"
    elif error.get("type") == "missing":
        message = "missing"
    elif isinstance(error.get("input"), str | int | float | bool):
        message += f" (got {error['input']!r})"
    return f"{path}: {message}"


_Item = TypeVar("_Item", Jurisdiction, Department, Category, RoutingRule)


def _integrity_problems(
    jurisdictions: Sequence[tuple[int, Jurisdiction]],
    departments: Sequence[tuple[int, Department]],
    categories: Sequence[tuple[int, Category]],
    rules: Sequence[tuple[int, RoutingRule]],
    unparsed: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """Cross-references that hold the organisation together; each problem names its item's JSON path.
    References to ids or kinds in ``unparsed`` (items reported as malformed) are not reported again."""
    problems: list[str] = []

    def index(section: str, what: str, items: Sequence[tuple[int, _Item]], key: str) -> dict[str, _Item]:
        seen: dict[str, tuple[int, _Item]] = {}
        for i, item in items:
            value = getattr(item, key)
            if value in seen:
                problems.append(f"{section}[{i}].{key}: duplicate {what} {value!r} "
                                f"(also {section}[{seen[value][0]}])")
            else:
                seen[value] = (i, item)
        return {k: item for k, (_, item) in seen.items()}

    places = index("jurisdictions", "jurisdiction", jurisdictions, "id")
    index("departments", "department", departments, "id")
    known_categories = index("categories", "category", categories, "id")
    index("rules", "routing rule for category", rules, "category")
    for i, j in jurisdictions:
        if j.parent is None:
            if j.level is not JurisdictionLevel.district:
                problems.append(f"jurisdictions[{i}].parent: jurisdiction {j.id!r} ({j.level}) has no parent")
            continue
        parent = places.get(j.parent)
        if parent is None and j.parent in unparsed:
            continue
        if parent is None:
            problems.append(f"jurisdictions[{i}].parent: jurisdiction {j.id!r} has unknown parent {j.parent!r}")
        elif parent.level is not j.level.above:
            problems.append(
                f"jurisdictions[{i}].parent: jurisdiction {j.id!r} ({j.level}) has parent {parent.id!r} of level "
                f"{parent.level}, expected {j.level.above}"
            )
    for i, d in departments:
        where = places.get(d.jurisdiction)
        if where is None and d.jurisdiction in unparsed:
            continue
        if where is None:
            problems.append(f"departments[{i}].jurisdiction: unknown jurisdiction {d.jurisdiction!r}")
        elif where.level is not d.level:
            problems.append(f"departments[{i}].level: department {d.id!r} has level {d.level} "
                            f"but its jurisdiction {where.id!r} is a {where.level}")
    kinds = {d.kind for _, d in departments} | set(unparsed)
    for i, r in rules:
        if r.category != FALLBACK_CATEGORY and r.category not in known_categories and r.category not in unparsed:
            problems.append(f"rules[{i}].category: routing rule for unknown category {r.category!r}")
        if r.lead_kind not in kinds:
            problems.append(f"rules[{i}].lead_kind: routing rule for {r.category!r} names department kind "
                            f"{r.lead_kind!r}, which no department has")
        for k, kind in enumerate(r.co_kinds):
            if kind not in kinds:
                problems.append(f"rules[{i}].co_kinds[{k}]: routing rule for {r.category!r} names department "
                                f"kind {kind!r}, which no department has")
            elif kind == r.lead_kind:
                problems.append(f"rules[{i}].co_kinds[{k}]: routing rule for {r.category!r} has lead kind "
                                f"{kind!r} among co kinds")
            elif kind in r.co_kinds[:k]:
                problems.append(f"rules[{i}].co_kinds[{k}]: routing rule for {r.category!r} repeats a co kind "
                                f"{kind!r}")
    return problems


def summary(org: Organisation) -> str:
    """One line of counts, as ``liandiao org check`` prints for a valid file."""
    return (f"{len(org.jurisdictions)} jurisdictions, {len(org.departments)} departments, "
            f"{len(org.categories)} categories, {len(org.rules)} rules")


def _read_demo() -> str:
    return resources.files("domain").joinpath("data/org.json").read_text(encoding="utf-8")


@functools.cache
def demo_organisation() -> Organisation:
    """The packaged demo organisation (临江区), loaded once."""
    return load_organisation(_read_demo())
