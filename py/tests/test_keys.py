"""Signing keys: keystores and Foundry accounts sign, anvil's public keys only on development chains.

The unit tests open keystores written as cast and eth-account write them; the anvil tests deploy
through forge's own wallet options and submit a committed fixture proof on a development chain,
and run the real ``zkalert`` CLI against an anvil whose chain (4242) is not one.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KEYS_CHAIN_ID
from eth_account import Account
from web3 import Web3

from zkalert.config import PROJECT_ROOT
from zkalert.errors import DevelopmentKeyRefused, NetworkConfigError, SigningKeyError
from zkalert.evm.localnode import Anvil, free_port
from zkalert.gateway.networks import dev_chain_ids, load_network
from zkalert.keys import (
    ANVIL_KEY_0,
    ANVIL_KEY_1,
    DEV_CHAINS_ENV,
    DEV_MNEMONIC,
    PASSWORD_ENV,
    WELL_KNOWN_ADDRESSES,
    KeySettings,
    Signer,
    check_signer,
    load_signer,
    resolve_signer,
)

#: A chain that is not a development chain (no test declares it one).
PUBLIC_CHAIN_ID = 4242
ANVIL_ADDRESS_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#: An operator's own key: no mnemonic anyone knows.
OPERATOR_KEY = "0x" + "a11ce".rjust(64, "0")


def write_keystore(path: Path, key: str, password: str) -> Path:
    """A Web3 Secret Storage file as cast writes it (scrypt; n = 8192 like cast, to stay fast)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(Account.encrypt(key, password, kdf="scrypt", iterations=8192)))
    return path


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of its own, so ~/.foundry/keystores is the test's."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    for name in ("PRIVATE_KEY", PASSWORD_ENV, "ZKALERT_KEYSTORE", "ZKALERT_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    return folder


# ---------------------------------------------------------------- the development-chain rule


def test_the_well_known_addresses_are_the_ten_accounts_of_anvils_mnemonic():
    Account.enable_unaudited_hdwallet_features()
    derived = [
        Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(10)
    ]
    assert tuple(account.address for account in derived) == WELL_KNOWN_ADDRESSES
    assert derived[0].key == Account.from_key(ANVIL_KEY_0).key
    assert derived[1].key == Account.from_key(ANVIL_KEY_1).key


def test_nothing_configured_signs_with_anvils_account_zero_on_development_chains_only(home):
    for chain_id in (31337, 1337):
        signer = check_signer(None, chain_id)
        assert signer.address == ANVIL_ADDRESS_0 and signer.development
    with pytest.raises(SigningKeyError) as refused:
        check_signer(None, 1)
    message = one_line(str(refused.value))
    assert message.startswith("no signing key for chain 1: give --keystore PATH or --account NAME")
    assert "ZKALERT_KEYSTORE_PASSWORD" in message


@pytest.mark.parametrize("index", range(10))
def test_every_well_known_key_is_refused_on_a_chain_that_is_not_for_development(home, index):
    Account.enable_unaudited_hdwallet_features()
    key = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key
    with pytest.raises(DevelopmentKeyRefused) as refused:
        resolve_signer(1, KeySettings(), key=bytes(key))
    assert (refused.value.index, refused.value.chain_id) == (index, 1)
    assert one_line(str(refused.value)).startswith(
        f"refusing anvil's well-known development key {WELL_KNOWN_ADDRESSES[index]} "
        f"(account {index}) on chain 1: its private key is public"
    )
    assert (
        resolve_signer(31337, KeySettings(), key=bytes(key)).address
        == (WELL_KNOWN_ADDRESSES[index])
    )


def test_an_operators_key_signs_on_any_chain(home, monkeypatch):
    monkeypatch.setenv("PRIVATE_KEY", OPERATOR_KEY)
    signer = resolve_signer(1)
    assert signer.address == Account.from_key(OPERATOR_KEY).address
    assert (signer.source, signer.chain_id, signer.development) == ("PRIVATE_KEY", 1, False)


def test_development_chains_are_declared_by_env_settings_or_caller(home, monkeypatch):
    monkeypatch.setenv(DEV_CHAINS_ENV, "31999, 4242")
    assert check_signer(None, 4242).address == ANVIL_ADDRESS_0
    monkeypatch.delenv(DEV_CHAINS_ENV)
    with pytest.raises(SigningKeyError):
        check_signer(None, 4242)
    assert check_signer(None, 4242, KeySettings(dev_chains=frozenset({4242}))).development
    assert check_signer(None, 4242, dev_chains=[4242]).development
    # a signer checked with a caller's development chains keeps them for another check
    signer = resolve_signer(4242, KeySettings(), key=ANVIL_KEY_0, dev_chains=[4242, 4243])
    assert check_signer(signer, 4243).development
    monkeypatch.setenv(DEV_CHAINS_ENV, "31999,mainnet")
    with pytest.raises(SigningKeyError) as bad:
        check_signer(None, 31999)
    assert one_line(str(bad.value)) == (
        "ZKALERT_DEV_CHAINS: 'mainnet' is not a chain id (give positive integers, comma-separated)"
    )


def test_networks_marked_dev_are_development_chains(tmp_path):
    networks = tmp_path / "networks.toml"
    networks.write_text(
        '[networks.local]\nrpc_url = "http://127.0.0.1:8701"\nchain_id = 32101\ndev = true\n'
        '[networks.mainnet]\nrpc_url = "https://rpc.example"\nchain_id = 1\n'
    )
    assert dev_chain_ids(networks) == {32101}
    assert load_network("local", networks).dev_chains == (32101,)
    assert load_network("mainnet", networks).dev_chains == ()
    assert dev_chain_ids(tmp_path / "missing.toml") == frozenset()
    networks.write_text('[networks.x]\nrpc_url = "http://127.0.0.1:1"\nchain_id = 5\ndev = "yes"\n')
    with pytest.raises(NetworkConfigError, match="dev must be true or false"):
        dev_chain_ids(networks)
    with pytest.raises(NetworkConfigError, match="dev must be true or false"):
        load_network("x", networks)
    # the project's own file: anvil's chain and the interval-mining one are development chains
    assert dev_chain_ids(PROJECT_ROOT / "networks.toml") == {31337, 32101}


# ---------------------------------------------------------------- settings and keystores


def test_key_settings_are_a_closed_section_with_one_keystore_at_most(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        KeySettings.model_validate({"keystore": "k.json", "pasword_file": "p"})
    with pytest.raises(SigningKeyError) as both:
        KeySettings.of(keystore=tmp_path / "k.json", account="ops")
    assert one_line(str(both.value)) == "key settings: give a keystore or an account, not both"
    with pytest.raises(SigningKeyError, match="must be a name under ~/.foundry/keystores"):
        KeySettings.of(account="../ops")
    settings = KeySettings.from_env(
        {"ZKALERT_KEYSTORE": "/k.json", "ZKALERT_PASSWORD_FILE": "/p", "ZKALERT_ACCOUNT": ""}
    )
    assert (settings.keystore, settings.account, settings.password_file) == (
        Path("/k.json"),
        None,
        Path("/p"),
    )
    assert KeySettings.model_json_schema()["additionalProperties"] is False


def test_a_keystore_opens_with_its_password_from_a_file_or_the_environment(home, monkeypatch):
    keystore = write_keystore(home / "ops.json", OPERATOR_KEY, "correct horse")
    password_file = home / "password"
    password_file.write_text("correct horse\n")  # a final newline is not part of it
    address = Account.from_key(OPERATOR_KEY).address

    from_file = load_signer(KeySettings(keystore=keystore, password_file=password_file))
    assert from_file is not None and from_file.address == address
    assert from_file.source == f"keystore {keystore}"
    assert "correct horse" not in repr(from_file) and OPERATOR_KEY[2:] not in repr(from_file)

    monkeypatch.setenv("OPS_PASSWORD", "correct horse")
    moved = write_keystore(home / "ops2.json", OPERATOR_KEY, "correct horse")
    from_env = load_signer(KeySettings(keystore=moved, password_env="OPS_PASSWORD"))
    assert from_env is not None and from_env.address == address


def test_a_foundry_account_is_read_from_the_home_keystores_folder(home, monkeypatch):
    write_keystore(home / ".foundry" / "keystores" / "ops", OPERATOR_KEY, "pw")
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    signer = resolve_signer(1, KeySettings(account="ops"))
    assert signer.address == Account.from_key(OPERATOR_KEY).address
    assert signer.source == "Foundry account 'ops'"
    with pytest.raises(SigningKeyError) as missing:
        load_signer(KeySettings(account="nobody"))
    assert one_line(str(missing.value)) == (
        f"Foundry account 'nobody': no keystore at {home}/.foundry/keystores/nobody "
        "(import one with `cast wallet import NAME`)"
    )


def test_a_keystore_that_does_not_open_is_one_line(home, monkeypatch):
    keystore = write_keystore(home / "ops.json", OPERATOR_KEY, "right")
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(SigningKeyError) as wrong:
        load_signer(KeySettings(keystore=keystore))
    assert one_line(str(wrong.value)) == (
        f"wrong password for keystore {keystore} (from ${PASSWORD_ENV})"
    )

    not_json = home / "notes.txt"
    not_json.write_text("hello")
    with pytest.raises(SigningKeyError) as bad:
        load_signer(KeySettings(keystore=not_json))
    assert one_line(str(bad.value)) == (
        f"keystore {not_json} is not a JSON keystore (Web3 Secret Storage)"
    )

    with pytest.raises(SigningKeyError) as absent:
        load_signer(KeySettings(keystore=home / "absent.json"))
    assert one_line(str(absent.value)) == f"keystore {home}/absent.json: no such file"

    monkeypatch.delenv(PASSWORD_ENV)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal: no prompt
    with pytest.raises(SigningKeyError) as no_password:
        load_signer(KeySettings(keystore=keystore))
    assert one_line(str(no_password.value)) == (
        f"keystore {keystore} needs its password: --password-file FILE "
        f"(or ZKALERT_PASSWORD_FILE), or set {PASSWORD_ENV}"
    )

    monkeypatch.setenv("PRIVATE_KEY", "0x1234")
    with pytest.raises(SigningKeyError) as raw:
        load_signer(KeySettings())
    assert one_line(str(raw.value)) == (
        "PRIVATE_KEY is not a private key (32 bytes, 0x and 64 hex digits)"
    )


def test_on_a_terminal_the_password_is_asked_for(home, tmp_path):
    """A real pseudo-terminal: getpass prompts on it, and what is typed opens the keystore."""
    import pty
    import select

    keystore = write_keystore(tmp_path / "ops.json", OPERATOR_KEY, "typed at the prompt")
    code = (
        "from zkalert.keys import KeySettings, load_signer; "
        f"print(load_signer(KeySettings(keystore={str(keystore)!r})).address)"
    )
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is the pseudo-terminal
        os.execve(sys.executable, [sys.executable, "-c", code], dict(os.environ))
    output = b""

    def read_until(marker: bytes) -> None:
        nonlocal output
        while marker not in output:
            ready, _, _ = select.select([fd], [], [], 30)
            assert ready, output
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk

    read_until(b"password for keystore")
    os.write(fd, b"typed at the prompt\n")
    read_until(Account.from_key(OPERATOR_KEY).address.encode())
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output
    assert b"typed at the prompt" not in output  # not echoed
    assert Account.from_key(OPERATOR_KEY).address.encode() in output


def test_forge_gets_a_wallet_and_a_private_password_file_never_a_key_on_its_command_line(
    home, monkeypatch
):
    keystore = write_keystore(home / "ops.json", OPERATOR_KEY, "s3cret")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    signer = resolve_signer(1, KeySettings(keystore=keystore))
    env = {"PRIVATE_KEY": ANVIL_KEY_0, "ETH_KEYSTORE": "/elsewhere", "PATH": "/bin"}
    with signer.forge_wallet(env) as wallet:
        assert wallet[:4] == ["--keystore", str(keystore), "--sender", signer.address]
        assert wallet[4] == "--password-file"
        password_file = Path(wallet[5])
        assert password_file.stat().st_mode & 0o777 == 0o600
        assert password_file.read_text() == "s3cret"
        assert env == {"PATH": "/bin"}  # no raw key, no other wallet for forge to pick
        assert not any("s3cret" in arg or OPERATOR_KEY[2:] in arg for arg in wallet)
    assert not password_file.exists()

    # the user's own password file is passed as it is; a Foundry account by its name
    (home / "pw").write_text("s3cret\n")
    write_keystore(home / ".foundry" / "keystores" / "ops", OPERATOR_KEY, "s3cret")
    account = resolve_signer(1, KeySettings(account="ops", password_file=home / "pw"))
    with account.forge_wallet({}) as wallet:
        assert wallet == ["--account", "ops", "--sender", account.address, "--password-file"] + [
            str(home / "pw")
        ]

    # a raw key goes in forge's environment, and a development chain is declared to the script
    raw = resolve_signer(31999, KeySettings(), key=ANVIL_KEY_0, dev_chains=[31999])
    env = {DEV_CHAINS_ENV: "5"}
    with raw.forge_wallet(env) as wallet:
        assert wallet == []
        assert env == {"PRIVATE_KEY": ANVIL_KEY_0, DEV_CHAINS_ENV: "5,31999"}


# ---------------------------------------------------------------- on a real anvil


def _zkalert(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zkalert", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _node(chain_id: int) -> Iterator[Anvil]:
    node = Anvil(free_port(), chain_id).start()
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(PROJECT_ROOT / "deployments" / str(chain_id), ignore_errors=True)


@pytest.fixture(scope="module")
def public_chain() -> Iterator[Anvil]:
    """An anvil on chain 4242, which nothing declares a development chain."""
    yield from _node(PUBLIC_CHAIN_ID)


@pytest.fixture(scope="module")
def keys_chain() -> Iterator[Anvil]:
    """An anvil on a development chain of the tests' own (conftest's TEST_DEV_CHAINS)."""
    yield from _node(KEYS_CHAIN_ID)


def _fund(node: Anvil, address: str) -> None:
    node.w3.provider.make_request("anvil_setBalance", [address, hex(10**20)])


@pytest.mark.anvil
def test_a_keystore_deploys_on_a_chain_that_is_not_for_development(public_chain, home, monkeypatch):
    """The production path: forge broadcasts with --keystore and a password file of its own."""
    from zkalert.evm.registry import ModelSpec, deploy

    keystore = write_keystore(home / "deployer.json", OPERATOR_KEY, "deploy-pw")
    monkeypatch.setenv(PASSWORD_ENV, "deploy-pw")
    monkeypatch.setenv("PRIVATE_KEY", ANVIL_KEY_0)  # the keystore wins; forge never sees this
    deployer = resolve_signer(PUBLIC_CHAIN_ID, KeySettings(keystore=keystore))
    _fund(public_chain, deployer.address)
    deployment = deploy(
        ModelSpec("FixtureVerifier", "0x" + "11" * 32, 1), public_chain.url, deployer
    )
    registry = deployment.registry(public_chain.w3)
    assert registry.functions.owner().call() == deployer.address
    assert registry.functions.isGateway(deployer.address).call()
    record = json.loads(
        (PROJECT_ROOT / "deployments" / str(PUBLIC_CHAIN_ID) / "AlertRegistry.json").read_text()
    )
    assert Web3.to_checksum_address(record["owner"]) == deployer.address


@pytest.mark.anvil
def test_anvils_key_on_a_chain_that_is_not_for_development_is_refused_in_one_line(
    public_chain, home, tmp_path
):
    env = {k: v for k, v in os.environ.items() if k not in ("PRIVATE_KEY", PASSWORD_ENV, "RPC_URL")}
    open_stream = ["stream", "open", "plant-a/unit-3", "--gateway", ANVIL_ADDRESS_0]
    url = ["--rpc-url", public_chain.url]

    refused = _zkalert(*open_stream, *url, env={**env, "PRIVATE_KEY": ANVIL_KEY_0})
    assert refused.returncode == 3, refused.stderr
    assert one_line(refused.stderr) == (
        f"error: refusing anvil's well-known development key {ANVIL_ADDRESS_0} (account 0) on "
        f"chain {PUBLIC_CHAIN_ID}: its private key is public; sign with a keystore (--keystore "
        "PATH or --account NAME), or list a local test chain in ZKALERT_DEV_CHAINS"
    )
    assert refused.stdout == ""

    # in a keystore it is just as public
    keystore = write_keystore(tmp_path / "anvil1.json", ANVIL_KEY_1, "pw")
    (tmp_path / "pw").write_text("pw\n")
    wallet = ["--keystore", str(keystore), "--password-file", str(tmp_path / "pw")]
    in_keystore = _zkalert(*open_stream, *url, *wallet, env=env)
    assert in_keystore.returncode == 3, in_keystore.stderr
    assert "(account 1) on chain 4242" in one_line(in_keystore.stderr)

    # nothing configured: no fallback to anvil's key here, and the line says what to configure
    nothing = _zkalert(*open_stream, *url, env=env)
    assert nothing.returncode == 1, nothing.stderr
    assert one_line(nothing.stderr).startswith(
        "error: no signing key for chain 4242: give --keystore PATH or --account NAME"
    )

    # a networks.toml that marks the chain dev = true declares it a development chain
    networks = tmp_path / "networks.toml"
    networks.write_text(
        f'[networks.local]\nrpc_url = "{public_chain.url}"\nchain_id = {PUBLIC_CHAIN_ID}\n'
        "dev = true\n"
    )
    declared = _zkalert(
        *open_stream,
        *url,
        env={**env, "PRIVATE_KEY": ANVIL_KEY_0, "ZKALERT_NETWORKS": str(networks)},
    )
    # past the key check, the command goes on to the chain (which has no registry of this key's)
    assert declared.returncode == 1, declared.stderr
    line = one_line(declared.stderr)
    assert line.startswith("error: ") and "development key" not in line
    assert "no signing key" not in line


@pytest.mark.anvil
def test_a_wrong_password_is_one_line(public_chain, home, tmp_path):
    keystore = write_keystore(tmp_path / "ops.json", OPERATOR_KEY, "right")
    (tmp_path / "pw").write_text("wrong\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PRIVATE_KEY", PASSWORD_ENV)}
    args = ["stream", "open", "s", "--gateway", ANVIL_ADDRESS_0, "--rpc-url", public_chain.url]

    from_file = _zkalert(
        *args, "--keystore", str(keystore), "--password-file", str(tmp_path / "pw"), env=env
    )
    assert from_file.returncode == 1
    assert one_line(from_file.stderr) == (
        f"error: wrong password for keystore {keystore} (from password file {tmp_path / 'pw'})"
    )
    from_env = _zkalert(*args, env={**env, "ZKALERT_KEYSTORE": str(keystore), PASSWORD_ENV: "nope"})
    assert from_env.returncode == 1
    assert one_line(from_env.stderr) == (
        f"error: wrong password for keystore {keystore} (from ${PASSWORD_ENV})"
    )


@pytest.mark.anvil
def test_the_deploy_script_itself_refuses_anvils_key_on_a_chain_that_is_not_for_development(
    public_chain,
):
    """forge run by hand, without zkalert's check in front of it."""
    from zkalert.toolchain import env_with_tools, tool

    env = {**env_with_tools(), "PRIVATE_KEY": ANVIL_KEY_0}
    env.pop(DEV_CHAINS_ENV, None)
    proc = subprocess.run(
        [str(tool("forge")), "script", "script/DeployAlertRegistry.s.sol"]
        + ["--rpc-url", public_chain.url, "--broadcast", "--skip", "test"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert (
        f"DeployDevelopmentKeyRefused({ANVIL_ADDRESS_0}, {PUBLIC_CHAIN_ID})"
        in proc.stdout + proc.stderr
    )
    from zkalert.evm.registry import ModelSpec, deploy

    with pytest.raises(DevelopmentKeyRefused):  # zkalert refuses before forge runs
        deploy(ModelSpec("FixtureVerifier", "0x" + "22" * 32, 1), public_chain.url, ANVIL_KEY_0)


@pytest.mark.anvil
def test_keystores_deploy_through_forges_wallet_open_a_stream_and_submit(
    keys_chain, home, tmp_path, monkeypatch, alert_fixture, fixture_proof_paths
):
    """The owner is a Foundry account cast imported (password in a file): it deploys the registry
    through `forge script --account` and opens the stream with the CLI. The gateway the fixture
    proofs are bound to (anvil's account 0, on this development chain) is an encrypted keystore
    file whose password is in the environment: it submits the alert and deploys the WindowLog
    through `forge script --keystore`."""
    from zkalert.evm.ids import stream_id
    from zkalert.evm.registry import Gateway, ModelSpec, deploy
    from zkalert.evm.windowlog import deploy_window_log
    from zkalert.toolchain import env_with_tools, tool
    from zkalert.zk.prover import ProvenWindow
    from zkalert.zk.statement import Binding

    owner_key = "0x" + "0be7".rjust(64, "0")
    (tmp_path / "owner.pw").write_text("owner-pw\n")
    imported = subprocess.run(
        [str(tool("cast")), "wallet", "import", "owner", "--private-key", owner_key],
        env={**env_with_tools(), "HOME": str(home), "CAST_UNSAFE_PASSWORD": "owner-pw"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    assert (home / ".foundry" / "keystores" / "owner").is_file()
    owner = resolve_signer(
        KEYS_CHAIN_ID, KeySettings(account="owner", password_file=tmp_path / "owner.pw")
    )
    assert owner.address == Account.from_key(owner_key).address
    _fund(keys_chain, owner.address)

    deployment = deploy(
        ModelSpec("FixtureVerifier", alert_fixture["model_id"], int(alert_fixture["threshold"])),
        keys_chain.url,
        owner,
        gateway=ANVIL_ADDRESS_0,
    )
    registry = deployment.registry(keys_chain.w3)
    assert registry.functions.owner().call() == owner.address

    name = alert_fixture["binding"]["stream"]
    opened = _zkalert(
        *["stream", "open", name, "--gateway", ANVIL_ADDRESS_0, "--rpc-url", keys_chain.url],
        *["--account", "owner", "--password-file", str(tmp_path / "owner.pw")],
        env={**os.environ, "HOME": str(home)},
    )
    assert opened.returncode == 0, opened.stderr
    assert registry.functions.streamGateway(stream_id(name)).call() == ANVIL_ADDRESS_0

    keystore = write_keystore(tmp_path / "gateway.json", ANVIL_KEY_0, "gateway-pw")
    monkeypatch.setenv(PASSWORD_ENV, "gateway-pw")
    gateway_key = resolve_signer(KEYS_CHAIN_ID, KeySettings(keystore=keystore))
    assert isinstance(gateway_key, Signer) and gateway_key.development
    proven = ProvenWindow.from_proof_file(
        fixture_proof_paths["alert"], binding=Binding.from_json(alert_fixture["binding"])
    )
    gateway = Gateway(keys_chain.w3, deployment, gateway_key)
    sent = gateway.submit(stream_id(name), alert_fixture["model_id"], proven)
    assert sent.block > 0 and registry.functions.count(stream_id(name)).call() == 1

    window_log = deploy_window_log(keys_chain.url, gateway_key)
    assert keys_chain.w3.eth.get_code(window_log.address)
    assert window_log.registry == deployment.registry_address
