"""Run EZKL's Solidity verifier generation in a process of its own.

``ezkl.create_evm_verifier`` is a coroutine. After awaiting it, ezkl 23.0.5
leaves a runtime thread behind that crashes the interpreter during
finalisation (SIGABRT "PyGILState_Release" or SIGSEGV, about half the time).
So the call runs in a short-lived process that flushes its output and leaves
with ``os._exit``, skipping the finalisation that crashes. Usage:

    python -m zkalert.zk._evm_codegen VK SETTINGS SOL ABI SRS
"""

from __future__ import annotations

import asyncio
import os
import sys


async def _generate(vk: str, settings: str, sol: str, abi: str, srs: str) -> bool:
    import ezkl

    return bool(
        await ezkl.create_evm_verifier(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
            vk, settings, sol, abi, srs_path=srs
        )
    )


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    ok = asyncio.run(_generate(*argv))
    return 0 if ok else 1


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
