"""Ids the contracts take: stream ids (keccak256 of a stream's name) and 32-byte model ids."""

from __future__ import annotations

import re

from eth_utils import keccak

from zkalert.errors import ChainError

STREAM_ID = re.compile(r"0x[0-9a-fA-F]{64}")


def stream_id(name: str) -> bytes:
    """A stream's on-chain id: keccak256 of its name (e.g. 'te/fault-01')."""
    if not name:
        raise ChainError("a stream name must not be empty")
    return keccak(text=name)


def stream_ref(name_or_id: str) -> tuple[str | None, str]:
    """(name or None, 0x stream id) from what a user typed: a 0x id of 32 bytes, or a name."""
    if STREAM_ID.fullmatch(name_or_id):
        return None, name_or_id.lower()
    if name_or_id.startswith("0x") and len(name_or_id) == 66:
        raise ChainError(f"{name_or_id!r} is not a 0x stream id")
    return name_or_id, "0x" + stream_id(name_or_id).hex()


def model_id_bytes(model_id: str | bytes) -> bytes:
    """A model id (keccak256 of its verifying key) as the 32 bytes a contract takes."""
    data = (
        bytes.fromhex(model_id.removeprefix("0x")) if isinstance(model_id, str) else bytes(model_id)
    )
    if len(data) != 32:
        raise ChainError(f"model id {model_id!r}: expected 32 bytes, got {len(data)}")
    return data
