"""The visual builder at `/ui`: the bundle built from `builder/` and committed under `app/ui`.

It is a single-page app, so any path under `/ui/` that is not a file of the bundle answers
its `index.html` (the app's router reads the path). Hashed assets never change under their
name and are cached for a year; `index.html` is revalidated on every load so a new bundle is
picked up at once. The routes stay out of the OpenAPI document: they are not the API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.errors import NotFoundError

BUNDLE = Path(__file__).resolve().parent.parent / "ui"
"""Written by `make builder` (Vite's outDir); shipped as package data."""

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# The builder talks to its own origin only. Inline styles: React Flow positions nodes with
# style attributes; 'unsafe-eval': the form validator (ajv) compiles each schema to a function.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

router = APIRouter(include_in_schema=False)


def _file(relative: str) -> Path | None:
    """The bundle's file at `relative`, or None (also for paths leaving the bundle)."""
    try:
        candidate = (BUNDLE / relative).resolve()
        found = candidate.is_relative_to(BUNDLE) and candidate.is_file()
    except (ValueError, OSError):  # a NUL byte, a name too long for the file system
        return None
    return candidate if found else None


def _send(path: Path, cache_control: str) -> FileResponse:
    return FileResponse(path, headers={"Cache-Control": cache_control, **SECURITY_HEADERS})


@router.api_route("/ui", methods=["GET", "HEAD"])
async def builder_root() -> Response:
    return RedirectResponse("/ui/", status_code=308)


@router.api_route("/ui/{path:path}", methods=["GET", "HEAD"])
async def builder_file(path: str) -> Response:
    """A file of the bundle, or the app's page for any other path under /ui/."""
    found = _file(path) if path else None
    if found is not None:
        hashed = path.startswith("assets/")
        return _send(found, IMMUTABLE if hashed else REVALIDATE)
    if path.startswith("assets/"):
        raise NotFoundError(f"no builder asset '{path}'")
    index = _file("index.html")
    if index is None:
        raise NotFoundError("the builder is not built here: run `make builder` to build it")
    return _send(index, REVALIDATE)
