"""``zkalert ts bench``: the zkSTAR tables for this machine, per interval length D and PSF.

Each configuration runs in a process of its own (so its peak RSS is its own):
ONNX export, settings, compile and setup times; pk/vk/circuit/witness/proof
sizes; TC and SC proving times (mean, std over a few real TE intervals);
off-chain verification time. Then, on a local anvil, the generated verifiers
are deployed and each proof is checked by ``eth_call`` (time) and
``estimate_gas`` (gas per window = W·TC + SC verification). A second part,
``agreement``, runs the circuits' witnesses (the values a proof attests) over
whole Tennessee Eastman test runs and compares each window's alarm with the
float EKF. Reports go to ``build/reports/timeseries/`` (``bench.json`` for the reactor,
``bench-<subsystem>.json`` for the other subsystems).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eth_typing import HexStr

from zkalert.config import PROJECT_ROOT, Workspace, reports_dir
from zkalert.data.loaders import load_te_file
from zkalert.lab.metrics import machine
from zkalert.lab.timeseries.demo import trained_detector
from zkalert.timeseries.circuits import (
    CircuitDir,
    Precision,
    compile_circuit,
    detector_dir,
    prove,
    resolve_columns,
    run_witness,
    sc_dir,
    verify,
)
from zkalert.timeseries.store import Store
from zkalert.timeseries.stream import Operator

BENCH_ROOT = PROJECT_ROOT / "build" / "ts-bench"
#: The bench's detector has windows of 16 steps, so that every D of the zkSTAR sweep (1, 4, 8,
#: 16) divides them. What a TC or SC proof costs does not depend on the window length.
BENCH_WINDOW_STEPS = 16


def _file_bytes(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def run_one(
    steps: int, psf: int, proofs: int, with_sc: bool, cols: int, subsystem: str = "reactor"
) -> dict[str, Any]:
    """One configuration, in this process: compile, set up, prove ``proofs`` intervals (+ SC windows)."""
    workspace = Workspace.at(BENCH_ROOT)
    detector = trained_detector(workspace, subsystem, lambda *_: None, BENCH_WINDOW_STEPS)
    precision = Precision(psf=psf, num_inner_cols=cols)
    name = f"TsBenchTcD{steps}P{psf}C{cols}"
    tc = CircuitDir(detector_dir(workspace, subsystem) / f"tc-d{steps}-psf{psf}-c{cols}")
    cpu_before = _cpu_s()
    tc_info = compile_circuit(detector, "tc", tc, name, steps, precision, echo=lambda *_: None)
    compile_cpu_s = _cpu_s() - cpu_before
    result: dict[str, Any] = {
        "steps": steps,
        "psf": psf,
        "cols": cols,
        "subsystem": subsystem,
        "load_average_at_start": list(os.getloadavg()),
        "tc": _circuit_row(tc_info, tc) | {"compile_and_setup_cpu_s": compile_cpu_s},
    }
    sc = sc_dir(workspace, subsystem, psf)
    sc_info = (
        compile_circuit(
            detector, "sc", sc, f"TsBenchScP{psf}", steps, precision, echo=lambda *_: None
        )
        if with_sc or not (sc.root / "circuit.json").is_file()
        else sc.info
    )
    if with_sc:
        result["sc"] = _circuit_row(sc_info, sc)

    # Real intervals: TE fault 4 test run from row 96, stored as the operator stores them.
    store = Store(BENCH_ROOT / f"bench-{_tag(subsystem)}{steps}-{psf}-{cols}.sqlite")
    stream_name = f"bench-{time.time_ns()}"
    operator = Operator.open(stream_name, detector, tc, sc, store, workspace, echo=lambda *_: None)
    window_steps = detector.config.window_steps
    need = (
        max(proofs * steps, window_steps)
        if not with_sc
        else max(proofs * steps, proofs * window_steps)
    )
    need = -(-need // window_steps) * window_steps
    operator.feed(detector.measurements(load_te_file("d04_te.dat"))[96 : 96 + need])
    tc_rows = store.intervals(stream_name)[:proofs]
    prove_s, prove_cpu_s, verify_s, witness_s = [], [], [], []
    for interval in tc_rows:
        witness = run_witness(
            tc, "tc", interval.inputs, operator.folder / f"tc-{interval.idx:05d}.witness.json"
        )
        witness_s.append(witness.witness_s)
        cpu_before = _cpu_s()
        proof = prove(tc, witness.path, operator.folder / f"tc-{interval.idx:05d}.proof.json")
        prove_cpu_s.append(_cpu_s() - cpu_before)
        prove_s.append(proof.prove_s)
        started = time.perf_counter()
        assert verify(tc, proof.path)
        verify_s.append(time.perf_counter() - started)
        result.setdefault("tc_proofs", []).append(str(proof.path))
    result["tc"].update(
        _timing("prove_s", prove_s)
        | _timing("prove_cpu_s", prove_cpu_s)
        | _timing("verify_s", verify_s)
        | _timing("witness_s", witness_s)
    )
    result["tc"]["proof_bytes"] = (
        len(json.loads(Path(result["tc_proofs"][0]).read_text())["hex_proof"]) // 2 - 1
    )
    result["tc"]["witness_bytes"] = _file_bytes(
        Path(result["tc_proofs"][0].replace(".proof.", ".witness."))
    )
    if with_sc:
        sc_prove, sc_cpu, sc_verify = [], [], []
        for window in store.windows(stream_name)[:proofs]:
            witness = run_witness(
                sc, "sc", window.inputs, operator.folder / f"sc-{window.idx:05d}.witness.json"
            )
            cpu_before = _cpu_s()
            proof = prove(sc, witness.path, operator.folder / f"sc-{window.idx:05d}.proof.json")
            sc_cpu.append(_cpu_s() - cpu_before)
            sc_prove.append(proof.prove_s)
            started = time.perf_counter()
            assert verify(sc, proof.path)
            sc_verify.append(time.perf_counter() - started)
            result.setdefault("sc_proofs", []).append(str(proof.path))
        result["sc"].update(
            _timing("prove_s", sc_prove)
            | _timing("prove_cpu_s", sc_cpu)
            | _timing("verify_s", sc_verify)
        )
        result["sc"]["proof_bytes"] = (
            len(json.loads(Path(result["sc_proofs"][0]).read_text())["hex_proof"]) // 2 - 1
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_bytes"] = usage.ru_maxrss * 1024
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    store.close()
    return result


def _cpu_s() -> float:
    """CPU seconds of this process, all threads: with the machine shared, wall time alone misleads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _circuit_row(info: Any, folder: CircuitDir) -> dict[str, Any]:
    return {
        "logrows": info.logrows,
        "num_rows": info.num_rows,
        "export_s": info.export_s,
        "settings_s": info.settings_s,
        "compile_s": info.compile_s,
        "setup_s": info.setup_s,
        "pk_bytes": info.pk_bytes,
        "vk_bytes": info.vk_bytes,
        "circuit_bytes": info.circuit_bytes,
        "onnx_bytes": _file_bytes(folder.onnx),
        "verifier_contract": info.verifier_contract,
    }


def _timing(name: str, values: list[float]) -> dict[str, float]:
    base = name.removesuffix("_s")
    return {
        f"{base}_mean_s": statistics.fmean(values),
        f"{base}_std_s": statistics.stdev(values) if len(values) > 1 else 0.0,
        f"{base}_n": len(values),
    }


def _tag(subsystem: str) -> str:
    """File-name prefix: none for the reactor (the names its results always had), else the subsystem."""
    return "" if subsystem == "reactor" else f"{subsystem}-"


def report_name(subsystem: str) -> str:
    return f"bench{'' if subsystem == 'reactor' else '-' + subsystem}.json"


def run(
    configs: list[tuple[int, int, int]],
    proofs: int,
    echo: Any = print,
    reuse: bool = False,
    subsystem: str = "reactor",
) -> dict[str, Any]:
    """All configurations, each in a subprocess, one after the other (one prover at a time)."""
    if any(
        cols == 0 for _, _, cols in configs
    ):  # TC inner columns chosen per D, as `zkalert ts compile` does
        detector = trained_detector(
            Workspace.at(BENCH_ROOT), subsystem, lambda *_: None, BENCH_WINDOW_STEPS
        )
        configs = [
            (d, p, c or resolve_columns(detector, "tc", d, Precision(psf=p)).num_inner_cols)
            for d, p, c in configs
        ]
    results = []
    for index, (steps, psf, cols) in enumerate(configs):
        with_sc = index == 0 or psf not in {c[1] for c in configs[:index]}
        echo(
            f"bench [{index + 1}/{len(configs)}]: D={steps} PSF={psf} cols={cols} ({proofs} proofs{', with SC' if with_sc else ''}) ..."
        )
        out = BENCH_ROOT / f"result-{_tag(subsystem)}{steps}-{psf}-{cols}.json"
        if reuse and out.is_file():
            echo("  reusing the result of an earlier run")
            results.append(json.loads(out.read_text()) | {"reused": True})
            continue
        cmd = [
            sys.executable,
            "-m",
            "zkalert.lab.timeseries.bench",
            "one",
            str(steps),
            str(psf),
            str(proofs),
            "1" if with_sc else "0",
            str(cols),
            str(out),
            subsystem,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not out.is_file():
            echo(f"  failed: {proc.stderr.strip()[-600:]}")
            results.append(
                {
                    "steps": steps,
                    "psf": psf,
                    "cols": cols,
                    "subsystem": subsystem,
                    "error": proc.stderr.strip()[-600:],
                }
            )
            continue
        row = json.loads(out.read_text())
        echo(
            f"  TC logrows {row['tc']['logrows']}, setup {row['tc']['setup_s']:.1f} s, prove {row['tc']['prove_mean_s']:.1f} ± {row['tc']['prove_std_s']:.1f} s, peak RSS {row['peak_rss_bytes'] / 2**30:.2f} GB"
        )
        results.append(row)
    try:
        _onchain(results, echo)
    except Exception as exc:  # noqa: BLE001 - any failure here must not lose the proving results
        echo(f"  on-chain verification skipped: {exc}")
    report = {
        "machine": machine(),
        "subsystem": subsystem,
        "proofs_per_config": proofs,
        "results": results,
    }
    (reports_dir("timeseries") / report_name(subsystem)).write_text(json.dumps(report, indent=2))
    return report


EIP170_BYTES = 24_576
BENCH_PORT = 8878
BENCH_CHAIN_ID = 31998


def _onchain(results: list[dict[str, Any]], echo: Any) -> None:
    """Deploy each generated verifier on a fresh anvil; eth_call time and gas of every proof."""
    from zkalert.evm.localnode import Anvil
    from zkalert.evm.rpc import connect, run_forge, verifier_eth_call
    from zkalert.keys import ANVIL_KEY_0, resolve_signer
    from zkalert.timeseries.chain import proof_calldata
    from zkalert.timeseries.circuits import Proof
    from zkalert.toolchain import env_with_tools

    run_forge(["build"], env_with_tools())
    node = Anvil(BENCH_PORT, BENCH_CHAIN_ID, extra_args=["--code-size-limit", "100000"]).start()
    try:
        url = node.url
        w3 = connect(url)
        # the bench's own fresh node: a development chain, where anvil's funded account signs
        account = resolve_signer(
            BENCH_CHAIN_ID, key=ANVIL_KEY_0, dev_chains=[BENCH_CHAIN_ID]
        ).account

        def deploy_runtime(contract: str) -> tuple[str, int]:
            artifact = json.loads(
                (PROJECT_ROOT / "out" / f"{contract}.sol" / f"{contract}.json").read_text()
            )
            runtime = len(bytes.fromhex(artifact["deployedBytecode"]["object"].removeprefix("0x")))
            tx = {
                "from": account.address,
                "data": artifact["bytecode"]["object"],
                "nonce": w3.eth.get_transaction_count(account.address),
                "chainId": BENCH_CHAIN_ID,
                "gas": 15_000_000,
                "gasPrice": w3.eth.gas_price,
            }
            receipt = w3.eth.wait_for_transaction_receipt(
                w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
            )
            return str(receipt["contractAddress"]), runtime

        for row in results:
            for kind in ("tc", "sc"):
                if kind not in row or f"{kind}_proofs" not in row:
                    continue
                address, runtime = deploy_runtime(row[kind]["verifier_contract"])
                row[kind]["verifier_runtime_bytes"] = runtime
                row[kind]["fits_eip170"] = runtime <= EIP170_BYTES
                times, gas = [], []
                for path in row[f"{kind}_proofs"]:
                    calldata = proof_calldata(Proof.load(Path(path)))
                    ok, elapsed = verifier_eth_call(w3, address, calldata)
                    if not ok:
                        raise RuntimeError(f"{path} did not verify by eth_call")
                    times.append(elapsed)
                    gas.append(
                        w3.eth.estimate_gas({"to": address, "data": HexStr("0x" + calldata.hex())})
                    )
                row[kind].update(_timing("eth_call_s", times))
                row[kind]["verify_gas_mean"] = statistics.fmean(gas)
                row[kind]["calldata_bytes"] = len(calldata)
            echo(
                f"  D={row['steps']}: eth_call {row['tc'].get('eth_call_mean_s', float('nan')):.3f} s, verify gas {row['tc'].get('verify_gas_mean', 0):,.0f}, verifier {row['tc'].get('verifier_runtime_bytes', 0):,} B"
            )
    finally:
        node.stop()


def main(argv: list[str]) -> int:
    if argv and argv[0] == "one":
        steps, psf, proofs, with_sc, cols, out = (
            int(argv[1]),
            int(argv[2]),
            int(argv[3]),
            argv[4] == "1",
            int(argv[5]),
            Path(argv[6]),
        )
        subsystem = argv[7] if len(argv) > 7 else "reactor"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(run_one(steps, psf, proofs, with_sc, cols, subsystem), indent=2))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
