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

from zkalert.timeseries.ekf import EKFModel

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
    """D unrolled EKF steps with the given gains; outputs the posterior and the KRC verdict.

    Laid out for EZKL's costs (measured with ``ezkl.gen_settings``): every product of two
    fixed-point values is rescaled, a division with a range-checked remainder of about 44 cells
    per element, and every comparison is a range-checked decomposition (about 23 cells), while
    additions, gathers and products with a scale-0 value cost a few cells. With the same
    statement as the plain layout, so:

    * the supplied activation patterns become exact bits, ``a > 0.5`` (a comparison: its output
      is at scale 0, and a supplied value other than 0/1 is read as a bit too), so the Jacobians
      are products with scale-0 bits, free of rescales: ``F = A + Σ_j a_j W2[:, j] W1[j, :]``
      (the outer products are constants), and ``f(x) = F x + b + Σ_j a_j b1_j W2[:, j]``, the
      same value as ``A x + b + W2 (a ⊙ z)`` without rescaling ``a ⊙ z``; likewise for ``h``;
    * the covariances P⁻, S and P are computed on their upper triangle (10 dot products instead
      of 16) and mirrored, so they are exactly symmetric.
    """

    # buffers (register_buffer in __init__), declared for the type checker
    A: torch.Tensor
    b: torch.Tensor
    W1: torch.Tensor
    b1: torch.Tensor
    W2: torch.Tensor
    C: torch.Tensor
    c: torch.Tensor
    V1: torch.Tensor
    c1: torch.Tensor
    V2: torch.Tensor
    F_units: torch.Tensor
    f_units: torch.Tensor
    H_units: torch.Tensor
    h_units: torch.Tensor
    tri_rows: torch.Tensor
    tri_cols: torch.Tensor
    mirror: torch.Tensor
    Q_tri: torch.Tensor
    R_tri: torch.Tensor

    def __init__(self, model: EKFModel, steps: int, krc_epsilon: float) -> None:
        super().__init__()
        self.layout = Layout(model.n, model.m, steps, model.hidden)
        self.krc_epsilon = float(krc_epsilon)
        n, m, hid = model.n, model.m, model.hidden
        for name in ("A", "b", "W1", "b1", "W2", "C", "c", "V1", "c1", "V2"):
            self.register_buffer(name, _const(getattr(model, name)))
        W1, b1, W2 = (getattr(model, k).detach().double() for k in ("W1", "b1", "W2"))
        V1, c1, V2 = (getattr(model, k).detach().double() for k in ("V1", "c1", "V2"))
        # Row j: W2[:, j] W1[j, :] flattened (its contribution to F when unit j is active), and W2[:, j] b1_j.
        self.register_buffer(
            "F_units",
            _const(torch.stack([torch.outer(W2[:, j], W1[j]).ravel() for j in range(hid)])),
        )  # (hid, n·n)
        self.register_buffer("f_units", _const((W2 * b1).T))  # (hid, n)
        self.register_buffer(
            "H_units",
            _const(torch.stack([torch.outer(V2[:, j], V1[j]).ravel() for j in range(hid)])),
        )  # (hid, m·n)
        self.register_buffer("h_units", _const((V2 * c1).T))  # (hid, m)
        rows, cols = torch.triu_indices(n, n)
        mirror = torch.zeros(n, n, dtype=torch.long)
        for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist())):
            mirror[i, j] = mirror[j, i] = k
        self.register_buffer("tri_rows", rows.clone())
        self.register_buffer("tri_cols", cols.clone())
        self.register_buffer("mirror", mirror.ravel().clone())
        self.register_buffer("Q_tri", _const(model.Q[rows, cols]))
        self.register_buffer("R_tri", _const(model.R[rows, cols]))
        if n != m:
            raise ValueError("the upper-triangle layout of P and S assumes n = m")

    def _tri(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """The upper triangle of ``left @ right.T`` (both (n, k)), row-major, as a vector of n(n+1)/2."""
        return torch.einsum("ik,ik->i", left[self.tri_rows], right[self.tri_cols])

    def _full(self, tri: torch.Tensor) -> torch.Tensor:
        n = self.layout.n
        return tri.reshape(-1)[self.mirror].reshape(n, n)

    def forward(
        self, state_in: torch.Tensor, acc_in: torch.Tensor, block: torch.Tensor, reset: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, m, D, hid = self.layout.n, self.layout.m, self.layout.steps, self.layout.hidden
        x = state_in[:, :n]  # (1, n) row vector
        P = state_in[:, n : n + n * n].reshape(n, n)
        keep = 1.0 - reset  # (1, 1)
        residual_sum = acc_in[:, :m] * keep
        covariance_sum = acc_in[:, m : m + m * m].reshape(m, m)[
            self.tri_rows, self.tri_cols
        ] * keep.reshape(1)
        ys = block[:, : D * m].reshape(D, m)
        gains = block[:, D * m : D * m + D * n * m].reshape(D, n, m)
        supplied = block[:, D * m + D * n * m : D * (m + n * m + 2 * hid)].reshape(D, 2 * hid)
        state_nonce = block[:, D * (m + n * m + 2 * hid) : D * (m + n * m + 2 * hid) + NONCE_LEN]
        acc_nonce = block[:, D * (m + n * m + 2 * hid) + NONCE_LEN :]
        bits = (supplied > 0.5).to(supplied.dtype)  # scale 0 in the circuit
        krc_errors = []
        pattern_checks = []
        for k in range(D):
            # relu(z) = z ⊙ a with the supplied pattern a, checked against the sign of z:
            # z ⊙ (2a − 1) = 2 (z ⊙ a) − z ≥ −tol.
            active = bits[k : k + 1, :hid]
            z = x @ self.W1.T + self.b1
            relu = z * active
            pattern_checks.append(relu + relu - z)
            F = self.A + (active @ self.F_units).reshape(n, n)
            x_pred = x @ F.T + (self.b + active @ self.f_units)  # = A x + b + W2 (z ⊙ a)
            P_pred_tri = self._tri(F @ P, F) + self.Q_tri  # F P Fᵀ + Q
            P_pred = self._full(P_pred_tri)
            active = bits[k : k + 1, hid:]
            g = x_pred @ self.V1.T + self.c1
            relu = g * active
            pattern_checks.append(relu + relu - g)
            H = self.C + (active @ self.H_units).reshape(m, n)
            y_hat = x_pred @ H.T + (self.c + active @ self.h_units)  # = C x⁻ + c + V2 (g ⊙ a)
            HP = H @ P_pred
            S_tri = self._tri(HP, H) + self.R_tri  # H P⁻ Hᵀ + R
            S = self._full(S_tri)
            r = ys[k : k + 1] - y_hat
            K = gains[k]
            krc_errors.append((K @ S - HP.T).reshape(1, n * m))
            x = x_pred + r @ K.T
            P = self._full(P_pred_tri - self._tri(K, HP.T))  # P⁻ − K H P⁻
            residual_sum = residual_sum + r
            covariance_sum = covariance_sum + S_tri
        # Count violations rather than take a max: EZKL lays a max out with a shuffle argument.
        violations = torch.sum(
            (torch.abs(torch.cat(krc_errors, dim=1)) > self.krc_epsilon).to(torch.float32)
        ) + torch.sum((torch.cat(pattern_checks, dim=1) < -ACTIVATION_TOLERANCE).to(torch.float32))
        krc_ok = (violations < 0.5).to(torch.float32).reshape(1, 1)
        state_out = torch.cat([x, P.reshape(1, n * n), state_nonce], dim=1)
        acc_out = torch.cat(
            [residual_sum, self._full(covariance_sum).reshape(1, m * m), acc_nonce], dim=1
        )
        return state_out, acc_out, krc_ok


class StatisticalConsistency(nn.Module):
    """T² of one window's accumulated residuals against the committed UCL, with the SVD checked."""

    I: torch.Tensor  # a buffer (register_buffer in __init__), declared for the type checker

    def __init__(
        self,
        m: int,
        ucl: float,
        svd_epsilon: float,
        inverse_epsilon: float,
        orthogonality_epsilon: float,
    ) -> None:
        super().__init__()
        self.m = m
        self.ucl = float(ucl)
        self.svd_epsilon = float(svd_epsilon)
        self.inverse_epsilon = float(inverse_epsilon)
        self.orthogonality_epsilon = float(orthogonality_epsilon)
        self.register_buffer("I", torch.eye(m, dtype=torch.float32))

    def forward(
        self, acc_end: torch.Tensor, advice: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        m = self.m
        residual = acc_end[:, :m]  # (1, m)
        covariance = acc_end[:, m : m + m * m].reshape(m, m)
        U = advice[:, : m * m].reshape(m, m)
        s = advice[:, m * m : m * m + m]  # (1, m)
        w = advice[:, m * m + m : m * m + 2 * m]
        violations = (
            torch.sum((torch.abs((U * s) @ U.T - covariance) > self.svd_epsilon).to(torch.float32))
            + torch.sum(
                (torch.abs(U.T @ U - self.I) > self.orthogonality_epsilon).to(torch.float32)
            )
            + torch.sum((torch.abs(s * w * w - 1.0) > self.inverse_epsilon).to(torch.float32))
        )
        svd_ok = (violations < 0.5).to(torch.float32).reshape(1, 1)
        projected = (residual @ U) * w
        t2 = torch.sum(projected * projected).reshape(1, 1)
        alarm = (t2 > self.ucl).to(torch.float32)
        return t2, alarm, svd_ok
