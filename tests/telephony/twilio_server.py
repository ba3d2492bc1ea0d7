"""A stand-in for Twilio's REST API on 127.0.0.1: real HTTP, for the real ``twilio`` client.

It checks what Twilio checks first (HTTP Basic credentials: the account SID and auth token; the
account in the path), records every request (method, path, query, form fields with their repeated
values), and answers from a table the test sets: ``(method, path)`` → ``(status, JSON body)``, the
bodies taken from ``transcripts/twilio/rest_api.json``. A request off the table answers 404 as
Twilio does (``{code, message, more_info, status}``).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REST = json.loads((Path(__file__).parent / "transcripts" / "twilio" / "rest_api.json").read_text())
ACCOUNT_SID = REST["account_sid"]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]

    def one(self, name: str) -> str:
        (value,) = self.form[name]
        return value


@dataclass
class TwilioServer:
    token: str
    routes: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    refused: int = 0

    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                expected = base64.b64encode(f"{ACCOUNT_SID}:{server.token}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    server.refused += 1
                    self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                parts = urlsplit(self.path)
                server.seen.append(Seen(self.command, parts.path, parse_qs(parts.query), parse_qs(body)))
                status, answer = server.routes.get(
                    (self.command, parts.path),
                    (404, {**REST["error_not_found"], "message": f"The requested resource {parts.path} was not found"}),
                )
                self._answer(status, answer)

            do_GET = do_POST = _handle  # http.server calls do_<METHOD>

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def calls_path(*parts: str) -> str:
    """``/2010-04-01/Accounts/{sid}/Calls[/…].json``."""
    return "/".join([f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls", *parts]) + ".json"
