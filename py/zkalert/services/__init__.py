"""The two services of a deployment and what connects them.

- :mod:`.utility`: the utility's edge gateway as a REST service (FastAPI): ingests
  windows, scores and stores them (:mod:`.store`), commits them on-chain, proves
  a window when a regulator asks (token per regulator, rate-limited, logged: :mod:`.access`).
- :mod:`.audit`: the regulator's audit of a stream: the on-chain logs, gaps, key
  invariance, proofs requested from the utility (:mod:`.client`) and verified.
- :mod:`.regulator`: the regulator's REST service and read-only web page (:mod:`.page`).
- :mod:`.acceptance`: model acceptance: the regulator's reference windows, the operator's
  proofs of the model's scores on them; :mod:`.acceptance_check`: the regulator's check of
  those proofs and the detection figures from the proven scores.
- :mod:`.docs`: both services' ``/docs`` page, Swagger UI served from the package (no CDN).
"""

__all__ = [
    "acceptance",
    "acceptance_check",
    "access",
    "audit",
    "client",
    "docs",
    "page",
    "regulator",
    "store",
    "utility",
]
