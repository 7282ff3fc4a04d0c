"""The services' API page without a network: Swagger UI served from the package.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN, so in a closed plant network it stays
blank. :func:`service_app` makes a service's FastAPI app whose ``/docs`` loads Swagger UI from
the files shipped in ``zkalert/services/swagger_ui/`` (npm's swagger-ui-dist, Apache-2.0, its
LICENSE and NOTICE beside them; the version, npm integrity and each file's SHA-256 are pinned in
its ``manifest.json``, and ``python tools/swagger_ui.py`` fetches them again), served under
``/docs/assets/``. ReDoc, which FastAPI also loads from a CDN, is not served. Swagger UI's
validator badge (an image from swagger.io) is turned off: the page asks nothing of any other host.

The page's Authorize button takes the API token: routes that need one declare the bearer scheme
of :mod:`.access` (``dependencies=[TOKEN]``), so ``/openapi.json`` lists it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from zkalert.errors import ServiceError

#: Swagger UI's files, shipped as package data.
ASSETS_DIR = Path(__file__).with_name("swagger_ui")
ASSETS_URL = "/docs/assets"
DOCS_URL = "/docs"
#: What the page loads from ASSETS_DIR.
PAGE_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def swagger_ui_version() -> str:
    """The shipped Swagger UI version (from its manifest)."""
    manifest = ASSETS_DIR / "manifest.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError) as exc:
        raise ServiceError(
            f"the Swagger UI files of the API page are missing or damaged ({manifest}: "
            f"{type(exc).__name__}): reinstall zkalert"
        ) from None


def service_app(**kwargs: Any) -> FastAPI:
    """A FastAPI app (``kwargs`` as for FastAPI) whose ``/docs`` page needs no network."""
    version = swagger_ui_version()
    missing = [name for name in PAGE_FILES if not (ASSETS_DIR / name).is_file()]
    if missing:
        raise ServiceError(
            f"Swagger UI {version} in {ASSETS_DIR} lacks {', '.join(missing)}: reinstall zkalert"
        )
    app = FastAPI(**kwargs, docs_url=None, redoc_url=None)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title}: API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    return app
