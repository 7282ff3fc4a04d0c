"""Lab tooling: bench, soak, fault injection, fixtures, a synthetic plant, evaluation, demos and
the demos' local ceremony.

It uses the product and nothing in the product uses it; only the CLI's lab
commands (``zkalert bench``, ``demo``, ``soak``, ``evaluate``, ``ts demo``/``bench``)
import it.
"""

__all__ = [
    "attackfixtures",
    "bench",
    "ceremony",
    "demo",
    "evaluate",
    "family",
    "faults",
    "fixtures",
    "metrics",
    "plant",
    "soak",
    "soakplan",
    "timeseries",
]
