"""The delivery ledger (送达记录): one row per notification and channel, claimed before a message is sent so
that a retried or concurrent attempt never sends it twice, and marked with what the receiver answered."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

# Claim the key: a new row, or one whose last attempt failed, or one whose sender's lease ran out (it died).
_CLAIM = """
INSERT INTO notification_deliveries AS d (notification_id, channel_id, case_id, status, attempts, claimed_at)
VALUES ($1, $2, $3, 'sending', 1, now())
ON CONFLICT (notification_id, channel_id) DO UPDATE
   SET status = 'sending', attempts = d.attempts + 1, claimed_at = now()
 WHERE d.status = 'retry' OR (d.status = 'sending' AND d.claimed_at < now() - $4::interval)
RETURNING attempts"""


async def claim_delivery(pool: asyncpg.Pool, notification_id: str, channel_id: str, case_id: str,
                         lease: timedelta) -> int | None:
    """The attempt number when this attempt may send; None when the message is delivered or another live
    attempt holds it."""
    attempts: int | None = await pool.fetchval(_CLAIM, notification_id, channel_id, case_id, lease)
    return attempts


async def delivery_status(pool: asyncpg.Pool, notification_id: str, channel_id: str) -> tuple[str, int] | None:
    row = await pool.fetchrow(
        "SELECT status, attempts FROM notification_deliveries WHERE notification_id = $1 AND channel_id = $2",
        notification_id, channel_id)
    return None if row is None else (row["status"], row["attempts"])


async def mark_delivered(pool: asyncpg.Pool, notification_id: str, channel_id: str) -> None:
    await pool.execute(
        """UPDATE notification_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL
           WHERE notification_id = $1 AND channel_id = $2""", notification_id, channel_id)


async def mark_for_retry(pool: asyncpg.Pool, notification_id: str, channel_id: str, error: str) -> None:
    await pool.execute(
        """UPDATE notification_deliveries SET status = 'retry', last_error = $3
           WHERE notification_id = $1 AND channel_id = $2 AND status = 'sending'""",
        notification_id, channel_id, error)
