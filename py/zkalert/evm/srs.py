"""The SRS behind each registered model: recorded at registration, checked by the audits.

Every proof rests on a KZG SRS, and whoever knows its secret τ can forge proofs for any circuit
built on it. A registry records, per model, the *SRS id* of the SRS its verifier was generated
with (keccak256 of the SRS's [τ]G2, :mod:`zkalert.zk.srsid`), and the regulator's audits read
[τ]G2 back out of each deployed verifier's code and compare the three: the id the code embeds,
the id the model records, and the SRS the regulator accepts.

* :func:`registration_srs_id`: the id a model is registered with (the circuit's SRS file),
  checked against the verifier contract forge compiled, so a stale verifier is never registered;
* :func:`check_development_srs`: a circuit built on a development SRS (``gen_srs``: its τ was
  on the operator's machine) is refused on every chain that is not a development chain unless
  the user allows it explicitly (the same development chains as anvil's keys, :mod:`zkalert.keys`);
* :func:`accepted_srs_id`, :func:`verifier_srs`, :func:`srs_findings`: the audits' side.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3

from zkalert.errors import CircuitError, ConfigError, DevelopmentSrsRefused
from zkalert.evm.artifacts import forge_runtime
from zkalert.zk.srsid import ezkl_srs_tau_g2, verifier_tau_g2, vka_tau_g2

__all__ = [
    "SrsCheck",
    "VerifierSrs",
    "accepted_srs_id",
    "check_development_srs",
    "parse_srs_id",
    "registration_srs_id",
    "srs_check",
    "srs_id_of_file",
    "verifier_srs",
    "warn_stderr",
]

_SRS_ID = re.compile(r"0x[0-9a-fA-F]{64}")
ZERO_ID = "0x" + "00" * 32


def parse_srs_id(text: str, source: str) -> str:
    """An SRS id as given (``0x`` and 64 hex digits, not zero), lower-cased; one line otherwise."""
    value = text.strip()
    if not _SRS_ID.fullmatch(value):
        raise ConfigError(f"{source}: an SRS id is 0x and 64 hex digits, got {value!r}")
    if value.lower() == ZERO_ID:
        raise ConfigError(f"{source}: the zero SRS id names no SRS")
    return value.lower()


def srs_id_of_file(path: Path) -> str:
    """The SRS id of an EZKL SRS file."""
    if not path.is_file():
        raise CircuitError(f"the SRS file {path} is missing, so its SRS id cannot be read")
    return ezkl_srs_tau_g2(path).srs_id_hex


def accepted_srs_id(srs_id: str | None = None, srs_file: Path | None = None) -> str | None:
    """The SRS the regulator accepts, named by its id or by a file: an EZKL SRS file, or a JSON
    record with an ``srs_id`` field (what importing a ceremony's transcript writes). Both given:
    they must name the same SRS. None when neither is given."""
    from_id = parse_srs_id(srs_id, "--srs-id") if srs_id else None
    from_file: str | None = None
    if srs_file is not None:
        from_file = _file_srs_id(srs_file)
    if from_id and from_file and from_id != from_file:
        raise ConfigError(
            f"--srs-id {from_id} and --accepted-srs {srs_file} (SRS {from_file}) name two SRSs"
        )
    return from_id or from_file


def _file_srs_id(path: Path) -> str:
    if not path.is_file():
        raise ConfigError(f"--accepted-srs {path}: no such file")
    with path.open("rb") as f:
        head = f.read(1)
    if head in (b"{", b"[") or path.suffix == ".json":
        try:
            record = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"--accepted-srs {path}: not a JSON record ({exc})") from None
        if not isinstance(record, dict) or not isinstance(record.get("srs_id"), str):
            raise ConfigError(f"--accepted-srs {path}: the JSON record has no srs_id field")
        return parse_srs_id(record["srs_id"], f"--accepted-srs {path}")
    try:
        return ezkl_srs_tau_g2(path).srs_id_hex
    except CircuitError as exc:
        raise ConfigError(
            f"--accepted-srs {path}: neither an EZKL SRS file nor a JSON record with an srs_id ({exc})"
        ) from None


def registration_srs_id(contract: str, srs_path: str | None, given: str = "") -> str:
    """The SRS id to register a model's verifier ``contract`` with: ``given``, else that of the
    circuit's SRS file ``srs_path``, checked against the [τ]G2 in the code forge compiled for the
    contract (without either: the compiled code's own). A verifier generated from another SRS
    than the circuit's (a stale contract) is refused."""
    expected = parse_srs_id(given, f"the SRS id of {contract}") if given else ""
    if not expected and srs_path:
        expected = srs_id_of_file(Path(srs_path))
    code = forge_runtime(contract)
    point = verifier_tau_g2(code) if code else None
    if point is None:
        if code is not None:
            raise CircuitError(
                f"the verifier contract {contract} embeds no [τ]G2 of a BN254 KZG SRS: "
                "not an EZKL verifier"
            )
        if not expected:
            raise CircuitError(
                f"no SRS id for {contract}: its circuit names no SRS file and forge compiled no "
                "such contract"
            )
        return expected
    if expected and point.srs_id_hex != expected:
        raise CircuitError(
            f"the verifier contract {contract} was generated from SRS {point.srs_id_hex}, but "
            f"its circuit's SRS is {expected}: generate the verifier again (compile the circuit)"
        )
    return point.srs_id_hex


def check_development_srs(
    *,
    development_only: bool,
    development_chain: bool,
    chain_id: int,
    circuit: str,
    allow: bool,
) -> str | None:
    """A circuit built on a development SRS may be registered on a development chain; on any
    other chain only when ``allow`` is given, and then the returned warning (one line) is to be
    shown. Refuses with :class:`DevelopmentSrsRefused` otherwise."""
    if not development_only or development_chain:
        return None
    if not allow:
        raise DevelopmentSrsRefused(circuit, chain_id)
    return (
        f"WARNING: registering {circuit} on chain {chain_id} although it was built on a "
        "DEVELOPMENT SRS (gen_srs): whoever holds that SRS's τ can forge its proofs "
        "(--allow-dev-srs)"
    )


def warn_stderr(message: str) -> None:
    """How a deployment warns by default: one line on stderr."""
    print(message, file=sys.stderr)


# ---------------------------------------------------------------------- the audits' side


@dataclass(frozen=True)
class VerifierSrs:
    """What a deployed verifier's code says about its SRS: the SRS id of the [τ]G2 it embeds
    (None: no code, or no recognisable [τ]G2)."""

    verifier: str
    code_bytes: int
    srs_id: str | None


def verifier_srs(w3: Web3, verifier: str) -> VerifierSrs:
    """Read ``verifier``'s runtime code from the chain and the SRS id it embeds. Whatever the code
    is (none, garbage, a point off the curve), this answers and never raises for it."""
    try:
        address = Web3.to_checksum_address(verifier)
    except (ValueError, TypeError):
        return VerifierSrs(str(verifier), 0, None)
    code = bytes(w3.eth.get_code(address))
    point = verifier_tau_g2(code) if code else None
    if point is None and code:  # a VkaVerifier: the key, [τ]G2 with it, is in its VKA
        from zkalert.evm.vkaverifier import vka_of

        words = vka_of(w3, address)
        point = vka_tau_g2(words) if words else None
    return VerifierSrs(address, len(code), point.srs_id_hex if point else None)


@dataclass
class SrsCheck:
    """One verifier of one registered model against its record and the accepted SRS."""

    model_id: str
    registry: str  # "alert registry" or "time-series registry"
    kind: str  # "" (an alert model's one verifier), "TC" or "SC"
    verifier: str
    code_bytes: int
    verifier_srs_id: str | None
    recorded_srs_id: str | None
    accepted_srs_id: str | None
    #: the code's id equals the recorded one (None: the code has none)
    matches_record: bool | None
    #: the code's id is the accepted one (None: no accepted SRS given, or the code has none)
    accepted: bool | None
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def srs_check(
    registry: str,
    model_id: str,
    found: VerifierSrs,
    recorded: str | bytes | None,
    accepted: str | None,
    kind: str = "",
) -> SrsCheck:
    """The findings about one verifier's SRS (each a line naming the model, the registry, the
    verifier and both ids)."""
    if isinstance(recorded, (bytes, bytearray)):
        recorded = "0x" + bytes(recorded).hex()
    if recorded is not None and recorded.lower() == ZERO_ID:
        recorded = None
    recorded = recorded.lower() if recorded else None
    label = f"{kind} " if kind else ""
    where = f"model {model_id} ({registry}): {label}verifier {found.verifier}"
    check = SrsCheck(
        model_id,
        registry,
        kind,
        found.verifier,
        found.code_bytes,
        found.srs_id,
        recorded,
        accepted,
        None,
        None,
    )
    if found.srs_id is None:
        check.problems.append(
            f"{where} has no code, so no SRS can be read from it"
            if found.code_bytes == 0
            else f"{where} embeds no recognisable [τ]G2 in its {found.code_bytes:,} bytes of "
            "code: not an EZKL KZG verifier, so the SRS it was made with cannot be told"
        )
        return check
    if recorded is None:
        check.problems.append(
            f"{where} embeds [τ]G2 of SRS {found.srs_id}, but the model records no SRS id"
        )
    else:
        check.matches_record = found.srs_id == recorded
        if not check.matches_record:
            check.problems.append(
                f"{where} embeds [τ]G2 of SRS {found.srs_id}, the model records SRS {recorded}"
            )
    if accepted is not None:
        check.accepted = found.srs_id == accepted
        if not check.accepted:
            check.problems.append(
                f"{where} embeds [τ]G2 of SRS {found.srs_id}, the accepted SRS is {accepted}"
            )
    return check
