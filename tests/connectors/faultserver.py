"""A real HTTP server on loopback that produces each fault of contract 1.3 exactly.

Each path gets a script: a list of actions answered in order, one per request (the last
one repeats). The token endpoint checks the client secret and can revoke tokens, so
401-mid-run and wrong-credential cases are real OAuth2 exchanges.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CLIENT_ID, SECRET = "test-client", "s3cret-value-never-logged"


class FaultServer:
    def __init__(self, prefix: str = "/tax/v1"):
        self.prefix = prefix
        self.scripts: dict[str, list] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path with query)
        self.token_posts: list[dict] = []
        self.valid_tokens: set[str] = set()
        self._issued = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                server._handle(self, "POST")

            def do_GET(self):
                server._handle(self, "GET")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, path: str, *actions) -> None:
        self.scripts[path] = list(actions)

    def count(self, path: str) -> int:
        return sum(1 for _, p in self.requests if urlparse(p).path == path)

    # -- request handling --------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(h.path)
        with self._lock:
            self.requests.append((method, h.path))
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if method == "POST" and url.path == "/oauth/token":
            return self._token(h, body, url.path)
        auth = h.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.valid_tokens:
            return self._send(h, 401, {"error": "invalid_token"})
        with self._lock:
            script = self.scripts.get(url.path)
            if not script:
                action = (
                    "json",
                    404,
                    {"error": "not_found", "message": f"no such path {url.path}"},
                )
            else:
                action = script.pop(0) if len(script) > 1 else script[0]
        self._act(h, action, parse_qs(url.query))

    def _token(self, h, body: bytes, path: str) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.token_posts.append(form)
        script = self.scripts.get(path)
        if script:
            action = script.pop(0) if len(script) > 1 else script[0]
            if action[0] != "ok":
                return self._act(h, action, {})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != SECRET:
            return self._send(
                h, 401, {"error": "invalid_client", "error_description": "bad client credentials"}
            )
        with self._lock:
            self._issued += 1
            token = f"tok-{self._issued}"
            self.valid_tokens.add(token)
        self._send(h, 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

    def _send(self, h, status: int, doc, headers: dict | None = None) -> None:
        data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _act(self, h, action, query) -> None:
        kind = action[0]
        if kind == "json":  # ("json", status, doc[, headers])
            return self._send(h, action[1], action[2], action[3] if len(action) > 3 else None)
        if kind == "revoke":  # the token dies: 401 now, a fresh token works
            self.valid_tokens.clear()
            return self._send(
                h, 401, {"error": "invalid_token", "error_description": "token revoked"}
            )
        if kind == "reset":  # RST instead of a response
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
            return
        if kind == "truncate":  # 200, Content-Length promises more than is sent
            data = json.dumps(action[1]).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return
        if kind == "nonjson":  # 200 with an HTML error page (a proxy in the way)
            return self._send(h, 200, b"<html>gateway error</html>")
        if kind == "slow":  # answers after `seconds` (read timeout on the client)
            time.sleep(action[1])
            return self._send(h, 200, action[2])
        if kind == "file":  # ("file", bytes)
            h.send_response(200)
            h.send_header("Content-Type", "application/octet-stream")
            h.send_header("Content-Length", str(len(action[1])))
            h.end_headers()
            h.wfile.write(action[1])
            return
        raise ValueError(kind)


def page(records, next_cursor=None, as_of="2026-11-01T00:00:00Z", dataset="taxpayers"):
    return {"dataset": dataset, "as_of": as_of, "data": records, "next_cursor": next_cursor}
