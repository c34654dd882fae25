"""An agreement's deadlines in the case workflow, on the fast policy (tests/policies/fast.toml): 履行 past its
deadline and the 司法确认 window are reminded and escalated by the workflow's own timers, to the centre (the
mediator's own work), and recording the performance clears its escalation. The run replays on today's code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.worker import Replayer

from application.case_client import CaseClient
from domain.commands import (
    AcknowledgeTask,
    ApplyJudicialConfirmation,
    IssueDocument,
    RecordMediation,
    RecordPerformance,
    ReplyTask,
    RouteCase,
    SubmitResolution,
)
from domain.decide import ActionRefused
from domain.events import NotificationIssued, RecordedEvent, TaskEscalated, TaskReminded
from domain.vocabulary import Clock, DocumentKind, MediationMethod, Outcome
from infra.event_store import EventStore
from infra.temporal import data_converter, load_codec
from tests.conftest import TEST_KEYS
from tests.workflows.scenario import LEAD, MEDIATOR, liaison, own, receive_command, wait_for_events
from workflows.dispute_case import DisputeCaseWorkflow

FAST = (Path(__file__).resolve().parents[1] / "policies" / "fast.toml").read_text()
COURT = "dept-donghu-tribunal"


def escalated(events: list[RecordedEvent], clock: Clock, level: int) -> bool:
    return any(isinstance(e.payload, TaskEscalated) and e.payload.clock is clock and e.payload.level == level
               for e in events)


async def test_performance_and_the_confirmation_window_escalate_on_the_fast_policy(
        cases: CaseClient, pool: asyncpg.Pool, temporal_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = EventStore(pool)
    case_id = f"C-papers-{datetime.now(UTC).strftime('%H%M%S%f')}"
    await cases.receive(case_id, receive_command(FAST), MEDIATOR)
    await cases.act(case_id, RouteCase(lead_department=LEAD), MEDIATOR)
    task_id = f"{case_id}-T1"
    await cases.act(case_id, AcknowledgeTask(task_id=task_id), liaison(LEAD))
    await cases.act(case_id, ReplyTask(task_id=task_id, summary="双方达成协议"), liaison(LEAD))
    await cases.act(case_id, RecordMediation(method=MediationMethod.people, agreement_reached=True,
                                             terms="李四赔偿张三3000元",
                                             performance_due=datetime.now(UTC) + timedelta(seconds=4)), MEDIATOR)
    issued = await cases.act(case_id, IssueDocument(document=DocumentKind.agreement, number="（2026）东湖人调字第1号",
                                                    sha256="ab" * 32, size=1000), MEDIATOR)
    assert own(issued.events) == ["DocumentIssued", "JudicialConfirmationWindowOpened"]
    await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)

    # the resolution does not stop the agreement's clocks: each climbs the ladder on the workflow's timers
    events = await wait_for_events(store, case_id, lambda ev: escalated(ev, Clock.performance, 3)
                                   and escalated(ev, Clock.judicial_confirmation, 2), timeout=90)
    reminded = {e.payload.clock for e in events if isinstance(e.payload, TaskReminded)}
    assert {Clock.performance, Clock.judicial_confirmation} <= reminded
    told = [e.payload for e in events if isinstance(e.payload, NotificationIssued)
            and e.payload.kind in ("reminder", "warning")
            and ("履行" in e.payload.text or "司法确认" in e.payload.text)]
    assert told and all(r.startswith(("liaisons:", "head:")) for n in told for r in n.recipients)
    assert all("张三" not in n.text and "李四" not in n.text for n in told)  # never personal data in a message

    recorded = await cases.act(case_id, RecordPerformance(performed=False, note="未付款"), MEDIATOR)
    assert own(recorded.events) == ["EscalationCleared", "PerformanceRecorded"]
    with pytest.raises(ActionRefused, match="closed"):
        await cases.act(case_id, ApplyJudicialConfirmation(court_department=COURT, applied_at=datetime.now(UTC)),
                        MEDIATOR)

    from infra.audit.dossier import export_dossier

    dossier = (await export_dossier(pool, case_id, tmp_path)) / "dossier_masked.html"
    page = dossier.read_text(encoding="utf-8")
    assert "履行期限 performance" in page and "司法确认申请期限 judicial confirmation" in page
    assert "调解文书 Mediation papers" in page and "张三" not in page

    history = await temporal_client.get_workflow_handle(case_id).fetch_history()
    await Replayer(workflows=[DisputeCaseWorkflow],
                   data_converter=data_converter(load_codec(TEST_KEYS))).replay_workflow(history)
