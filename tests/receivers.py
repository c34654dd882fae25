"""Real receivers on 127.0.0.1 for the notification tests: a webhook (Apprise ``json://``) and an SMTP server
(``mailto://``, aiosmtpd). They record what arrived; a webhook path can be told to refuse its first N posts or to
hold a post until released."""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Post:
    path: str
    body: dict[str, Any]
    accepted: bool


@dataclass
class Webhook:
    """Posts to ``http://127.0.0.1:{port}{path}``; Apprise sends ``json://127.0.0.1:{port}{path}`` there."""

    posts: list[Post] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)  # path -> how many more posts to answer 500
    hold: dict[str, threading.Event] = field(default_factory=dict)  # path -> answer once set
    port: int = 0
    _server: http.server.ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def accepted(self, path: str | None = None) -> list[Post]:
        with self._lock:
            return [p for p in self.posts if p.accepted and (path is None or p.path == path)]

    def start(self) -> Webhook:
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gate = hook.hold.get(self.path)
                with hook._lock:
                    refused = hook.refuse.get(self.path, 0) > 0
                    if refused:
                        hook.refuse[self.path] -= 1
                    if gate is not None and not gate.is_set():
                        hook.posts.append(Post(self.path, body, accepted=False))  # held: the sender may die
                if gate is not None and not gate.is_set():
                    gate.wait(60)
                    self.send_response(503)
                    self.end_headers()
                    return
                with hook._lock:
                    hook.posts.append(Post(self.path, body, accepted=not refused))
                self.send_response(500 if refused else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256  # a worker opens up to 64 connections at once (the default listens for 5)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for gate in self.hold.values():
            gate.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str


class Mailbox:
    """An SMTP server; Apprise sends ``mailto://127.0.0.1:{port}?...&to=ADDRESS&mode=insecure`` there."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=liandiao@example.org&to={to}&mode=insecure"

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        self.mails.append(Mail(to=list(envelope.rcpt_tos), subject=str(message["Subject"]), body=str(body)))
        return "250 OK"

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
