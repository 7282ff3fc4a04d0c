"""Stage 2, detector: the sparse denoising autoencoder of the PureChain paper.

Architecture ``d -> 32 -> 12 -> 32 -> d`` (d follows the data: 52 on
Tennessee Eastman), trained on normal windows only with Gaussian input noise,
dropout, an L1 activity penalty on the code (sparsity) and L2 weight decay.
The anomaly score of a window is its mean absolute reconstruction error; the
alarm threshold is the validation score that maximises F1.

What the circuit proves is :class:`ScoreModel`: window in, score out, in eval
mode (no noise, no dropout), so the float reference and the proven function
are the same computation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .config import Workspace
from .data import FloatArray, Scaler, check_matrix
from .errors import ZkAlertError


@dataclass(frozen=True)
class TrainConfig:
    hidden: tuple[int, int] = (32, 12)
    epochs: int = 200
    batch_size: int = 64
    learning_rate: float = 1e-3
    noise_std: float = 0.1  # Gaussian input corruption (denoising)
    dropout: float = 0.1
    l1_activity: float = 1e-4  # sparsity of the 12-wide code
    l2_weight: float = 1e-5  # weight decay
    seed: int = 0


class SparseDenoisingAutoencoder(nn.Module):
    def __init__(self, width: int, hidden: tuple[int, int] = (32, 12), dropout: float = 0.1) -> None:
        super().__init__()
        wide, code = hidden
        self.encoder = nn.Sequential(
            nn.Linear(width, wide), nn.ReLU(), nn.Dropout(dropout), nn.Linear(wide, code), nn.ReLU()
        )
        self.decoder = nn.Sequential(
            nn.Linear(code, wide), nn.ReLU(), nn.Dropout(dropout), nn.Linear(wide, width)
        )

    def forward(self, window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.encoder(window)
        return self.decoder(code), code


class ScoreModel(nn.Module):
    """The proven function: window -> mean absolute reconstruction error, shape (n, 1)."""

    def __init__(self, autoencoder: SparseDenoisingAutoencoder) -> None:
        super().__init__()
        self.autoencoder = autoencoder

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        reconstruction, _ = self.autoencoder(window)
        return torch.mean(torch.abs(window - reconstruction), dim=1, keepdim=True)


class CircuitScoreModel(nn.Module):
    """What the circuit computes: the SUM of absolute errors, i.e. ``width x`` the score.

    EZKL turns a mean (or a division by a constant) into a multiplication by a
    quantized ``1/width``: at scale 10, 1/52 is off by 1.6%, which biases every
    proven score. The sum is exact; the registry's threshold is scaled by the
    width instead (see ``CircuitInfo.score_divisor``).
    """

    def __init__(self, autoencoder: SparseDenoisingAutoencoder) -> None:
        super().__init__()
        self.autoencoder = autoencoder

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        reconstruction, _ = self.autoencoder(window)
        return torch.sum(torch.abs(window - reconstruction), dim=1, keepdim=True)


class BatchScoreModel(nn.Module):
    """B windows in, B scores out (shape (B, 1)): one proof covers B consecutive windows.

    Each window is its own input tensor, so EZKL gives each its own Poseidon
    commitment; the public instances are then ``[c_1..c_B, s_1..s_B]``.
    """

    def __init__(self, score_model: nn.Module, windows: int) -> None:
        super().__init__()
        self.score_model = score_model
        self.windows = windows

    def forward(self, *windows: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.score_model(w) for w in windows], dim=0)


@dataclass
class Detector:
    """A trained detector: network, scaler and alarm threshold."""

    model: SparseDenoisingAutoencoder
    scaler: Scaler
    threshold: float
    config: TrainConfig
    validation: dict[str, float] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.scaler.mean.shape[0])

    def score_model(self) -> ScoreModel:
        return ScoreModel(self.model).eval()

    def circuit_model(self) -> CircuitScoreModel:
        return CircuitScoreModel(self.model).eval()

    def scale(self, raw_windows: FloatArray) -> FloatArray:
        return self.scaler.transform(raw_windows)

    def score_scaled(self, scaled_windows: FloatArray) -> FloatArray:
        scaled_windows = check_matrix(scaled_windows, self.width, "windows")
        with torch.no_grad():
            scores = self.score_model()(torch.as_tensor(scaled_windows, dtype=torch.float32))
        return scores.numpy().astype(np.float64).ravel()

    def score(self, raw_windows: FloatArray) -> FloatArray:
        return self.score_scaled(self.scale(raw_windows))

    def save(self, workspace: Workspace) -> None:
        torch.save(self.model.state_dict(), workspace.detector)
        meta = {
            "width": self.width,
            "threshold": self.threshold,
            "scaler": self.scaler.to_json(),
            "config": asdict(self.config),
            "validation": self.validation,
        }
        workspace.detector_meta.write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, workspace: Workspace) -> Detector:
        if not workspace.detector.is_file() or not workspace.detector_meta.is_file():
            raise ZkAlertError(f"no trained detector in {workspace.root}: run `zkalert train` first")
        meta = json.loads(workspace.detector_meta.read_text())
        config = TrainConfig(**{**meta["config"], "hidden": tuple(meta["config"]["hidden"])})
        model = SparseDenoisingAutoencoder(meta["width"], config.hidden, config.dropout)
        model.load_state_dict(torch.load(workspace.detector, weights_only=True))
        model.eval()
        return cls(model, Scaler.from_json(meta["scaler"]), float(meta["threshold"]), config, meta.get("validation", {}))


def best_f1_threshold(scores: FloatArray, labels: np.ndarray) -> tuple[float, dict[str, float]]:
    """Sweep every distinct validation score as a cut (alarm when score >= t); best F1 wins."""
    if labels.min() == labels.max():
        raise ZkAlertError("the validation split has one class only: a best-F1 threshold needs both")
    order = np.argsort(-scores)
    sorted_scores, sorted_labels = scores[order], labels[order]
    true_pos = np.cumsum(sorted_labels)
    false_pos = np.cumsum(1 - sorted_labels)
    positives = sorted_labels.sum()
    # only positions where the next score differs are valid cut points
    last_of_value = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    precision = true_pos / np.maximum(true_pos + false_pos, 1)
    recall = true_pos / positives
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    f1 = np.where(last_of_value, f1, -1.0)
    best = int(np.argmax(f1))
    negatives = len(labels) - positives
    # Cut halfway to the next lower score: a threshold equal to a validation score
    # would put that window on the boundary, where quantization decides its side.
    below = sorted_scores[best + 1] if best + 1 < len(sorted_scores) else sorted_scores[best] - 1e-3
    return float((sorted_scores[best] + below) / 2), {
        "f1": float(f1[best]),
        "precision": float(precision[best]),
        "recall": float(recall[best]),
        "false_positive_rate": float(false_pos[best] / max(negatives, 1)),
    }


def train(
    train_windows: FloatArray,
    validation_windows: FloatArray,
    validation_labels: np.ndarray,
    config: TrainConfig = TrainConfig(),
    progress: bool = True,
) -> Detector:
    """Fit scaler and autoencoder on normal rows, then choose the best-F1 threshold."""
    train_windows = check_matrix(train_windows, None, "training windows")
    width = train_windows.shape[1]
    validation_windows = check_matrix(validation_windows, width, "validation windows")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    scaler = Scaler.fit(train_windows)
    scaled = torch.as_tensor(scaler.transform(train_windows), dtype=torch.float32)

    model = SparseDenoisingAutoencoder(width, config.hidden, config.dropout)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.l2_weight)
    bar = tqdm(range(config.epochs), desc="train", unit="epoch", disable=not progress, mininterval=0.5)
    for _ in bar:
        model.train()
        epoch_loss = 0.0
        for start in range(0, len(scaled), config.batch_size):
            batch = scaled[start : start + config.batch_size]
            noisy = batch + config.noise_std * torch.randn_like(batch)
            reconstruction, code = model(noisy)
            loss = torch.mean((reconstruction - batch) ** 2) + config.l1_activity * code.abs().mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            epoch_loss += float(loss.detach()) * len(batch)
        bar.set_postfix(loss=f"{epoch_loss / len(scaled):.4f}", refresh=False)
        perm = torch.as_tensor(rng.permutation(len(scaled)))
        scaled = scaled[perm]

    model.eval()
    detector = Detector(model, scaler, threshold=0.0, config=config)
    val_scores = detector.score(validation_windows)
    threshold, stats = best_f1_threshold(val_scores, np.asarray(validation_labels))
    detector.threshold = threshold
    detector.validation = stats
    return detector
