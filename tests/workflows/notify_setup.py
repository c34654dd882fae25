"""Shared set-up of the notification tests: an organisation whose departments are reached at real receivers on
127.0.0.1, and helpers that read delivery outcomes from a case's stream."""

from __future__ import annotations

import json
from typing import Any

from domain.events import NotificationDelivered, NotificationFailed, NotificationIssued, RecordedEvent
from domain.organisation import Organisation, _read_demo, load_organisation
from tests.receivers import Mailbox, Webhook
from tests.workflows.scenario import CO, LEAD

STREET_CENTRE, DISTRICT_CENTRE, POLICE = "dept-donghu-zongzhi", "dept-linjiang-zongzhi", "dept-donghu-police"
SECRET = "SECRET-ROBOT-KEY-0042"  # part of a URL: must never appear in an event, a log line or an answer
PUBLIC_URL = "https://liandiao.example/"
NO_QUIET = "\n[notifications]\nquiet_hours = []\n"


def organisation_data(hook: Webhook, mail: Mailbox | None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_read_demo())
    head = [hook.url("/lead/head")] + ([mail.url("head@huayuan.example")] if mail else [])
    notify = {
        LEAD: {"liaisons": [hook.url("/lead/liaison")], "head": head},
        CO: {"liaisons": [hook.url(f"/co/liaison/{SECRET}")]},
        STREET_CENTRE: {"liaisons": [hook.url("/street-centre")]},
        DISTRICT_CENTRE: {"liaisons": [hook.url("/district-centre")]},
        POLICE: {"liaisons": [hook.url("/police")]},
    }
    for d in data["departments"]:
        if d["id"] in notify:
            d["notify"] = notify[d["id"]]
    return data


def organisation(hook: Webhook, mail: Mailbox | None) -> Organisation:
    return load_organisation(json.dumps(organisation_data(hook, mail)))


def issued(events: list[RecordedEvent]) -> list[NotificationIssued]:
    return [e.payload for e in events if isinstance(e.payload, NotificationIssued)]


def outcomes(events: list[RecordedEvent]) -> dict[tuple[str, str], RecordedEvent]:
    return {(e.payload.notification_id, e.payload.channel_id): e for e in events
            if isinstance(e.payload, NotificationDelivered | NotificationFailed)}


def settled(events: list[RecordedEvent], *kinds: str) -> bool:
    """Every notification of ``kinds`` is issued and each of its channels has an outcome."""
    done = outcomes(events)
    found = {n.kind for n in issued(events)}
    return set(kinds) <= found and all((n.notification_id, t.channel_id) in done
                                       for n in issued(events) for t in n.targets)


def posts_for(hook: Webhook, case_id: str, path: str) -> list[str]:
    """The messages accepted at ``path`` about ``case_id``."""
    return [p.body["message"] for p in hook.accepted(path) if case_id in p.body["message"]]
