"""``zkalert.toml``: a plant's settings in one file, every key overridable.

Where a value comes from, highest first:

1. a command's own option (``zkalert train --epochs 50``);
2. ``--set SECTION.KEY=VALUE`` given to ``zkalert`` itself (any key, any command);
3. the key's environment variable, ``ZKALERT_<SECTION>_<KEY>`` (``ZKALERT_CIRCUIT_SCALE=9``),
   or the older name some keys keep (``RPC_URL``, ``ZKALERT_HOME``, ...);
4. the file: ``--config PATH``, else ``$ZKALERT_CONFIG``, else ``./zkalert.toml`` if present;
5. the built-in default (the repository's demo setup).

Unknown sections and keys are refused, in the file and in ``ZKALERT_<SECTION>_*`` variables
alike. Relative paths are relative to the file's folder (from the file) or to the working
directory (from an option or a variable). ``zkalert config show`` prints every effective value
and where it came from; ``zkalert init`` writes a file with every key and its meaning.

The command line hands the values to the commands as their option defaults (click's
``default_map``), and the shared folders to :func:`zkalert.config.configure`.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zkalert.config import DEFAULT_RPC_URL, DEFAULT_SCHEME, HOME, SHARED_PATHS, configure
from zkalert.data.source import DataSource
from zkalert.errors import ConfigError
from zkalert.keys import (
    ACCOUNT_ENV,
    DEV_CHAINS_ENV,
    KEYSTORE_ENV,
    PASSWORD_FILE_ENV,
    KeySettings,
)

CONFIG_FILE = "zkalert.toml"
CONFIG_ENV = "ZKALERT_CONFIG"
ENV_PREFIX = "ZKALERT_"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathsSection(Section):
    """Folders: artifacts, deployment records, reports, SRS files, cached circuit keys."""

    workdir: Path = Field(
        Path("build"), description="Artifact folder of one detector: model, circuit, keys, proofs."
    )
    deployments: Path = Field(
        Path("deployments"), description="Deployment records, one folder per chain id."
    )
    reports: Path = Field(
        Path("build/reports"), description="Where commands that measure write their reports."
    )
    srs_dir: Path = Field(
        Path("build/srs"), description="SRS files (shared by circuits of the same size)."
    )
    key_cache: Path = Field(
        Path("build/keys"), description="Circuit keys cached by circuit hash (shared)."
    )


class DetectorSection(Section):
    """Training of the window detector (a member of the detector family)."""

    kind: Literal["autoencoder", "autoencoder-small", "whitened-l1", "whitened-sq", "pca-t2q"] = (
        Field(
            "whitened-sq",
            description="The family member: whitened-sq (the default), whitened-l1, pca-t2q, "
            "autoencoder (the paper's) or autoencoder-small.",
        )
    )
    epochs: int = Field(200, ge=1, description="Training epochs.")
    seed: int = Field(0, ge=0, description="Random seed of training and data splits.")


class CircuitSection(Section):
    """The EZKL circuit the detector is compiled to."""

    commitment: Literal["poseidon", "kzg"] = Field(
        DEFAULT_SCHEME,
        description="How proofs commit to each window: kzg (the proof's G1 point; for the default "
        "detector about 4x faster to prove) or poseidon (a hash in the public instances).",
    )
    windows_per_proof: int = Field(1, ge=1, le=64, description="Windows covered by one proof.")
    scale: int | None = Field(
        None,
        ge=1,
        le=20,
        description="Fixed-point scale (bits) of inputs/weights (default: the detector's own, "
        "10 for the autoencoders, 13 for the linear detectors).",
    )
    tuned: bool = Field(False, description="Build the circuit `zkalert tune` chose.")
    tune_scales: list[int] = Field(
        [7, 8, 9, 10, 11], min_length=1, description="Fixed-point scales `zkalert tune` tries."
    )
    contract: str = Field(
        "DetectorVerifier",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the generated Solidity verifier contract.",
    )


class SrsSection(Section):
    """The structured reference string the circuit keys are made with."""

    file: Path | None = Field(
        None,
        description="A ceremony's powers-of-tau transcript (.ptau, imported for each circuit's "
        "logrows) or an EZKL SRS file, for `zkalert compile` and `zkalert ts compile`; unset: "
        "a development SRS is generated (not for production).",
    )
    hash: str | None = Field(
        None,
        pattern=r"^(0x)?([0-9a-fA-F]{64}|[0-9a-fA-F]{128})$",
        description="The file's published hash: blake2b-512 (128 hex digits, as published for "
        "the Perpetual Powers of Tau and Hermez transcripts) or SHA-256 (64); a file that "
        "differs is refused.",
    )
    accepted_id: str | None = Field(
        None,
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="The SRS id (keccak256 of [τ]G2) the regulator accepts: `zkalert audit`, "
        "`zkalert ts audit` and the regulator's service flag every verifier made with another SRS.",
    )


class NetworkSection(Section):
    """The chain: a named entry of the networks file (or of this file's [networks] tables)."""

    name: str = Field("anvil", min_length=1, description="Network name in the networks file.")
    file: Path = Field(
        Path("networks.toml"),
        description="Networks file; a [networks.NAME] table in zkalert.toml itself makes this "
        "file the default.",
    )
    rpc_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="JSON-RPC endpoint; overrides the network's rpc_url (default: the network's).",
    )


class ServicesSection(Section):
    """The utility's and the regulator's REST services."""

    host: str = Field("127.0.0.1", description="Interface the services listen on.")
    utility_port: int = Field(8901, ge=1, le=65535, description="The utility service's port.")
    regulator_port: int = Field(8902, ge=1, le=65535, description="The regulator service's port.")
    utility_tokens: Path | None = Field(
        None, description="The utility's tokens file (made by `zkalert serve token`)."
    )
    regulator_tokens: Path | None = Field(
        None, description="The regulator's tokens file (optional: audits then need a token)."
    )
    store: str | None = Field(
        None,
        description="The utility's window store: SQLite file or postgresql:// URL "
        "(default <workdir>/utility/windows.sqlite).",
    )
    policy: Literal["lazy", "eager"] = Field(
        "lazy",
        description="lazy: commit windows, prove on request; eager: also prove and record "
        "every alarm at once.",
    )
    utility_url: str | None = Field(
        None, pattern=r"^https?://", description="The utility service's URL (regulator side)."
    )


class ClusterSection(Section):
    """Where proofs are made: an embedded Dask cluster on this machine, or a plant's cluster."""

    address: str | None = Field(
        None,
        pattern=r"^(tcp|tls|ws|wss|ucx)://[^\s/]+$",
        description="A Dask scheduler to prove on, e.g. tcp://prover-1:8786 (`dask scheduler`, "
        "workers with --resources MEMORY=<bytes>); unset: an embedded cluster on this machine.",
    )
    workers: int | None = Field(
        None,
        ge=1,
        le=256,
        description="Provers of the embedded cluster (default: one per core, as far as the "
        "memory holds the circuit's proofs).",
    )
    connect_timeout_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="How long to wait for the scheduler, and for a worker, before giving up.",
    )


class Settings(Section):
    """Everything zkalert.toml can hold."""

    paths: PathsSection = PathsSection()
    data: DataSource = DataSource()
    detector: DetectorSection = DetectorSection()
    circuit: CircuitSection = CircuitSection()
    srs: SrsSection = SrsSection()
    network: NetworkSection = NetworkSection()
    key: KeySettings = KeySettings()
    services: ServicesSection = ServicesSection()
    cluster: ClusterSection = ClusterSection()
    networks: dict[str, dict[str, Any]] = Field(
        {},
        description="Inline network tables, same keys as networks.toml ([networks.NAME]).",
    )


SECTIONS: dict[str, type[BaseModel]] = {
    name: info.annotation
    for name, info in Settings.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
}

#: Keys handed to :func:`zkalert.config.configure` (shared folders and the networks file).
SHARED_KEYS = {
    "paths.workdir": "workdir",
    "paths.deployments": "deployments",
    "paths.reports": "reports",
    "paths.srs_dir": "srs_dir",
    "paths.key_cache": "key_cache",
    "network.file": "networks",
}


#: Older environment variable names, still read (the library reads them too): the shared paths'
#: and the key settings' own, and a few more.
LEGACY_ENV: dict[str, str] = {
    **{key: SHARED_PATHS[name][0] for key, name in SHARED_KEYS.items()},
    "network.name": "ZKALERT_NETWORK",
    "network.rpc_url": "RPC_URL",
    "services.utility_url": "ZKALERT_UTILITY_URL",
    "key.keystore": KEYSTORE_ENV,
    "key.account": ACCOUNT_ENV,
    "key.password_file": PASSWORD_FILE_ENV,
    "key.dev_chains": DEV_CHAINS_ENV,
}

#: Which command options a key supplies the default of: (command path, parameter name).
#: "*" matches every command with a parameter of that name.
OPTION_KEYS: dict[str, list[tuple[str, str]]] = {
    "paths.workdir": [("*", "workdir")],
    "paths.deployments": [("doctor", "deployments")],
    "detector.kind": [("train", "detector_kind")],
    "detector.epochs": [("train", "epochs")],
    "detector.seed": [("train", "seed")],
    "circuit.commitment": [("compile", "commitment")],
    "circuit.windows_per_proof": [("compile", "windows_per_proof")],
    "circuit.scale": [("compile", "scale")],
    "circuit.tuned": [("compile", "tuned")],
    "circuit.contract": [("compile", "contract")],
    "circuit.tune_scales": [("tune", "scales")],
    "srs.file": [("compile", "srs"), ("ts compile", "srs"), ("demo", "srs")],
    "srs.hash": [("compile", "srs_hash"), ("ts compile", "srs_hash")],
    "srs.accepted_id": [("audit", "srs_id"), ("ts audit", "srs_id"), ("serve regulator", "srs_id")],
    "network.rpc_url": [("*", "rpc_url_opt")],
    "network.name": [("*", "network"), ("doctor", "network_name")],
    "services.host": [("serve utility", "host"), ("serve regulator", "host")],
    "services.utility_port": [("serve utility", "port")],
    "services.regulator_port": [("serve regulator", "port")],
    "services.utility_tokens": [("serve utility", "tokens"), ("serve token", "tokens")],
    "services.regulator_tokens": [("serve regulator", "tokens")],
    "services.store": [("serve utility", "store")],
    "services.policy": [("serve utility", "policy")],
    "services.utility_url": [("*", "utility_url"), ("serve push", "url")],
    "cluster.address": [("*", "cluster")],
    "cluster.workers": [("*", "workers")],
}


def known_keys() -> list[str]:
    """Every ``section.key`` zkalert.toml accepts."""
    return [
        f"{section}.{name}" for section, model in SECTIONS.items() for name in model.model_fields
    ]


def env_name(key: str) -> str:
    """``circuit.scale`` -> ``ZKALERT_CIRCUIT_SCALE``."""
    return ENV_PREFIX + key.replace(".", "_").upper()


@dataclass
class Loaded:
    """The effective settings, where each key came from, and the file read (if any)."""

    settings: Settings
    sources: dict[str, str]
    file: Path | None

    def is_set(self, key: str) -> bool:
        """Whether the key's value is anything but the built-in default the library applies by
        itself (a default next to the config file counts as set; an older environment variable,
        which the library reads itself, does not)."""
        source = self.sources.get(key, "default")
        return source != "default" and source.lstrip("$") not in LEGACY_ENV.values()

    def value(self, key: str) -> Any:
        section, name = key.split(".", 1)
        return getattr(getattr(self.settings, section), name)

    def rows(self) -> list[tuple[str, Any, str]]:
        """(key, value, source) for every key, in file order."""
        out = []
        for section, model in SECTIONS.items():
            for name in model.model_fields:
                key = f"{section}.{name}"
                out.append((key, self.value(key), self.sources.get(key, "default")))
        for name, table in self.settings.networks.items():
            out.append((f"networks.{name}", table, self.sources.get("networks", "default")))
        return out


_current: Loaded | None = None


def current() -> Loaded | None:
    """The settings this command line loaded (None in library use)."""
    return _current


def find_file(option: Path | None, env: Mapping[str, str]) -> Path | None:
    """The config file in use: --config, $ZKALERT_CONFIG, ./zkalert.toml, or none."""
    if option is not None:
        if not option.is_file():
            raise ConfigError(f"--config {option}: no such file")
        return option.resolve()
    if env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
        if not path.is_file():
            raise ConfigError(f"${CONFIG_ENV} names {path}: no such file")
        return path.resolve()
    local = Path.cwd() / CONFIG_FILE
    return local.resolve() if local.is_file() else None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    known = set(Settings.model_fields)
    for section, value in data.items():
        if section not in known:
            raise ConfigError(
                f"{path}: unknown section [{section}] (known: {', '.join(sorted(known))})"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {section} must be a table ([{section}])")
        if section in SECTIONS:
            allowed = set(SECTIONS[section].model_fields)
            for key in value:
                if key not in allowed:
                    raise ConfigError(
                        f"{path}: unknown key {key!r} in [{section}] "
                        f"(known: {', '.join(sorted(allowed))})"
                    )
    return data


def _parse_text(key: str, text: str) -> Any:
    """A value given as text (environment, --set): typed like the key's default."""
    section, name = key.split(".", 1)
    info = SECTIONS[section].model_fields[name]
    if "list[int]" in str(info.annotation) or "frozenset[int]" in str(info.annotation):
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ConfigError(f"{key} must be comma-separated integers, got {text!r}") from None
    if "list[str]" in str(info.annotation):
        return [part.strip() for part in text.split(",") if part.strip()]
    if text == "" and "None" in str(info.annotation):
        return None
    return text


def _key_of(name: str) -> str | None:
    """The key a ZKALERT_* variable sets, or None when it is not a settings variable."""
    rest = name[len(ENV_PREFIX) :].lower()
    section, _, key = rest.partition("_")
    if section not in SECTIONS or not key:
        return None
    if key not in SECTIONS[section].model_fields:
        raise ConfigError(
            f"${name}: {section} has no key {key!r} "
            f"(known: {', '.join(sorted(SECTIONS[section].model_fields))})"
        )
    return f"{section}.{key}"


def parse_assignment(text: str) -> tuple[str, str]:
    """``--set section.key=value`` -> (key, value); unknown keys refused."""
    key, sep, value = text.partition("=")
    key = key.strip()
    section, _, name = key.partition(".")
    if not sep or not name:
        raise ConfigError(f"--set {text!r}: expected SECTION.KEY=VALUE, e.g. circuit.scale=9")
    if section not in SECTIONS:
        raise ConfigError(
            f"--set {key}: unknown section {section!r} (known: {', '.join(sorted(SECTIONS))})"
        )
    if name not in SECTIONS[section].model_fields:
        raise ConfigError(
            f"--set {key}: {section} has no key {name!r} "
            f"(known: {', '.join(sorted(SECTIONS[section].model_fields))})"
        )
    return key, value


def load(
    config: Path | None = None,
    assignments: list[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Loaded:
    """The effective settings from defaults, file, environment and ``--set`` assignments."""
    env = os.environ if env is None else env
    path = find_file(config, env)
    raw: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    base = Path.cwd()

    def put(key: str, value: Any, source: str, relative_to: Path) -> None:
        section, name = key.split(".", 1)
        info = SECTIONS[section].model_fields[name]
        if value is not None and "Path" in str(info.annotation):
            value = relative_to / Path(str(value)).expanduser()
        raw.setdefault(section, {})[name] = value
        sources[key] = source

    networks: dict[str, Any] = {}
    if path is not None:
        data = _read_file(path)
        for section, table in data.items():
            if section == "networks":
                networks = table
                sources["networks"] = str(path)
                continue
            for name, value in table.items():
                put(f"{section}.{name}", value, str(path), path.parent)
        if networks and "network.file" not in sources:
            put("network.file", path, f"{path} ([networks] tables)", path.parent)
    for key, name in LEGACY_ENV.items():
        if env.get(name):
            put(key, _parse_text(key, env[name]), f"${name}", base)
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and env[name] != "" and name not in LEGACY_ENV.values():
            env_key = _key_of(name)
            if env_key is not None:
                put(env_key, _parse_text(env_key, env[name]), f"${name}", base)
    for text in assignments or []:
        key, value = parse_assignment(text)
        put(key, _parse_text(key, value), "--set", base)
    try:
        settings = Settings.model_validate({**raw, "networks": networks})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        origin = sources.get(where, "default")
        raise ConfigError(f"{where} (from {origin}): {error['msg']}") from None
    return _rebase_defaults(Loaded(settings, sources, path))


def _rebase_defaults(loaded: Loaded) -> Loaded:
    """Default folders are relative to the config file's folder (a plant keeps its artifacts
    next to its zkalert.toml), or without a file to the project (:data:`zkalert.config.HOME`)."""
    home = loaded.file.parent if loaded.file is not None else HOME
    sections: dict[str, Any] = {}
    for section in ("paths", "network"):
        model = getattr(loaded.settings, section)
        updates = {}
        for name in type(model).model_fields:
            key = f"{section}.{name}"
            value = getattr(model, name)
            if isinstance(value, Path) and not value.is_absolute():
                updates[name] = home / value
                if key not in loaded.sources and loaded.file is not None:
                    loaded.sources[key] = f"default, next to {loaded.file}"
        sections[section] = model.model_copy(update=updates)
    loaded.settings = loaded.settings.model_copy(update=sections)
    return loaded


def default_map(loaded: Loaded, commands: Mapping[str, set[str]]) -> dict[str, Any]:
    """click's default_map for every command option a key supplies, when the key is not at its
    built-in default. ``commands`` maps each command path ("serve utility") to its parameters.
    Options that supply a key carry no ``envvar`` of their own: the environment reaches them
    through here, below ``--set``."""
    out: dict[str, Any] = {}
    for key, targets in OPTION_KEYS.items():
        if loaded.sources.get(key, "default") == "default":
            continue
        value = loaded.value(key)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, Path):
            value = str(value)
        for command, param in targets:
            for path, params in commands.items():
                if (command == "*" or command == path) and param in params:
                    node = out
                    for part in path.split():
                        node = node.setdefault(part, {})
                    node[param] = value
    return out


def apply_shared(loaded: Loaded) -> None:
    """Make ``loaded`` this process's settings (:func:`current`) and hand the shared folders and
    the networks file to :func:`zkalert.config.configure`."""
    global _current
    _current = loaded
    configure(
        **{name: Path(loaded.value(key)) for key, name in SHARED_KEYS.items() if loaded.is_set(key)}
    )


def show(loaded: Loaded, as_json: bool = False) -> str:
    """``zkalert config show``: every key, its effective value and its source."""
    rows = loaded.rows()
    if as_json:
        return json.dumps(
            {
                "file": str(loaded.file) if loaded.file else None,
                "values": {
                    key: {"value": _jsonable(value), "source": source}
                    for key, value, source in rows
                },
            },
            indent=2,
        )
    lines = [f"# config file: {loaded.file or 'none (built-in defaults)'}"]
    width = max(len(key) for key, _, _ in rows)
    for key, value, source in rows:
        lines.append(f"{key:<{width}} = {_toml_value(value)}    # {source}")
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return value


def _toml_value(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(_toml_value(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value))


def template(overrides: Mapping[str, Any] | None = None) -> str:
    """The text ``zkalert init`` writes: every section and key with its meaning; keys at their
    default commented out, ``overrides`` (key -> value) set."""
    overrides = dict(overrides or {})
    lines = [
        "# zkalert.toml: this plant's settings (`zkalert config show` prints the effective ones).",
        "# Every key can be overridden by ZKALERT_<SECTION>_<KEY> or `zkalert --set SECTION.KEY=...`;",
        "# relative paths are relative to this file's folder.",
    ]
    for section, model in SECTIONS.items():
        lines += ["", f"[{section}]"]
        lines += [
            f"# {line.strip()}" for line in (model.__doc__ or "").splitlines() if line.strip()
        ]
        for name, info in model.model_fields.items():
            key = f"{section}.{name}"
            lines.append(f"# {info.description}")
            legacy = LEGACY_ENV.get(key)
            if legacy:
                lines.append(f"# (environment: {env_name(key)} or {legacy})")
            if key in overrides:
                lines.append(f"{name} = {_toml_value(_jsonable(overrides.pop(key)))}")
            elif info.default is None:
                lines.append(f"# {name} =")
            else:
                lines.append(f"# {name} = {_toml_value(_jsonable(info.default))}")
    if overrides:
        raise ConfigError(f"not a settings key: {', '.join(sorted(overrides))}")
    lines += [
        "",
        "# Networks, one table per chain, with the keys of networks.toml (rpc_url, chain_id, poa,",
        "# confirmations, block_time_s, fee and retry policy); [network] name picks one. With a",
        "# [networks.*] table here, this file is the networks file.",
        "[networks.anvil]",
        f"rpc_url = {_toml_value(DEFAULT_RPC_URL)}",
        "chain_id = 31337",
        "poa = false",
        "confirmations = 1",
        "block_time_s = 0",
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "CONFIG_FILE",
    "Loaded",
    "Settings",
    "current",
    "default_map",
    "env_name",
    "known_keys",
    "load",
    "show",
    "template",
]
