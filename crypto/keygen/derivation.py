"""Integer Shamir shares of d ≡ 1 (mod n), d ≡ 0 (mod φ(n)) (docs/spec.md §12.6).

After Nishide–Sakurai (WISA 2010), over the integers so that nothing wraps:

1. Trustee i holds φ_i (φ_1 = n + 1 − p_1 − q_1, φ_i = −p_i − q_i; Σ φ_i = φ)
   and draws β_i uniform in [0, 2^(‖n‖+κ)). It shares β_i and φ_i (degree
   t − 1) and a zero (degree 2t − 2) over the integers.
2. Trustee j sums what it received into B(j), Φ(j), Z(j), sets
   w_j = B(j)·Φ(j) + Z(j) (a point of a degree 2t − 2 polynomial with
   w(0) = βφ) and a_j = Δλ_j·w_j over all ℓ points, so Σ_j a_j = Δ·β·φ.
   It publishes y_j = a_j + n·r_j (r_j masks all but a_j mod n) and shares
   a_j once more (degree t − 1, non-negative shares σ_{j→k}) with Feldman
   commitments C_{j,m} = v^(e_{j,m}) (mod n²) to the coefficients.
3. θ = Σ_j y_j mod n = Δβφ mod n is public; c = θ⁻¹ mod n. Trustee k checks
   every σ_{j→k} against C_j, and its key share is s_k = c·Σ_j σ_{j→k}: a
   point of the integer polynomial c·S(X) whose value at 0 is d = c·Δ·β·φ.
   The verification keys v_k = (Π_j Π_m C_{j,m}^(k^m))^(Δ·c) are public.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InvalidElement, InvalidShare
from ..primitives import rng
from ..primitives.numbers import invert, powmod
from .parameters import KAPPA, KeygenParameters
from .sharing import lagrange_zero_int


def _share_bound(secret_bound: int, coefficient_bits: int, degree: int, l: int) -> int:  # noqa: E741 - ℓ
    high = secret_bound + (1 << coefficient_bits)
    total, power = secret_bound, 1
    for _ in range(degree):
        power *= l
        total += high * power
    return total


@dataclass(frozen=True, slots=True)
class Bounds:
    """Every bound of §12.6, from (‖n‖, t, ℓ): widths on the wire and ranges."""

    beta: int
    phi: int
    beta_coefficient_bits: int
    phi_coefficient_bits: int
    zero_coefficient_bits: int
    beta_share: int
    phi_share: int
    zero_share: int
    a: int
    a_coefficient_bits: int
    a_share: int
    mask_low: int
    mask_bits: int
    key_share: int


def bounds(params: KeygenParameters) -> Bounds:
    """The bounds of §12.6 (all exclusive upper bounds on absolute values)."""
    t, l, delta = params.t, params.l, params.delta  # noqa: E741 - ℓ
    spread = KAPPA + delta.bit_length() + t * l.bit_length()
    beta = 1 << (params.bits + KAPPA)
    phi = 1 << params.bits
    beta_cb = beta.bit_length() + spread
    phi_cb = phi.bit_length() + spread
    beta_share = l * _share_bound(beta, beta_cb, t - 1, l)
    phi_share = l * _share_bound(phi, phi_cb, t - 1, l)
    product = beta_share * phi_share
    zero_cb = product.bit_length() + KAPPA
    zero_share = l * _share_bound(0, zero_cb, 2 * t - 2, l)
    lam = lagrange_zero_int(list(params.parties), delta)
    a = max(abs(x) for x in lam.values()) * (product + zero_share)
    a_cb = a.bit_length() + spread
    a_share = _share_bound(a, a_cb, t - 1, l)
    n_max = 1 << params.bits
    mask_low = a // (n_max >> 1) + 1
    return Bounds(
        beta=beta,
        phi=phi,
        beta_coefficient_bits=beta_cb,
        phi_coefficient_bits=phi_cb,
        zero_coefficient_bits=zero_cb,
        beta_share=beta_share,
        phi_share=phi_share,
        zero_share=zero_share,
        a=a,
        a_coefficient_bits=a_cb,
        a_share=l * a_share,
        mask_low=mask_low,
        mask_bits=mask_low.bit_length() + KAPPA,
        key_share=n_max * l * a_share,
    )


def phi_share(index: int, n: int, p_share: int, q_share: int) -> int:
    """φ_i: n + 1 − p_1 − q_1 for trustee 1, −p_i − q_i for the others."""
    return n + 1 - p_share - q_share if index == 1 else -p_share - q_share


def combine_point(params: KeygenParameters, index: int, beta: int, phi: int, zero: int) -> int:
    """a_j = Δλ_j·(B(j)·Φ(j) + Z(j)), λ over all ℓ points."""
    lam = lagrange_zero_int(list(params.parties), params.delta)[index]
    return lam * (beta * phi + zero)


def masked(a: int, n: int, b: Bounds) -> int:
    """y_j = a_j + n·r_j with r_j uniform in [r_0, r_0 + 2^mask_bits), y_j > 0."""
    return a + n * (b.mask_low + rng.random_bits(b.mask_bits))


def commit(coefficients: Sequence[int], v: int, n2: int) -> list[int]:
    """C_m = v^(e_m) mod n² (a negative e_m inverts v)."""
    out = []
    for e in coefficients:
        x = powmod(v, abs(e), n2)
        out.append(invert(x, n2) if e < 0 else x)
    return out


def check_point(commitments: Sequence[int], index: int, share: int, v: int, n2: int) -> bool:
    """v^σ ≡ Π_m C_m^(index^m) (mod n²): σ is on the committed polynomial."""
    rhs, power = 1, 1
    for c in commitments:
        rhs = rhs * powmod(c, power, n2) % n2
        power *= index
    return powmod(v, share, n2) == rhs


def verification_keys(
    params: KeygenParameters, commitments: Mapping[int, Sequence[int]], c: int, v: int, n2: int
) -> tuple[int, ...]:
    """v_k = (Π_j Π_m C_{j,m}^(k^m))^(Δ·c) mod n² for k = 1..ℓ."""
    out = []
    for k in params.parties:
        w = 1
        for j in sorted(commitments):
            power = 1
            for cm in commitments[j]:
                w = w * powmod(cm, power, n2) % n2
                power *= k
        out.append(powmod(w, params.delta * c, n2))
    return tuple(out)


def inverse_theta(masked_values: Sequence[int], n: int) -> int:
    """c = (Σ y_j mod n)⁻¹ mod n; raises InvalidShare if θ is not a unit."""
    theta = sum(masked_values) % n
    try:
        return invert(theta, n)
    except InvalidElement as exc:
        raise InvalidShare("θ is not invertible modulo n: the run must restart") from exc


def draw_beta(b: Bounds) -> int:
    """β_i uniform in [0, 2^(‖n‖+κ))."""
    return rng.random_below(b.beta)
