"""Routing fixes in front of Streamlit (ASGI middleware, no Streamlit script code): see serve.py."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# First path segments Streamlit serves itself (API, media, components, assets, app static files,
# log-in routes): never a page, never redirected.
RESERVED = frozenset({"_stcore", "media", "component", "static", "app", "auth", "oauth2callback"})


def page_redirect(path: str, root: str = "") -> str | None:
    """Where a page request for ``path`` should go instead, or None to leave it alone.

    ``root`` is the mount point (Streamlit's ``server.baseUrlPath``); only the part after it counts.
    """
    rel = path[len(root):] if root and path.startswith(root) else path
    parts = [p for p in rel.split("/") if p]
    if len(parts) < 2 or parts[0] in RESERVED:
        return None
    return f"{root.rstrip('/')}/{quote(parts[0])}"


class NestedPageRedirect:
    """Redirect a browser's page request two or more segments deep to the first segment."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            headers = dict(scope.get("headers") or [])
            accept = headers.get(b"accept", b"").decode("latin-1")
            target = page_redirect(scope.get("path", ""), scope.get("root_path", "")) if "text/html" in accept else None
            if target is not None:
                query = scope.get("query_string", b"").decode("latin-1")
                await RedirectResponse(target + (f"?{query}" if query else ""), status_code=302)(scope, receive, send)
                return
        await self.app(scope, receive, send)
