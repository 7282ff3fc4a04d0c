"""The two services of a deployment and what connects them.

- :mod:`.utility`: the utility's edge gateway as a REST service (FastAPI): ingests
  windows, scores and stores them (:mod:`.store`), commits them on-chain, proves
  a window when a regulator asks (token per regulator, rate-limited, logged: :mod:`.access`).
- :mod:`.audit`: the regulator's audit of a stream: the on-chain logs, gaps, key
  invariance, proofs requested from the utility (:mod:`.client`) and verified.
- :mod:`.regulator`: the regulator's REST service and read-only web page (:mod:`.page`).
- :mod:`.docs`: both services' ``/docs`` page, Swagger UI served from the package (no CDN).
"""

__all__ = ["access", "audit", "client", "docs", "page", "regulator", "store", "utility"]
