"""`zkalert alerts` filters and receipts, on the committed real proofs (no proving) and a real anvil."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import OWNER_KEY

from zkalert.config import PROJECT_ROOT
from zkalert.evm.ids import stream_id
from zkalert.evm.log import alert_hash
from zkalert.evm.registry import Gateway, ModelSpec, deploy
from zkalert.zk.prover import ProvenWindow
from zkalert.zk.statement import Binding

pytestmark = [pytest.mark.anvil]


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run the CLI's main() in-process (the code path of the installed command, without paying
    for a fresh interpreter and torch import per call); returns (exit code, stdout, stderr)."""
    from zkalert.cli.app import main

    def run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setenv("RPC_URL", url)
        monkeypatch.setattr(sys, "argv", ["zkalert", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    return run


STREAM = "fixture/te"  # the stream the committed proofs are bound to: the alarm at index 0, a normal window at 1


@pytest.fixture(scope="module")
def recorded(anvil_url, w3, alert_fixture, normal_fixture, fixture_proof_paths):
    """One stream with an alarm then a normal window, recorded through the registry (undone after the module)."""
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    deployment = deploy(
        ModelSpec("FixtureVerifier", alert_fixture["model_id"], int(alert_fixture["threshold"]), 1),
        anvil_url,
        key=OWNER_KEY,
    )
    gateway = Gateway(w3, deployment, key=OWNER_KEY)
    stream = stream_id(STREAM)
    for name, fixture in (("alert", alert_fixture), ("normal", normal_fixture)):
        gateway.submit(
            stream,
            alert_fixture["model_id"],
            ProvenWindow.from_proof_file(
                fixture_proof_paths[name], binding=Binding.from_json(fixture["binding"])
            ),
        )
    yield "0x" + stream.hex()
    w3.provider.make_request("evm_revert", [snapshot])


def test_alerts_filters_keep_the_chain_check_and_the_json_keys(
    cli, anvil_url, recorded, alert_fixture
):
    out = cli("alerts", "--stream", STREAM, "--alarm-only", "--json", url=anvil_url)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"chain_id", "registry", "alerts", "streams", "chain_intact"} <= set(data)
    assert [a["seq"] for a in data["alerts"]] == [0] and data["alerts"][0]["alarm"] is True
    assert data["alerts"][0]["window_index"] == 0
    assert (
        data["streams"][0]["records"] == 2 and data["chain_intact"] is True
    )  # checked on both, listed one

    other_model = "0x" + "11" * 32
    assert (
        json.loads(
            cli(
                "alerts", "--stream", STREAM, "--model", other_model, "--json", url=anvil_url
            ).stdout
        )["alerts"]
        == []
    )
    kept = json.loads(
        cli(
            "alerts",
            "--stream",
            STREAM,
            "--model",
            alert_fixture["model_id"],
            "--since",
            "2000-01-01T00:00:00",
            "--json",
            url=anvil_url,
        ).stdout
    )
    assert len(kept["alerts"]) == 2
    assert (
        json.loads(
            cli(
                "alerts", "--stream", STREAM, "--until", "946684800", "--json", url=anvil_url
            ).stdout
        )["alerts"]
        == []
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (("--model", "0x1234"), "--model must be a 0x model id"),
        (("--since", "yesterday"), "--since must be ISO 8601"),
        (("--to-block", "99999999"), "beyond the chain head"),
        (("--from-block", "99999999"), "beyond the chain head"),
    ],
)
def test_alerts_bad_filters_give_one_line(cli, anvil_url, recorded, args, message):
    out = cli("alerts", *args, url=anvil_url)
    assert out.returncode == 1 and message in out.stderr and "Traceback" not in out.stderr


def test_exported_receipts_check_offline_and_tampering_is_caught(
    cli, anvil_url, recorded, tmp_path
):
    out = cli("alerts", "--stream", STREAM, "--export-receipts", str(tmp_path), url=anvil_url)
    assert out.returncode == 0, out.stderr
    files = sorted(tmp_path.glob("receipt-*.json"))
    assert len(files) == 2
    receipt = json.loads(files[1].read_text())
    assert (
        receipt["alert"]["seq"] == 1
        and receipt["links"]["previous"]["alert_hash"] == receipt["alert"]["prev_hash"]
    )
    assert receipt["alert"]["window_index"] == 1
    assert receipt["block"]["hash"].startswith("0x") and len(receipt["proof"]["hex"]) > 1000

    # no node needed to check them: a separate process with no RPC reachable
    checked = subprocess.run(
        [sys.executable, "-m", "zkalert", "receipt", "check", *map(str, files), "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ, RPC_URL="http://127.0.0.1:9"),
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    results = json.loads(checked.stdout)
    assert all(r["ok"] for r in results)
    assert results[0]["checks"]["next_link"] is True and results[1]["checks"]["instances"] is True
    assert all(r["checks"]["binding"] is True for r in results)

    forged = dict(receipt, alert={**receipt["alert"], "score": receipt["alert"]["score"] + 1})
    bad = tmp_path / "forged.json"
    bad.write_text(json.dumps(forged))
    refused = cli("receipt", "check", str(bad), url="http://127.0.0.1:9")
    assert refused.returncode == 2
    assert "alert hash" in refused.stdout and "instances" in refused.stdout

    # the same alert claimed for another window index: its hash is recomputed over the index, and the
    # proof's binding names index 1, not 7
    moved = dict(receipt, alert={**receipt["alert"], "window_index": 7})
    moved["alert"]["alert_hash"] = (
        "0x"
        + alert_hash(
            bytes.fromhex(moved["alert"]["prev_hash"][2:]),
            bytes.fromhex(moved["alert"]["stream_id"][2:]),
            1,
            7,
            bytes.fromhex(moved["alert"]["model_id"][2:]),
            moved["alert"]["gateway"],
            int(moved["alert"]["input_commitment"], 16),
            moved["alert"]["score"],
            moved["alert"]["alarm"],
        ).hex()
    )
    bad.write_text(json.dumps(moved))
    refused = cli("receipt", "check", str(bad), "--json", url="http://127.0.0.1:9")
    assert refused.returncode == 2
    (result,) = json.loads(refused.stdout)
    assert result["checks"]["alert_hash"] is True and result["checks"]["binding"] is False

    not_a_receipt = tmp_path / "other.json"
    not_a_receipt.write_text("{}")
    out = cli("receipt", "check", str(not_a_receipt), url="http://127.0.0.1:9")
    assert out.returncode == 1 and "not a zkalert alert receipt" in out.stderr
