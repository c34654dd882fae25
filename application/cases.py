"""The use cases on cases: receive, route, act, read, list, replay, verify, and the organisation's lists.

Every entry point (HTTP, CLI, demo loader, workbench) calls these and holds no business rule of its own.
Writes go to the case workflow and answer once the read models show their effect (read-your-writes).
Failures are :mod:`application.errors`; the domain's refusals are translated here, once."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from application.access import (
    GRID_REPORTS,
    READ_BOARD,
    READ_CASE,
    READ_CASES,
    READ_EVENTS,
    READ_INBOX,
    VERIFY,
    masked_state,
    require_own_grid,
    require_role,
    require_visible,
    sees_personal_data,
)
from application.access_log import record_access
from application.audit import replay_case
from application.calendar import pin_for_new_case
from application.case_client import CaseClient, CaseNotFound
from application.clusters import detect as detect_cluster
from application.errors import Forbidden, InvalidInput, NotFound, Refused, Unavailable, from_domain
from application.people import People
from application.supervision import check_departments, check_references
from domain.actions import AvailableAction, available_actions
from domain.case import CaseState
from domain.commands import Command, HandUp, ReceiveCase, RouteCase, SettleOnSpot
from domain.decide import ActionRefused, NotPermitted, authorize
from domain.events import Actor, Party
from domain.handling import desk_centre, handled_by, handling_centre, receiving_level
from domain.masking import masked_party
from domain.organisation import (
    Category,
    Department,
    InvalidRoute,
    Jurisdiction,
    JurisdictionLevel,
    NoRoute,
    Organisation,
    RouteSuggestion,
    UnknownId,
    suggest_route,
    validate_route,
)
from domain.policy import PinnedPolicy, Policy, wall_clock_seconds
from domain.vocabulary import Channel, MediationMethod, RiskLevel, Role, Stage
from infra.db import ping
from infra.event_store import ChainVerification, EventStore
from infra.idempotency import IdempotencyKeys
from infra.projections import Projector
from infra.read_models import (
    BoardItem,
    CaseSummary,
    DepartmentStatistics,
    GridReport,
    HandledBy,
    case_exists,
    case_state_json,
    department_inbox,
    department_statistics,
    find_duplicate,
    grid_reports,
    list_cases,
    party_fingerprint,
    projected_version,
    supervision_board,
)
from infra.read_models import (
    InboxItem as InboxItem,  # re-exported: pages sort what the inbox answers
)
from infra.visitors import earlier_visits, marks, record_visit


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _unavailable(exc: RPCError) -> Exception:
    """Temporal out of reach is worth repeating later (503); any other RPC failure is a fault, raised as is."""
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return Unavailable("the workflow service is unavailable; repeat the request shortly")
    return exc


# About 5 s of catching up (doubling waits from 2 ms, capped at 0.2 s) before a read-your-write gives up (503).
_PROJECTION_TRIES = 32


@dataclass(frozen=True)
class Intake:
    """What a mediator registers (统一受理)."""

    title: str
    description: str
    category: str
    channel: Channel
    grid_id: str
    parties: tuple[Party, ...]
    risk_level: RiskLevel = RiskLevel.medium


@dataclass(frozen=True)
class OnSpot:
    """就地化解: how a grid worker settled the dispute where it arose."""

    method: MediationMethod
    agreement_reached: bool
    terms: str


@dataclass(frozen=True)
class Received:
    case_id: str
    stage: Stage
    version: int
    duplicate_of: str | None
    suggested_route: RouteSuggestion | None
    repeat_of: tuple[str, ...] = ()  # earlier cases of the same visitors (重复来访), latest first
    cluster_alert: str | None = None  # the cluster alert (聚集预警) the intake opened or joined


@dataclass(frozen=True)
class Done:
    """An action's effect, already visible in the read models."""

    case_id: str
    stage: Stage
    version: int
    events: list[str]  # the types of the events the action recorded


@dataclass
class Application:
    """The services the use cases need. ``clock`` is injected so policy pinning and case ids are testable."""

    pool: asyncpg.Pool
    temporal: Client
    cases: CaseClient
    store: EventStore
    projector: Projector
    org: Organisation
    policy: Policy
    clock: Callable[[], datetime] = field(default=_utc_now)
    # Called with the organisation when the admin's desk puts a new one in force, so that whatever else in this
    # process holds the organisation (the worker's notifiers, under `liandiao up`) follows without a restart.
    org_listeners: list[Callable[[Organisation], None]] = field(default_factory=list)

    def put_org_in_force(self, org: Organisation) -> None:
        """The organisation new cases are received and routed by, from the next request on (already recorded
        in force: ``application.organisation.put_in_force``)."""
        self.org = org
        for listener in self.org_listeners:
            listener(org)
    # The key of the visitors' hashes (infra/visitors.py). The stack loads DATA_DIR/visitor-key; without one
    # (a test's application) a random key per process: repeats are found among its own intakes only.
    visitor_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _triages: dict[tuple[str, str], HandledBy] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------------------------------- writes

    def new_case_id(self, request_id: str | None) -> str:
        # With a request id (an Idempotency-Key) the id is derived from it, so even a repeat after a lost
        # answer names one case.
        day = self.clock().strftime("%Y%m%d")
        if request_id is not None:
            return f"C-{day}-{hashlib.sha256(request_id.encode()).hexdigest()[:10]}"
        return f"C-{day}-{uuid.uuid4().hex[:10]}"

    def check_intake(self, intake: Intake) -> None:
        """The category exists and the place is a grid (网格) of the organisation."""
        try:
            self.org.category(intake.category)
        except UnknownId as exc:
            raise InvalidInput(str(exc), "category") from exc
        try:
            grid = self.org.jurisdiction(intake.grid_id)
        except UnknownId as exc:
            raise InvalidInput(str(exc), "grid_id") from exc
        if grid.level is not JurisdictionLevel.grid:
            raise InvalidInput(f"{intake.grid_id} is a {grid.level.value}, not a grid", "grid_id")

    async def report(self, actor: Actor, intake: Intake, on_spot: OnSpot | None = None,
                     request_id: str | None = None) -> Received:
        """网格上报 (or any intake): receive the case and, when it was settled on the spot (就地化解), record the
        settlement at once, which takes it straight to verification with no department task."""
        if on_spot is not None:
            if actor.role is not Role.grid_worker:
                raise Forbidden("a settlement on the spot (on_spot) is a grid worker's (就地化解)", "on_spot_grid_only")
            if not on_spot.agreement_reached:
                raise InvalidInput("a settlement on the spot needs the parties' agreement (agreement_reached true); "
                                   "without one, report the case without on_spot and it waits in triage", "on_spot")
        received = await self.receive(actor, intake, request_id, settled_on_spot=on_spot is not None)
        if on_spot is None or received.duplicate_of is not None:
            return received
        settle = SettleOnSpot(method=on_spot.method, agreement_reached=on_spot.agreement_reached, terms=on_spot.terms)
        done = await self._send(actor, await self._state(received.case_id), settle,
                                None if request_id is None else f"{request_id}:on-spot")
        return Received(case_id=done.case_id, stage=done.stage, version=done.version, duplicate_of=None,
                        suggested_route=None, repeat_of=received.repeat_of, cluster_alert=received.cluster_alert)

    async def receive(self, actor: Actor, intake: Intake, request_id: str | None = None, *,
                      case_id: str | None = None, policy: PinnedPolicy | None = None,
                      settled_on_spot: bool = False) -> Received:
        """统一受理: register a case. The policy in force is pinned to it (with its calendar); a case with the
        same category, grid and parties as an open one is recorded as its duplicate (重复件) and archived.
        It is handled at the level of whoever receives it: a grid worker's report at the community (in the grid
        when ``settled_on_spot``), a mediator's intake at their centre's level (domain/handling.py).
        ``case_id`` and ``policy`` are for loaders that need fixed ids or a policy of their own."""
        self.check_intake(intake)
        if actor.role is Role.grid_worker:
            require_own_grid(actor, intake.grid_id)
            if intake.channel is not Channel.grid_report:
                raise InvalidInput("a grid worker reports through the channel grid_report (网格上报)", "channel")
        case_id = case_id or self.new_case_id(request_id)
        duplicate_of = await self.duplicate_of(intake)
        if duplicate_of == case_id:  # a repeat of this very intake, whose first try got through
            duplicate_of = None
        found = marks(self.visitor_key, intake.parties)
        # 重复来访, recorded on the case (CaseReceived.repeat_of); a duplicate is the same matter, not a visit.
        repeat_of = () if duplicate_of else tuple(await earlier_visits(
            self.pool, found, self.clock(), exclude=case_id, window=self.repeat_window))
        command = ReceiveCase(
            title=intake.title, description=intake.description, category=intake.category, channel=intake.channel,
            grid_id=intake.grid_id, risk_level=intake.risk_level, parties=intake.parties,
            duplicate_of=duplicate_of, policy=policy or await pin_for_new_case(self.pool, self.policy, self.clock()),
            organisation=self.org.fingerprint,  # which organisation routed it, for replay and audit
            departments=tuple(d.id for d in self.org.departments), repeat_of=repeat_of,
            handling_level=self._receiving_level(actor, settled_on_spot),
        )
        try:
            result = await self.cases.receive(case_id, command, actor, request_id)
        except (ActionRefused, NotPermitted) as exc:
            raise Refused(str(exc), exc.code, exc.data) from exc  # at intake both mean "not now": the id is taken
        except RPCError as exc:
            raise _unavailable(exc) from exc
        await self._until_projected(case_id, result.version)
        state = await self._state(case_id)
        await record_visit(self.pool, case_id, state.received_at or self.clock(), found)
        cluster = await detect_cluster(self, state)
        return Received(case_id=case_id, stage=Stage(result.stage), version=result.version,
                        duplicate_of=state.duplicate_of, suggested_route=self.suggested_route(state),
                        repeat_of=state.repeat_of, cluster_alert=cluster.alert_id if cluster else None)

    def _receiving_level(self, actor: Actor, settled_on_spot: bool) -> JurisdictionLevel:
        if actor.role is Role.grid_worker:
            return JurisdictionLevel.grid if settled_on_spot else JurisdictionLevel.community
        return receiving_level(self.org, actor.department)

    async def repeat_of(self, intake: Intake) -> list[str]:
        """The cases received in the repeat window before now that a visitor of this intake came with
        (重复来访, domain/analysis.py), latest first: the workbench warns before anything is saved."""
        return await earlier_visits(self.pool, marks(self.visitor_key, intake.parties), self.clock(),
                                    window=self.repeat_window)

    @property
    def repeat_window(self) -> timedelta:
        """``[analysis] repeat_window`` of the policy in force (90 days unless it says otherwise)."""
        return timedelta(seconds=wall_clock_seconds(self.policy.analysis_rules.repeat_window))

    async def duplicate_of(self, intake: Intake) -> str | None:
        """The open case this intake would be recorded as a duplicate of (重复件), if any: the workbench
        warns the mediator before anything is saved."""
        return await find_duplicate(self.pool, party_fingerprint(intake.category, intake.grid_id, intake.parties))

    async def route(self, actor: Actor, case_id: str, lead_department: str,
                    co_departments: Sequence[str] = (), note: str | None = None,
                    request_id: str | None = None) -> Done:
        """统一分流: assign the lead and co-departments. The routing rules' suggestion is recorded beside the
        mediator's choice, and each department's escalation target is resolved from the organisation."""
        self._check_route(lead_department, co_departments)
        state = await self._state(case_id)
        suggested = self.suggested_route(state)
        command = RouteCase(lead_department=lead_department, co_departments=tuple(co_departments), note=note,
                            escalate_to=self.org.escalation_targets([lead_department, *co_departments]),
                            suggested_lead=suggested.lead if suggested else None)
        return await self._send(actor, state, command, request_id)

    async def act(self, actor: Actor, case_id: str, command: Command, request_id: str | None = None) -> Done:
        """Any other action (签收, 退回, 答复, 验收, ...): checked, authorized, sent to the case workflow."""
        check_departments(self.org, command)  # a meeting's or a summons' departments exist
        if isinstance(command, RouteCase):
            self._check_route(command.lead_department, command.co_departments)
        state = await self._state(case_id)
        if isinstance(command, HandUp):
            self._check_handling_centre(actor, state)
        return await self._send(actor, state, command, request_id)

    def _check_handling_centre(self, actor: Actor, state: CaseState) -> None:
        """A mediator hands up only the cases their own centre handles (those in their triage)."""
        handler = self.centre_elsewhere(actor, state)
        if handler is not None:
            raise Forbidden(f"case {state.case_id} is handled by {handler}: only its mediators hand it up",
                            "not_the_handler", {"handler": handler})

    def centre_elsewhere(self, actor: Actor, state: CaseState) -> str | None:
        """The centre handling the case, when it is not this mediator's own (None: theirs, or a mediator without
        a centre the organisation knows, who may act on any case, or anyone else)."""
        if actor.role is not Role.mediator or (mine := desk_centre(self.org, actor.department)) is None:
            return None
        handler = handling_centre(self.org, state.grid_id, state.handling_level)
        return handler.id if handler is not None and handler.id != mine.id else None

    def _check_route(self, lead: str, co: Sequence[str]) -> None:
        try:
            validate_route(self.org, lead, co)
        except InvalidRoute as exc:
            raise InvalidInput(str(exc), code=exc.code, data=exc.data) from exc
        except UnknownId as exc:
            raise InvalidInput(str(exc)) from exc

    async def _send(self, actor: Actor, state: CaseState, command: Command, request_id: str | None) -> Done:
        task_id = getattr(command, "task_id", None)
        if task_id is not None and state.task(task_id) is None:
            raise NotFound(f"case {state.case_id} has no task {task_id}", "no_task", {"task": task_id})
        check_references(state, command)  # its summons, meeting or commitment
        try:
            if request_id is None:  # refused here without a round trip to Temporal
                authorize(state, command, actor)
            # With a request id, the workflow decides (its validator runs the same rules): a repeat of an
            # update that got through while its answer was lost (an outage) gets the first outcome back,
            # where the read models, already moved on, would refuse it.
            result = await self.cases.act(state.case_id, command, actor, request_id)
        except (ActionRefused, NotPermitted) as exc:
            raise from_domain(exc) from exc
        except CaseNotFound as exc:
            raise NotFound(f"no case {state.case_id}", "no_case", {"case": state.case_id}) from exc
        except RPCError as exc:
            raise _unavailable(exc) from exc
        await self._until_projected(state.case_id, result.version)
        return Done(case_id=state.case_id, stage=Stage(result.stage), version=result.version, events=result.events)

    async def _until_projected(self, case_id: str, version: int) -> None:
        """Read your writes: return once the read models hold ``version`` of the case. A catch-up reads no
        further than the oldest transaction still open (infra.event_store ``read_all``), so a write committed
        while another intake's or projector's transaction was open shows only a moment later; waiting here
        keeps the answer (and the next page) from showing the case as it was, or not at all."""
        delay = 0.002
        for _ in range(_PROJECTION_TRIES):
            await self.projector.catch_up()
            seen = await projected_version(self.pool, case_id)
            if seen is not None and seen >= version:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
        raise Unavailable("the case was saved, but the read models have not caught up yet; read it again shortly")

    # -------------------------------------------------------------------------------------------- reads

    async def _state(self, case_id: str) -> CaseState:
        """The case as the read models hold it (they include every answered write)."""
        if len(case_id) > 100:
            raise NotFound(f"no case {case_id[:100]}…", "no_case", {"case": case_id[:100]})
        raw = await case_state_json(self.pool, case_id)
        if raw is None:
            raise NotFound(f"no case {case_id}", "no_case", {"case": case_id})
        return CaseState.model_validate_json(raw)

    async def get_case(self, actor: Actor, case_id: str) -> CaseState:
        """Opening a case: its parties as this person may see them, and an access-log row when unmasked."""
        require_role(actor, READ_CASE)
        state = await self._state(case_id)
        require_visible(state, actor)
        await self._record_if_unmasked(state, actor, "case")
        return state

    async def case_for_work(self, actor: Actor, case_id: str) -> CaseState:
        """The case for computing what a list shows about it (its buttons, its suggested route), with the
        parties masked whoever asks: nobody looks at anyone's personal data, so nothing is recorded. A desk
        that polls every few seconds would otherwise fill the access log with its refreshes."""
        require_role(actor, READ_CASE)
        state = await self._state(case_id)
        require_visible(state, actor)
        return masked_state(state)

    async def record_opened(self, actor: Actor, state: CaseState, what: str) -> None:
        """Record that this person looked at the case's personal data (a download, an export), if unmasked."""
        await self._record_if_unmasked(state, actor, what)

    async def _record_if_unmasked(self, state: CaseState, actor: Actor, what: str) -> None:
        # Who saw what (application/access_log.py): recorded before the answer leaves.
        if state.parties and sees_personal_data(state, actor):
            await record_access(self.pool, actor, state.case_id, what)

    async def list_cases(self, actor: Actor, *, stage: Stage | None = None, department: str | None = None,
                         overdue: bool | None = None, limit: int = 50, cursor: str | None = None,
                         ) -> tuple[list[CaseSummary], str | None]:
        """Cases newest first, a page at a time. A liaison sees only their own department's. A mediator's triage
        (``stage`` triage) holds the cases their centre handles, at its level (domain/handling.py); a mediator
        without a department the organisation knows sees every case in triage."""
        require_role(actor, READ_CASES)
        if actor.role is Role.liaison:
            if department not in (None, actor.department):
                raise Forbidden(f"a liaison sees only the cases of department {actor.department}",
                                "liaison_own_department", {"department": str(actor.department), "what": "cases"})
            department = actor.department
        grid_id = actor.jurisdiction if actor.role is Role.grid_worker else None  # a grid worker: their grid's
        handled = self.triage_of(actor) if stage is Stage.triage else None
        try:
            return await list_cases(self.pool, stage=stage, department=department, overdue=overdue,
                                    limit=limit, cursor=cursor, grid_id=grid_id, handled=handled)
        except ValueError as exc:
            raise InvalidInput(str(exc), "cursor") from exc

    def triage_of(self, actor: Actor) -> HandledBy | None:
        """What a mediator's triage queue holds: the cases their centre handles; None (every case) for anyone
        else, and for a mediator without a centre the organisation knows."""
        if actor.role is not Role.mediator:
            return None
        centre = desk_centre(self.org, actor.department)
        if centre is None:
            return None
        key = (self.org.fingerprint, centre.id)  # the desk polls: worked out once per organisation and centre
        if key not in self._triages:
            grids = tuple(j.id for j in self.org.jurisdictions if j.level is JurisdictionLevel.grid)
            self._triages[key] = HandledBy(pairs=handled_by(self.org, centre.id), known_grids=grids)
        return self._triages[key]

    async def grid_reports(self, actor: Actor, limit: int = 100) -> list[GridReport]:
        """我的上报: the cases this grid worker reported, each with its stage and last step (进度)."""
        require_role(actor, GRID_REPORTS)
        if actor.jurisdiction is None:
            return []
        return await grid_reports(self.pool, actor.jurisdiction, actor.id, limit)

    async def events(self, actor: Actor, case_id: str) -> list[dict[str, Any]]:
        """The case's events in order with their hash chain; parties masked for those who see them masked."""
        require_role(actor, READ_EVENTS)
        state = await self._state(case_id)
        full = sees_personal_data(state, actor)
        await self._record_if_unmasked(state, actor, "events")
        answer = []
        for e in await self.store.read_stream(case_id):
            data = e.payload.model_dump(mode="json", exclude={"type"})
            if not full and "parties" in data:
                data["parties"] = [masked_party(p) for p in state.parties]
            answer.append({"seq": e.seq, "type": e.type, "occurred_at": e.occurred_at.isoformat(),
                           "actor": e.actor.model_dump(mode="json"), "data": data,
                           "schema_version": e.schema_version, "event_id": str(e.event_id),
                           "prev_hash": e.prev_hash, "hash": e.hash})
        return answer

    async def replay(self, actor: Actor, case_id: str, upto: int | None = None) -> CaseState:
        """The case as it stood after event ``upto``, folded from the event store (not the read models)."""
        return (await replay_case(self.pool, actor, case_id, upto)).state

    async def verify(self, actor: Actor, case_id: str) -> ChainVerification:
        require_role(actor, VERIFY)
        result = await self.store.verify(case_id)
        if result.events == 0:
            raise NotFound(f"no case {case_id}", "no_case", {"case": case_id})
        return result

    def suggested_route(self, state: CaseState) -> RouteSuggestion | None:
        """The routing rules' proposal (归口调处), which the mediator confirms or overrides; None once routed."""
        if state.stage not in (Stage.intake, Stage.triage):
            return None
        try:
            return suggest_route(self.org, state.category, state.grid_id, frozenset(state.returned_by))
        except (NoRoute, UnknownId):
            return None

    def available_actions(self, state: CaseState, actor: Actor) -> list[AvailableAction]:
        """Which actions ``actor`` may take on the case now (for the workbench's buttons)."""
        return available_actions(state, actor, self.clock())

    # ----------------------------------------------------------------------- organisation and supervision

    def jurisdictions(self) -> Sequence[Jurisdiction]:
        return self.org.jurisdictions

    def departments(self) -> Sequence[Department]:
        return self.org.departments

    @property
    def idempotency_keys(self) -> IdempotencyKeys:
        """The answers kept for repeated writes (``Idempotency-Key``)."""
        return IdempotencyKeys(self.pool)

    async def case_exists(self, case_id: str) -> bool:
        return len(case_id) <= 100 and await case_exists(self.pool, case_id)

    async def postgres_ok(self) -> None:
        """Raises when PostgreSQL does not answer (the health check)."""
        await ping(self.pool)

    @property
    def people(self) -> People:
        """Users, sign-in, sessions and tokens (application/people.py) on this application's database."""
        return People(self.pool, self.org)

    def categories(self) -> Sequence[Category]:
        """The categories that intake accepts."""
        return self.org.categories

    async def inbox(self, actor: Actor, department_id: str, limit: int = 100) -> list[InboxItem]:
        require_role(actor, READ_INBOX)
        try:
            self.org.department(department_id)
        except UnknownId as exc:
            raise NotFound(str(exc), "unknown_department", {"department": department_id}) from exc
        if actor.role is Role.liaison and actor.department != department_id:
            raise Forbidden(f"a liaison sees only the inbox of department {actor.department}", "liaison_own_department",
                            {"department": str(actor.department), "what": "inbox"})
        return await department_inbox(self.pool, department_id, limit)

    async def board(self, actor: Actor, limit: int = 100) -> list[BoardItem]:
        require_role(actor, READ_BOARD)
        return await supervision_board(self.pool, limit)

    async def statistics(self, actor: Actor) -> list[DepartmentStatistics]:
        require_role(actor, READ_BOARD)
        return await department_statistics(self.pool)
