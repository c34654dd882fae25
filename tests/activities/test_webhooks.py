"""The webhook path of deliveries (``Webhooks``): posts spread over several shared clients, against a real
receiver on 127.0.0.1. Every post arrives once, with the body Apprise's json:// plugin sends; a refusal or a
receiver that is gone answers False and gives its slot back."""

from __future__ import annotations

import asyncio

from activities.notifications import CONNECTIONS_PER_CLIENT, WEBHOOKS_IN_FLIGHT, Webhooks
from tests.receivers import Webhook, free_port


async def test_more_posts_than_slots_all_arrive_once_with_apprises_body() -> None:
    hook = Webhook().start()
    try:
        webhooks = Webhooks()
        plugin = webhooks.plugin(hook.url("/dept/a"))
        count = 3 * WEBHOOKS_IN_FLIGHT + 5
        answers = await asyncio.gather(*(webhooks.post(plugin, "【联调·派单】", f"消息 {i}", 10) for i in range(count)))
        assert answers == [True] * count
        bodies = [p.body for p in hook.accepted("/dept/a")]
        assert sorted(b["message"] for b in bodies) == sorted(f"消息 {i}" for i in range(count))
        assert bodies[0] == {"version": "1.0", "title": "【联调·派单】", "message": bodies[0]["message"],
                             "attachments": [], "type": "info"}
        # No client is given more posts at once than it has connections: none waits in httpcore's pool.
        assert webhooks._slots is not None and webhooks._slots.qsize() == WEBHOOKS_IN_FLIGHT
        groups = {id(g): g for g in webhooks._slots._queue}  # type: ignore[attr-defined]
        assert len(groups) == WEBHOOKS_IN_FLIGHT // CONNECTIONS_PER_CLIENT
    finally:
        hook.stop()


async def test_a_refusal_and_a_receiver_that_is_gone_answer_false_and_give_their_slots_back() -> None:
    hook = Webhook().start()
    try:
        webhooks = Webhooks()
        hook.refuse["/refusing"] = WEBHOOKS_IN_FLIGHT + 1
        refusing = webhooks.plugin(hook.url("/refusing"))
        gone = webhooks.plugin(f"json://127.0.0.1:{free_port()}/nobody")
        answers = await asyncio.gather(*(webhooks.post(refusing, "s", "t", 10) for _ in range(WEBHOOKS_IN_FLIGHT + 1)),
                                       *(webhooks.post(gone, "s", "t", 10) for _ in range(WEBHOOKS_IN_FLIGHT + 1)))
        assert not any(answers)
        # Every slot came back: a post after them goes out at once.
        assert await asyncio.wait_for(webhooks.post(webhooks.plugin(hook.url("/ok")), "s", "t", 10), 10)
        assert webhooks._slots is not None and webhooks._slots.qsize() == WEBHOOKS_IN_FLIGHT
    finally:
        hook.stop()
