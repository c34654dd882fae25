"""`liandiao notify test URL`: one line with the outcome, a non-zero exit when not delivered, no secret shown."""

from __future__ import annotations

import subprocess
import sys

from tests.receivers import Mailbox, Webhook


def notify_test(url: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "entrypoints.cli", "notify", "test", url],
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_notify_test_sends_a_message_and_prints_the_outcome() -> None:
    hook, mail = Webhook().start(), Mailbox().start()
    try:
        sent = notify_test(hook.url("/robot/SECRET-KEY"))
        assert (sent.returncode, sent.stdout) == (0, f"delivered to json://127.0.0.1:{hook.port}\n")
        assert "测试" in hook.accepted("/robot/SECRET-KEY")[0].body["message"]
        mailed = notify_test(mail.url("liaison@example.org"))
        assert mailed.returncode == 0 and mail.mails[0].to == ["liaison@example.org"]

        hook.refuse["/down/SECRET-KEY"] = 1
        refused = notify_test(hook.url("/down/SECRET-KEY"))
        assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1
        assert refused.stderr.startswith("liandiao: not delivered to json://127.0.0.1")
        unusable = notify_test("nonsense://whatever")
        assert unusable.returncode == 1 and len(unusable.stderr.splitlines()) == 1
        for result in (sent, refused, unusable):
            assert "SECRET" not in result.stdout + result.stderr
    finally:
        hook.stop()
        mail.stop()
