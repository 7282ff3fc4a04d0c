"""Run EZKL's Solidity verifier generation in a process of its own.

``ezkl.create_evm_verifier`` is a coroutine. After awaiting it, ezkl 23.0.5
leaves a runtime thread behind that crashes the interpreter during
finalisation (SIGABRT "PyGILState_Release" or SIGSEGV, about half the time).
So the call runs in a short-lived process that flushes its output and leaves
with ``os._exit``, skipping the finalisation that crashes (``create_evm_vka``
likewise). Usage:

    python -m zkalert.zk._evm_codegen VK SETTINGS SOL ABI SRS             the circuit's verifier
    python -m zkalert.zk._evm_codegen --reusable VK SETTINGS SOL ABI SRS  EZKL's reusable verifier
    python -m zkalert.zk._evm_codegen --vka VK SETTINGS OUT SRS           the circuit's VKA
"""

from __future__ import annotations

import asyncio
import os
import sys


async def _generate(
    vk: str, settings: str, sol: str, abi: str, srs: str, reusable: bool = False
) -> bool:
    import ezkl

    return bool(
        await ezkl.create_evm_verifier(vk, settings, sol, abi, srs_path=srs, reusable=reusable)
    )


async def _vka(vk: str, settings: str, out: str, srs: str) -> bool:
    import ezkl

    return bool(
        await ezkl.create_evm_vka(  # type: ignore[call-arg]  # the stub omits decimals
            vk, settings, out, srs_path=srs, decimals=0
        )
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["--vka"] and len(argv) == 5:
        vk, settings, out, srs = argv[1:]
        ok = asyncio.run(_vka(vk, settings, out, srs))
    elif argv[:1] == ["--reusable"] and len(argv) == 6:
        vk, settings, sol, abi, srs = argv[1:]
        ok = asyncio.run(_generate(vk, settings, sol, abi, srs, reusable=True))
    elif len(argv) == 5:
        vk, settings, sol, abi, srs = argv
        ok = asyncio.run(_generate(vk, settings, sol, abi, srs))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
