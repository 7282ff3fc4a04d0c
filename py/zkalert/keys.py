"""Signing keys: where the deployer's and the gateway's key come from, and where anvil's may not go.

A signer is, first found first:

1. an encrypted keystore file (``--keystore PATH``, ``ZKALERT_KEYSTORE``): the Web3 Secret
   Storage JSON that ``cast wallet new``/``cast wallet import``, geth and Ape write;
2. a Foundry account (``--account NAME``, ``ZKALERT_ACCOUNT``): the keystore
   ``cast wallet import NAME`` stored as ``~/.foundry/keystores/NAME``;
3. a raw key in ``PRIVATE_KEY`` (for development; it sits in the environment unencrypted);
4. nothing: anvil's account 0, on a development chain only.

A keystore's password comes from ``--password-file`` (``ZKALERT_PASSWORD_FILE``), else from the
environment variable named by ``password_env`` (``ZKALERT_KEYSTORE_PASSWORD``), else from a
prompt when standard input is a terminal. It never goes on a command line: forge gets a password
file (a 0600 temporary one, deleted afterwards, when the password came from elsewhere).

Development chains are chain ids 31337 (anvil, Hardhat) and 1337 (geth --dev, Ganache), those
listed in ``ZKALERT_DEV_CHAINS`` (comma-separated) or in the settings' ``dev_chains``, and those of
networks marked ``dev = true`` in networks.toml (the commands that read it pass them in). On every
other chain the ten accounts of anvil's and Hardhat's default mnemonic are refused
(:class:`~zkalert.errors.DevelopmentKeyRefused`): their private keys are public, so anyone could
sign as them. The deploy scripts (script/Base.s.sol) apply the same rule on their side.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zkalert.errors import DevelopmentKeyRefused, SigningKeyError

#: Chain ids that are development chains everywhere: anvil's and Hardhat's default, and geth
#: --dev's and Ganache's.
BUILTIN_DEV_CHAINS = frozenset({31337, 1337})

#: The environment variables the settings are read from (the CLI's options use the same names).
KEYSTORE_ENV = "ZKALERT_KEYSTORE"
ACCOUNT_ENV = "ZKALERT_ACCOUNT"
PASSWORD_FILE_ENV = "ZKALERT_PASSWORD_FILE"
PASSWORD_ENV = "ZKALERT_KEYSTORE_PASSWORD"
DEV_CHAINS_ENV = "ZKALERT_DEV_CHAINS"
PRIVATE_KEY_ENV = "PRIVATE_KEY"

#: forge's own wallet variables (--keystore, --account, --password-file): a user's shell may set
#: them, and forge would then sign with another key than the one checked here.
FORGE_WALLET_ENV = ("ETH_KEYSTORE", "ETH_KEYSTORE_ACCOUNT", "ETH_PASSWORD")

#: anvil's and Hardhat's default mnemonic; its accounts m/44'/60'/0'/0/0..9 are funded on every
#: fresh anvil, and their private keys are printed in every tutorial.
DEV_MNEMONIC = "test test test test test test test test test test test junk"

#: The addresses of those ten accounts, in derivation order (a unit test derives them again).
WELL_KNOWN_ADDRESSES: tuple[str, ...] = (
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
)

#: anvil's account 0 and 1 (development keys, never for real funds).
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"

_WELL_KNOWN_INDEX = {address.lower(): i for i, address in enumerate(WELL_KNOWN_ADDRESSES)}


def foundry_keystores_dir() -> Path:
    """Where ``cast wallet import NAME`` stores accounts and ``forge --account NAME`` finds them."""
    return Path.home() / ".foundry" / "keystores"


def parse_chain_ids(text: str, source: str) -> frozenset[int]:
    """``"31999, 32101"`` -> {31999, 32101}; anything else is one clear line naming ``source``."""
    ids = set()
    for part in text.replace(",", " ").split():
        try:
            value = int(part, 0)
        except ValueError:
            value = 0
        if value <= 0:
            raise SigningKeyError(
                f"{source}: {part!r} is not a chain id (give positive integers, comma-separated)"
            )
        ids.add(value)
    return frozenset(ids)


class KeySettings(BaseModel):
    """Which key signs (the ``[key]`` section of a configuration file).

    At most one of ``keystore`` and ``account``; with neither, the raw ``PRIVATE_KEY`` variable,
    else anvil's account 0 on a development chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keystore: Path | None = Field(
        default=None, description="An encrypted JSON keystore (Web3 Secret Storage) file."
    )
    account: str | None = Field(
        default=None,
        description="A Foundry account: the keystore ~/.foundry/keystores/NAME "
        "(`cast wallet import NAME`).",
    )
    password_file: Path | None = Field(
        default=None,
        description="A file holding the keystore's password (trailing whitespace is not part "
        "of it, as forge reads it).",
    )
    password_env: str = Field(
        default=PASSWORD_ENV,
        description="The environment variable holding the password when there is no file.",
    )
    dev_chains: frozenset[int] = Field(
        default=frozenset(),
        description="Chain ids, besides 31337 and 1337, where anvil's well-known keys may sign.",
    )

    @field_validator("account")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value or value in (".", "..")):
            raise ValueError(
                f"account {value!r} must be a name under ~/.foundry/keystores (for a path: keystore)"
            )
        return value

    @field_validator("dev_chains")
    @classmethod
    def _positive(cls, value: frozenset[int]) -> frozenset[int]:
        if any(chain_id <= 0 for chain_id in value):
            raise ValueError("dev_chains must hold positive chain ids")
        return value

    @model_validator(mode="after")
    def _one_keystore(self) -> KeySettings:
        if self.keystore is not None and self.account is not None:
            raise ValueError("give a keystore or an account, not both")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeySettings:
        """The settings the environment gives (``ZKALERT_KEYSTORE``, ``ZKALERT_ACCOUNT``,
        ``ZKALERT_PASSWORD_FILE``); empty variables count as unset."""
        env = os.environ if environ is None else environ
        return cls.of(
            keystore=env.get(KEYSTORE_ENV) or None,
            account=env.get(ACCOUNT_ENV) or None,
            password_file=env.get(PASSWORD_FILE_ENV) or None,
        )

    @classmethod
    def of(cls, **values: Any) -> KeySettings:
        """Settings from loose values (command-line options), with one clear line when they
        do not fit instead of pydantic's report."""
        from pydantic import ValidationError

        try:
            return cls(**{k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            problems = "; ".join(
                ": ".join(
                    part
                    for part in (
                        ".".join(str(p) for p in e["loc"]),
                        e["msg"].removeprefix("Value error, "),
                    )
                    if part
                )
                for e in exc.errors()
            )
            raise SigningKeyError(f"key settings: {problems}") from None

    @property
    def keystore_path(self) -> Path | None:
        """The keystore file to decrypt: ``keystore``, or the Foundry account's file."""
        if self.keystore is not None:
            return self.keystore.expanduser()
        if self.account is not None:
            return foundry_keystores_dir() / self.account
        return None


def development_chains(
    settings: KeySettings | None = None, extra: Iterable[int] = ()
) -> frozenset[int]:
    """31337 and 1337, the settings' ``dev_chains``, ``$ZKALERT_DEV_CHAINS`` and ``extra``."""
    chains = set(BUILTIN_DEV_CHAINS) | set(extra)
    if settings is not None:
        chains |= settings.dev_chains
    chains |= parse_chain_ids(os.environ.get(DEV_CHAINS_ENV, ""), DEV_CHAINS_ENV)
    return frozenset(chains)


def well_known_index(address: str) -> int | None:
    """The account number of one of anvil's default accounts, or None for any other address."""
    return _WELL_KNOWN_INDEX.get(address.lower())


@dataclass(frozen=True, repr=False)
class Signer:
    """A decrypted signing account and where it came from.

    ``chain_id`` is the chain the development-key rule was checked for (None: not checked yet),
    ``development`` whether that chain is a development chain, and ``dev_chains`` the
    development chains the check knew of (a check for another chain knows them too)."""

    account: LocalAccount
    source: str
    keystore: Path | None = None
    foundry_account: str | None = None
    password_file: Path | None = None
    password: str | None = field(default=None, repr=False)
    chain_id: int | None = None
    development: bool = False
    dev_chains: frozenset[int] = frozenset()

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    @property
    def key(self) -> bytes:
        return bytes(self.account.key)

    def __repr__(self) -> str:  # never the key or the password
        return f"Signer({self.address}, {self.source})"

    @contextmanager
    def forge_wallet(self, env: dict[str, str]) -> Iterator[list[str]]:
        """The ``forge script`` options that broadcast as this signer, with ``env`` (forge's
        environment) made to match; the deploy scripts read the same variables.

        A keystore goes to forge as ``--keystore PATH`` or ``--account NAME`` with
        ``--password-file``: the user's file, or a 0600 temporary file deleted on exit. A raw key
        goes in forge's environment as ``PRIVATE_KEY`` (never on the command line)."""
        for name in (PRIVATE_KEY_ENV, *FORGE_WALLET_ENV):
            env.pop(name, None)  # only the wallet chosen here may sign
        if self.development and self.chain_id is not None:
            listed = parse_chain_ids(env.get(DEV_CHAINS_ENV, ""), DEV_CHAINS_ENV)
            env[DEV_CHAINS_ENV] = ",".join(str(c) for c in sorted(listed | {self.chain_id}))
        if self.keystore is None and self.foundry_account is None:
            env[PRIVATE_KEY_ENV] = "0x" + self.key.hex()
            yield []
            return
        wallet = (
            ["--account", self.foundry_account]
            if self.foundry_account is not None
            else ["--keystore", str(self.keystore)]
        )
        wallet += ["--sender", self.address]
        if self.password_file is not None:
            yield [*wallet, "--password-file", str(self.password_file)]
            return
        fd, name = tempfile.mkstemp(prefix="zkalert-pw-")  # created 0600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(self.password or "")
            yield [*wallet, "--password-file", name]
        finally:
            Path(name).unlink(missing_ok=True)


def _read_password(settings: KeySettings, keystore: Path, interactive: bool) -> tuple[str, str]:
    """The keystore's password and where it came from."""
    if settings.password_file is not None:
        path = settings.password_file.expanduser()
        try:
            text = path.read_text()
        except OSError as exc:
            raise SigningKeyError(
                f"password file {path} cannot be read ({exc.strerror or exc})"
            ) from None
        # as forge and cast read it (forge gets this same file): without trailing whitespace
        return text.rstrip(), f"password file {path}"
    if settings.password_env in os.environ:
        return os.environ[settings.password_env], f"${settings.password_env}"
    if interactive and sys.stdin.isatty():
        try:
            return getpass.getpass(f"password for keystore {keystore}: "), "the prompt"
        except EOFError:
            pass
    raise SigningKeyError(
        f"keystore {keystore} needs its password: --password-file FILE "
        f"(or {PASSWORD_FILE_ENV}), or set {settings.password_env}"
    )


def _decrypt(path: Path, password: str, password_source: str) -> LocalAccount:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SigningKeyError(f"keystore {path}: no such file") from None
    except OSError as exc:
        raise SigningKeyError(f"keystore {path} cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("crypto", data.get("Crypto")), dict):
        raise SigningKeyError(f"keystore {path} is not a JSON keystore (Web3 Secret Storage)")
    if "crypto" not in data:  # pre-Web3 Secret Storage files capitalised it
        data["crypto"] = data.pop("Crypto")
    try:
        key = Account.decrypt(data, password)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise SigningKeyError(
                f"wrong password for keystore {path} (from {password_source})"
            ) from None
        raise SigningKeyError(f"keystore {path} cannot be decrypted: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise SigningKeyError(f"keystore {path} is malformed (no {exc})") from None
    account: LocalAccount = Account.from_key(key)
    return account


def _from_raw(key: str | bytes, source: str) -> LocalAccount:
    try:
        account: LocalAccount = Account.from_key(key)
    except (ValueError, TypeError):
        raise SigningKeyError(
            f"{source} is not a private key (32 bytes, 0x and 64 hex digits)"
        ) from None
    return account


#: Keystores already opened by this process, so a command that deploys and then submits asks
#: for the password once: (path, size, mtime) -> signer.
_opened: dict[tuple[Path, int, int, str | None], Signer] = {}


def load_signer(
    settings: KeySettings | None = None,
    *,
    key: str | bytes | None = None,
    interactive: bool = True,
) -> Signer | None:
    """The configured signer, not yet checked against a chain; None when nothing is configured.

    ``key`` (a raw private key a caller holds) wins over the settings; ``interactive`` allows a
    password prompt when standard input is a terminal."""
    if key is not None:
        return Signer(_from_raw(key, "the key given"), "a key given by the caller")
    if settings is None:
        settings = KeySettings()
    path = settings.keystore_path
    if path is not None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            if settings.account is None:
                raise SigningKeyError(f"keystore {path}: no such file") from None
            raise SigningKeyError(
                f"Foundry account {settings.account!r}: no keystore at {path} "
                "(import one with `cast wallet import NAME`)"
            ) from None
        cache_key = (path.resolve(), stat.st_size, stat.st_mtime_ns, settings.account)
        if cache_key in _opened:
            return _opened[cache_key]
        password, password_source = _read_password(settings, path, interactive)
        account = _decrypt(path, password, password_source)
        signer = Signer(
            account,
            f"Foundry account {settings.account!r}" if settings.account else f"keystore {path}",
            keystore=path,
            foundry_account=settings.account,
            password_file=settings.password_file.expanduser() if settings.password_file else None,
            password=password,
        )
        _opened[cache_key] = signer
        return signer
    raw = os.environ.get(PRIVATE_KEY_ENV)
    if raw:
        return Signer(_from_raw(raw.strip(), PRIVATE_KEY_ENV), PRIVATE_KEY_ENV)
    return None


def check_signer(
    signer: Signer | None,
    chain_id: int,
    settings: KeySettings | None = None,
    dev_chains: Iterable[int] = (),
) -> Signer:
    """The signer for ``chain_id``: anvil's account 0 when none is configured and the chain is a
    development chain; refuses anvil's well-known keys on every other chain, and no key at all."""
    known = development_chains(settings, [*dev_chains, *(signer.dev_chains if signer else ())])
    development = chain_id in known
    if signer is None:
        if not development:
            raise SigningKeyError(
                f"no signing key for chain {chain_id}: give --keystore PATH or --account NAME "
                f"(or {KEYSTORE_ENV} / {ACCOUNT_ENV}), with --password-file FILE or "
                f"{PASSWORD_ENV} for its password; anvil's key is used only on development "
                f"chains ({', '.join(map(str, sorted(BUILTIN_DEV_CHAINS)))}, {DEV_CHAINS_ENV})"
            )
        signer = Signer(Account.from_key(ANVIL_KEY_0), "anvil's account 0 (no key configured)")
    index = well_known_index(signer.address)
    if index is not None and not development:
        raise DevelopmentKeyRefused(signer.address, index, chain_id)
    return replace(signer, chain_id=chain_id, development=development, dev_chains=known)


def resolve_signer(
    chain_id: int,
    settings: KeySettings | None = None,
    *,
    key: str | bytes | None = None,
    dev_chains: Iterable[int] = (),
    interactive: bool = True,
) -> Signer:
    """The one way to a signer: the configured key (``key``, a keystore, an account,
    ``PRIVATE_KEY``) checked for the chain id the node reported; ``dev_chains`` adds
    development chains the caller knows of (networks marked ``dev = true``)."""
    if settings is None:
        settings = KeySettings.from_env()
    signer = load_signer(settings, key=key, interactive=interactive)
    return check_signer(signer, chain_id, settings, dev_chains)


def signer_for(
    chain_id: int, key: Signer | str | bytes | None = None, dev_chains: Iterable[int] = ()
) -> Signer:
    """What a chain client signs with: a :class:`Signer` already checked for this chain as it
    is, any other one checked now, a raw key or nothing (the environment's settings) resolved."""
    if isinstance(key, Signer):
        if key.chain_id == chain_id:
            return key
        return check_signer(key, chain_id, dev_chains=dev_chains)
    return resolve_signer(chain_id, KeySettings.from_env(), key=key, dev_chains=dev_chains)
