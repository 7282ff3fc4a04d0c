"""The benchmark's verdicts: which figures meet the targets, a batch whose verifier is over
EIP-170 marked as such, and its options refused in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from zkalert.lab.bench import TARGET_BATCH, TARGETS, _targets

ZKALERT = [str(Path(sys.executable).parent / "zkalert")]


def _single(median: float, speedup: float) -> dict[str, Any]:
    return {
        "prove_s": {"median": median},
        "paired_speedup_vs_naive": speedup,
        "roc_auc_float": 0.90,
        "roc_auc_circuit": 0.9005,
        "decision_agreement": 1.0,
        "peak_rss_bytes": 600_000_000,
    }


def _batch(b: int, gas: float, verifier: int, per_window_s: float) -> dict[str, Any]:
    return {
        "windows_per_proof": b,
        "gas_per_alert": gas,
        "calldata_bytes_per_alert": 640,
        "prove_s_per_window": per_window_s,
        "verifier_runtime_bytes": verifier,
    }


def _verdicts(summaries: dict[str, dict[str, Any]], sizes: tuple[int, ...]) -> dict[str, bool]:
    return {t["target"]: t["met"] for t in _targets(summaries, sizes)}


def test_targets_judge_the_batch_of_the_target_size_and_the_largest_batch() -> None:
    summaries = {
        "tuned": _single(2.6, 8.0),
        "tuned-kzg": _single(0.9, 11.0),
        "tuned-kzg-b8": _batch(8, 160_000, 16_000, 0.6),
        "tuned-kzg-b16": _batch(16, TARGETS["batched_gas_per_alert"] - 1, 21_182, 0.45),
        "tuned-kzg-b32": _batch(32, TARGETS["largest_batch_gas_per_alert"] + 1, 25_975, 0.4),
    }
    verdicts = _verdicts(summaries, (8, 16, 32))
    assert verdicts["single-window median prove (s), tuned-kzg"] is True
    assert verdicts["single-window median prove (s), tuned (Poseidon)"] is False
    assert verdicts["speed-up vs naive (prove, paired rounds), tuned-kzg"] is True
    assert verdicts["speed-up vs naive (prove, paired rounds), tuned (Poseidon)"] is False
    assert verdicts[f"batched (B={TARGET_BATCH}, KZG) gas per alert"] is True
    assert verdicts[f"batched (B={TARGET_BATCH}, KZG) proving per window (s)"] is True
    # the largest batch is B=32 whatever its order in the options, and its oversize verifier is said
    own = "largest batch (B=32, KZG) gas per alert (own verifier over EIP-170, limit lifted)"
    assert verdicts[own] is False
    assert _verdicts(summaries, (32, 16, 8)) == verdicts
    # its proofs recorded again through the reusable verifier and the VKA, EIP-170 enforced
    through_vka = (
        "largest batch (B=32, KZG) gas per alert through the reusable verifier and its VKA, "
        "EIP-170 enforced"
    )
    assert through_vka not in verdicts
    summaries["tuned-kzg-b32"]["vka"] = {"gas_per_alert": TARGETS["largest_batch_gas_per_alert"]}
    assert _verdicts(summaries, (8, 16, 32))[through_vka] is True


def test_without_the_target_batch_only_the_largest_batch_is_judged() -> None:
    summaries = {
        "tuned": _single(2.6, 8.0),
        "tuned-kzg": _single(1.8, 9.0),
        "tuned-kzg-b8": _batch(8, 70_000, 16_000, 0.6),
    }
    verdicts = _verdicts(summaries, (8,))
    assert verdicts["largest batch (B=8, KZG) gas per alert"] is True
    assert not any(f"B={TARGET_BATCH}" in t for t in verdicts)


def test_bench_refuses_a_batch_size_out_of_range_in_one_line() -> None:
    proc = subprocess.run(
        [*ZKALERT, "bench", "--batch-sizes", "8,1"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == "error: batch size 1 must be between 2 and 64"
    assert proc.stdout == ""
