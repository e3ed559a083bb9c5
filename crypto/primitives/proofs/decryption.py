"""Decryption-share proof: equal discrete logarithms in Z*_{n²} (docs/spec.md §5.2).

Statement (Shoup 2000, DJ01): for x = Δ·s_i, log_{c⁴}(c_i²) = log_v(v_i), i.e.
c_i² = (c⁴)^x and v_i = v^x (mod n²).

Prover: r uniform in [0, 2^B), B = share_bits(‖n‖) + |Δ| + 256 (the longest
admitted share, spec §4.2, then 128 bits for the challenge and 128 of
statistical masking); a = (c⁴)^r, b = v^r;
e = challenge(DECRYPTION_PROOF, context, n, v, v_i, i, c, c_i, a, b) (128 bits);
z = r + e·x over the integers, never reduced.

Verifier: c, c_i, a, b units in (0, n²); 0 <= z < 2^(B+1); and the *squared*
equations ((c⁴)^z)² = (a·(c_i²)^e)² and (v^z)² = (b·v_i^e)² (mod n²).

Why squared (spec §5.3, §10.4): Z*_{n²} has elements of order 2 (−1 and the
two others from the CRT). A prover may multiply a or b by one of them *before*
hashing. The plain equation then fails, yet a batch with random weights δ
would pass it whenever δ is even; squaring removes the order-2 factor, so the
single and the batch path accept exactly the same proofs. Such a tweaked proof
is accepted by both: it still proves log_{c⁸}(c_i⁴) = log_{v²}(v_i²), which is
all that combination uses (it raises the c_i to even powers). A tweak made
*after* hashing changes e and is refused by both paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from ...errors import InvalidElement, InvalidProof, ParameterError
from ...schema import BigInt
from .. import rng
from ..numbers import is_unit, multi_powmod, powmod
from ..threshold import share_bits
from ..transcript import Tag, challenge
from .batch import weights

MASK_EXTRA_BITS = 256
"""B − share_bits(‖n‖) − |Δ|: 128 challenge bits plus 128 bits of statistical masking."""

Z_MAX_BITS = 16384
"""Upper bound on |z| for any admitted key: share_bits(4096) (13568) + |255!| (1684) + 257 bits."""

_MULTI_EXP_MIN = 4
"""Below this many long-exponent bases, separate gmpy2 powers are as fast as
numbers.multi_powmod."""


@dataclass(frozen=True, slots=True)
class DecryptionProof:
    """(a, b, z) of spec §5.2: a = (c⁴)^r, b = v^r, z = r + e·Δ·s_i."""

    a: Annotated[int, BigInt(8192)]
    b: Annotated[int, BigInt(8192)]
    z: Annotated[int, BigInt(Z_MAX_BITS)]


@dataclass(frozen=True, slots=True)
class DecryptionStatement:
    """The public inputs of one proof: log_{c⁴}(c_i²) = log_v(v_i) (spec §5.2).

    ``delta`` (Δ = ℓ!) fixes the mask length B; ``index`` is the trustee i.
    v and v_i come from a threshold key whose elements were checked once
    (threshold.check_verification_keys); c and c_i are checked per proof.
    """

    n: int
    v: int
    vi: int
    index: int
    c: int
    ci: int
    delta: int
    n2: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n2", self.n * self.n)


def mask_bits(n: int, delta: int) -> int:
    """B = share_bits(‖n‖) + |Δ| + 256, the bit length of the prover's mask r."""
    return share_bits(n.bit_length()) + delta.bit_length() + MASK_EXTRA_BITS


def decryption_challenge(stmt: DecryptionStatement, context: bytes, a: int, b: int) -> int:
    """e = challenge(DECRYPTION_PROOF, context, n, v, v_i, i, c, c_i, a, b), 128 bits."""
    return challenge(
        Tag.DECRYPTION_PROOF, context, stmt.n, stmt.v, stmt.vi, stmt.index, stmt.c, stmt.ci, a, b
    )


def prove_decryption(
    stmt: DecryptionStatement, x: int, context: bytes, *, r: int | None = None
) -> DecryptionProof:
    """Prove the statement with witness x = Δ·s_i (spec §5.2).

    ``r`` (uniform in [0, 2^B) by default) may be given for known-answer vectors.
    """
    bits = mask_bits(stmt.n, stmt.delta)
    if r is None:
        r = rng.random_bits(bits)
    elif not 0 <= r < 1 << bits:
        raise ParameterError(f"mask r must lie in [0, 2^{bits})")
    n2 = stmt.n2
    a = powmod(powmod(stmt.c, 4, n2), r, n2)
    b = powmod(stmt.v, r, n2)
    e = decryption_challenge(stmt, context, a, b)
    return DecryptionProof(a, b, r + e * x)


def check_proof_elements(stmt: DecryptionStatement, proof: DecryptionProof) -> None:
    """Ranges of spec §5.2: c, c_i, a, b units modulo n²; 0 <= z < 2^(B+1)."""
    who = f"decryption share {stmt.index}"
    for name, value in (("c", stmt.c), ("c_i", stmt.ci), ("a", proof.a), ("b", proof.b)):
        if not is_unit(value, stmt.n2):
            raise InvalidElement(f"{who}: {name} is not a unit modulo n²")
    if not 0 <= proof.z < 1 << (mask_bits(stmt.n, stmt.delta) + 1):
        raise InvalidProof(f"{who}: z out of range")


def equations_hold(stmt: DecryptionStatement, proof: DecryptionProof, e: int) -> bool:
    """The squared verification equations of spec §5.2 for challenge e.

    A predicate for bisection (batch.find_bad); callers that verify use
    :func:`verify_decryption_proof`, which raises.
    """
    n2 = stmt.n2
    lhs = powmod(powmod(stmt.c, 4, n2), proof.z, n2)
    rhs = proof.a * powmod(stmt.ci * stmt.ci % n2, e, n2) % n2
    if lhs * lhs % n2 != rhs * rhs % n2:
        return False
    lhs = powmod(stmt.v, proof.z, n2)
    rhs = proof.b * powmod(stmt.vi, e, n2) % n2
    return lhs * lhs % n2 == rhs * rhs % n2


def verify_decryption_proof(
    stmt: DecryptionStatement, proof: DecryptionProof, context: bytes
) -> None:
    """Check ranges and the squared equations (spec §5.2); raises InvalidElement
    or InvalidProof naming the trustee index."""
    check_proof_elements(stmt, proof)
    e = decryption_challenge(stmt, context, proof.a, proof.b)
    if not equations_hold(stmt, proof, e):
        raise InvalidProof(f"decryption share {stmt.index}: proof does not verify")


def batch_equations_hold(
    items: Sequence[tuple[DecryptionStatement, DecryptionProof, int]],
) -> bool:
    """Small-exponent batch test of the squared equations (spec §10.4).

    ``items`` are (statement, proof, challenge e) with ranges already checked,
    all under one key (n, v, Δ). With fresh 128-bit weights δ_k, γ_k:

        L = Π_c c^(4·Σ_{k: c_k = c} δ_k·z_k) · v^(Σ γ_k·z_k)
        R = Π_k a_k^δ_k · (c_{i,k})^(2·e_k·δ_k) · b_k^γ_k · Π_i v_i^(Σ_{k: i_k = i} e_k·γ_k)

    and the test is L² = R² (mod n²). Shares of one ciphertext share one long
    exponentiation, and v^z is paid once per batch. A predicate for bisection.
    """
    if not items:
        return True
    first = items[0][0]
    n2 = first.n2
    deltas = weights(2 * len(items))
    long_exp: dict[int, int] = {}
    v_exp = 0
    short_bases: list[int] = []
    short_exps: list[int] = []
    vi_exp: dict[int, int] = {}
    for k, (stmt, proof, e) in enumerate(items):
        if (stmt.n, stmt.v, stmt.delta) != (first.n, first.v, first.delta):
            raise ValueError("a batch must hold proofs under one key")
        delta, gamma = deltas[2 * k], deltas[2 * k + 1]
        long_exp[stmt.c] = long_exp.get(stmt.c, 0) + delta * proof.z
        v_exp += gamma * proof.z
        short_bases += [proof.a, stmt.ci, proof.b]
        short_exps += [delta, 2 * e * delta, gamma]
        vi_exp[stmt.vi] = vi_exp.get(stmt.vi, 0) + e * gamma
    long_bases = [*long_exp, first.v]
    long_exps = [4 * x for x in long_exp.values()] + [v_exp]
    if len(long_bases) >= _MULTI_EXP_MIN:
        lhs = multi_powmod(long_bases, long_exps, n2)
    else:
        lhs = 1
        for base, exp in zip(long_bases, long_exps, strict=True):
            lhs = lhs * powmod(base, exp, n2) % n2
    rhs = multi_powmod([*short_bases, *vi_exp], [*short_exps, *vi_exp.values()], n2)
    return lhs * lhs % n2 == rhs * rhs % n2
