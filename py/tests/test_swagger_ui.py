"""The services' /docs page needs no network, and /openapi.json says which routes take a token.

Swagger UI ships inside the package (zkalert/services/swagger_ui, pinned by its manifest);
the page itself is checked in a real browser with every request off localhost aborted in
test_services.py. Here: the shipped files are the pinned ones, the package data carries them, and
the token scheme /openapi.json declares is exactly where the service asks for a token.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from zkalert.config import PROJECT_ROOT
from zkalert.services.access import add_token
from zkalert.services.docs import ASSETS_DIR, PAGE_FILES
from zkalert.services.regulator import Regulator, RegulatorConfig, create_app

#: A body for each route that takes one (a new one must be added here, or the check below fails).
BODIES: dict[str, Any] = {
    "/api/audits": {"stream": "plant-a/unit-3"},
    "/v1/windows": {"windows": [{"index": 0, "values": [0.0]}]},
}
STREAM_ID = "0x" + "00" * 32


def unauthenticated_answers(client: TestClient) -> dict[str, tuple[bool, int]]:
    """Every operation of the app's /openapi.json, called with valid parameters and no token:
    ``"METHOD /path" -> (declares the token scheme, status)``."""
    schema = client.get("/openapi.json").json()
    answers = {}
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            url = path.replace("{stream_id}", STREAM_ID).replace("{audit_id}", "1")
            params = {
                p["name"]: 0 if p["schema"].get("type") == "integer" else "plant-a/unit-3"
                for p in op.get("parameters", [])
                if p["in"] == "query" and p.get("required")
            }
            if "first" in params:
                params["last"] = params["first"]
            kwargs: dict[str, Any] = {"params": params}
            if "requestBody" in op:
                assert path in BODIES, f"{method.upper()} {path} takes a body: add one to BODIES"
                kwargs["json"] = BODIES[path]
            response = client.request(method.upper(), url, **kwargs)
            assert response.status_code != 422, f"{method.upper()} {path}: {response.text}"
            answers[f"{method.upper()} {path}"] = (bool(op.get("security")), response.status_code)
    return answers


def check_declared_where_asked(client: TestClient) -> dict[str, tuple[bool, int]]:
    answers = unauthenticated_answers(client)
    wrong = {op: a for op, a in answers.items() if a[0] != (a[1] == 401)}
    assert not wrong, f"declared token scheme and 401 disagree: {wrong}"
    schemes = client.get("/openapi.json").json().get("components", {}).get("securitySchemes", {})
    if any(declared for declared, _ in answers.values()):
        assert schemes == {
            "apiToken": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "zka_...",
                "description": schemes["apiToken"]["description"],
            }
        }
        assert "Authorization: Bearer <token>" in schemes["apiToken"]["description"]
    return answers


def test_the_shipped_swagger_ui_is_the_pinned_one_with_its_licence() -> None:
    manifest = json.loads((ASSETS_DIR / "manifest.json").read_text())
    assert manifest["package"] == "swagger-ui-dist" and manifest["license"] == "Apache-2.0"
    assert manifest["integrity"].startswith("sha512-")
    assert {*PAGE_FILES, "LICENSE", "NOTICE"} <= set(manifest["files"])
    shipped = {p.name for p in ASSETS_DIR.iterdir()} - {"manifest.json"}
    assert shipped == set(manifest["files"]), "files beside the manifest that it does not pin"
    for name, sha256 in manifest["files"].items():
        assert hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest() == sha256, name
    assert "Apache License" in (ASSETS_DIR / "LICENSE").read_text()


def test_regulator_declares_the_token_exactly_where_it_asks_for_one(tmp_path: Path) -> None:
    """With a tokens file only starting an audit needs a token; without one, nothing does."""
    tokens = tmp_path / "tokens.json"
    add_token(tokens, "regulator-a", "regulator")
    closed = "http://127.0.0.1:9"  # the discard port: nothing answers, the chain views say so
    for tokens_file, guarded in ((tokens, {"POST /api/audits"}), (None, set())):
        regulator = Regulator(
            RegulatorConfig(folder=tmp_path / "regulator", rpc_url=closed, tokens=tokens_file)
        )
        with TestClient(create_app(regulator), raise_server_exceptions=False) as client:
            answers = check_declared_where_asked(client)
            assert {op for op, (declared, _) in answers.items() if declared} == guarded
            assert len(answers) >= 8
            page = client.get("/docs")
            assert page.status_code == 200
            assert '<script src="/docs/assets/swagger-ui-bundle.js">' in page.text
            assert "https://" not in page.text and "http://" not in page.text
            for name in PAGE_FILES:
                asset = client.get(f"/docs/assets/{name}")
                assert asset.content == (ASSETS_DIR / name).read_bytes()
            assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN


def test_the_package_data_takes_every_swagger_ui_file() -> None:
    """What `pip install` carries: setuptools ships the package-data globs of pyproject.toml
    (a wheel built without this line holds none of these files)."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["zkalert"]
    package = PROJECT_ROOT / "py" / "zkalert"
    carried = {path for pattern in patterns for path in package.glob(pattern) if path.is_file()}
    shipped = set(ASSETS_DIR.iterdir())
    assert len(shipped) == 7 and shipped <= carried, sorted(map(str, shipped - carried))
