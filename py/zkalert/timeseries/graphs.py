"""The two proven functions of time-series mode as PyTorch modules (exported to ONNX for EZKL).

Tensor layouts (each a row vector; every input and output is its own EZKL
tensor, so each gets its own Poseidon hash instance, inputs first):

* state   ``[x (n), P (n·n, row-major), nonce (NONCE_LEN)]``
* acc     ``[Σ r (m), Σ S (m·m), nonce (NONCE_LEN)]`` – the current window's running sums
* reset   ``[1]`` on the first interval of a window (the sums restart from zero), else ``[0]``:
  its hash is one of two public constants the contract checks
* block   ``[y (D·m), K (D·n·m), a (D·2·hidden), next state nonce, next acc nonce]`` – the
  interval's measurements, the offline Kalman gains, the offline ReLU activation patterns
  of f and h at every step, and the fresh nonces the outputs carry
* advice  ``[U (m·m), s (m), w (m), nonce]`` – the offline SVD ``Σ = U diag(s) Uᵀ`` and ``w = 1/√s``

TC (temporal consistency), D steps: ``(state_in, acc_in, block, reset) -> (state_out, acc_out, krc_ok)``.
SC (statistical consistency), one window: ``(acc_end, advice) -> (t2, alarm, svd_ok)``.

A nonce is ``NONCE_LEN`` random integers below ``2**NONCE_BITS`` (144 bits in all): the hashed
tensors then cannot be brute-forced even when the filter state itself has little entropy.
EZKL 23 reads inputs as float32 before quantising, so every input value must be exact in
float32 at the PSF: nonces stay below 2**24, and the accumulators restart every window
(sums over a whole stream would outgrow float32 and break the hash chain).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .ekf import EKFModel

NONCE_LEN = 6
NONCE_BITS = 24


#: A supplied activation bit may disagree with the sign of its pre-activation by at most this much:
#: inside the band either pattern is a valid (sub)gradient, so the prover's float run and the
#: circuit's fixed-point run cannot fall on different sides of a ReLU kink and fail the KRC check.
ACTIVATION_TOLERANCE = 2**-8


@dataclass(frozen=True)
class Layout:
    n: int
    m: int
    steps: int  # D
    hidden: int = 4

    @property
    def state_len(self) -> int:
        return self.n + self.n * self.n + NONCE_LEN

    @property
    def acc_len(self) -> int:
        return self.m + self.m * self.m + NONCE_LEN

    @property
    def block_len(self) -> int:
        return self.steps * (self.m + self.n * self.m + 2 * self.hidden) + 2 * NONCE_LEN

    @property
    def advice_len(self) -> int:
        return self.m * self.m + 2 * self.m + NONCE_LEN


def _const(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float32).clone()


class TemporalConsistency(nn.Module):
    """D unrolled EKF steps with the given gains; outputs the posterior and the KRC verdict."""

    def __init__(self, model: EKFModel, steps: int, krc_epsilon: float) -> None:
        super().__init__()
        self.layout = Layout(model.n, model.m, steps, model.hidden)
        self.krc_epsilon = float(krc_epsilon)
        for name in ("A", "b", "W1", "b1", "W2", "C", "c", "V1", "c1", "V2"):
            self.register_buffer(name, _const(getattr(model, name)))
        self.register_buffer("Q", _const(model.Q))
        self.register_buffer("R", _const(model.R))

    def forward(self, state_in: torch.Tensor, acc_in: torch.Tensor, block: torch.Tensor, reset: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, m, D, hid = self.layout.n, self.layout.m, self.layout.steps, self.layout.hidden
        x = state_in[:, :n]  # (1, n) row vector
        P = state_in[:, n : n + n * n].reshape(n, n)
        keep = 1.0 - reset  # (1, 1)
        residual_sum = acc_in[:, :m] * keep
        covariance_sum = (acc_in[:, m : m + m * m] * keep).reshape(m, m)
        ys = block[:, : D * m].reshape(D, m)
        gains = block[:, D * m : D * m + D * n * m].reshape(D, n, m)
        patterns = block[:, D * m + D * n * m : D * (m + n * m + 2 * hid)].reshape(D, 2 * hid)
        state_nonce = block[:, D * (m + n * m + 2 * hid) : D * (m + n * m + 2 * hid) + NONCE_LEN]
        acc_nonce = block[:, D * (m + n * m + 2 * hid) + NONCE_LEN :]
        krc_errors = []
        pattern_checks = []
        for k in range(D):
            # relu(z) = z · a with the supplied pattern a, checked against the sign of z; the same
            # a gives the Jacobian W2 diag(a) W1.
            z = x @ self.W1.T + self.b1
            active = patterns[k : k + 1, :hid]
            pattern_checks.append(z * (2.0 * active - 1.0))
            x_pred = x @ self.A.T + self.b + (z * active) @ self.W2.T
            F = self.A + (self.W2 * active) @ self.W1
            P_pred = F @ P @ F.T + self.Q
            g = x_pred @ self.V1.T + self.c1
            active = patterns[k : k + 1, hid:]
            pattern_checks.append(g * (2.0 * active - 1.0))
            y_hat = x_pred @ self.C.T + self.c + (g * active) @ self.V2.T
            H = self.C + (self.V2 * active) @ self.V1
            HP = H @ P_pred
            S = HP @ H.T + self.R
            r = ys[k : k + 1] - y_hat
            K = gains[k]
            krc_errors.append((K @ S - HP.T).reshape(1, n * m))
            x = x_pred + r @ K.T
            P = P_pred - K @ HP
            residual_sum = residual_sum + r
            covariance_sum = covariance_sum + S
        # Count violations rather than take a max: EZKL lays a max out with a shuffle argument.
        violations = torch.sum((torch.abs(torch.cat(krc_errors, dim=1)) > self.krc_epsilon).to(torch.float32)) + torch.sum(
            (torch.cat(pattern_checks, dim=1) < -ACTIVATION_TOLERANCE).to(torch.float32)
        )
        krc_ok = (violations < 0.5).to(torch.float32).reshape(1, 1)
        state_out = torch.cat([x, P.reshape(1, n * n), state_nonce], dim=1)
        acc_out = torch.cat([residual_sum, covariance_sum.reshape(1, m * m), acc_nonce], dim=1)
        return state_out, acc_out, krc_ok


class StatisticalConsistency(nn.Module):
    """T² of one window's accumulated residuals against the committed UCL, with the SVD checked."""

    def __init__(self, m: int, ucl: float, svd_epsilon: float, inverse_epsilon: float, orthogonality_epsilon: float) -> None:
        super().__init__()
        self.m = m
        self.ucl = float(ucl)
        self.svd_epsilon = float(svd_epsilon)
        self.inverse_epsilon = float(inverse_epsilon)
        self.orthogonality_epsilon = float(orthogonality_epsilon)
        self.register_buffer("I", torch.eye(m, dtype=torch.float32))

    def forward(self, acc_end: torch.Tensor, advice: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        m = self.m
        residual = acc_end[:, :m]  # (1, m)
        covariance = acc_end[:, m : m + m * m].reshape(m, m)
        U = advice[:, : m * m].reshape(m, m)
        s = advice[:, m * m : m * m + m]  # (1, m)
        w = advice[:, m * m + m : m * m + 2 * m]
        violations = (
            torch.sum((torch.abs((U * s) @ U.T - covariance) > self.svd_epsilon).to(torch.float32))
            + torch.sum((torch.abs(U.T @ U - self.I) > self.orthogonality_epsilon).to(torch.float32))
            + torch.sum((torch.abs(s * w * w - 1.0) > self.inverse_epsilon).to(torch.float32))
        )
        svd_ok = (violations < 0.5).to(torch.float32).reshape(1, 1)
        projected = (residual @ U) * w
        t2 = torch.sum(projected * projected).reshape(1, 1)
        alarm = (t2 > self.ucl).to(torch.float32)
        return t2, alarm, svd_ok
