"""DisputeCaseWorkflow: one durable workflow per case (workflow id = case id).

Department tasks live inside the case workflow rather than in child workflows: a return, a resolution or a
paused clock changes every task of the case at once, and one workflow keeps those changes atomic and the
event stream single-writer (so its optimistic concurrency never fights itself). Every deadline is the
durable timer of ``wait_condition(timeout=...)`` on the next alarm (domain/alarms.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import (
    RawValue,
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.decisions import DecisionActivities, DecisionAppend
    from activities.event_store import AppendRequest, EventStoreActivities, OutboxNotification
    from activities.notifications import (
        ATTEMPT_TIMEOUT,
        DeliverBatch,
        DeliverItem,
        DeliverRequest,
        IssuePlan,
        ItemOutcome,
        NotificationActivities,
        ResolveRequest,
        batch_timeout,
        issued_events,
    )
    from domain.alarms import Alarm, next_alarm
    from domain.case import CaseState, Delivery, NotificationRecord, evolve
    from domain.commands import Command, ReceiveCase
    from domain.decide import ActionRefused, NotPermitted, decide
    from domain.events import (
        SYSTEM_ACTOR,
        Actor,
        CaseReopened,
        ClockPaused,
        ClockResumed,
        DomainEvent,
        ExtensionDecided,
        ExtensionRequested,
        NotificationDelivered,
        NotificationFailed,
        NotificationIssued,
        PendingEvent,
        ResolutionRejected,
        ReturnDecided,
        SummonsReported,
    )
    from domain.notifications import Intent, intents_for, is_urgent, legacy_notifications_for, quiet_until, safe_title
    from domain.policy import NotificationPolicy
    from domain.vocabulary import Stage
    from workflows.messages import ActionRequest, ActionResult, CaseInput

STAGE = SearchAttributeKey.for_keyword("LiandiaoStage")
RISK = SearchAttributeKey.for_keyword("LiandiaoRisk")
CATEGORY = SearchAttributeKey.for_keyword("LiandiaoCategory")
APPEND_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10),
                           non_retryable_error_types=["ConcurrencyConflict"])
# a channel is retried with backoff until delivered or its notification's give_up_after_s runs out.
DELIVERY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                             maximum_interval=timedelta(minutes=2),
                             non_retryable_error_types=["ChannelRemoved", "UnsupportedChannel"])
NOTIFY_PATCH = "notify"  # notifications resolved, delivered and recorded in the stream
# a decision that notifies resolves its addresses inside its append (one local activity, not two).
RESOLVE_IN_APPEND_PATCH = "resolve-in-append"
# an action that leaves the next alarm where it was keeps the alarm's durable timer.
KEEP_ALARM_TIMER_PATCH = "keep-alarm-timer"
# a case's notifications due at one instant share one durable timer and go out in one activity, their outcomes
# appended together; a channel the batch could not deliver is retried on its own, as before.
BATCH_DELIVERIES_PATCH = "batch-deliveries"
# Generation 3 only (never asked with workflow.patched: they pay at the start and at the close of a run, which
# runs started before them are past or would pay a marker for). Each search-attribute upsert of a running case
# is a visibility write in the server (a transaction of its own), beside the history event.
# The client starts the workflow with the search attributes its intake leads to (intake_attributes), and a run
# upserts only the attributes that differ from the ones it has: the intake upserts nothing.
START_ATTRIBUTES = "start-attributes"
# the archived case is sealed by a local activity: with no delivery pending, in the archive's own workflow task,
# so the run closes in that task and the server's close record carries the archived stage (the upsert's own
# visibility write is skipped for a closed run).
LOCAL_SEAL = "local-seal"
# a department's requests and their decisions reach the people concerned: an extension request (延期申请) tells
# the centre that decides it, as a return request does; the decision on an extension or a return tells the
# department that asked. Runs recorded before it told no one (their appends carry no notification for these).
REQUEST_NOTICES_PATCH = "request-notices"
# a department whose deadline is set again by someone else's action is told: sent back to work (验收不通过, or the
# case reopened after a dissatisfied follow-up) with its new reply deadline; the case's clock paused (中止计时), and
# resumed with the deadline moved by the paused time. Runs recorded before it told no one: the department heard
# first from a reminder, or not at all.
DEADLINE_NOTICES_PATCH = "deadline-notices"
# the centre that summoned departments (吹哨) is told when the last of them reported (报到): it can go on.
SUMMONS_NOTICE_PATCH = "summons-notice"
_LATER_NOTICES = {ExtensionRequested: REQUEST_NOTICES_PATCH, ExtensionDecided: REQUEST_NOTICES_PATCH,
                  ReturnDecided: REQUEST_NOTICES_PATCH, ResolutionRejected: DEADLINE_NOTICES_PATCH,
                  CaseReopened: DEADLINE_NOTICES_PATCH, ClockPaused: DEADLINE_NOTICES_PATCH,
                  ClockResumed: DEADLINE_NOTICES_PATCH, SummonsReported: SUMMONS_NOTICE_PATCH}
# the rest of DELIVERY_RETRY after a batch's attempt (its first): the same backoff, one step on.
RETRY_AFTER_BATCH = RetryPolicy(initial_interval=DELIVERY_RETRY.initial_interval * 2, backoff_coefficient=2.0,
                                maximum_interval=DELIVERY_RETRY.maximum_interval,
                                non_retryable_error_types=DELIVERY_RETRY.non_retryable_error_types)
_REASONS = {"ChannelRemoved": "组织架构中已无此渠道", "UnsupportedChannel": "渠道地址无法识别",
            "DeliveryRefused": "接收方未接受"}

# Generations. Each workflow.patched() of a run records a marker and, from the SDK's core, an
# upsert of the TemporalChangeVersion search attribute (a visibility write in the server): with the eight
# patches below, up to 16 history events per run (10 in a plain lifecycle), again after each continue-as-new. A run
# started by this code (a new case, or a continue-as-new) carries GENERATION in its input and takes the
# patches built into that generation without asking; the input is part of the run's history, so a replay
# takes the same branches. Runs started before (generation 0) ask workflow.patched as they always did.
# A new patch is asked for with workflow.patched until a new generation, added here, builds it in too
# (generation 2: batch-deliveries, which runs of generation 1 ask for; generation 4: request-notices, which runs
# of generations 0 to 3 ask for when a request or its decision is recorded; generation 5: deadline-notices and
# summons-notice, which runs of generations 0 to 4 ask for when such an event is recorded). A change that only a
# run's start can take (generation 3: START_ATTRIBUTES, LOCAL_SEAL) goes straight into a new generation, never asked.
# A generation is never taken back: code that does not know a run's generation treats it as its newest.
# Folding each event with its actor (an acknowledgement names its liaison the task's 责任人) needs no patch: it
# changes the state only, never which commands a recorded history issues.
_GENERATION_1 = frozenset({"seal-archived-case", "local-append", "continue-as-new-by-length", NOTIFY_PATCH,
                           "risk-regrade-attribute", RESOLVE_IN_APPEND_PATCH, KEEP_ALARM_TIMER_PATCH})
_GENERATION_2 = _GENERATION_1 | {BATCH_DELIVERIES_PATCH}
_GENERATION_3 = _GENERATION_2 | {START_ATTRIBUTES, LOCAL_SEAL}
_GENERATION_4 = _GENERATION_3 | {REQUEST_NOTICES_PATCH}
BUILT_IN: dict[int, frozenset[str]] = {
    0: frozenset(),
    1: _GENERATION_1,
    2: _GENERATION_2,
    3: _GENERATION_3,
    4: _GENERATION_4,
    5: _GENERATION_4 | {DEADLINE_NOTICES_PATCH, SUMMONS_NOTICE_PATCH},
}
GENERATION = max(BUILT_IN)

CONTINUE_AS_NEW_AFTER_EVENTS = 400  # history events; an escalation adds about 6, a user action about 8


def _rejection(exc: Exception) -> ApplicationError:
    # The refusal's code and data travel as details (ids and states, never personal data), so the caller
    # gets the same refusal back (application/case_client.py).
    code, data = getattr(exc, "code", None), getattr(exc, "data", {})
    details = (code, dict(data)) if code else ()
    return ApplicationError(str(exc), *details, type=type(exc).__name__, non_retryable=True)


@workflow.defn(name="DisputeCase")
class DisputeCaseWorkflow:
    @workflow.init
    def __init__(self, case: CaseInput) -> None:
        # Set here, not in run(): with update-with-start the first update may be handled before run() starts.
        self._state: CaseState | None = case.state or CaseState(case_id=case.case_id)
        self._lock = asyncio.Lock()  # one action at a time: decide, append, evolve
        self._changed = False
        self._deliveries: set[str] = set()  # notifications being delivered (or deferred) by this run
        self._batches: dict[datetime | None, list[NotificationRecord]] = {}  # waiting for their instant
        self._outcomes: list[DomainEvent] = []  # delivery outcomes waiting to be appended
        self._timer: asyncio.Task[None] | None = None  # the durable timer of the alarm below, while it runs
        self._timer_alarm: Alarm | None = None
        self._built_in = BUILT_IN[max(g for g in BUILT_IN if g <= case.generation)]
        # The validator's decision (update id, the state and time it was taken on, the events): the handler that
        # follows in the same workflow task, on the same state, takes it rather than deciding again. decide is
        # pure, so the events are the very ones it would decide (and a replay, which runs no validator, does).
        self._validated: tuple[str, CaseState, datetime, list[DomainEvent]] | None = None
        self._decoded: tuple[str, ActionRequest] | None = None  # the validator's request, for its handler

    @property
    def state(self) -> CaseState:
        assert self._state is not None
        return self._state

    @workflow.run
    async def run(self, case: CaseInput) -> CaseState:
        # A run continued from another picks up the deliveries that one had not finished (the dedupe key in
        # PostgreSQL keeps a channel that was delivered meanwhile from being sent twice).
        if self.state.notifications and self._patched(NOTIFY_PATCH):
            self._start_deliveries([n for n in self.state.notifications if n.undelivered])
        while self.state.stage is not Stage.archived:
            if (workflow.info().is_continue_as_new_suggested() or self._history_is_long()) \
                    and workflow.all_handlers_finished() and not self._lock.locked() and not self._outcomes:
                workflow.continue_as_new(CaseInput(case_id=self.state.case_id, state=self.state,
                                                   generation=GENERATION))
            await self._sleep_until_next_alarm()
        self._drop_timer()  # an archived case has no alarm left
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._deliveries:  # an archived case still delivers (and records) what it had issued
            await workflow.wait_condition(lambda: not self._deliveries and not self._outcomes)
        # Added after the first cases ran: histories recorded before it replay without the activity.
        if LOCAL_SEAL in self._built_in:
            await workflow.execute_local_activity_method(
                EventStoreActivities.seal_archived_case, self.state.case_id,
                start_to_close_timeout=timedelta(seconds=30), retry_policy=APPEND_RETRY)
        elif self._patched("seal-archived-case"):
            await workflow.execute_activity_method(
                EventStoreActivities.seal_archived_case, self.state.case_id,
                start_to_close_timeout=timedelta(seconds=30), retry_policy=APPEND_RETRY)
        return self.state

    def _patched(self, patch_id: str) -> bool:
        """Whether this run takes the change ``patch_id``: built into its generation, or workflow.patched."""
        return patch_id in self._built_in or workflow.patched(patch_id)

    def _history_is_long(self) -> bool:
        """Long before the server's suggestion: a case evicted from a worker's cache is replayed from its
        history when its next deadline fires, so a short history keeps that replay cheap."""
        return workflow.info().get_current_history_length() >= CONTINUE_AS_NEW_AFTER_EVENTS \
            and self._patched("continue-as-new-by-length")

    async def _sleep_until_next_alarm(self) -> None:
        self._changed = False
        alarm = next_alarm(self.state)
        if alarm is None:
            self._drop_timer()
            await workflow.wait_condition(lambda: self._changed)
            return
        if self._patched(KEEP_ALARM_TIMER_PATCH):
            if not await self._alarm_due(alarm):
                return  # something happened first: the next alarm may have moved
        else:
            delay = (alarm.at - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(lambda: self._changed, timeout=timedelta(seconds=delay))
                    return  # something happened first: the next alarm may have moved
                except TimeoutError:
                    pass
        async with self._lock:
            if next_alarm(self.state) == alarm:
                try:
                    await self._apply(alarm.command, SYSTEM_ACTOR)
                except ActionRefused:
                    pass  # the task moved on while we slept

    async def _alarm_due(self, alarm: Alarm) -> bool:
        """Wait until ``alarm`` is due (True) or something happens first (False).

        The alarm's durable timer outlives the wait: an action that leaves the next alarm where it was (a
        reply to a summons, a mediation record, a co-department's acknowledgement...) finds the timer running
        and keeps it, rather than cancelling it and starting the same one again. A full lifecycle of 35 actions
        started 23 timers and now starts 9: 28 history events fewer (285 -> 259) and as many timer-queue
        writes in the server."""
        if self._timer_alarm != alarm:
            self._drop_timer()
        if self._timer is None:
            delay = (alarm.at - workflow.now()).total_seconds()
            if delay <= 0:
                return True
            self._timer, self._timer_alarm = asyncio.create_task(workflow.sleep(delay)), alarm
        timer = self._timer
        await workflow.wait_condition(lambda: self._changed or timer.done())
        if not timer.done():
            return False
        self._timer, self._timer_alarm = None, None
        return True

    def _drop_timer(self) -> None:
        """Cancel the running alarm timer, if any (only cases that took ``keep-alarm-timer`` have one)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_alarm = None, None

    @workflow.update
    async def act(self, raw: RawValue) -> ActionResult:
        """An ActionRequest (the client sends one; see ``_action_request`` for why it arrives raw)."""
        request = self._action_request(raw)
        async with self._lock:
            validated, self._validated = self._validated, None
            decided = None
            if validated is not None and validated[0] == _update_id() \
                    and validated[1] is self._state and validated[2] == workflow.now():
                decided = validated[3]
            try:
                return await self._apply(request.command, request.actor, decided)
            except (ActionRefused, NotPermitted) as exc:
                # Validated earlier, but another action got in first: refuse now; nothing was written.
                raise _rejection(exc) from exc

    @act.validator
    def validate_act(self, raw: RawValue) -> None:
        self._validated = None
        request = self._action_request(raw)
        self._decoded = (_update_id(), request)
        now = workflow.now()
        try:
            events = decide(self.state, request.command, request.actor, now)
        except (ActionRefused, NotPermitted) as exc:
            raise _rejection(exc) from exc
        self._validated = (_update_id(), self.state, now, events)

    def _action_request(self, raw: RawValue) -> ActionRequest:
        """The update's argument, decoded once. The SDK decodes a typed argument for the validator and again for
        the handler, which follows it in the same activation; an intake's, with its pinned policy, takes about
        0.1 ms. The handler takes the validator's (same update id); a replay, which runs no validator, decodes.
        Nothing changes in the history: the payload is the same bytes either way."""
        decoded, self._decoded = self._decoded, None
        if decoded is not None and decoded[0] == _update_id():
            return decoded[1]
        request: ActionRequest = workflow.payload_converter().from_payload(raw.payload, ActionRequest)
        return request

    @workflow.query
    def current_state(self) -> CaseState:
        return self.state

    async def _apply(self, command: Command, actor: Actor, decided: list[DomainEvent] | None = None) -> ActionResult:
        before = self.state
        now = workflow.now()
        events = decide(before, command, actor, now) if decided is None else decided
        if self._patched(NOTIFY_PATCH):
            return await self._apply_notifying(before, events, actor, now)
        pending = [PendingEvent(event_id=workflow.uuid4(), occurred_at=now, actor=actor, payload=e) for e in events]
        notifications, state = [], before
        for p in pending:
            notifications += [OutboxNotification(event_id=p.event_id, **n.model_dump())
                              for n in legacy_notifications_for(state, p.payload)]
            state = evolve(state, p.payload, p.occurred_at, actor=p.actor)
        await self._append(AppendRequest(case_id=before.case_id, expected_version=before.version, events=pending,
                                         notifications=notifications))
        # Only now, with the events stored, does the workflow's state move.
        return self._moved(before, state, pending)

    async def _append(self, request: AppendRequest) -> None:
        # Added for city scale: the append runs inside the workflow task as a local activity (one
        # marker in the history), not as a scheduled activity and a second workflow task: one workflow task per
        # action or escalation instead of two plus an activity task. Retries are as safe (idempotent by event id).
        # Nothing of the answer is read: asked for none, the marker of each append is about 100 bytes smaller
        # (a recorded answer still decodes: the result type takes both).
        request = request.model_copy(update={"answer": False})
        if self._patched("local-append"):
            await workflow.execute_local_activity_method(EventStoreActivities.append_events, request,
                                                         start_to_close_timeout=timedelta(seconds=30),
                                                         retry_policy=APPEND_RETRY)
        else:
            await workflow.execute_activity_method(EventStoreActivities.append_events, request,
                                                   start_to_close_timeout=timedelta(seconds=30),
                                                   retry_policy=APPEND_RETRY)

    def _moved(self, before: CaseState, state: CaseState, pending: list[PendingEvent]) -> ActionResult:
        self._state = state
        self._changed = True
        if START_ATTRIBUTES in self._built_in:
            # Only what differs from the run's attributes (set at its start, or carried over by continue-as-new).
            have = workflow.info().typed_search_attributes
            changed = [key.value_set(value) for key, value in _attributes(state) if have.get(key) != value]
            if changed:
                workflow.upsert_search_attributes(changed)
        else:
            # A re-graded risk updates the search attribute too; histories from before never re-grade.
            regraded = state.risk_level is not before.risk_level and before.version > 0 \
                and self._patched("risk-regrade-attribute")
            if state.stage is not before.stage or before.version == 0 or regraded:
                workflow.upsert_search_attributes([key.value_set(value) for key, value in _attributes(state)])
        return ActionResult(case_id=state.case_id, version=state.version, stage=state.stage.value,
                            events=[p.type for p in pending])

    # ------------------------------------------------------------------------------------ notifications

    async def _apply_notifying(self, before: CaseState, events: list[DomainEvent], actor: Actor,
                               now: datetime) -> ActionResult:
        """Append ``events`` with the notifications they call for (issued in the same append, addresses resolved
        through the organisation first), then start delivering those."""
        intents: list[Intent] = []
        state = before
        for e in events:
            patch = _LATER_NOTICES.get(type(e))
            if patch is None or self._patched(patch):
                intents += intents_for(state, e)
            state = evolve(state, e, now, actor=actor)
        if intents and self._patched(RESOLVE_IN_APPEND_PATCH):
            return await self._append_resolving(before, state, events, intents, actor, now)
        payloads: list[DomainEvent] = list(events)
        if intents:
            resolved = await workflow.execute_local_activity_method(
                NotificationActivities.resolve_notifications, self._resolve_request(state, intents),
                start_to_close_timeout=timedelta(seconds=10))
            notify_policy, quiet_end = self._quiet_hours(state, now)
            for intent, r in zip(intents, resolved, strict=True):
                plan = IssuePlan(intent=intent, notification_id=str(workflow.uuid4()),
                                 urgent=is_urgent(intent, state.risk_level, notify_policy))
                payloads += issued_events(plan, r, quiet_end)
        pending = [PendingEvent(event_id=workflow.uuid4(), occurred_at=now, actor=actor, payload=p)
                   for p in payloads]
        if intents:  # the notification events too (without any, ``state`` is already where they lead)
            state = before
            for p in pending:
                state = evolve(state, p.payload, p.occurred_at, actor=p.actor)
        outbox = [OutboxNotification(event_id=p.event_id, recipient=r, channel="inbox", kind=p.payload.kind)
                  for p in pending if isinstance(p.payload, NotificationIssued) for r in p.payload.recipients]
        await self._append(AppendRequest(case_id=before.case_id, expected_version=before.version, events=pending,
                                         notifications=outbox))
        return self._moved_delivering(before, state, pending)

    async def _append_resolving(self, before: CaseState, after: CaseState, events: list[DomainEvent],
                                intents: list[Intent], actor: Actor, now: datetime) -> ActionResult:
        """The decision's events and its notifications in one local activity (``append_decision``), which
        resolves the addresses, builds the notification events with the ids given here and appends them all."""
        notify_policy, quiet_end = self._quiet_hours(after, now)
        plans = [IssuePlan(intent=i, notification_id=str(workflow.uuid4()),
                           urgent=is_urgent(i, after.risk_level, notify_policy)) for i in intents]
        decided = [PendingEvent(event_id=workflow.uuid4(), occurred_at=now, actor=actor, payload=e) for e in events]
        appended = await workflow.execute_local_activity_method(
            DecisionActivities.append_decision,
            DecisionAppend(case_id=before.case_id, expected_version=before.version, decided=decided, actor=actor,
                           occurred_at=now, resolve=self._resolve_request(after, intents), plans=plans,
                           quiet_end=quiet_end, event_ids=[workflow.uuid4() for _ in range(2 * len(plans))],
                           notices_only=True),
            start_to_close_timeout=timedelta(seconds=30), retry_policy=APPEND_RETRY)
        # The answer says what it holds: every event (recorded before notices_only), or the notices alone.
        pending = [*decided, *appended.events] if appended.notices_only else appended.events
        state = before
        for p in pending:
            state = evolve(state, p.payload, p.occurred_at, actor=p.actor)
        return self._moved_delivering(before, state, pending)

    @staticmethod
    def _resolve_request(state: CaseState, intents: list[Intent]) -> ResolveRequest:
        return ResolveRequest(case_id=state.case_id, title=safe_title(state),
                              timezone=state.policy.policy.timezone if state.policy else "Asia/Shanghai",
                              intents=intents)

    @staticmethod
    def _quiet_hours(state: CaseState, now: datetime) -> tuple[NotificationPolicy, datetime | None]:
        notify_policy = (state.policy.policy.notifications if state.policy else None) or NotificationPolicy()
        return notify_policy, quiet_until(now, notify_policy,
                                          state.policy.policy.timezone if state.policy else "Asia/Shanghai")

    def _moved_delivering(self, before: CaseState, state: CaseState, pending: list[PendingEvent]) -> ActionResult:
        """Move to ``state`` and start delivering the notifications ``pending`` issued."""
        result = self._moved(before, state, pending)
        records = {x.notification_id: x for x in state.notifications}
        issued = [records[p.payload.notification_id] for p in pending if isinstance(p.payload, NotificationIssued)]
        self._start_deliveries([r for r in issued if r.undelivered])  # in the order issued, as before
        return result

    def _start_deliveries(self, records: list[NotificationRecord]) -> None:
        if not records:
            return
        if not self._patched(BATCH_DELIVERIES_PATCH):
            for record in records:
                self._start_delivery(record)
            return
        for record in records:
            self._deliveries.add(record.notification_id)
            waiting = self._batches.setdefault(record.deferred_until, [])
            waiting.append(record)
            if len(waiting) == 1:  # the first for its instant: one task (and one timer) for all of them
                asyncio.get_running_loop().create_task(self._deliver_batch(record.deferred_until))

    def _start_delivery(self, record: NotificationRecord) -> None:
        self._deliveries.add(record.notification_id)
        asyncio.get_running_loop().create_task(self._deliver(record))

    async def _deliver(self, record: NotificationRecord) -> None:
        try:
            if record.deferred_until is not None:
                wait = (record.deferred_until - workflow.now()).total_seconds()
                if wait > 0:
                    await workflow.sleep(timedelta(seconds=wait))  # a durable timer: survives any restart
            await asyncio.gather(*(self._deliver_channel(record, d) for d in record.undelivered))
            if self._outcomes:
                await self._flush_outcomes()
        finally:
            self._deliveries.discard(record.notification_id)

    async def _deliver_channel(self, record: NotificationRecord, delivery: Delivery,
                               give_up_after: timedelta | None = None, retry: RetryPolicy = DELIVERY_RETRY,
                               attempts: int = 0) -> None:
        """One activity per (notification, channel): a channel that keeps failing holds up no other.
        ``give_up_after``, ``retry`` and ``attempts``: what is left of them after a batch's attempt."""
        subject = record.text.split("「", 1)[0]
        outcome: DomainEvent
        try:
            result = await workflow.execute_activity_method(
                NotificationActivities.deliver_notification,
                DeliverRequest(case_id=self.state.case_id, notification_id=record.notification_id,
                               channel_id=delivery.channel_id, subject=subject, text=record.text),
                start_to_close_timeout=ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=give_up_after or timedelta(seconds=record.give_up_after_s),
                retry_policy=retry)
            outcome = NotificationDelivered(notification_id=record.notification_id,
                                            channel_id=delivery.channel_id, attempts=result.attempts)
        except ActivityError as exc:
            made, reason = _failure(exc)
            outcome = NotificationFailed(notification_id=record.notification_id, channel_id=delivery.channel_id,
                                         attempts=max(made, attempts), reason=reason)
        self._outcomes.append(outcome)
        await self._flush_outcomes()

    async def _deliver_batch(self, until: datetime | None) -> None:
        """Every notification waiting for ``until`` (None: now): one durable timer, one activity for all their
        channels, the outcomes in one append. A channel refused (or held by another attempt) is retried on its
        own with the rest of the retry policy and of its give-up time; if the batch itself fails (its worker
        kept dying), every channel is."""
        records: list[NotificationRecord] = []
        try:
            if until is not None:
                wait = (until - workflow.now()).total_seconds()
                if wait > 0:
                    await workflow.sleep(timedelta(seconds=wait))  # a durable timer: survives any restart
            records = self._batches.pop(until)
            started = workflow.now()
            pairs = [(r, d) for r in records for d in r.undelivered]
            if not pairs:
                return
            give_up = timedelta(seconds=min(r.give_up_after_s for r in records))
            retries: list[tuple[NotificationRecord, Delivery, int]] = []
            try:
                results: list[ItemOutcome] = await workflow.execute_activity_method(
                    NotificationActivities.deliver_notifications,
                    DeliverBatch(case_id=self.state.case_id, items=[
                        DeliverItem(notification_id=r.notification_id, channel_id=d.channel_id,
                                    subject=r.text.split("「", 1)[0], text=r.text) for r, d in pairs]),
                    start_to_close_timeout=batch_timeout(len(pairs)), schedule_to_close_timeout=give_up,
                    retry_policy=DELIVERY_RETRY)
            except ActivityError:
                retries = [(r, d, 0) for r, d in pairs]
            else:
                for (r, d), res in zip(pairs, results, strict=True):
                    if res.status == "delivered":
                        self._outcomes.append(NotificationDelivered(
                            notification_id=r.notification_id, channel_id=d.channel_id, attempts=res.attempts))
                    elif res.status == "failed":
                        self._outcomes.append(NotificationFailed(
                            notification_id=r.notification_id, channel_id=d.channel_id, attempts=res.attempts,
                            reason=_REASONS.get(res.error, "投递超时")))
                    else:
                        retries.append((r, d, res.attempts))
            if self._outcomes:
                await self._flush_outcomes()
            if retries:
                await self._retry_after_batch(retries, started)
        finally:
            for r in records:
                self._deliveries.discard(r.notification_id)

    async def _retry_after_batch(self, retries: list[tuple[NotificationRecord, Delivery, int]],
                                 started: datetime) -> None:
        """The channels a batch did not deliver, each on its own from the retry policy's first interval on."""
        await workflow.sleep(DELIVERY_RETRY.initial_interval or timedelta(seconds=1))
        spent = workflow.now() - started
        waiting = []
        for r, d, attempts in retries:
            left = timedelta(seconds=r.give_up_after_s) - spent
            if left <= timedelta(0):
                self._outcomes.append(NotificationFailed(
                    notification_id=r.notification_id, channel_id=d.channel_id, attempts=attempts,
                    reason=_REASONS["DeliveryRefused"] if attempts else "投递超时"))
            else:
                waiting.append(self._deliver_channel(r, d, give_up_after=left, retry=RETRY_AFTER_BATCH,
                                                     attempts=attempts))
        await asyncio.gather(*waiting)
        if self._outcomes:
            await self._flush_outcomes()

    async def _flush_outcomes(self) -> None:
        """Append every outcome waiting, in one append: outcomes that finish together are recorded together."""
        async with self._lock:
            if not self._outcomes:
                return  # another delivery's flush took ours along
            batch, self._outcomes = self._outcomes, []
            before, now = self.state, workflow.now()
            pending = [PendingEvent(event_id=workflow.uuid4(), occurred_at=now, actor=SYSTEM_ACTOR, payload=p)
                       for p in batch]
            state = before
            for p in pending:
                state = evolve(state, p.payload, p.occurred_at, actor=p.actor)
            await self._append(AppendRequest(case_id=before.case_id, expected_version=before.version,
                                             events=pending))
            self._moved(before, state, pending)


def _attributes(state: CaseState) -> list[tuple[SearchAttributeKey[str], str]]:
    """The case's stage, risk and category, its Temporal search attributes (never personal data)."""
    return [(STAGE, state.stage.value), (RISK, state.risk_level.value), (CATEGORY, state.category)]


def intake_attributes(case_id: str, command: ReceiveCase, actor: Actor, now: datetime) -> TypedSearchAttributes:
    """The search attributes the case has once ``command`` is recorded, for the client to start its workflow
    with (START_ATTRIBUTES): the very decision the workflow's validator takes on the empty case. Empty when the
    intake would be refused, so a workflow whose intake is refused carries no stage, as before."""
    state = CaseState(case_id=case_id)
    try:
        events = decide(state, command, actor, now)
    except (ActionRefused, NotPermitted):
        return TypedSearchAttributes.empty
    for e in events:
        state = evolve(state, e, now, actor=actor)
    return TypedSearchAttributes([SearchAttributePair(key, value) for key, value in _attributes(state)])


def _update_id() -> str:
    info = workflow.current_update_info()
    return info.id if info is not None else ""


def _failure(exc: ActivityError) -> tuple[int, str]:
    """Attempts made and a short reason (never a URL) from a delivery's final failure."""
    attempts, reason, cause = 0, "投递超时", exc.cause
    while cause is not None:
        if isinstance(cause, ApplicationError):
            if cause.details and isinstance(cause.details[0], dict):
                attempts = max(attempts, int(cause.details[0].get("attempts", 0)))
            reason = {"ChannelRemoved": "组织架构中已无此渠道", "UnsupportedChannel": "渠道地址无法识别",
                      "DeliveryRefused": "接收方未接受"}.get(cause.type or "", reason)
        cause = cause.cause if isinstance(cause, FailureError) else None
    return attempts, reason
