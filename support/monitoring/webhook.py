"""A webhook receiver that records what Alertmanager sends, for checks on notifications."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Notification:
    """One webhook call: when it arrived (time.time()) and the JSON body Alertmanager sent."""

    received_at: float
    body: dict[str, Any]

    @property
    def status(self) -> str:
        """"firing" or "resolved", for the group as a whole."""
        return str(self.body.get("status", ""))

    def alertnames(self) -> set[str]:
        """The names of the alerts the notification carries."""
        return {str(alert.get("labels", {}).get("alertname")) for alert in self.body.get("alerts", [])}


class WebhookReceiver(ThreadingHTTPServer):
    """Listens on a free loopback port and keeps every notification it is sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.notifications: list[Notification] = []
        self.scrape_answers_garbage = False
        """Prometheus scrapes the receiver too (job `webhook`); set, its /metrics answers text no parser accepts."""
        self._arrived = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where Alertmanager should post."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/alerts"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()

    def record(self, body: dict[str, Any]) -> None:
        """Keep a notification and wake anyone waiting for one."""
        with self._arrived:
            self.notifications.append(Notification(time.time(), body))
            self._arrived.notify_all()

    def wait_for(self, matches: Callable[[Notification], bool], timeout_s: float) -> Notification | None:
        """The first notification that matches, waiting up to timeout_s for it to arrive."""
        deadline = time.monotonic() + timeout_s
        with self._arrived:
            while True:
                found = next((n for n in self.notifications if matches(n)), None)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    return found
                self._arrived.wait(remaining)


class _Handler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        self.server.record(body if isinstance(body, dict) else {"body": body})
        self.send_response(200)
        self.end_headers()

    def do_GET(self) -> None:
        if self.path != "/metrics":
            self.send_response(404)
            self.end_headers()
            return
        if self.server.scrape_answers_garbage:
            body = b"<html>metrics moved {{ not an exposition\n"
        else:
            body = (b"# TYPE suite_webhook_notifications_total counter\n"
                    + f"suite_webhook_notifications_total {len(self.server.notifications)}\n".encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; the notifications themselves are the record."""
