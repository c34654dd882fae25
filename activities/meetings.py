"""A standing meeting's invitation and reminder, sent to each invited department's liaisons on the channels the
organisation names (the same channels and sender as the case notifications)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
from pydantic import BaseModel
from temporalio import activity

from activities.notifications import send
from domain.meetings import meeting_notice, replay
from domain.notifications import targets, url_for
from domain.organisation import Organisation
from infra.meetings import meeting_events


class MeetingStart(BaseModel):
    meeting_id: str
    reminder_at: datetime  # the day before the meeting


class MeetingNoticeRequest(BaseModel):
    meeting_id: str
    reminder: bool


class MeetingActivities:
    def __init__(self, pool: asyncpg.Pool, org: Organisation, timezone: str = "Asia/Shanghai") -> None:
        self.pool = pool
        self.org = org
        self.zone = ZoneInfo(timezone)

    @activity.defn(name="notify_meeting")
    async def notify_meeting(self, request: MeetingNoticeRequest) -> int:
        """Read the meeting as it stands (its agenda settled so far) and tell each invited department; the
        number of messages the receivers accepted."""
        state = replay(await meeting_events(self.pool, request.meeting_id))
        if state is None or state.minutes is not None:
            return 0
        when = state.at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
        subject, text = meeting_notice(state, request.reminder, when)
        accepted = 0
        for department in state.departments:
            for target in targets(self.org, f"liaisons:{department}"):
                url = url_for(self.org, target.channel_id)
                if url is not None and await send(url, subject, text):
                    accepted += 1
        return accepted
