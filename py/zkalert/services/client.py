"""The regulator's HTTP client of a utility service (httpx), with the token and polite retries."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Self

import httpx

from zkalert.errors import UtilityError


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # parsed JSON, or bytes for binary endpoints

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> str:
        if isinstance(self.body, dict) and "error" in self.body:
            return str(self.body["error"])
        return f"HTTP {self.status}"


class UtilityClient:
    """Talks to one utility service with one regulator token."""

    def __init__(
        self, base_url: str, token: str, timeout_s: float = 600.0, max_wait_s: float = 120.0
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise UtilityError(
                f"the utility URL must start with http:// or https://, got {base_url!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.max_wait_s = max_wait_s
        self.rate_limited = 0
        self.requests = 0
        self._http = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, Any] | None = None, binary: bool = False) -> Answer:
        """One GET; a 429 is retried after its Retry-After (bounded by ``max_wait_s`` in all)."""
        waited = 0.0
        while True:
            self.requests += 1
            try:
                response = self._http.get(path, params=params)
            except httpx.HTTPError as exc:
                raise UtilityError(
                    f"the utility at {self.base_url} does not answer ({type(exc).__name__}: {exc})"
                ) from None
            if response.status_code == 429:
                self.rate_limited += 1
                wait = float(response.headers.get("retry-after", "1"))
                if waited + wait > self.max_wait_s:
                    return Answer(429, _json(response))
                time.sleep(wait)
                waited += wait
                continue
            if binary and response.status_code == 200:
                return Answer(200, response.content)
            return Answer(response.status_code, _json(response))

    def checked(self, path: str, params: dict[str, Any] | None = None, binary: bool = False) -> Any:
        answer = self.get(path, params, binary)
        if not answer.ok:
            raise UtilityError(
                f"the utility refused GET {path}: {answer.error} (HTTP {answer.status})"
            )
        return answer.body

    def model(self) -> dict[str, Any]:
        return dict(self.checked("/v1/model"))

    def proof(self, stream_id: str, window: int) -> Answer:
        return self.get("/v1/proof", {"stream": stream_id, "window": window})

    def streams(self) -> list[dict[str, Any]]:
        return list(self.checked("/v1/streams")["streams"])


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"error": response.text[:300] or f"HTTP {response.status_code}"}
