"""Paillier–Blum modulus proof (docs/spec.md §6; Canetti et al. 2020, Fig. 16).

Statement: n = p·q with p ≡ q ≡ 3 (mod 4) and gcd(n, φ(n)) = 1. It shows that
the dealer's modulus is a proper Paillier modulus (square-free, two prime
factors, both Blum), which is what the threshold proofs and the privacy of
every ballot rest on.

Non-interactive, m = 128 iterations, each failing for a false statement with
probability at least 1/2:

* the prover picks w ∈ Z*_n with Jacobi symbol (w|n) = −1 (by default derived
  from ``hash_to_unit(MODULUS_PROOF_W, n, election_id, n, k)``, first k that
  works, so that the proof is deterministic);
* y_i = hash_to_unit(MODULUS_PROOF_Y, n, election_id, n, w, i), i = 0..127;
* z_i = y_i^(n^-1 mod φ(n)) mod n (an n-th root of y_i);
* a_i, b_i ∈ {0, 1} are the unique bits for which y'_i = (−1)^a_i·w^b_i·y_i is a
  square mod n, and x_i is a fourth root of y'_i.

The verifier checks: n odd, at least MIN_MODULUS_BITS long, not a probable
prime, free of prime factors below 2^16; w a unit with (w|n) = −1; every x_i,
z_i a unit in (0, n); z_i^n ≡ y_i and x_i^4 ≡ (−1)^a_i·w^b_i·y_i (mod n).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import gmpy2

from ...errors import InvalidProof, ParameterError
from ...schema import BigInt, Items, SmallInt
from ..numbers import invert, is_probable_prime, is_unit, powmod
from ..transcript import Tag, hash_to_unit

ITERATIONS = 128
"""m: the number of independent repetitions (soundness error 2^-128)."""

MIN_MODULUS_BITS = 256
"""Shortest modulus the verifier considers at all; the key policy is stricter."""

SMALL_FACTOR_BOUND = 1 << 16
"""n must have no prime factor below this bound."""

_SMALL_PRIMORIAL = int(gmpy2.primorial(SMALL_FACTOR_BOUND - 1))


@dataclass(frozen=True, slots=True)
class ModulusProof:
    """Proof that n is a Paillier–Blum modulus (docs/spec.md §6).

    ``w``: the unit with Jacobi symbol −1; ``x[i]``: fourth root of
    (−1)^a[i]·w^b[i]·y_i; ``z[i]``: n-th root of y_i; all modulo n.
    """

    w: Annotated[int, BigInt(4096)]
    x: Annotated[tuple[int, ...], Items(ITERATIONS, ITERATIONS), BigInt(4096)]
    a: Annotated[tuple[int, ...], Items(ITERATIONS, ITERATIONS), SmallInt(0, 1)]
    b: Annotated[tuple[int, ...], Items(ITERATIONS, ITERATIONS), SmallInt(0, 1)]
    z: Annotated[tuple[int, ...], Items(ITERATIONS, ITERATIONS), BigInt(4096)]


def derive_y(n: int, election_id: str, w: int) -> list[int]:
    """y_0..y_127 ∈ Z*_n, bound to the election, the modulus and w (spec §6.2)."""
    return [hash_to_unit(Tag.MODULUS_PROOF_Y, n, election_id, n, w, i) for i in range(ITERATIONS)]


def derive_w(n: int, election_id: str) -> int:
    """The default w: first hash_to_unit(MODULUS_PROOF_W, n, election_id, n, k),
    k = 0, 1, …, whose Jacobi symbol modulo n is −1 (spec §6.2)."""
    k = 0
    while True:
        w = hash_to_unit(Tag.MODULUS_PROOF_W, n, election_id, n, k)
        if gmpy2.jacobi(w, n) == -1:
            return w
        k += 1
        if k > 1000:  # each try succeeds with probability 1/2 for a Blum n
            raise ParameterError("no w with Jacobi symbol -1: n is not a Blum integer")


def _fourth_root_mod_prime(y: int, p: int) -> int:
    """A fourth root of the square y modulo a prime p ≡ 3 (mod 4).

    y^((p+1)/4) is the square root of y that is itself a square, so applying
    the map twice gives a fourth root.
    """
    e = (p + 1) // 4
    return powmod(y, e * e % (p - 1), p)


def prove_modulus(p: int, q: int, election_id: str, *, w: int | None = None) -> ModulusProof:
    """Prove that n = p·q is a Paillier–Blum modulus (spec §6.2).

    p and q are the dealer's secret primes; ``w`` may be given (a unit of
    Jacobi symbol −1) for known-answer vectors. Raises ParameterError if p, q
    do not make a Blum modulus with gcd(n, φ(n)) = 1: no proof exists then.
    """
    if p == q or p % 4 != 3 or q % 4 != 3:
        raise ParameterError("modulus proof needs distinct primes p ≡ q ≡ 3 (mod 4)")
    if not (is_probable_prime(p) and is_probable_prime(q)):
        raise ParameterError("modulus proof needs prime factors")
    n = p * q
    phi = (p - 1) * (q - 1)
    if gmpy2.gcd(n, phi) != 1:
        raise ParameterError("gcd(n, φ(n)) ≠ 1")
    if w is None:
        w = derive_w(n, election_id)
    elif not is_unit(w, n) or gmpy2.jacobi(w, n) != -1:
        raise ParameterError("w must be a unit with Jacobi symbol -1")
    n_inv = int(gmpy2.invert(n, phi))
    q_inv_p = invert(q, p)
    xs: list[int] = []
    a_bits: list[int] = []
    b_bits: list[int] = []
    zs: list[int] = []
    for y in derive_y(n, election_id, w):
        zs.append(_crt(powmod(y, n_inv % (p - 1), p), powmod(y, n_inv % (q - 1), q), p, q, q_inv_p))
        a, b, y_prime = _residue_choice(y, w, p, q)
        xs.append(
            _crt(
                _fourth_root_mod_prime(y_prime % p, p),
                _fourth_root_mod_prime(y_prime % q, q),
                p,
                q,
                q_inv_p,
            )
        )
        a_bits.append(a)
        b_bits.append(b)
    return ModulusProof(w, tuple(xs), tuple(a_bits), tuple(b_bits), tuple(zs))


def _residue_choice(y: int, w: int, p: int, q: int) -> tuple[int, int, int]:
    """The bits (a, b) for which y' = (−1)^a·w^b·y is a square mod pq, and y'.

    Unique for a Blum modulus and (w|n) = −1: −1 is a non-square modulo both
    primes and w modulo exactly one, so the four candidates cover every
    pattern of quadratic characters.
    """
    n = p * q
    for a in (0, 1):
        for b in (0, 1):
            y_prime = (-1) ** a * (w if b else 1) * y % n
            if gmpy2.legendre(y_prime, p) == 1 and gmpy2.legendre(y_prime, q) == 1:
                return a, b, y_prime
    raise ParameterError("no quadratic residue among ±y, ±wy")  # not for a Blum n


def _crt(rp: int, rq: int, p: int, q: int, q_inv_p: int) -> int:
    """The x mod p·q with x ≡ rp (mod p), x ≡ rq (mod q) (Garner)."""
    return rq + q * ((rp - rq) * q_inv_p % p)


def check_modulus_shape(n: int) -> None:
    """The proof-independent checks on n (spec §6.3 steps 1–3); raises InvalidProof."""
    if n % 2 == 0:
        raise InvalidProof("modulus: n is even")
    if n.bit_length() < MIN_MODULUS_BITS:
        raise InvalidProof(f"modulus: n is shorter than {MIN_MODULUS_BITS} bits")
    if gmpy2.gcd(n, _SMALL_PRIMORIAL) != 1:
        raise InvalidProof(f"modulus: n has a prime factor below {SMALL_FACTOR_BOUND}")
    if is_probable_prime(n, 25):
        raise InvalidProof("modulus: n is prime")


def verify_modulus(n: int, proof: ModulusProof, election_id: str) -> None:
    """Verify a Paillier–Blum modulus proof for n (spec §6.3); raises InvalidProof."""
    check_modulus_shape(n)
    fields = (proof.x, proof.a, proof.b, proof.z)
    if any(len(f) != ITERATIONS for f in fields):
        raise InvalidProof(f"modulus: proof must have {ITERATIONS} iterations")
    if not is_unit(proof.w, n):
        raise InvalidProof("modulus: w is not a unit in (0, n)")
    if gmpy2.jacobi(proof.w, n) != -1:
        raise InvalidProof("modulus: Jacobi symbol of w is not -1")
    w = proof.w
    for i, (x, a, b, z, y) in enumerate(
        zip(proof.x, proof.a, proof.b, proof.z, derive_y(n, election_id, w), strict=True)
    ):
        if a not in (0, 1) or b not in (0, 1):
            raise InvalidProof(f"modulus: iteration {i}: a, b must be 0 or 1")
        if not (is_unit(x, n) and is_unit(z, n)):
            raise InvalidProof(f"modulus: iteration {i}: x or z is not a unit in (0, n)")
        if powmod(z, n, n) != y:
            raise InvalidProof(f"modulus: iteration {i}: z^n ≠ y")
        expected = y * (w if b else 1) % n
        if a:
            expected = n - expected
        if powmod(x, 4, n) != expected:
            raise InvalidProof(f"modulus: iteration {i}: x^4 ≠ (−1)^a·w^b·y")
