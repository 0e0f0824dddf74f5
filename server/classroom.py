"""Cookies for a class (ASGI middleware, no Streamlit script code): who is the presenter, and a
voter id that survives a reload.

* ``GET /presenter?key=…`` with the server's presenter key (core.classroom.polls) sets an HttpOnly
  cookie holding it and sends the browser to ``/?present=1``: the presenter's session is recognised
  on every page and after a reload, and the key is in no address bar a class can see or copy. A
  wrong key gets 403 and no cookie.
* Every page request without a voter cookie gets one (a random id, HttpOnly): one vote per browser
  survives its reloads (ui.predict reads it through ``st.context.cookies``).
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.classroom import current
from core.classroom.polls import PRESENTER_COOKIE, VOTER_COOKIE


def cookie(name: str, value: str) -> bytes:
    return f"{name}={value}; Path=/; HttpOnly; SameSite=Strict".encode("latin-1")


def _cookies(scope: Scope) -> dict[str, str]:
    raw = dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1")
    pairs = (part.strip().partition("=") for part in raw.split(";") if "=" in part)
    return {k: v for k, _, v in pairs}


class ClassroomCookies:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        root = scope.get("root_path", "")
        path = scope.get("path", "")
        rel = path[len(root):] if root and path.startswith(root) else path
        if rel.rstrip("/") == "/presenter":
            key = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("key", [""])[-1]
            if not current.board().is_presenter(key):
                await PlainTextResponse("Not a presenter link of this server (it makes a new key at each start).",
                                        status_code=403)(scope, receive, send)
                return
            response = RedirectResponse(f"{root.rstrip('/')}/?present=1", status_code=302)
            response.raw_headers.append((b"set-cookie", cookie(PRESENTER_COOKIE, key)))
            await response(scope, receive, send)
            return
        accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
        if "text/html" not in accept or VOTER_COOKIE in _cookies(scope):
            await self.app(scope, receive, send)
            return
        voter = secrets.token_urlsafe(12)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"set-cookie", cookie(VOTER_COOKIE, voter))]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
