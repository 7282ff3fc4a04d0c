"""A two-party powers-of-tau ceremony on one machine, for the demo and the tests.

A plant runs its ceremony on two machines, passing the file along ([ceremony guide]); the demo
plays both parts in one process so that its circuit never uses a development SRS: the utility
contributes, then the regulator, then a beacon closes it. The final transcript is kept (one per
power) and reused by later runs; the import verifies it again unless its verification is cached.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from zkalert.config import srs_dir
from zkalert.zk import ceremony

__all__ = ["PARTIES", "two_party_transcript"]

#: The contributors, in order.
PARTIES = ("utility", "regulator")


def two_party_transcript(
    power: int,
    beacon: str,
    folder: Path | None = None,
    echo: Callable[[str], None] = print,
) -> Path:
    """``<folder>/two-party-p<power>.ptau`` (folder: ``<srs_dir>/demo``), made now if missing:
    new, a contribution by each of :data:`PARTIES`, then ``beacon`` (hex). Returns its path."""
    folder = folder or srs_dir() / "demo"
    final = folder / f"two-party-p{power}.ptau"
    if final.is_file():
        echo(f"two-party ceremony transcript {final} (made earlier)")
        return final
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as work:
        current = Path(work) / "0-new.ptau"
        ceremony.new(power, current, echo=echo)
        for i, party in enumerate(PARTIES, 1):
            nxt = Path(work) / f"{i}-{party}.ptau"
            ceremony.contribute(current, nxt, party, echo=echo)
            current = nxt
        ceremony.beacon(current, final, beacon, echo=echo)
    return final
