"""Access control shared by the services: API tokens, per-token rate limits, request logging, errors.

Tokens live in a JSON file that holds only their SHA-256, a name and a role:

    {"tokens": [{"name": "regulator-a", "role": "regulator", "sha256": "…",
                 "rate_per_minute": 60, "burst": 20}]}

``zkalert serve token NAME --role regulator --tokens FILE`` makes one and prints
the secret once. Requests carry it as ``Authorization: Bearer <token>``.

Rate limits are token buckets per token (a proof of k windows costs k): a
flood of queries is one way to map a model's decision boundary, so the
utility's answers are metered per regulator. Every request is logged (the
store's ``requests`` table and the ``zkalert.access`` logger) with the token's
name, never its secret.

Every error is JSON ``{"error": "<one line>"}`` with a 4xx status; an
unexpected failure is a 500 whose body says only that it was logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zkalert.errors import TokenFileError, ZkAlertError

ROLES = ("regulator", "ingest", "admin")
log = logging.getLogger("zkalert.access")

#: The API token as OpenAPI declares it (``/openapi.json``, the Authorize button of ``/docs``).
#: A route that calls :func:`require` lists :data:`TOKEN` in its ``dependencies``; the
#: dependency itself lets every request through, :func:`require` checks the token, its role and
#: the rate limit.
BEARER = HTTPBearer(
    scheme_name="apiToken",
    bearerFormat="zka_...",
    description=(
        "An API token of this service's tokens file, made with `zkalert serve token NAME "
        "--role ROLE --tokens FILE`, sent as `Authorization: Bearer <token>`. Roles: regulator "
        "(windows, proofs, model, audits), ingest (posting windows), admin (everything). "
        "Each token has its own rate limit."
    ),
    auto_error=False,
)
TOKEN = Depends(BEARER)


@dataclass(frozen=True)
class Token:
    name: str
    role: str
    sha256: str
    rate_per_minute: float = 60.0
    burst: float = 20.0


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenBook:
    """The tokens a service accepts, by SHA-256 of the secret."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self._by_digest = {t.sha256: t for t in tokens}

    @classmethod
    def load(cls, path: str | Path) -> TokenBook:
        path = Path(path)
        if not path.is_file():
            raise TokenFileError(
                f"no tokens file at {path}: make one with `zkalert serve token NAME --role regulator --tokens {path}`"
            )
        try:
            data = json.loads(path.read_text())
            tokens = [
                Token(
                    str(t["name"]),
                    str(t["role"]),
                    str(t["sha256"]).lower(),
                    float(t.get("rate_per_minute", 60)),
                    float(t.get("burst", 20)),
                )
                for t in data["tokens"]
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenFileError(
                f"{path} is not a tokens file ({type(exc).__name__}: {exc})"
            ) from None
        for t in tokens:
            if t.role not in ROLES:
                raise TokenFileError(
                    f"{path}: token {t.name!r} has role {t.role!r}, not one of {', '.join(ROLES)}"
                )
            if t.rate_per_minute <= 0 or t.burst < 1:
                raise TokenFileError(
                    f"{path}: token {t.name!r} needs rate_per_minute > 0 and burst >= 1"
                )
        return cls(tokens)

    def find(self, secret: str) -> Token | None:
        digest = token_digest(secret)
        for (
            known,
            token,
        ) in self._by_digest.items():  # constant-time compare, no early exit on a prefix
            if hmac.compare_digest(known, digest):
                return token
        return None


def add_token(
    path: str | Path, name: str, role: str, rate_per_minute: float = 60.0, burst: float = 20.0
) -> str:
    """Append a new token to the file (created if missing) and return its secret."""
    if role not in ROLES:
        raise TokenFileError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    path = Path(path)
    data: dict[str, Any] = {"tokens": []}
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except ValueError:
            raise TokenFileError(f"{path} is not valid JSON") from None
    if any(t.get("name") == name for t in data.get("tokens", [])):
        raise TokenFileError(f"{path} has a token named {name!r} already")
    secret = "zka_" + secrets.token_urlsafe(24)
    data.setdefault("tokens", []).append(
        {
            "name": name,
            "role": role,
            "sha256": token_digest(secret),
            "rate_per_minute": rate_per_minute,
            "burst": burst,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    path.chmod(0o600)
    return secret


class RateLimiter:
    """Token buckets, one per API token name."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (level, last refill time)
        self._lock = threading.Lock()
        self.refused = 0

    def take(self, token: Token, cost: float = 1.0) -> float:
        """Take ``cost`` from the token's bucket; returns 0, or the seconds to wait when refused."""
        rate = token.rate_per_minute / 60.0
        with self._lock:
            now = time.monotonic()
            level, last = self._buckets.get(token.name, (token.burst, now))
            level = min(token.burst, level + (now - last) * rate)
            if cost > token.burst:
                self._buckets[token.name] = (level, now)
                self.refused += 1
                return math.inf
            if level >= cost:
                self._buckets[token.name] = (level - cost, now)
                return 0.0
            self._buckets[token.name] = (level, now)
            self.refused += 1
            return (cost - level) / rate


def require(request: Request, roles: tuple[str, ...], cost: float = 1.0) -> Token:
    """The request's token, checked for a role and charged ``cost``; 401/403/429 otherwise."""
    book: TokenBook = request.app.state.tokens
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise HTTPException(
            401,
            "missing API token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = book.find(secret.strip())
    if token is None:
        raise HTTPException(401, "unknown API token", headers={"WWW-Authenticate": "Bearer"})
    request.state.token_name = token.name
    if token.role not in roles and token.role != "admin":
        raise HTTPException(
            403,
            f"token {token.name!r} has role {token.role!r}; this endpoint needs {' or '.join(roles)}",
        )
    charge(request, token, cost)
    return token


def charge(request: Request, token: Token, cost: float) -> None:
    """Take ``cost`` from the token's bucket; 429 with Retry-After when it is empty."""
    if cost <= 0:
        return
    limiter: RateLimiter = request.app.state.limiter
    wait_s = limiter.take(token, cost)
    if wait_s == math.inf:
        raise HTTPException(
            429,
            f"this request costs {cost:g} and token {token.name!r} holds at most {token.burst:g}: ask for fewer windows",
        )
    if wait_s > 0:
        raise HTTPException(
            429,
            f"rate limit of token {token.name!r} ({token.rate_per_minute:g}/min, burst {token.burst:g}) reached: retry in {wait_s:.1f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )


# --- errors, body size, request log -------------------------------------------------------


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def starlette_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = "no such endpoint (see /docs)" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse({"error": message}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors()[:10]:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
            problems.append(
                f"{where}: {error.get('msg', 'invalid')}"
                if where
                else str(error.get("msg", "invalid"))
            )
        return JSONResponse({"error": "invalid request: " + "; ".join(problems)}, status_code=422)

    @app.exception_handler(ZkAlertError)
    async def domain_error(request: Request, exc: ZkAlertError) -> JSONResponse:
        from zkalert.errors import ChainError, ClusterError

        if isinstance(exc, ClusterError):  # the proving cluster: the request may be made again
            return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "10"})
        # a node that does not answer is the service's trouble, not the caller's
        unreachable = isinstance(exc, ChainError) and "no Ethereum node answers" in str(exc)
        return JSONResponse({"error": str(exc)}, status_code=503 if unreachable else 400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logging.getLogger("zkalert.services").exception(
            "unexpected failure on %s %s", request.method, request.url.path
        )
        return JSONResponse(
            {"error": f"internal error ({type(exc).__name__}); it was logged on the server"},
            status_code=500,
        )


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(self.max_bytes, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(max_bytes: int, send: Send) -> None:
    body = json.dumps({"error": f"request body over {max_bytes:,} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install_request_log(
    app: FastAPI, record: Callable[[str | None, str | None, str, str, str, int, float], None] | None
) -> None:
    """Log every request: method, path, status, duration, token name (never the secret)."""

    @app.middleware("http")
    async def request_log(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            token = getattr(request.state, "token_name", None)
            client = request.client.host if request.client else None
            log.info(
                "%s %s %s %d %.1fms token=%s",
                client,
                request.method,
                request.url.path,
                status,
                duration_ms,
                token or "-",
            )
            if record is not None:
                try:
                    record(
                        token,
                        client,
                        request.method,
                        request.url.path,
                        request.url.query[:500],
                        status,
                        duration_ms,
                    )
                except Exception:  # the access log must not turn a served request into an error
                    log.exception("could not record the request in the store")
