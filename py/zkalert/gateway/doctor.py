"""``zkalert doctor``: is this gateway set up to prove and submit? One line per check.

The checks, in order; a check that needs an earlier one that failed or was skipped is itself
skipped, and says which:

    python       the Python version zkalert requires
    packages     zkalert's requirements installed and met; versions against requirements.lock
    ezkl         the EZKL version (pinned exactly: keys, proofs and verifiers depend on it)
    forge        Foundry's forge (it deploys), against the version in .tools/package.json
    solc         the Solidity compiler (verifiers, the audit's code check), against its pin
    workspace    detector, settings, compiled circuit, proving and verifying keys, circuit record
    circuit      the circuit record: its model id is keccak256 of the verifying key
    srs          each circuit of the workspace (the detector's, the time-series ones): its SRS
                 file is there and is the SRS it was compiled with (its SRS id), the keys were
                 made with it; its kind: development, ceremony (transcript hash, SRS id) or file
    node         the RPC endpoint answers; its chain id (the network's, with --network)
    deployment   deployments/<chain id>/ holds an AlertRegistry record; which others it holds
    registry     code at the recorded address, version() against this zkalert's, runtime code
                 against this checkout's forge build (out/)
    verifiers    every recorded model registered with its recorded verifier, whose code is the
                 build's; the workspace's model registered with its threshold, windows per
                 proof and commitment (--deep: its verifier regenerated from the verifying key
                 with EZKL and compared, as the regulator's audit does; about 10 s)
    window-log   the WindowLog, when recorded: code, version, bound to this registry
    ts-registry  the TimeSeriesRegistry, when recorded: code, version, its models' verifiers
    gateway      the gateway account (PRIVATE_KEY's, or --gateway) is allowed by the registry
    funds        the gateway account holds ether for gas
    outbox       the outbox file, when there is one: intact, bound to this chain, registry and
                 gateway; its pending and refused alerts

Every input is a field of :class:`DoctorOptions` (workspace, RPC URL or network, deployments
folder, outbox, gateway), so whatever reads a configuration can fill them; a check is a function
of the :class:`Doctor` in :data:`CHECKS`, so a new one (the configuration's own validity, say)
is one more entry. Exit status and printing are the CLI's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from eth_account import Account
from web3 import Web3
from web3.contract import Contract

from zkalert.config import (
    PROJECT_ROOT,
    Workspace,
    rpc_url,
    shared_path,
)
from zkalert.errors import CircuitError, ConfigError, ZkAlertError
from zkalert.evm.artifacts import FORGE_OUT, code_against_build
from zkalert.keys import ANVIL_KEY_0, KeySettings

if TYPE_CHECKING:  # imported by the checks that need them (torch comes with the circuit)
    from zkalert.evm.registry import Deployment
    from zkalert.zk.circuit import CircuitInfo

Status = Literal["ok", "warn", "fail", "skip"]
STATUS_LABEL: dict[Status, str] = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}

#: forge's build output (foundry.toml ``out``): the code each deployed contract should run.
BUILD_DIR = FORGE_OUT
#: IAlertRegistry.CommitmentScheme by the name circuit records use.
COMMITMENTS = {"poseidon": 0, "kzg": 1}
#: Node clients whose chains are development chains (their well-known keys are expected there).
DEV_CLIENTS = ("anvil", "hardhat", "ganache")


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def line(self) -> str:
        return f"{STATUS_LABEL[self.status]:<4}  {self.name:<11}  {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "data": self.data}


@dataclass(frozen=True)
class DoctorOptions:
    """What to check; ``None`` takes the default each command uses."""

    workdir: Path | None = None  # the workspace (default: $ZKALERT_HOME or build/)
    rpc_url: str | None = None  # the node (default: the network's, $RPC_URL, or the local node)
    network: str | None = None  # a network of networks.toml: its URL and the chain id it must be
    networks_file: Path | None = None
    deployments: Path | None = None  # the folder holding <chain id>/ (default: deployments/)
    outbox: Path | None = None  # default: <workspace>/outbox/<network>.sqlite
    gateway: str | None = None  # the gateway's address (default: PRIVATE_KEY's account)
    deep: bool = False  # regenerate the workspace model's verifier and compare its code
    key: KeySettings | None = None  # the signing key (default: the environment's settings)
    config_file: Path | None = None  # the zkalert.toml the command line read, if any
    config_error: str | None = None  # why the settings did not load (the other checks use defaults)


class _Problem(Exception):
    """A check's failure, as the one line it reports (never leaves this module)."""


class Doctor:
    """Runs :data:`CHECKS` in order; later checks read what earlier ones found."""

    def __init__(self, options: DoctorOptions) -> None:
        self.options = options
        root = options.workdir or shared_path("workdir")
        self.workspace = Workspace(Path(root).resolve())  # not Workspace.at: it creates the folder
        self.results: dict[str, Check] = {}
        self.info: CircuitInfo | None = None
        self.w3: Web3 | None = None
        self.chain_id: int | None = None
        self.client = ""
        self.folder: Path | None = None
        self.deployment: Deployment | None = None
        self.registry: Contract | None = None

    def run(self, progress: Callable[[Check], None] | None = None) -> list[Check]:
        for name, needs, check in CHECKS:
            blocked = [n for n in needs if self.results[n].status in ("fail", "skip")]
            if blocked:
                why = "; ".join(
                    f"needs {n}, which "
                    + ("failed" if self.results[n].status == "fail" else "was skipped")
                    for n in blocked
                )
                result = Check(name, "skip", why)
            else:
                try:
                    result = check(self)
                except (_Problem, ZkAlertError) as exc:
                    result = Check(name, "fail", _one_line(exc))
                except Exception as exc:  # noqa: BLE001 - a check that breaks is a failed check, never a traceback
                    result = Check(name, "fail", f"{type(exc).__name__}: {_one_line(exc)}")
            self.results[name] = result
            if progress is not None:
                progress(result)
        return list(self.results.values())

    # ------------------------------------------------------------------ shared

    @property
    def chain(self) -> Web3:
        assert self.w3 is not None  # the node check ran
        return self.w3

    @property
    def recorded(self) -> Deployment:
        assert self.deployment is not None  # the deployment check ran
        return self.deployment

    def gateway_address(self) -> str:
        if self.options.gateway:
            if not Web3.is_address(self.options.gateway):
                raise ConfigError(f"--gateway {self.options.gateway!r} is not an address")
            return Web3.to_checksum_address(self.options.gateway)
        from zkalert.keys import load_signer

        signer = load_signer(self.options.key or KeySettings.from_env(), interactive=False)
        return str(signer.address if signer else Account.from_key(ANVIL_KEY_0).address)

    def network_name(self) -> str:
        from zkalert.gateway.networks import DEFAULT_NETWORK

        return self.options.network or os.environ.get("ZKALERT_NETWORK", DEFAULT_NETWORK)


def run(options: DoctorOptions, progress: Callable[[Check], None] | None = None) -> list[Check]:
    return Doctor(options).run(progress)


def summary(checks: list[Check]) -> dict[str, int]:
    return {status: sum(c.status == status for c in checks) for status in STATUS_LABEL}


# ---------------------------------------------------------------------- toolchain


def check_python(d: Doctor) -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    try:
        wanted = metadata.metadata("zkalert")["Requires-Python"]
    except metadata.PackageNotFoundError:
        return Check("python", "warn", f"Python {version}; zkalert is not installed as a package")
    from packaging.specifiers import SpecifierSet

    if not SpecifierSet(wanted).contains(version):
        raise _Problem(f"Python {version}, zkalert needs {wanted}")
    return Check("python", "ok", f"Python {version} ({wanted})", {"version": version})


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check_packages(d: Doctor) -> Check:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    try:
        requires = metadata.requires("zkalert") or []
    except metadata.PackageNotFoundError:
        raise _Problem("zkalert is not installed as a package: `make setup`") from None
    unmet = []
    runtime = [r for r in map(Requirement, requires) if not (r.marker and "extra" in str(r.marker))]
    for req in runtime:
        found = _installed(req.name)
        if found is None:
            unmet.append(f"{req.name} missing")
        elif not req.specifier.contains(found, prereleases=True):
            unmet.append(f"{req.name} {found} (needs {req.specifier})")
    if unmet:
        raise _Problem(
            f"{len(unmet)} of zkalert's {len(runtime)} requirements unmet: " + ", ".join(unmet)
        )
    lock = PROJECT_ROOT / "requirements.lock"
    if not lock.is_file():
        return Check("packages", "ok", f"{len(runtime)} requirements met (no requirements.lock)")
    locked = {}
    for line in lock.read_text().splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and not name.startswith("#"):
            locked[canonicalize_name(name)] = version
    differ = []
    for name, version in sorted(locked.items()):
        found = _installed(name)
        if found is not None and found.split("+")[0] != version:
            differ.append(f"{name} {found} (locked {version})")
    detail = f"{len(runtime)} requirements met"
    data = {"requirements": len(runtime), "locked": len(locked), "differ": differ}
    if differ:
        return Check(
            "packages",
            "warn",
            f"{detail}; {len(differ)} installed package(s) differ from requirements.lock: "
            + ", ".join(differ[:8])
            + (", ..." if len(differ) > 8 else ""),
            data,
        )
    return Check(
        "packages", "ok", f"{detail}; installed ones at requirements.lock's versions", data
    )


def check_ezkl(d: Doctor) -> Check:
    from packaging.requirements import Requirement

    version = _installed("ezkl")
    if version is None:
        raise _Problem("ezkl is not installed: `make setup`")
    try:
        import ezkl  # noqa: F401 - a native extension: installed is not yet loadable
    except ImportError as exc:
        raise _Problem(f"ezkl {version} is installed but does not load: {exc}") from None
    try:
        pins = [r for r in map(Requirement, metadata.requires("zkalert") or []) if r.name == "ezkl"]
    except metadata.PackageNotFoundError:
        pins = []
    pinned = str(pins[0].specifier) if pins else None
    if pinned and not pins[0].specifier.contains(version, prereleases=True):
        raise _Problem(f"ezkl {version}, zkalert needs {pinned}: keys, proofs and verifiers differ")
    return Check(
        "ezkl",
        "ok",
        f"ezkl {version}" + (f" (zkalert pins {pinned})" if pinned else ""),
        {"version": version, "pinned": pinned},
    )


def _pinned_tool(package: str) -> str | None:
    """The version .tools/package.json pins for an npm package, if it is there."""
    path = PROJECT_ROOT / ".tools" / "package.json"
    try:
        return str(json.loads(path.read_text())["dependencies"][package])
    except (OSError, ValueError, KeyError):
        return None


def check_forge(d: Doctor) -> Check:
    from zkalert.toolchain import tool

    forge = tool("forge")
    out = subprocess.run(
        [str(forge), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    first = (out.stdout.strip().splitlines() or ["?"])[0]
    if out.returncode != 0:
        raise _Problem(f"{forge} --version failed (exit {out.returncode})")
    version = first.split("Version:")[-1].strip().split("-")[0] if "Version:" in first else first
    pinned = _pinned_tool("@foundry-rs/forge")
    data = {"path": str(forge), "version": version, "pinned": pinned}
    if pinned and version != pinned:
        return Check(
            "forge", "warn", f"forge {version} at {forge}, .tools/package.json pins {pinned}", data
        )
    return Check("forge", "ok", f"forge {version} ({forge})", data)


def check_solc(d: Doctor) -> Check:
    from zkalert.toolchain import solc, solc_version

    path = solc()
    version = solc_version()
    pinned = _pinned_tool("solc")
    data = {"path": str(path), "version": version, "pinned": pinned}
    if pinned and version != pinned:
        return Check(
            "solc",
            "warn",
            f"solc {version} at {path}, the project pins {pinned}: verifier code differs by version",
            data,
        )
    return Check("solc", "ok", f"solc {version} ({path})", data)


# ---------------------------------------------------------------------- workspace


def check_workspace(d: Doctor) -> Check:
    ws = d.workspace
    if not ws.root.is_dir():
        raise _Problem(f"no workspace at {ws.root}: `zkalert train` and `zkalert compile` make one")
    needed = {
        "detector": ws.detector,
        "detector record": ws.detector_meta,
        "settings": ws.settings,
        "compiled circuit": ws.compiled,
        "verifying key": ws.vk,
        "proving key": ws.pk,
        "circuit record": ws.circuit_meta,
    }
    missing = [f"{what} ({path.name})" for what, path in needed.items() if not path.is_file()]
    if missing:
        raise _Problem(
            f"{ws.root} lacks {', '.join(missing)}: run `zkalert train` / `zkalert compile`"
        )
    return Check("workspace", "ok", f"{ws.root}: detector, settings, circuit, keys", {})


def check_circuit(d: Doctor) -> Check:
    from eth_utils import keccak

    from zkalert.zk.circuit import CircuitInfo

    info = CircuitInfo.load(d.workspace)
    model_id = "0x" + keccak(d.workspace.vk.read_bytes()).hex()
    if model_id != info.model_id.lower():
        raise _Problem(
            f"vk.key hashes to {model_id}, the circuit record says {info.model_id}: "
            "the keys changed after `zkalert compile`; compile again"
        )
    d.info = info
    return Check(
        "circuit",
        "ok",
        f"model {info.model_id}: logrows {info.logrows}, {info.windows_per_proof} window(s) per "
        f"proof, {info.commitment} commitment",
        {"model_id": info.model_id, "logrows": info.logrows, "commitment": info.commitment},
    )


def _srs_of(
    name: str,
    compiled: Path,
    srs_path: str,
    kind: str,
    srs_id: str,
    transcript_hash: str,
    digest: str,
) -> dict[str, Any]:
    """One circuit's SRS: where, its kind and id as recorded at compile, and whether the file
    there is still that SRS and the keys were made with it."""
    from zkalert.zk.circuit import circuit_digest
    from zkalert.zk.srsid import ezkl_srs_tau_g2

    path = Path(srs_path)
    entry: dict[str, Any] = {
        "circuit": name,
        "srs": srs_path,
        "kind": kind,
        "development": kind == "development",
        "srs_id": srs_id,
        "transcript_hash": transcript_hash,
    }
    if not path.is_file():
        entry["problem"] = f"{name}: its SRS {path} is missing (the prover needs it)"
        return entry
    try:
        actual = ezkl_srs_tau_g2(path).srs_id_hex
    except CircuitError as exc:
        entry["problem"] = f"{name}: {exc}"
        return entry
    if srs_id and actual != srs_id:
        entry["problem"] = (
            f"{name}: the SRS at {path} (id {actual[:18]}…) is not the one it was compiled "
            f"with (id {srs_id[:18]}…): compile again"
        )
    elif digest and compiled.is_file() and circuit_digest(compiled, path) != digest:
        entry["problem"] = (
            f"{name}: its keys were not made with the SRS at {path} (or the circuit changed): "
            "compile again"
        )
    return entry


def check_srs(d: Doctor) -> Check:
    from zkalert.zk.circuit import srs_summary

    info = d.info
    assert info is not None
    entries = [
        _srs_of(
            "detector",
            d.workspace.compiled,
            info.srs_path,
            info.srs_source,
            info.srs_id,
            info.srs_transcript_hash,
            info.circuit_digest,
        )
    ]
    for record in sorted((d.workspace.root / "ts").glob("*/*/circuit.json")):
        ts = json.loads(record.read_text())
        development = bool(ts.get("srs_development_only", True))
        entries.append(
            _srs_of(
                f"ts/{record.parent.parent.name}/{record.parent.name}",
                record.parent / "model.compiled",
                str(ts.get("srs_path", "")),
                str(ts.get("srs_kind") or ("development" if development else "file")),
                str(ts.get("srs_id", "")),
                str(ts.get("srs_transcript_hash", "")),
                "",  # time-series circuit records keep no key digest
            )
        )
    problems = [e["problem"] for e in entries if "problem" in e]
    if problems:
        raise _Problem("; ".join(problems))
    kinds = ", ".join(
        f"{e['circuit']}: {srs_summary(e['kind'], e['srs_id'], e['transcript_hash'])}"
        for e in entries
    )
    if any(e["development"] for e in entries):
        return Check(
            "srs",
            "warn",
            f"{kinds}. A development SRS is made here by EZKL's gen_srs, its secret known to "
            "this machine: not for production (compile with --srs CEREMONY.ptau)",
            {"circuits": entries},
        )
    if any(e["kind"] == "file" for e in entries):
        return Check(
            "srs",
            "ok",
            f"{kinds}: an SRS file given as it is; which ceremony it came from is not recorded "
            "(compile with --srs TRANSCRIPT.ptau to record it)",
            {"circuits": entries},
        )
    return Check("srs", "ok", kinds, {"circuits": entries})


def check_node(d: Doctor) -> Check:
    network = None
    if d.options.network:
        from zkalert.gateway.networks import load_network, web3_for

        network = load_network(d.options.network, d.options.networks_file, d.options.rpc_url)
        url = network.rpc_url
        w3 = web3_for(network)
    else:
        url = d.options.rpc_url or rpc_url()
        w3 = Web3(
            Web3.HTTPProvider(
                url, request_kwargs={"timeout": 10}, exception_retry_configuration=None
            )
        )
    try:
        chain_id = int(w3.eth.chain_id)
        block = int(w3.eth.block_number)
    except Exception as exc:  # noqa: BLE001 - requests/web3 raise many transport errors: the node is not there
        where = f"network {network.name!r}'s rpc_url" if network else "--rpc-url / RPC_URL"
        raise _Problem(
            f"node unreachable at {url} ({type(exc).__name__}): start it, or fix {where}"
        ) from None
    try:
        client = str(w3.client_version)
    except Exception:  # noqa: BLE001 - web3_clientVersion is optional for a node
        client = "unknown client"
    if network is not None and chain_id != network.chain_id:
        raise _Problem(
            f"the node at {url} is chain {chain_id}, network {network.name!r} expects "
            f"{network.chain_id}: wrong URL, or fix chain_id in the networks file"
        )
    d.w3, d.chain_id, d.client = w3, chain_id, client
    return Check(
        "node",
        "ok",
        f"chain {chain_id} at {url}, block {block}, {client}",
        {"url": url, "chain_id": chain_id, "block": block, "client": client},
    )


def check_deployment(d: Doctor) -> Check:
    from zkalert.evm.registry import Deployment

    assert d.chain_id is not None
    root = d.options.deployments or shared_path("deployments")
    folder = root / str(d.chain_id)
    if not (folder / "AlertRegistry.json").is_file():
        raise _Problem(
            f"deployment missing: no AlertRegistry record for chain {d.chain_id} in {folder}: "
            "run `zkalert deploy` (or point --deployments at the folder holding it)"
        )
    d.folder = folder
    d.deployment = deployment = Deployment.load(d.chain_id, folder)
    found = [f"AlertRegistry {deployment.registry_address}", f"{len(deployment.models)} model(s)"]
    found += [
        name for name in ("WindowLog", "TimeSeriesRegistry") if (folder / f"{name}.json").is_file()
    ]
    return Check(
        "deployment",
        "ok",
        f"{folder}: " + ", ".join(found),
        {"folder": str(folder), "registry": deployment.registry_address},
    )


def _version(contract: Contract) -> str:
    try:
        return str(contract.functions.version().call())
    except Exception:  # noqa: BLE001 - no version(): not one of our contracts
        return "unknown"


def _contract_code(d: Doctor, what: str, address: str) -> bytes:
    code = bytes(d.chain.eth.get_code(Web3.to_checksum_address(address)))
    if not code:
        raise _Problem(
            f"no contract at {address}, where the {what} record points (a restarted node?): "
            "deploy again"
        )
    return code


def check_registry(d: Doctor) -> Check:
    from zkalert.evm.registry import REGISTRY_VERSION

    deployment = d.recorded
    address = deployment.registry_address
    code = _contract_code(d, "AlertRegistry", address)
    contract = d.chain.eth.contract(address=address, abi=deployment.registry_abi)
    version = _version(contract)
    if version != REGISTRY_VERSION:
        raise _Problem(
            f"the AlertRegistry at {address} is version {version}, this zkalert speaks "
            f"{REGISTRY_VERSION}: `zkalert deploy` makes a new one"
        )
    same = code_against_build(code, "AlertRegistry.sol:AlertRegistry")
    if same is False:
        raise _Problem(
            f"the AlertRegistry at {address} (version {version}) runs other code than this "
            "checkout's build (out/AlertRegistry.sol): another source"
        )
    d.registry = contract
    owner = str(contract.functions.owner().call())
    data = {"address": address, "version": version, "owner": owner, "code_matches_build": same}
    if same is None:
        return Check(
            "registry",
            "warn",
            f"AlertRegistry {version} at {address}; its code not compared: no forge build in "
            f"{BUILD_DIR} (`forge build`)",
            data,
        )
    return Check(
        "registry",
        "ok",
        f"AlertRegistry {version} at {address}, code as built, owner {owner}",
        data,
    )


def _short(model_id: str) -> str:
    return model_id[:10] + "…"


def check_verifiers(d: Doctor) -> Check:
    assert d.folder is not None and d.registry is not None
    registry = d.registry
    problems: list[str] = []
    unbuilt: list[str] = []
    checked = 0
    records = sorted((d.folder / "models").glob("*.json")) if (d.folder / "models").is_dir() else []
    for path in records:
        record = json.loads(path.read_text())
        model_id = str(record["model_id"]).lower()
        onchain = registry.functions.model(bytes.fromhex(model_id[2:])).call()
        verifier = Web3.to_checksum_address(onchain[0])
        if int(verifier, 16) == 0:
            problems.append(f"model {_short(model_id)} is recorded but not registered")
            continue
        if verifier != Web3.to_checksum_address(record["verifier"]):
            problems.append(
                f"model {_short(model_id)}: the registry has verifier {verifier}, "
                f"{path.name} says {record['verifier']}"
            )
            continue
        code = bytes(d.chain.eth.get_code(verifier))
        if not code:
            problems.append(f"model {_short(model_id)}: its verifier {verifier} has no code")
            continue
        artifact = record.get("verifier_artifact")
        same = code_against_build(code, str(artifact)) if artifact else None
        if same is False:
            problems.append(
                f"model {_short(model_id)}: its verifier {verifier} runs other code than the "
                f"build of {artifact}"
            )
        elif same is None:
            unbuilt.append(_short(model_id))
        checked += 1
    notes: list[str] = []
    info = d.info
    if info is None:
        notes.append("the workspace's model not checked (no circuit record)")
    else:
        model_id = info.model_id.lower()
        onchain = registry.functions.model(bytes.fromhex(model_id[2:])).call()
        verifier = Web3.to_checksum_address(onchain[0])
        if int(verifier, 16) == 0:
            problems.append(
                f"the workspace's model {_short(model_id)} is not registered on chain "
                f"{d.chain_id}: run `zkalert deploy`"
            )
        else:
            wanted = (info.threshold_felt, info.windows_per_proof, COMMITMENTS[info.commitment])
            got = (int(onchain[1]), int(onchain[2]), int(onchain[4]))
            if got != wanted:
                problems.append(
                    f"the workspace's model {_short(model_id)} is registered with (threshold, "
                    f"windows per proof, commitment) {got}, its circuit has {wanted}"
                )
            elif d.options.deep:
                from zkalert.evm.vkaverifier import verifier_problems

                problems += verifier_problems(
                    d.chain, verifier, d.workspace.vk, d.workspace.settings, Path(info.srs_path)
                )
                notes.append(
                    "its verifier is EZKL's for its verifying key"
                    + (" (reusable verifier and VKA)" if info.verifier_kind == "vka" else "")
                )
            notes.insert(0, f"the workspace's model {_short(model_id)} registered")
    data = {"models": checked, "not_compared": unbuilt, "problems": problems}
    if problems:
        raise _Problem("; ".join(problems))
    if not records and info is None:
        return Check("verifiers", "warn", "no model recorded for this chain", data)
    detail = f"{checked} model(s) registered with their recorded verifiers"
    detail += ", code as built" if not unbuilt else f" ({len(unbuilt)} not compared: no build)"
    return Check("verifiers", "warn" if unbuilt else "ok", "; ".join([detail, *notes]), data)


def check_window_log(d: Doctor) -> Check:
    from zkalert.evm.windowlog import WINDOW_LOG_VERSION, WindowLogDeployment

    assert d.folder is not None and d.chain_id is not None
    if not (d.folder / "WindowLog.json").is_file():
        return Check(
            "window-log",
            "skip",
            "no WindowLog recorded (the utility service's window commits need one)",
        )
    log = WindowLogDeployment.load(d.chain_id, d.folder)
    code = _contract_code(d, "WindowLog", log.address)
    contract = d.chain.eth.contract(address=log.address, abi=log.abi)
    version = _version(contract)
    if version != WINDOW_LOG_VERSION:
        raise _Problem(
            f"the WindowLog at {log.address} is version {version}, this zkalert speaks "
            f"{WINDOW_LOG_VERSION}: `zkalert deploy --window-log` makes a new one"
        )
    bound = Web3.to_checksum_address(contract.functions.registry().call())
    if bound != d.recorded.registry_address:
        raise _Problem(
            f"the WindowLog at {log.address} is bound to registry {bound}, not to "
            f"{d.recorded.registry_address}"
        )
    same = code_against_build(code, "WindowLog.sol:WindowLog")
    if same is False:
        raise _Problem(f"the WindowLog at {log.address} runs other code than this checkout's build")
    return Check(
        "window-log",
        "ok" if same else "warn",
        f"WindowLog {version} at {log.address}, bound to the registry"
        + (", code as built" if same else "; code not compared: no forge build"),
        {"address": log.address, "version": version},
    )


def check_ts_registry(d: Doctor) -> Check:
    from zkalert.timeseries.chain import TS_REGISTRY_VERSION, TsDeployment

    assert d.folder is not None and d.chain_id is not None
    if not (d.folder / "TimeSeriesRegistry.json").is_file():
        return Check(
            "ts-registry", "skip", "no TimeSeriesRegistry recorded (time-series mode not deployed)"
        )
    ts = TsDeployment.load(d.chain_id, d.folder)
    code = _contract_code(d, "TimeSeriesRegistry", ts.address)
    version = _version(d.chain.eth.contract(address=ts.address, abi=ts.abi))
    if version != TS_REGISTRY_VERSION:
        raise _Problem(
            f"the TimeSeriesRegistry at {ts.address} is version {version}, this zkalert speaks "
            f"{TS_REGISTRY_VERSION}: `zkalert ts deploy` makes a new one"
        )
    compared = [code_against_build(code, "TimeSeriesRegistry.sol:TimeSeriesRegistry")]
    problems = [] if compared[0] is not False else ["the registry runs other code than the build"]
    for model_id, record in sorted(ts.models.items()):
        for part in ("tc", "sc"):
            verifier = record.get(f"{part}_verifier")
            verifier_code = bytes(d.chain.eth.get_code(Web3.to_checksum_address(str(verifier))))
            if not verifier_code:
                problems.append(f"model {_short(model_id)}: its {part} verifier has no code")
                continue
            artifact = record.get(f"{part}_verifier_artifact")
            same = code_against_build(verifier_code, str(artifact)) if artifact else None
            compared.append(same)
            if same is False:
                problems.append(
                    f"model {_short(model_id)}: its {part} verifier runs other code than the build"
                )
    if problems:
        raise _Problem(f"TimeSeriesRegistry at {ts.address}: " + "; ".join(problems))
    unbuilt = compared.count(None)
    return Check(
        "ts-registry",
        "warn" if unbuilt else "ok",
        f"TimeSeriesRegistry {version} at {ts.address}, {len(ts.models)} model(s)"
        + (f"; {unbuilt} contract(s) not compared: no build" if unbuilt else ", code as built"),
        {"address": ts.address, "version": version, "models": len(ts.models)},
    )


def check_gateway(d: Doctor) -> Check:
    assert d.registry is not None
    address = d.gateway_address()
    well_known = address == Account.from_key(ANVIL_KEY_0).address
    if well_known and not any(name in d.client.lower() for name in DEV_CLIENTS):
        raise _Problem(
            f"the gateway {address} is anvil's well-known development account (anyone can sign "
            f"as it), on a {d.client} chain: set PRIVATE_KEY to the gateway's own key"
        )
    if not d.registry.functions.isGateway(address).call():
        raise _Problem(
            f"the gateway {address} is not allowed by the registry "
            f"{d.recorded.registry_address}: its owner must call setGateway"
        )
    return Check(
        "gateway",
        "ok",
        f"{address} is allowed by the registry"
        + (" (anvil's development account)" if well_known else ""),
        {"address": address},
    )


def check_funds(d: Doctor) -> Check:
    address = d.gateway_address()
    balance = int(d.chain.eth.get_balance(Web3.to_checksum_address(address)))
    if balance <= 0:
        raise _Problem(
            f"the gateway {address} holds no ether on chain {d.chain_id}: it cannot pay for gas"
        )
    return Check(
        "funds",
        "ok",
        f"{address} holds {balance / 10**18:.6g} ether",
        {"address": address, "wei": str(balance)},
    )


def check_outbox(d: Doctor) -> Check:
    from zkalert.gateway.outbox import Outbox, default_outbox_path

    path = Path(d.options.outbox or default_outbox_path(d.workspace.root, d.network_name()))
    if not path.is_file():
        return Check("outbox", "skip", f"no outbox at {path} (nothing queued yet)")
    with Outbox.open(path, readonly=True) as box:
        counts, meta = box.counts(), box.meta()
    expected = {}
    if d.chain_id is not None:
        expected["chain_id"] = str(d.chain_id)
    if d.deployment is not None:
        expected["registry"] = d.deployment.registry_address.lower()
    try:
        expected["gateway"] = d.gateway_address().lower()
    except ConfigError:
        pass
    wrong = [
        f"{key} {meta[key]} (here: {value})"
        for key, value in expected.items()
        if key in meta and meta[key] != value
    ]
    if wrong:
        raise _Problem(
            f"outbox {path} belongs to another " + ", ".join(wrong) + ": the sender will refuse it"
        )
    pending = {s: counts[s] for s in ("scored", "proven", "sent") if counts[s]}
    detail = (
        f"{path}: {counts['confirmed']} confirmed, {sum(pending.values())} pending"
        + (f" ({', '.join(f'{s} {n}' for s, n in pending.items())})" if pending else "")
        + f", {counts['refused']} refused"
    )
    data = {"path": str(path), "counts": counts}
    if counts["refused"]:
        return Check(
            "outbox",
            "warn",
            detail + " by the registry (`zkalert outbox status` lists them)",
            data,
        )
    return Check("outbox", "ok", detail, data)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


#: (name, the checks it needs, the check), in the order they run.
def check_config(d: Doctor) -> Check:
    if d.options.config_error:
        raise _Problem(f"{d.options.config_error} (the other checks use the built-in defaults)")
    if d.options.config_file is None:
        return Check(
            "config", "ok", "no zkalert.toml: built-in defaults (`zkalert init` writes one)"
        )
    return Check(
        "config", "ok", f"{d.options.config_file} valid", {"file": str(d.options.config_file)}
    )


CHECKS: list[tuple[str, tuple[str, ...], Callable[[Doctor], Check]]] = [
    ("config", (), check_config),
    ("python", (), check_python),
    ("packages", (), check_packages),
    ("ezkl", (), check_ezkl),
    ("forge", (), check_forge),
    ("solc", (), check_solc),
    ("workspace", (), check_workspace),
    ("circuit", ("workspace",), check_circuit),
    ("srs", ("circuit",), check_srs),
    ("node", (), check_node),
    ("deployment", ("node",), check_deployment),
    ("registry", ("deployment",), check_registry),
    ("verifiers", ("registry",), check_verifiers),
    ("window-log", ("registry",), check_window_log),
    ("ts-registry", ("deployment",), check_ts_registry),
    ("gateway", ("registry",), check_gateway),
    ("funds", ("node",), check_funds),
    ("outbox", (), check_outbox),
]
