"""Model acceptance: the regulator sees the model work, from proven scores.

A model's weights are private and fixed in its circuit, so the verifying key says *which*
model scores the windows, not whether it detects anything: a model that never alarms proves
as well as any. Acceptance shows what it does on windows the regulator picked:

1. ``zkalert accept reference`` (regulator): a labelled reference set drawn from a seed
   (:func:`build_reference`): normal windows and anomalous ones (for Tennessee Eastman, rows
   of the normal test run ``d00_te`` and of the fault test runs after the fault began). The
   regulator keeps the labelled file; the operator gets a copy without labels, origins or
   anything else that tells a normal window from an anomalous one (the positions are shuffled).
2. ``zkalert accept prove`` (operator, :func:`prove_reference`): the model's score of every
   reference window, proven (B windows per proof for a batched circuit), each window bound to
   the *acceptance binding*: a bundle folder of proofs, instances and what the regulator needs
   to recompute each window's circuit input (the detector's columns and scaler).
3. ``zkalert accept check`` (regulator, :mod:`zkalert.services.acceptance_check`): every proof
   verified under the model's verifying key with the regulator's own SRS, every commitment
   recomputed from the regulator's own copy of the window, and the detection figures computed
   from the proven scores.

The acceptance binding of the window at position p of reference set R is the binding of
gateway ``0x0000000000000000000000000000000000000000``, stream
``keccak256("zkalert-acceptance/" + R's id)``, index p. No account sends transactions from
the zero address and no contract lives there, so no AlertRegistry ever records an acceptance
proof: it requires the limbs of ``bindingOf(msg.sender, streamId, index)`` and refuses any
other (``AlertRegistryBindingMismatch``), whoever opened whichever stream. The lazy audit
refuses one served for a committed window the same way (its binding names another gateway,
stream and index), and the reference set's id in the stream keeps a bundle made for one
reference set from standing for another.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from eth_utils import keccak

from zkalert.config import Workspace
from zkalert.data.loaders import TE_FAULT_START_ROW, TE_FAULTS, FloatArray, Scaler, check_matrix
from zkalert.data.source import PlantData, select_named
from zkalert.errors import AcceptanceError, DataError, ZkAlertError
from zkalert.zk.commitment import InputSpec, quantize_window
from zkalert.zk.statement import Binding

if TYPE_CHECKING:
    from zkalert.cluster.backend import ProvingCluster
    from zkalert.zk.prover import ProvenWindow

IntArray = npt.NDArray[np.int64]

REFERENCE_FORMAT = "zkalert-acceptance-reference"
BUNDLE_FORMAT = "zkalert-acceptance-bundle"
FORMAT_VERSION = 1

#: The acceptance binding's gateway: nobody sends from the zero address, so no registry takes
#: an acceptance proof as an alert.
ACCEPTANCE_GATEWAY = "0x0000000000000000000000000000000000000000"
ACCEPTANCE_STREAM_PREFIX = "zkalert-acceptance/"

#: The default reference set: 32 normal windows and 64 anomalous ones (96 = a multiple of every
#: usual windows-per-proof, so batched circuits prove it without padding).
DEFAULT_NORMAL = 32
DEFAULT_ANOMALOUS = 64

BUNDLE_MANIFEST = "bundle.json"
BUNDLE_VK = "vk.key"
BUNDLE_SETTINGS = "settings.json"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def environment() -> dict[str, Any]:
    """The machine and the versions a file was made with."""
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for package in ("zkalert", "ezkl", "numpy"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def acceptance_stream(reference_id: str) -> tuple[str, bytes]:
    """(name, id) of the stream acceptance proofs of reference set ``reference_id`` are bound to."""
    name = ACCEPTANCE_STREAM_PREFIX + reference_id
    return name, keccak(text=name)


def acceptance_binding(reference_id: str, first_position: int) -> Binding:
    """The binding of a proof of the reference windows from ``first_position`` on."""
    return Binding(ACCEPTANCE_GATEWAY, acceptance_stream(reference_id)[1], first_position)


# ---------------------------------------------------------------------- the reference set


@dataclass(frozen=True)
class ReferenceSet:
    """Windows the regulator picked, raw (unscaled), in the order they are proven.

    ``labels``, ``groups`` and ``origins`` are None in the operator's copy."""

    data: str
    columns: tuple[str, ...]
    windows: FloatArray
    seed: int
    selection: dict[str, Any]
    group_names: dict[int, str]
    labels: IntArray | None = None
    groups: IntArray | None = None
    origins: tuple[str, ...] | None = None
    model_id: str | None = None
    id: str = ""
    path: Path | None = None

    def __len__(self) -> int:
        return int(self.windows.shape[0])

    @property
    def labelled(self) -> bool:
        return self.labels is not None

    @property
    def width(self) -> int:
        return len(self.columns)

    def _labelled_content(self) -> dict[str, Any]:
        if self.labels is None or self.groups is None or self.origins is None:
            raise AcceptanceError("the operator's copy of a reference set has no labels")
        return {
            "data": self.data,
            "columns": list(self.columns),
            "seed": self.seed,
            "selection": self.selection,
            "model_id": self.model_id,
            "group_names": {str(k): v for k, v in sorted(self.group_names.items())},
            "windows": [
                {
                    "position": p,
                    "label": int(self.labels[p]),
                    "group": int(self.groups[p]),
                    "origin": self.origins[p],
                    "values": [float(v) for v in self.windows[p]],
                }
                for p in range(len(self))
            ],
        }

    def computed_id(self) -> str:
        """sha256 of the labelled content (data, columns, seed, selection, model, windows, labels)."""
        canonical = json.dumps(self._labelled_content(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self, labelled: bool = True) -> dict[str, Any]:
        head = {"format": REFERENCE_FORMAT, "version": FORMAT_VERSION, "id": self.id}
        if labelled:
            return {**head, "labelled": True, **self._labelled_content(), "created_at": now()}
        return {
            **head,
            "labelled": False,
            "data": self.data,
            "columns": list(self.columns),
            "model_id": self.model_id,
            "windows": [
                {"position": p, "values": [float(v) for v in self.windows[p]]}
                for p in range(len(self))
            ],
        }

    def operator_copy_path(self, path: Path) -> Path:
        """Where :meth:`save` puts the operator's copy: <name>.windows.json next to <name>.json."""
        return path.with_name(path.name.removesuffix(".json") + ".windows.json")

    def save(self, path: Path) -> tuple[Path, Path]:
        """Write the labelled file (the regulator's) and the operator's copy next to it, each
        complete or not at all."""
        if not self.labelled:
            raise AcceptanceError("only a labelled reference set is saved")
        copy = self.operator_copy_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for target, labelled in ((path, True), (copy, False)):
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_text(json.dumps(self.to_json(labelled), indent=1) + "\n")
            tmp.replace(target)
        return path, copy

    def matrix_for(self, columns: Sequence[str] | None, width: int, what: str) -> FloatArray:
        """The reference windows in a detector's columns (by name; by position for a detector
        that recorded none), refused in one line when the reference set lacks them."""
        if columns is None:
            if self.width != width:
                raise DataError(
                    f"{what}: the reference windows have {self.width} values, the detector takes {width}"
                )
            return self.windows
        if len(columns) != width:
            raise DataError(f"{what}: the detector names {len(columns)} columns but takes {width}")
        missing = [c for c in columns if c not in self.columns]
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise DataError(
                f"{what}: its windows lack {len(missing)} of the {width} columns the detector "
                f"reads ({shown}): a reference set drawn from other data"
            )
        return select_named(self.windows, self.columns, columns, what)


def _document(path: Path, fmt: str, kind: str, made_by: str) -> dict[str, Any]:
    """A JSON document of ``fmt`` at this zkalert's format version, or one line saying why not."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AcceptanceError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise AcceptanceError(f"{path}: not an acceptance {kind} ({made_by})")
    if data.get("version") != FORMAT_VERSION:
        raise AcceptanceError(
            f"{path}: {kind.split()[0]} format version {data.get('version')}, "
            f"this zkalert reads {FORMAT_VERSION}"
        )
    return data


def load_reference(path: Path) -> ReferenceSet:
    """A reference file (the regulator's labelled one or the operator's copy), checked: one
    line naming what is wrong."""
    what = str(path)
    if not path.is_file():
        raise AcceptanceError(f"{what}: no such reference file")
    data = _document(path, REFERENCE_FORMAT, "reference set", "zkalert accept reference")
    try:
        columns = tuple(str(c) for c in data["columns"])
        rows = data["windows"]
        if not rows:
            raise AcceptanceError(f"{what}: the reference set has no windows")
        for p, row in enumerate(rows):
            if int(row["position"]) != p:
                raise AcceptanceError(
                    f"{what}: window {p} is recorded at position {row['position']}"
                )
            if len(row["values"]) != len(columns):
                raise AcceptanceError(
                    f"{what}: window {p} has {len(row['values'])} values for {len(columns)} columns"
                )
        windows = check_matrix([row["values"] for row in rows], len(columns), what)
        labelled = bool(data.get("labelled"))
        reference = ReferenceSet(
            data=str(data.get("data", "")),
            columns=columns,
            windows=windows,
            seed=int(data.get("seed", -1)),
            selection=dict(data.get("selection") or {}),
            group_names={int(k): str(v) for k, v in (data.get("group_names") or {}).items()},
            labels=np.array([int(r["label"]) for r in rows], np.int64) if labelled else None,
            groups=np.array([int(r["group"]) for r in rows], np.int64) if labelled else None,
            origins=tuple(str(r["origin"]) for r in rows) if labelled else None,
            model_id=str(data["model_id"]).lower() if data.get("model_id") else None,
            id=str(data["id"]),
            path=path,
        )
    except AcceptanceError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, ZkAlertError) as exc:
        raise AcceptanceError(f"{what}: not a well-formed reference set ({exc})") from None
    if reference.labels is not None:
        bad = ~np.isin(reference.labels, (0, 1))
        if bad.any():
            raise AcceptanceError(
                f"{what}: window {int(np.flatnonzero(bad)[0])} has a label other than 0 or 1"
            )
        if reference.computed_id() != reference.id:
            raise AcceptanceError(
                f"{what}: its content does not hash to its id {reference.id[:12]}..: the file was "
                "changed after `zkalert accept reference` wrote it"
            )
    return reference


def _te_origin(group: int, row: int) -> str:
    return f"d{group:02d}_te.dat row {row}"


def build_reference(
    plant: PlantData,
    seed: int,
    normal: int = DEFAULT_NORMAL,
    anomalous: int = DEFAULT_ANOMALOUS,
    faults: Sequence[int] | None = None,
    model_id: str | None = None,
) -> ReferenceSet:
    """Draw a reference set from a data source's *test* split, deterministically from ``seed``.

    Tennessee Eastman: ``normal`` rows of the normal test run d00_te and ``anomalous`` rows of
    the fault test runs after the fault began (row 160 on), spread evenly over ``faults``
    (default all 21; a remainder goes to faults drawn from the seed). A plant's file: its test
    split's normal and anomalous rows (it needs a label column). The windows are shuffled, so
    their positions say nothing about their labels.
    """
    if normal < 0 or anomalous < 0 or normal + anomalous == 0:
        raise AcceptanceError(
            f"a reference set needs windows: got {normal} normal and {anomalous} anomalous"
        )
    test = plant.test
    te = plant.source.path is None
    rng = np.random.default_rng(seed)
    if te:
        chosen = tuple(TE_FAULTS if faults is None else sorted(set(faults)))
        wrong = [f for f in chosen if f not in TE_FAULTS]
        if wrong or not chosen:
            raise AcceptanceError(
                f"Tennessee Eastman faults are 1..21, got {', '.join(map(str, wrong)) or 'none'}"
            )
        normal_pool = np.flatnonzero(test.fault_ids == 0)
        group_pools = {
            f: np.flatnonzero((test.fault_ids == f) & (test.labels == 1)) for f in chosen
        }
        group_names = {0: "normal"} | {f: f"fault {f}" for f in chosen}
        data = "Tennessee Eastman (bibmon): normal test run d00_te, fault test runs dNN_te"
    else:
        if faults is not None:
            raise AcceptanceError(
                "--faults chooses Tennessee Eastman faults; a plant's file has none"
            )
        if not plant.labelled:
            raise AcceptanceError(
                f"{plant.name}: a reference set needs labelled windows: give the data a label column"
            )
        chosen = (1,)
        normal_pool = np.flatnonzero(test.labels == 0)
        group_pools = {1: np.flatnonzero(test.labels == 1)}
        group_names = {0: "normal", 1: "anomalous"}
        data = f"{plant.name}: its test split (the last rows in time order)"
    if normal > len(normal_pool):
        raise AcceptanceError(
            f"{normal} normal windows asked for, the test data has {len(normal_pool)}"
        )
    per_group = dict.fromkeys(chosen, anomalous // len(chosen))
    for extra in rng.choice(len(chosen), size=anomalous % len(chosen), replace=False):
        per_group[chosen[int(extra)]] += 1
    picks = [np.sort(rng.choice(normal_pool, size=normal, replace=False))]
    for group, count in per_group.items():
        pool = group_pools[group]
        if count > len(pool):
            raise AcceptanceError(
                f"{count} anomalous windows asked for from {group_names[group]}, the test data has {len(pool)}"
            )
        picks.append(np.sort(rng.choice(pool, size=count, replace=False)))
    rows = np.concatenate(picks)[rng.permutation(normal + anomalous)]
    groups = test.fault_ids[rows].astype(np.int64) if te else test.labels[rows].astype(np.int64)
    origins = tuple(
        _te_origin(int(g), int(r)) if te else f"{Path(str(plant.source.path)).name} row {int(r)}"
        for g, r in zip(groups, test.rows[rows])
    )
    selection: dict[str, Any] = {"normal": normal, "anomalous": anomalous}
    if te:
        selection |= {
            "faults": list(chosen),
            "per_fault": {str(f): n for f, n in per_group.items()},
            "fault_rows_from": TE_FAULT_START_ROW,
        }
    reference = ReferenceSet(
        data=data,
        columns=plant.columns,
        windows=test.windows[rows].astype(np.float64),
        seed=seed,
        selection=selection,
        group_names={g: group_names[g] for g in sorted({0, *chosen})},
        labels=test.labels[rows].astype(np.int64),
        groups=groups,
        origins=origins,
        model_id=model_id.lower() if model_id else None,
    )
    return replace(reference, id=reference.computed_id())


# ---------------------------------------------------------------------- the bundle


@dataclass(frozen=True)
class BundleProof:
    """One proof of the bundle: windows ``first_position`` .. ``first_position + windows - 1``."""

    first_position: int
    windows: int
    proof: bytes
    instances: tuple[int, ...]
    #: each window's circuit input as the operator quantized it (signed fixed-point values)
    inputs: tuple[tuple[int, ...], ...]
    #: the float detector's score of each window (the operator's claim: not proven)
    float_scores: tuple[float, ...]
    prove_s: float = 0.0
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "first_position": self.first_position,
            "windows": self.windows,
            "proof": "0x" + self.proof.hex(),
            "instances": [hex(v) for v in self.instances],
            "inputs": [list(w) for w in self.inputs],
            "float_scores": list(self.float_scores),
            "prove_s": round(self.prove_s, 3),
            "cached": self.cached,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BundleProof:
        return cls(
            first_position=int(data["first_position"]),
            windows=int(data["windows"]),
            proof=bytes.fromhex(str(data["proof"]).removeprefix("0x")),
            instances=tuple(int(str(v), 16) for v in data["instances"]),
            inputs=tuple(tuple(int(v) for v in w) for w in data["inputs"]),
            float_scores=tuple(float(v) for v in data["float_scores"]),
            prove_s=float(data.get("prove_s", 0.0)),
            cached=bool(data.get("cached", False)),
        )


@dataclass(frozen=True)
class Bundle:
    """What the operator hands the regulator: the proofs of one model on one reference set."""

    folder: Path
    reference_id: str
    reference_windows: int
    model_id: str
    commitment: str
    windows_per_proof: int
    width: int
    columns: tuple[str, ...] | None
    scaler: Scaler
    threshold: float  # the float detector's threshold (the operator's claim)
    threshold_felt: int  # the circuit's threshold in fixed-point units, as registered
    score_divisor: int
    proofs: tuple[BundleProof, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def vk(self) -> Path:
        return self.folder / BUNDLE_VK

    @property
    def settings(self) -> Path:
        return self.folder / BUNDLE_SETTINGS

    def manifest(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT,
            "version": FORMAT_VERSION,
            "reference_id": self.reference_id,
            "reference_windows": self.reference_windows,
            "model_id": self.model_id,
            "commitment": self.commitment,
            "windows_per_proof": self.windows_per_proof,
            "width": self.width,
            "columns": list(self.columns) if self.columns is not None else None,
            "scaler": self.scaler.to_json(),
            "threshold": self.threshold,
            "threshold_felt": str(self.threshold_felt),
            "score_divisor": self.score_divisor,
            **self.meta,
            "proofs": [p.to_json() for p in self.proofs],
        }


def scaler_digest(scaler: Scaler) -> str:
    """sha256 of a scaler's canonical JSON: which scaling of the windows the figures hold for."""
    canonical = json.dumps(scaler.to_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_bundle(folder: Path) -> Bundle:
    """A bundle folder, checked for form (one line naming what is wrong); its proofs are
    checked by :func:`zkalert.services.acceptance_check.check_bundle`."""
    what = str(folder)
    manifest = folder / BUNDLE_MANIFEST
    if not manifest.is_file():
        raise AcceptanceError(f"{what}: not an acceptance bundle (no {BUNDLE_MANIFEST})")
    data = _document(manifest, BUNDLE_FORMAT, "bundle", "zkalert accept prove")
    known = {
        "format", "version", "reference_id", "reference_windows", "model_id", "commitment",
        "windows_per_proof", "width", "columns", "scaler", "threshold", "threshold_felt",
        "score_divisor", "proofs",
    }  # fmt: skip
    try:
        proofs = []
        for k, entry in enumerate(data["proofs"]):
            try:
                proofs.append(BundleProof.from_json(entry))
            except (KeyError, TypeError, ValueError) as exc:
                raise AcceptanceError(f"{manifest}: proof {k} is malformed ({exc})") from None
        columns = data.get("columns")
        bundle = Bundle(
            folder=folder,
            reference_id=str(data["reference_id"]),
            reference_windows=int(data["reference_windows"]),
            model_id=str(data["model_id"]).lower(),
            commitment=str(data["commitment"]),
            windows_per_proof=int(data["windows_per_proof"]),
            width=int(data["width"]),
            columns=tuple(str(c) for c in columns) if columns is not None else None,
            scaler=Scaler.from_json(data["scaler"]),
            threshold=float(data["threshold"]),
            threshold_felt=int(data["threshold_felt"]),
            score_divisor=int(data["score_divisor"]),
            proofs=tuple(proofs),
            meta={k: v for k, v in data.items() if k not in known},
        )
    except AcceptanceError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise AcceptanceError(f"{manifest}: not a well-formed bundle ({exc})") from None
    for k, entry in enumerate(bundle.proofs):
        if len(entry.inputs) != entry.windows or len(entry.float_scores) != entry.windows:
            raise AcceptanceError(
                f"{manifest}: proof {k} covers {entry.windows} window(s) but carries "
                f"{len(entry.inputs)} circuit input(s) and {len(entry.float_scores)} float score(s)"
            )
    if bundle.scaler.width != bundle.width:
        raise AcceptanceError(
            f"{manifest}: its scaler takes {bundle.scaler.width} values, its detector {bundle.width}"
        )
    return bundle


# ---------------------------------------------------------------------- proving (the operator)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def default_bundle_dir(workspace: Workspace, reference_id: str) -> Path:
    return workspace.root / "acceptance" / f"bundle-{reference_id[:12]}"


def prove_reference(
    workspace: Workspace,
    reference: ReferenceSet,
    out: Path,
    echo: Callable[[str], None] = lambda _m: None,
    workers: int | None = None,
    force: bool = False,
    cluster: ProvingCluster | None = None,
) -> Bundle:
    """Prove the workspace model's score of every reference window and write the bundle to
    ``out`` (complete, or not at all).

    The proofs are made on ``cluster`` when one is given, else on an embedded cluster of
    ``workers`` provers (None: as many as the machine holds), or one after another in this
    process when ``workers`` is 1.

    Proofs are made under <workspace>/proofs/accept-<reference>-<position>.*, so a run that
    was stopped resumes where it was: a window already proven for the same binding is not
    proven again. A last batch the reference set does not fill is padded with copies of the
    last window, bound to the positions after the set's end.
    """
    from zkalert.detector.model import Detector  # torch: the operator's side only
    from zkalert.zk.prover import Prover

    if out.exists() and not force:
        raise AcceptanceError(f"{out} exists: pass --force to replace it, or another --out")
    detector = Detector.load(workspace)
    prover = Prover(workspace)
    info = prover.info
    if info.width != detector.width:
        raise AcceptanceError(
            f"the detector takes {detector.width} values per window but the compiled circuit "
            f"{info.width}: run `zkalert compile` again"
        )
    if reference.model_id is not None and reference.model_id != info.model_id.lower():
        raise AcceptanceError(
            f"the reference set was issued for model {reference.model_id}, this workspace's "
            f"circuit is model {info.model_id}"
        )
    spec = InputSpec.of_settings(workspace.settings)
    raw = reference.matrix_for(
        detector.columns, detector.width, f"reference set {reference.id[:12]}"
    )
    scaled = detector.scale(raw)
    scores = detector.score_scaled(scaled)
    size = info.windows_per_proof
    total = math.ceil(len(reference) / size) * size
    padding = total - len(reference)
    if padding:
        scaled = np.vstack([scaled, np.repeat(scaled[-1:], padding, axis=0)])
        scores = np.concatenate([scores, np.repeat(scores[-1:], padding)])
    firsts = list(range(0, total, size))

    def name(first: int) -> str:
        return f"accept-{reference.id[:12]}-{first}"

    cached: dict[int, ProvenWindow] = {}
    for first in firsts:
        hit = prover.cached(
            name(first), scaled[first : first + size], acceptance_binding(reference.id, first)
        )
        if hit is not None:
            cached[first] = hit
    todo = [f for f in firsts if f not in cached]
    echo(
        f"proving {len(reference)} reference windows with model {info.model_id[:18]}..: "
        f"{len(firsts)} proof(s) of {size} window(s) ({padding} padding), {len(cached)} already "
        f"proven; proofs are kept in {workspace.proofs}, so a stopped run resumes"
    )
    started = time.perf_counter()
    times: list[float] = []
    proven: dict[int, ProvenWindow] = dict(cached)

    def progress(first: int, result: ProvenWindow) -> None:
        proven[first] = result
        times.append(result.prove_s)
        left = len(todo) - len(times)
        elapsed = time.perf_counter() - started
        eta = elapsed / len(times) * left
        windows = f"windows {first}-{first + size - 1}" if size > 1 else f"window {first}"
        echo(
            f"proof {len(times)}/{len(todo)}: {windows} proven in "
            f"{result.prove_s:.1f} s; {min(len(proven) * size, len(reference))}/{len(reference)} "
            f"reference windows, {_duration(elapsed)} "
            f"elapsed, about {_duration(eta)} left"
        )

    provers = 1
    if todo and (cluster is not None or workers != 1):
        from contextlib import nullcontext

        from zkalert.cluster.backend import ProvingCluster
        from zkalert.cluster.worker import ProofJob

        jobs = [
            ProofJob(
                scaled[f : f + size],
                name(f),
                acceptance_binding(reference.id, f),
                float(scores[f]),
            )
            for f in todo
        ]
        with (
            nullcontext(cluster)
            if cluster is not None
            else ProvingCluster.open(workspace=workspace, workers=workers)
        ) as proving:
            provers = len(proving.workers())
            echo(f"proving on {proving.describe()}")
            for i, done in proving.prove_each(workspace, jobs):
                progress(todo[i], done.proven)
    else:
        for first in todo:
            progress(
                first,
                prover.prove(
                    scaled[first : first + size],
                    name(first),
                    acceptance_binding(reference.id, first),
                    float(scores[first]),
                ),
            )

    proofs = tuple(
        BundleProof(
            first_position=first,
            windows=size,
            proof=proven[first].proof,
            instances=proven[first].instances,
            inputs=tuple(
                tuple(quantize_window(scaled[first + i], spec.input_scale, spec.input_type))
                for i in range(size)
            ),
            float_scores=tuple(float(s) for s in scores[first : first + size]),
            prove_s=proven[first].prove_s,
            cached=first in cached,
        )
        for first in firsts
    )
    stream_name, stream = acceptance_stream(reference.id)
    srs = Path(info.srs_path)
    bundle = Bundle(
        folder=out,
        reference_id=reference.id,
        reference_windows=len(reference),
        model_id=info.model_id.lower(),
        commitment=info.commitment,
        windows_per_proof=size,
        width=detector.width,
        columns=detector.columns,
        scaler=detector.scaler,
        threshold=float(detector.threshold),
        threshold_felt=int(info.threshold_felt),
        score_divisor=int(info.score_divisor),
        proofs=proofs,
        meta={
            "padding": padding,
            "binding": {
                "gateway": ACCEPTANCE_GATEWAY,
                "stream": stream_name,
                "stream_id": "0x" + stream.hex(),
                "index": "the window's position in the reference set",
            },
            "proving": {
                "proofs": len(firsts),
                "proven_now": len(todo),
                "cached": len(cached),
                "workers": provers,
                "wall_s": round(time.perf_counter() - started, 3),
                "prove_s_sum": round(sum(times), 3),
                "prove_s_median": round(float(np.median(times)), 3) if times else None,
            },
            "circuit": {
                "logrows": info.logrows,
                "input_scale": info.input_scale,
                "output_scale": info.output_scale,
                "srs_file": srs.name,
                "srs_sha256": hashlib.sha256(srs.read_bytes()).hexdigest(),
                "srs_development_only": info.srs_development_only,
            },
            "created_at": now(),
            "environment": environment(),
        },
    )
    _write_bundle(bundle, workspace, out)
    return bundle


def _write_bundle(bundle: Bundle, workspace: Workspace, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / BUNDLE_MANIFEST).write_text(json.dumps(bundle.manifest(), indent=1) + "\n")
    shutil.copyfile(workspace.vk, tmp / BUNDLE_VK)
    shutil.copyfile(workspace.settings, tmp / BUNDLE_SETTINGS)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
