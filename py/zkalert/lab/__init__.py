"""Lab tooling: bench, soak, fault injection, fixtures, a synthetic plant, evaluation and demos.

It uses the product and nothing in the product uses it; only the CLI's lab
commands (``zkalert bench``, ``demo``, ``soak``, ``evaluate``, ``ts demo``/``bench``)
import it.
"""

__all__ = [
    "attackfixtures",
    "bench",
    "demo",
    "evaluate",
    "faults",
    "fixtures",
    "metrics",
    "plant",
    "soak",
    "soakplan",
    "timeseries",
]
