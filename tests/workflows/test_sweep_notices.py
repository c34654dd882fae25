"""What a silent grid's rung says and to whom, resolved through the demo organisation with the centres reached at
webhooks: the community's centre for 催办, the centre above the sweep's jurisdiction for 挂牌督办; the quiet hours
hold back all but the listing. No server is needed: the notice is built before anything is stored or sent."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from activities.sweeps import SweepActivities
from domain.events import Actor
from domain.policy import parse_policy, pin_policy
from domain.sweeps import StartSweep, decide, replay
from domain.vocabulary import Role
from tests.receivers import Webhook
from tests.workflows.notify_setup import DISTRICT_CENTRE, STREET_CENTRE, organisation

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVENING = datetime(2026, 3, 2, 22, 0, tzinfo=SHANGHAI)  # in the default quiet hours (21:00-08:00)
POLICY = """calendar = "continuous"
timezone = "Asia/Shanghai"
[risk.medium]
acknowledge_within = "1h"
reply_within = "2h"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "1h"
[follow_up]
within = "1d"
"""


def _sweep(jurisdiction: str, grids: tuple[str, ...]):  # type: ignore[no-untyped-def]
    pinned = pin_policy(parse_policy(POLICY), EVENING)
    command = StartSweep(jurisdiction=jurisdiction, grids=grids, due="2h",
                         due_at=datetime(2026, 3, 3, 0, 0, tzinfo=SHANGHAI), policy=pinned)
    return replay(decide(None, command, actor=Actor(role=Role.mediator, id="m"), sweep_id="SW-1", now=EVENING))


def test_the_rungs_of_a_silent_grid_go_to_the_centres_and_wait_out_the_quiet_hours() -> None:
    hook = Webhook()  # never started: only its URLs are used
    activities = SweepActivities(pool=None, org=organisation(hook, None), public_url="https://ld.example/",
                                 give_up_after_s=60)  # type: ignore[arg-type]
    state = _sweep("st-donghu", ("grid-donghu-huayuan-1",))
    reminder = activities._notice(state, "grid-donghu-huayuan-1", 1, "SW-1/g/R0.5", EVENING)
    assert reminder.kind == "reminder" and reminder.recipients == (f"liaisons:{STREET_CENTRE}",)
    assert [t.department for t in reminder.targets] == [STREET_CENTRE]
    assert reminder.deferred_until == datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    assert "东湖街道花园社区第一网格（grid-donghu-huayuan-1）" in reminder.text
    assert "截止：2026年03月03日 00:00" in reminder.text and "https://ld.example/sweeps/SW-1" in reminder.text
    listed = activities._notice(state, "grid-donghu-huayuan-1", 3, "SW-1/g/L3", EVENING)
    assert listed.kind == "listed_supervision" and listed.recipients == (f"liaisons:{DISTRICT_CENTRE}",)
    assert listed.deferred_until is None  # 挂牌督办 goes at once, as a case's listing does


def test_a_centre_without_a_channel_is_named_and_nothing_waits() -> None:
    from domain.organisation import demo_organisation

    activities = SweepActivities(pool=None, org=demo_organisation(), public_url="https://ld.example",
                                 give_up_after_s=60)  # type: ignore[arg-type]
    state = _sweep("cm-donghu-huayuan", ("grid-donghu-huayuan-1",))
    warning = activities._notice(state, "grid-donghu-huayuan-1", 2, "SW-1/g/L2", EVENING.astimezone(UTC))
    assert warning.recipients == ("liaisons:dept-donghu-zongzhi",) and warning.targets == ()
    assert warning.deferred_until is None
