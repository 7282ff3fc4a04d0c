"""The SRS behind every model: recorded at registration, refused off development chains when it is a
development SRS, and checked by the regulator's audits against the verifiers' deployed code.

The unit tests read [τ]G2 out of bytecode that is empty, garbage or carries a point off the curve.
The chain tests run a two-party powers-of-tau ceremony with the real snarkjs (utility, regulator,
beacon) and compile the default detector on it (SRS A; its KZG-committed circuit with six
columns, so the ceremony needs only power 11); an anvil on chain 4343, which nothing
declares a development chain, takes that circuit without any flag, while the same detector's
circuit on a development SRS is refused there, then registered with --allow-dev-srs. A second
verifier of the ceremony circuit's verifying key generated from another SRS (B, a gen_srs run)
refuses the circuit's proof on-chain and is flagged by the audit with both ids; a model whose
recorded SRS id is not the one its code embeds is flagged too, and code without a recognisable
[τ]G2 (garbage, a point off the curve, none at all) never breaks it.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from py_ecc.optimized_bn128 import G2, multiply, normalize
from web3 import Web3

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.errors import AuditError, CircuitError, ConfigError, DevelopmentSrsRefused
from zkalert.evm.srs import (
    VerifierSrs,
    accepted_srs_id,
    check_development_srs,
    srs_check,
    srs_id_of_file,
)
from zkalert.zk.srsid import FQ_MODULUS, G2_GENERATOR, G2Point, verifier_tau_g2

# ---------------------------------------------------------------------- bytecode, without a chain


def _push32(*words: int) -> bytes:
    return b"".join(b"\x7f" + w.to_bytes(32, "big") for w in words)


def _verifier_like(point: G2Point, prefix: bytes = b"\x60\x80\x60\x40\x52") -> bytes:
    """Code laid out as EZKL's verifier keeps its pairing constants: the G2 generator, then
    -[τ]G2, each word a PUSH32, among other instructions."""
    return prefix + _push32(*G2_GENERATOR.words) + _push32(*point.negated().words) + b"\x00"


def _tau_g2(tau: int) -> G2Point:
    x, y = normalize(multiply(G2, tau))
    return G2Point(x=(int(x.coeffs[0]), int(x.coeffs[1])), y=(int(y.coeffs[0]), int(y.coeffs[1])))


def test_tau_g2_is_read_from_code_laid_out_as_an_ezkl_verifier() -> None:
    point = _tau_g2(1234567)
    assert point.on_curve()
    found = verifier_tau_g2(_verifier_like(point))
    assert found == point
    assert found is not None and found.srs_id_hex == point.srs_id_hex
    assert point.srs_id_hex != _tau_g2(7654321).srs_id_hex


def _minimal_push(word: int) -> bytes:
    """``word`` pushed as solc pushes a constant: in as few bytes as it needs."""
    width = max(1, (word.bit_length() + 7) // 8)
    return bytes([0x5F + width]) + word.to_bytes(width, "big")


def test_tau_g2_is_read_when_a_word_is_pushed_in_fewer_than_32_bytes() -> None:
    """A coordinate with a leading zero byte is a PUSH31 in solc's code (about one SRS in 64
    has one among its four words), laid out as mstore(offset, constant) pairs."""
    tau = next(
        t for t in range(2, 5000) if min(w.bit_length() for w in _tau_g2(t).negated().words) <= 248
    )
    point = _tau_g2(tau)
    offsets = range(0x08A0, 0x09A0, 0x20)
    words = [*G2_GENERATOR.words, *point.negated().words]
    code = b"\x60\x80\x60\x40\x52" + b"".join(
        _minimal_push(w) + b"\x61" + o.to_bytes(2, "big") + b"\x52" for w, o in zip(words, offsets)
    )
    assert any(len(_minimal_push(w)) < 33 for w in point.negated().words)
    assert verifier_tau_g2(code) == point


def test_code_without_a_recognisable_tau_g2_gives_none_never_an_exception() -> None:
    point = _tau_g2(99)
    off_curve = G2Point(x=point.x, y=(point.y[0], (point.y[1] + 1) % FQ_MODULUS))
    assert not off_curve.on_curve()
    out_of_field = G2Point(x=(FQ_MODULUS, 1), y=(2, 3))
    cases = {
        "empty": b"",
        "one opcode": b"\x00",
        "a lone PUSH32 opcode": b"\x7f",
        "PUSH32 cut short": b"\x7f" + b"\xff" * 10,
        "the generator alone": _push32(*G2_GENERATOR.words),
        "the generator and half a point": _push32(*G2_GENERATOR.words) + _push32(1, 2),
        "the generator and a point off the curve": _verifier_like(off_curve),
        "coordinates beyond the field": _verifier_like(out_of_field),
        "the point without the generator": _push32(*point.negated().words),
        "the generator inside PUSH data": b"\x7f" + _verifier_like(point)[:32],
    }
    for name, code in cases.items():
        assert verifier_tau_g2(code) is None, name
    rng = random.Random(4343)
    for _ in range(300):  # garbage, rich in PUSH opcodes
        code = bytes(
            rng.choice([0x7F, 0x60, 0x00, rng.randrange(256)]) for _ in range(rng.randrange(600))
        )
        assert verifier_tau_g2(code) is None
    # a real point after garbage is still found, the first one wins
    assert verifier_tau_g2(bytes(range(256)) + _verifier_like(point)) == point


def test_an_srs_check_names_the_model_the_verifier_and_both_ids() -> None:
    a, b = _tau_g2(11).srs_id_hex, _tau_g2(22).srs_id_hex
    model, verifier = "0x" + "ab" * 32, "0x" + "12" * 20

    good = srs_check(
        "alert registry", model, VerifierSrs(verifier, 9000, a), bytes.fromhex(a[2:]), a
    )
    assert good.problems == [] and good.matches_record is True and good.accepted is True

    foreign = srs_check("alert registry", model, VerifierSrs(verifier, 9000, b), b, a)
    assert foreign.problems == [
        (
            f"model {model} (alert registry): verifier {verifier} embeds [τ]G2 of SRS {b}, "
            f"the accepted SRS is {a}"
        )
    ]
    assert foreign.matches_record is True and foreign.accepted is False

    mislabelled = srs_check(
        "time-series registry", model, VerifierSrs(verifier, 9000, a), b, None, "SC"
    )
    assert mislabelled.problems == [
        (
            f"model {model} (time-series registry): SC verifier {verifier} embeds [τ]G2 of SRS {a}, "
            f"the model records SRS {b}"
        )
    ]
    assert mislabelled.accepted is None, "no accepted SRS given: nothing judged against it"

    unreadable = srs_check("alert registry", model, VerifierSrs(verifier, 77, None), a, a)
    assert "embeds no recognisable [τ]G2 in its 77 bytes of code" in unreadable.problems[0]
    gone = srs_check("alert registry", model, VerifierSrs(verifier, 0, None), a, a)
    assert gone.problems == [
        f"model {model} (alert registry): verifier {verifier} has no code, so no SRS can be read from it"
    ]


def test_the_accepted_srs_is_an_id_an_ezkl_srs_file_or_a_json_record(tmp_path: Path) -> None:
    a = _tau_g2(5).srs_id_hex
    assert accepted_srs_id() is None
    assert accepted_srs_id(a.upper().replace("0X", "0x")) == a
    record = tmp_path / "ceremony.json"
    record.write_text(json.dumps({"srs_id": a, "participants": 2}))
    assert accepted_srs_id(srs_file=record) == a
    assert accepted_srs_id(a, record) == a
    with pytest.raises(ConfigError, match="name two SRSs"):
        accepted_srs_id(_tau_g2(6).srs_id_hex, record)
    with pytest.raises(ConfigError, match="an SRS id is 0x and 64 hex digits"):
        accepted_srs_id("0x1234")
    with pytest.raises(ConfigError, match="the zero SRS id names no SRS"):
        accepted_srs_id("0x" + "00" * 32)
    garbage = tmp_path / "garbage.srs"
    garbage.write_bytes(b"\x0d\x00\x00\x00" + b"\x01" * 100)
    with pytest.raises(ConfigError, match="neither an EZKL SRS file nor a JSON record"):
        accepted_srs_id(srs_file=garbage)
    with pytest.raises(ConfigError, match="no such file"):
        accepted_srs_id(srs_file=tmp_path / "missing.srs")
    (tmp_path / "no-id.json").write_text("{}")
    with pytest.raises(ConfigError, match="has no srs_id field"):
        accepted_srs_id(srs_file=tmp_path / "no-id.json")
    with pytest.raises(CircuitError, match="is missing"):
        srs_id_of_file(tmp_path / "missing.srs")


def test_a_development_srs_is_refused_off_development_chains_unless_allowed() -> None:
    common = {"chain_id": 10, "circuit": "circuit V (model 0x01)"}
    assert (
        check_development_srs(
            development_only=False, development_chain=False, allow=False, **common
        )
        is None
    )
    assert (
        check_development_srs(development_only=True, development_chain=True, allow=False, **common)
        is None
    )
    with pytest.raises(DevelopmentSrsRefused) as refused:
        check_development_srs(development_only=True, development_chain=False, allow=False, **common)
    assert refused.value.chain_id == 10 and str(refused.value).startswith(
        "refusing to register circuit V (model 0x01) on chain 10: it was built on a development SRS"
    )
    warning = check_development_srs(
        development_only=True, development_chain=False, allow=True, **common
    )
    assert warning is not None and warning.startswith("WARNING:") and "\n" not in warning


def test_an_audit_refuses_a_malformed_accepted_srs_in_one_line() -> None:
    from zkalert.services.audit import AuditOptions

    with pytest.raises(AuditError, match="an SRS id is 0x and 64 hex digits"):
        AuditOptions("s", accepted_srs="0xnot-an-id")


# ---------------------------------------------------------------------- on a real chain

#: A chain that is not a development chain (no test declares it one).
CHAIN_ID = 4343
#: The ceremony's power: the detector circuit's logrows.
CEREMONY_POWER = 11
#: The operator's own key (no mnemonic anyone knows): it owns the registry and is its gateway.
OPERATOR_KEY = "0x" + "5e5".rjust(64, "0")
OPERATOR = Account.from_key(OPERATOR_KEY).address
STREAM = "plant-s/unit-1"


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def _zkalert(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RPC_URL", "ZKALERT_KEYSTORE")}
    env["PRIVATE_KEY"] = OPERATOR_KEY
    return subprocess.run(
        [sys.executable, "-m", "zkalert", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> object:
    from zkalert.data.loaders import load_tennessee_eastman
    from zkalert.detector.model import TrainConfig, fit_detector

    return fit_detector(load_tennessee_eastman().train, TrainConfig(kind="whitened-sq"))


def _compile(detector: Any, root: Path, contract: str, srs: Path | None) -> tuple[Workspace, Any]:
    from zkalert.data.loaders import load_tennessee_eastman
    from zkalert.zk.circuit import CircuitConfig, compile_circuit

    workspace = Workspace.at(root)
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        load_tennessee_eastman().train,
        CircuitConfig(input_visibility="polycommit", inner_columns=6),
        contract_name=contract,
        ceremony_srs=srs,
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
    )
    return workspace, info


@pytest.fixture(scope="module")
def ceremony_transcript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SRS A: a two-party ceremony run now with the real snarkjs (new, the utility's and the
    regulator's contributions, a beacon), of the detector circuit's size."""
    from zkalert.lab.ceremony import two_party_transcript

    return two_party_transcript(
        CEREMONY_POWER, "ab" * 32, tmp_path_factory.mktemp("ceremony"), echo=lambda _m: None
    )


@pytest.fixture(scope="module")
def compiled(
    detector, ceremony_transcript, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Workspace, object, object]]:
    """The detector's circuit on the ceremony's SRS (SRS A), imported into a folder of its own."""
    from zkalert.config import configured

    with configured(srs_dir=tmp_path_factory.mktemp("srs-cache")):
        workspace, info = _compile(
            detector, tmp_path_factory.mktemp("srs"), "PytestSrsVerifier", ceremony_transcript
        )
    yield workspace, detector, info
    (TEST_GENERATED_DIR / "PytestSrsVerifier.sol").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def dev_compiled(
    detector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Workspace, Any]]:
    """The same detector's circuit on the project's development SRS."""
    yield _compile(detector, tmp_path_factory.mktemp("dev"), "PytestDevSrsVerifier", None)
    (TEST_GENERATED_DIR / "PytestDevSrsVerifier.sol").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def srs_b(compiled, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second development SRS of the circuit's size: another gen_srs run, another τ."""
    import ezkl

    _, _, info = compiled
    path = tmp_path_factory.mktemp("srs-b") / f"kzg{info.logrows}.b.srs"
    ezkl.gen_srs(str(path), info.logrows)
    return path


@pytest.fixture(scope="module")
def chain() -> Iterator[object]:
    from zkalert.evm.localnode import Anvil, free_port

    node = Anvil(free_port(), CHAIN_ID).start()
    node.w3.provider.make_request("anvil_setBalance", [OPERATOR, hex(10**21)])
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(PROJECT_ROOT / "deployments" / str(CHAIN_ID), ignore_errors=True)


@pytest.fixture(scope="module")
def deployment(compiled, chain):
    """The ceremony circuit's model on chain 4343, and a WindowLog."""
    from zkalert.evm.registry import deploy
    from zkalert.evm.windowlog import deploy_window_log

    _, _, info = compiled
    assert info.srs_kind == "ceremony" and not info.srs_development_only
    warnings: list[str] = []
    # a ceremony's SRS needs no flag on a chain that is not a development chain
    deployed = deploy(info, chain.url, key=OPERATOR_KEY, warn=warnings.append)
    assert warnings == []
    deploy_window_log(chain.url, key=OPERATOR_KEY)
    return deployed


def chain_test(test: Any) -> Any:
    """The marks of a test on the chain with real EZKL proofs."""
    return pytest.mark.anvil(pytest.mark.ezkl(pytest.mark.slow(test)))


def _set_code(w3: Web3, code: bytes) -> str:
    """Put ``code`` at a fresh address of the real anvil (what a deployment leaves there)."""
    address = Web3.to_checksum_address(keccak(code + w3.eth.block_number.to_bytes(8, "big"))[-20:])
    w3.provider.make_request("anvil_setCode", [address, "0x" + code.hex()])
    return address


@chain_test
def test_a_development_srs_is_refused_on_a_chain_that_is_not_for_development(
    dev_compiled, chain
) -> None:
    workspace, info = dev_compiled
    srs_a = srs_id_of_file(Path(info.srs_path))
    args = ["deploy", "--workdir", str(workspace.root), "--rpc-url", chain.url]

    refused = _zkalert(*args)
    assert refused.returncode == 3, refused.stderr
    assert _one_line(refused.stderr) == (
        f"error: refusing to register circuit PytestDevSrsVerifier (model {info.model_id}) on chain "
        f"{CHAIN_ID}: it was built on a development SRS (gen_srs), whose τ was on the machine that "
        "made it; compile with --srs <ceremony file>, or pass --allow-dev-srs for a test chain"
    )
    assert chain.w3.eth.get_transaction_count(OPERATOR) == 0, "something was sent"

    allowed = _zkalert(*args, "--allow-dev-srs")
    assert allowed.returncode == 0, allowed.stderr
    assert _one_line(allowed.stderr) == (
        f"WARNING: registering circuit PytestDevSrsVerifier (model {info.model_id}) on chain "
        f"{CHAIN_ID} although it was built on a DEVELOPMENT SRS (gen_srs): whoever holds that "
        "SRS's τ can forge its proofs (--allow-dev-srs)"
    )
    assert allowed.stdout.strip().endswith(f"(SRS {srs_a})"), allowed.stdout
    record = json.loads(
        (
            PROJECT_ROOT / "deployments" / str(CHAIN_ID) / "models" / f"{info.model_id}.json"
        ).read_text()
    )
    assert record["srs_id"] == srs_a
    registry = json.loads(
        (PROJECT_ROOT / "deployments" / str(CHAIN_ID) / "AlertRegistry.json").read_text()
    )
    contract = chain.w3.eth.contract(address=registry["address"], abi=registry["abi"])
    onchain = contract.functions.model(bytes.fromhex(info.model_id[2:])).call()
    assert "0x" + bytes(onchain[5]).hex() == srs_a


@chain_test
def test_the_audit_checks_every_verifiers_srs_against_its_record_and_the_accepted_srs(
    compiled, ceremony_transcript, dev_compiled, srs_b, chain, deployment, tmp_path
) -> None:
    from zkalert.data.loaders import load_te_file
    from zkalert.errors import RevertedError
    from zkalert.evm.ids import stream_id
    from zkalert.evm.registry import Gateway, ezkl_calldata
    from zkalert.evm.rpc import send_call, verifier_eth_call
    from zkalert.services.audit import AuditOptions, markdown, run_audit
    from zkalert.zk.circuit import compile_runtime, ezkl_verifier_source
    from zkalert.zk.prover import Prover
    from zkalert.zk.statement import Binding

    workspace, detector, info = compiled
    w3 = chain.w3
    srs_a, srs_b_id = srs_id_of_file(Path(info.srs_path)), srs_id_of_file(srs_b)
    assert srs_a != srs_b_id, "the ceremony's SRS and a gen_srs run: two SRSs"
    from zkalert.zk.ceremony import read_transcript

    assert srs_a == read_transcript(ceremony_transcript).tau_g2(1).srs_id_hex
    gateway = Gateway(w3, deployment, key=OPERATOR_KEY)
    owner = gateway.account
    verifier_a = deployment.model(info.model_id).verifier

    scheme = {"poseidon": 0, "kzg": 1}[info.commitment]  # IAlertRegistry.CommitmentScheme

    def register(name: str, verifier: str, srs: str) -> str:
        mid = "0x" + keccak(text=name).hex()
        call = gateway.registry.functions.registerModel(
            bytes.fromhex(mid[2:]), verifier, info.threshold_felt, 1, scheme, bytes.fromhex(srs[2:])
        )
        send_call(w3, owner, CHAIN_ID, call, deployment.registry_abi)
        return mid

    # (b) the same verifying key's verifier, generated by EZKL from SRS B
    source = ezkl_verifier_source(
        workspace.vk, workspace.settings, srs_b, tmp_path / "B.sol", tmp_path / "B.abi"
    )
    code_b = compile_runtime(source, "B.sol", "Halo2Verifier")
    found_b = verifier_tau_g2(code_b)
    assert found_b is not None and found_b.srs_id_hex == srs_b_id, "the code embeds SRS B's [τ]G2"
    verifier_b = _set_code(w3, code_b)
    model_b = register("pytest/srs-b", verifier_b, srs_b_id)

    # a proof made under SRS A: the A verifier takes it, the B verifier and the registry refuse it
    stream = stream_id(STREAM)
    window = detector.scale(load_te_file("d01_te.dat")[200:201])
    proven = Prover(workspace).prove(window, "srs-a", Binding(owner.address, stream, 0))
    calldata = ezkl_calldata(proven)
    assert verifier_eth_call(w3, verifier_a, calldata)[0] is True
    assert verifier_eth_call(w3, verifier_b, calldata)[0] is False
    with pytest.raises(RevertedError) as refused:
        gateway.submit(stream, model_b, proven)
    assert refused.value.reason == f"AlertRegistryInvalidProof(modelId={model_b})"
    gateway.submit(stream, info.model_id, proven)  # under its own SRS it is recorded

    # (c) a model whose recorded SRS id is not the one its code embeds (A's code, B's id)
    code_a = bytes(w3.eth.get_code(verifier_a))
    verifier_c = _set_code(w3, code_a + b"\x00")  # same constants, its own code hash
    model_c = register("pytest/srs-c", verifier_c, srs_b_id)
    # adversarial code: garbage, the generator before a point off the curve, and code removed
    rng = random.Random(7)
    verifier_d = _set_code(w3, bytes(rng.randrange(256) for _ in range(3000)))
    model_d = register("pytest/srs-d", verifier_d, srs_a)
    point = found_b
    off_curve = G2Point(x=point.x, y=(point.y[0], (point.y[1] + 1) % FQ_MODULUS))
    verifier_e = _set_code(w3, _verifier_like(off_curve))
    model_e = register("pytest/srs-e", verifier_e, srs_a)
    verifier_f = _set_code(w3, code_a + b"\x01")
    model_f = register("pytest/srs-f", verifier_f, srs_a)
    w3.provider.make_request("anvil_setCode", [verifier_f, "0x"])

    # the development-SRS circuit, registered on this chain with --allow-dev-srs (as the policy
    # test does; deploy leaves a registered model as it is)
    from zkalert.evm.registry import deploy

    _, dev_info = dev_compiled
    dev = deploy(dev_info, chain.url, key=OPERATOR_KEY, allow_dev_srs=True, warn=lambda _m: None)
    dev_verifier = dev.model(dev_info.model_id).verifier
    srs_dev = srs_id_of_file(Path(dev_info.srs_path))

    report = run_audit(
        w3, None, AuditOptions(STREAM, proofs="none", accepted_srs=srs_a), tmp_path / "regulator"
    )
    by_model = {m["model_id"]: m for m in report["srs"]["models"]}
    assert set(by_model) == {
        info.model_id, dev_info.model_id, model_b, model_c, model_d, model_e, model_f
    }  # fmt: skip
    # a development SRS let through with --allow-dev-srs is still a finding for the regulator
    assert by_model[dev_info.model_id]["problems"] == [
        (
            f"model {dev_info.model_id} (alert registry): verifier {dev_verifier} embeds [τ]G2 of "
            f"SRS {srs_dev}, the accepted SRS is {srs_a}"
        )
    ]
    # (a) built with the accepted SRS, recorded as such: nothing to say
    a = by_model[info.model_id]
    assert (a["verifier_srs_id"], a["recorded_srs_id"], a["accepted"]) == (srs_a, srs_a, True)
    assert a["problems"] == []
    # (b) flagged with both ids
    assert by_model[model_b]["problems"] == [
        (
            f"model {model_b} (alert registry): verifier {verifier_b} embeds [τ]G2 of SRS "
            f"{srs_b_id}, the accepted SRS is {srs_a}"
        )
    ]
    # (c) the record does not say what the code embeds
    assert by_model[model_c]["problems"] == [
        (
            f"model {model_c} (alert registry): verifier {verifier_c} embeds [τ]G2 of SRS {srs_a}, "
            f"the model records SRS {srs_b_id}"
        )
    ]
    assert "embeds no recognisable [τ]G2 in its 3,000 bytes" in by_model[model_d]["problems"][0]
    assert "embeds no recognisable [τ]G2" in by_model[model_e]["problems"][0]
    assert by_model[model_f]["problems"][0].endswith("has no code, so no SRS can be read from it")
    findings = report["summary"]["findings"]
    assert report["summary"]["verdict"] == "FAIL"
    assert sum(f.startswith("srs: ") for f in findings) == 6, findings
    assert report["key"]["srs"]["verifier_srs_id"] == srs_a
    assert report["key"]["srs"]["recorded_srs_id"] == srs_a
    text = markdown(report)
    assert "## SRS of every registered model" in text and f"Accepted SRS: {srs_a}." in text
    assert f"The verifier embeds [τ]G2 of SRS {srs_a}; the model records SRS {srs_a}" in text

    # without an accepted SRS: each verifier's SRS is listed, only record mismatches are findings
    unjudged = run_audit(w3, None, AuditOptions(STREAM, proofs="none"), tmp_path / "regulator")
    assert unjudged["srs"]["accepted_srs_id"] is None
    models = {m["model_id"]: m for m in unjudged["srs"]["models"]}
    assert models[model_b]["problems"] == [] and models[model_b]["verifier_srs_id"] == srs_b_id
    assert models[model_c]["problems"] == by_model[model_c]["problems"]
    assert "No accepted SRS was given" in markdown(unjudged)

    # the command line: the accepted SRS by file, findings exit 2
    out = _zkalert(
        "audit",
        "--stream",
        STREAM,
        "--proofs",
        "none",
        "--rpc-url",
        chain.url,
        "--accepted-srs",
        info.srs_path,
        "--folder",
        str(tmp_path / "cli"),
    )
    assert out.returncode == 2, out.stderr
    assert (
        f"srs: model {model_b} (alert registry): verifier {verifier_b} embeds [τ]G2 of SRS {srs_b_id}, the accepted SRS is {srs_a}"
        in out.stdout
    )


@chain_test
def test_the_time_series_audit_checks_the_tc_and_sc_verifiers_srs(chain, tmp_path) -> None:
    """The committed time-series fixture's verifiers, on two development SRSs (one per circuit
    size): both ids recorded; a registration that swaps them, and an SC verifier not on the
    accepted SRS, are flagged; a deployment that names an SRS its compiled verifier does not
    embed is refused before anything is sent."""
    from zkalert.evm.artifacts import forge_runtime
    from zkalert.lab.timeseries.demo import format_audit, format_srs
    from zkalert.timeseries.audit import audit, registry_srs_checks
    from zkalert.timeseries.chain import ModelParams, TsGateway, deploy

    fixtures = PROJECT_ROOT / "test" / "fixtures" / "ts"
    model = json.loads((fixtures / "model.json").read_text())
    params = ModelParams(
        model["model_id"],
        "TsFixtureTcVerifier",
        "TsFixtureScVerifier",
        int(model["krc_pass"], 16),
        int(model["reset"], 16),
        int(model["continue"], 16),
        model["steps_per_interval"],
        model["intervals_per_window"],
    )
    deployment, mid = deploy(params, url=chain.url, key=OPERATOR_KEY)
    w3 = chain.w3
    tc_code, sc_code = forge_runtime("TsFixtureTcVerifier"), forge_runtime("TsFixtureScVerifier")
    assert tc_code and sc_code
    tc_srs = verifier_tau_g2(tc_code).srs_id_hex  # type: ignore[union-attr]
    sc_srs = verifier_tau_g2(sc_code).srs_id_hex  # type: ignore[union-attr]
    assert tc_srs != sc_srs, "the fixture's circuits have two sizes, so two development SRSs"
    record = deployment.models[mid.lower()]
    assert (record["tc_srs_id"], record["sc_srs_id"]) == (tc_srs, sc_srs)
    onchain = deployment.registry(w3).functions.model(bytes.fromhex(mid[2:])).call()
    assert ("0x" + bytes(onchain[10]).hex(), "0x" + bytes(onchain[11]).hex()) == (tc_srs, sc_srs)

    # a verifier compiled from another SRS than the one named is never registered
    sent = w3.eth.get_transaction_count(OPERATOR)
    other = ModelParams(
        model["other_model_id"], "TsFixtureOtherTcVerifier", *astuple_tail(params), sc_srs, sc_srs
    )
    with pytest.raises(CircuitError, match=f"generated from SRS {tc_srs}, but its circuit's SRS"):
        deploy(other, url=chain.url, key=OPERATOR_KEY)
    assert w3.eth.get_transaction_count(OPERATOR) == sent

    # the owner registers the other TC key with the two ids swapped
    owner = TsGateway(w3, deployment, OPERATOR_KEY)
    other_tc = _set_code(w3, forge_runtime("TsFixtureOtherTcVerifier") or b"")
    sc_verifier = onchain[1]
    swapped = (other_tc, sc_verifier, b"\0" * 32, b"\0" * 32, *onchain[4:9], 0)
    owner._send(
        owner.registry.functions.registerModel(
            bytes.fromhex(model["other_model_id"][2:]),
            (*swapped, bytes.fromhex(sc_srs[2:]), bytes.fromhex(tc_srs[2:])),
        )
    )
    checks = registry_srs_checks(w3, deployment, tc_srs)
    by = {(c.model_id, c.kind): c for c in checks}
    first, second = mid.lower(), model["other_model_id"].lower()
    assert set(by) == {(first, "TC"), (first, "SC"), (second, "TC"), (second, "SC")}
    assert by[first, "TC"].problems == []
    assert by[first, "SC"].problems == [
        (
            f"model {first} (time-series registry): SC verifier {sc_verifier} embeds [τ]G2 of SRS "
            f"{sc_srs}, the accepted SRS is {tc_srs}"
        )
    ]
    assert by[second, "TC"].problems == [
        (
            f"model {second} (time-series registry): TC verifier {other_tc} embeds [τ]G2 of SRS "
            f"{tc_srs}, the model records SRS {sc_srs}"
        )
    ]
    assert by[second, "SC"].problems[0].endswith(f"the model records SRS {tc_srs}")
    assert any("SC verifier" in line for line in format_srs(checks, tc_srs))

    # a stream under the first model: its report carries the SRS of both verifiers
    stream = Web3.keccak(text="te/reactor/srs")
    owner.open_stream(stream, mid, int(model["genesis_state"], 16), int(model["genesis_acc"], 16))
    report = audit(w3, deployment, stream, accepted_srs=tc_srs)[0]
    assert not report.ok and report.models[0].srs_problems == by[first, "SC"].problems
    assert report.to_json()["models"][0]["srs"][1]["verifier_srs_id"] == sc_srs
    assert any(line.startswith("    SRS: model") for line in format_audit(report))
    assert audit(w3, deployment, stream, accepted_srs=sc_srs)[0].models[0].srs[1].accepted is True

    out = _zkalert("ts", "audit", "--json", "--srs-id", tc_srs, "--rpc-url", chain.url)
    assert out.returncode == 2, out.stderr
    printed = json.loads(out.stdout)
    assert printed["srs"]["accepted_srs_id"] == tc_srs
    assert len(printed["srs"]["findings"]) == 4 and printed["streams"][0]["ok"] is False


def astuple_tail(params: Any) -> tuple[Any, ...]:
    """A model's constants (KRC, reset, continue commitments, D and W), as ModelParams takes them."""
    return (
        params.krc_pass,
        params.reset_commitment,
        params.continue_commitment,
        params.steps_per_interval,
        params.intervals_per_window,
    )


def test_the_accepted_srs_in_zkalert_toml_reaches_both_audits_and_the_regulator(
    tmp_path: Path,
) -> None:
    import typer.main

    from zkalert.cli import settings
    from zkalert.cli.app import app
    from zkalert.cli.configure import command_params

    a = _tau_g2(3).srs_id_hex
    path = tmp_path / "zkalert.toml"
    path.write_text(f'[srs]\naccepted_id = "{a}"\n')
    loaded = settings.load(path, env={})
    defaults = settings.default_map(loaded, command_params(typer.main.get_command(app)))
    assert defaults["audit"]["srs_id"] == a
    assert defaults["ts"]["audit"]["srs_id"] == a
    assert defaults["serve"]["regulator"]["srs_id"] == a
    path.write_text('[srs]\naccepted_id = "0x1234"\n')
    with pytest.raises(ConfigError, match=r"srs\.accepted_id \(from .*zkalert\.toml\)"):
        settings.load(path, env={})
