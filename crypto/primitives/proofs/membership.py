"""1-out-of-k membership proofs for Paillier ciphertexts (docs/spec.md §7).

Statement: c encrypts one of the allowed plaintexts M = (m_1..m_k). With
u_i = c·(1 − m_i·n) mod n², c encrypts m_i exactly when u_i is an n-th power.
The prover runs a real Σ-protocol on the true branch and simulates the others;
the challenges e_i are 128-bit and must sum to the Fiat–Shamir challenge
e modulo 2^128 (strong Fiat–Shamir: e binds the election base hash, the
credential, the question and part, n, M, c and every commitment a_i).

The canonical check is the squared equation z_i^(2n) ≡ (a_i·u_i^(e_i))² (mod n²),
used by the single and the batch path alike (spec §10.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import gmpy2
from gmpy2 import mpz

from ...errors import InvalidProof
from ...schema import BigInt, Items
from .. import rng
from ..numbers import check_units, is_unit, multi_powmod
from ..paillier import PublicKey
from ..transcript import CHALLENGE_BITS, Tag, challenge
from .batch import weights

E_MOD = 1 << CHALLENGE_BITS
MAX_ELEMENT_BITS = 8192
MAX_BRANCHES = 64


@dataclass(frozen=True, slots=True)
class MembershipProof:
    """(a_i, e_i, z_i) for i = 1..k: commitments in Z*_{n²}, 128-bit challenges,
    responses in Z*_n (docs/spec.md §7.2)."""

    a: Annotated[tuple[int, ...], Items(1, MAX_BRANCHES), BigInt(MAX_ELEMENT_BITS)]
    e: Annotated[tuple[int, ...], Items(1, MAX_BRANCHES), BigInt(CHALLENGE_BITS)]
    z: Annotated[tuple[int, ...], Items(1, MAX_BRANCHES), BigInt(MAX_ELEMENT_BITS // 2)]


@dataclass(frozen=True, slots=True)
class MembershipStatement:
    """What a membership proof claims, with everything its challenge binds
    (docs/spec.md §7.1): ``context`` is the election base hash, ``credential`` the
    voter's public key, ``question`` and ``part`` name the ciphertext's place."""

    c: int
    allowed: tuple[int, ...]
    context: bytes
    credential: bytes
    question: str
    part: str


@dataclass(frozen=True, slots=True)
class MembershipNonces:
    """The prover's randomness: w for the true branch, (e_i, z_i) for the others.
    Only known-answer vectors pass these in; normally they are drawn fresh."""

    w: int
    simulated: tuple[tuple[int, int], ...]


def fiat_shamir(pk: PublicKey, st: MembershipStatement, a: Sequence[int]) -> int:
    """e = H(membership-proof, context, credential, question, part, n, M, c, a_1..a_k)."""
    return challenge(
        Tag.MEMBERSHIP_PROOF,
        st.context,
        st.credential,
        st.question,
        st.part,
        pk.n,
        list(st.allowed),
        st.c,
        list(a),
    )


def _u(pk: PublicKey, c: int, m: int) -> mpz:
    """u = c·(1 − m·n) mod n²."""
    return mpz(c) * (1 - (m % pk.n) * pk.n) % pk.n2


def prove(
    pk: PublicKey,
    st: MembershipStatement,
    index: int,
    r: int,
    *,
    nonces: MembershipNonces | None = None,
) -> MembershipProof:
    """Prove that ``st.c`` = Enc(allowed[index]; r) lies in the allowed set."""
    k = len(st.allowed)
    if not 0 <= index < k:
        raise ValueError("index outside the allowed set")
    if nonces is None:
        sim = [(rng.random_bits(CHALLENGE_BITS), rng.random_unit(pk.n)) for _ in range(k - 1)]
        nonces = MembershipNonces(rng.random_unit(pk.n), tuple(sim))
    if len(nonces.simulated) != k - 1:
        raise ValueError("wrong number of simulated branches")
    if not is_unit(nonces.w, pk.n) or any(
        not (0 <= ei < E_MOD and is_unit(zi, pk.n)) for ei, zi in nonces.simulated
    ):
        raise ValueError("nonces out of range: w and z_i must be units mod n, e_i below 2^128")
    n, n2 = pk.n, pk.n2
    a: list[int] = [0] * k
    e: list[int] = [0] * k
    z: list[int] = [0] * k
    others = iter(nonces.simulated)
    for i in range(k):
        if i == index:
            a[i] = int(gmpy2.powmod(nonces.w, n, n2))
            continue
        ei, zi = next(others)
        e[i], z[i] = ei, zi
        ui_inv = gmpy2.invert(_u(pk, st.c, st.allowed[i]), n2)
        a[i] = int(gmpy2.powmod(zi, n, n2) * gmpy2.powmod(ui_inv, e[i], n2) % n2)
    total = fiat_shamir(pk, st, a)
    e[index] = (total - sum(e[i] for i in range(k) if i != index)) % E_MOD
    z[index] = int(mpz(nonces.w) * gmpy2.powmod(r, e[index], n) % n)
    return MembershipProof(tuple(a), tuple(e), tuple(z))


@dataclass(slots=True)
class PreparedMembership:
    """A proof whose shapes, ranges and challenge sum were checked; only the
    algebraic equations remain (docs/spec.md §7.3 steps 1–3 done)."""

    c: int
    allowed: tuple[int, ...]
    proof: MembershipProof


def prepare(pk: PublicKey, st: MembershipStatement, proof: MembershipProof) -> PreparedMembership:
    """Steps 1–3 of §7.3: shapes, element ranges and units, Σ e_i ≡ e (mod 2^128)."""
    k = len(st.allowed)
    if not (len(proof.a) == len(proof.e) == len(proof.z) == k):
        raise InvalidProof(f"{st.part}: proof has the wrong number of branches")
    if any(not 0 <= ei < E_MOD for ei in proof.e):
        raise InvalidProof(f"{st.part}: challenge out of range")
    if not _all_units(pk, st.c, proof):  # name the failing group, as the spec words it
        check_units([st.c, *proof.a], pk.n2, f"{st.part}: ciphertext or commitment")
        check_units(proof.z, pk.n, f"{st.part}: response")
    if sum(proof.e) % E_MOD != fiat_shamir(pk, st, proof.a):
        raise InvalidProof(f"{st.part}: challenges do not sum to the Fiat-Shamir challenge")
    return PreparedMembership(st.c, st.allowed, proof)


def _all_units(pk: PublicKey, c: int, proof: MembershipProof) -> bool:
    """Step 2 of §7.3 in one gcd: c and every a_i in (0, n²), every z_i in (0, n),
    and the product of all of them modulo n prime to n.

    gcd(x, n²) = 1 exactly when gcd(x, n) = 1, and a product is prime to n
    exactly when each factor is, so this holds exactly when both
    ``check_units`` calls of :func:`prepare` pass; it only runs cheaper
    (products modulo n instead of n², one gcd instead of two).
    """
    n, n2 = pk.n, pk.n2
    if not 0 < c < n2 or any(not 0 < x < n2 for x in proof.a):
        return False
    if any(not 0 < x < n for x in proof.z):
        return False
    m = mpz(n)
    acc = mpz(c) % m
    for x in (*proof.a, *proof.z):
        acc = acc * x % m
    return bool(gmpy2.gcd(acc, m) == 1)


def check_equations(pk: PublicKey, item: PreparedMembership) -> bool:
    """Step 4 of §7.3 for one proof: z_i^(2n) ≡ (a_i·u_i^(e_i))² for every branch."""
    n, n2 = pk.n, pk.n2
    for m, ai, ei, zi in zip(item.allowed, item.proof.a, item.proof.e, item.proof.z, strict=True):
        lhs = gmpy2.powmod(zi, 2 * n, n2)
        rhs = mpz(ai) * gmpy2.powmod(_u(pk, item.c, m), ei, n2) % n2
        if lhs != rhs * rhs % n2:
            return False
    return True


def check_batch(pk: PublicKey, items: Sequence[PreparedMembership]) -> bool:
    """Step 4 of §7.3 for many proofs at once, with fresh weights δ (§10.1):

    (Π z^δ mod n)^(2n) ≡ (Π a^δ · Π_c c^(Σ e·δ) · (1 − n·Σ m·e·δ))²  (mod n²).
    """
    if not items:
        return True
    n, n2 = pk.n, pk.n2
    count = sum(len(it.allowed) for it in items)
    deltas = iter(weights(count))
    z_bases: list[int] = []
    z_exps: list[int] = []
    r_bases: list[int] = []
    r_exps: list[int] = []
    s = 0
    for it in items:
        c_exp = 0
        for m, ai, ei, zi in zip(it.allowed, it.proof.a, it.proof.e, it.proof.z, strict=True):
            d = next(deltas)
            z_bases.append(zi)
            z_exps.append(d)
            r_bases.append(ai)
            r_exps.append(d)
            ed = ei * d
            c_exp += ed
            s += (m % n) * ed
        r_bases.append(it.c)
        r_exps.append(c_exp)
    zprod = multi_powmod(z_bases, z_exps, n)
    lhs = gmpy2.powmod(zprod, 2 * n, n2)
    rhs = mpz(multi_powmod(r_bases, r_exps, n2)) * (1 - (s % n) * n) % n2
    return bool(lhs == rhs * rhs % n2)


def verify(pk: PublicKey, st: MembershipStatement, proof: MembershipProof) -> None:
    """Verify one proof alone (all of §7.3); raises InvalidProof."""
    if not check_equations(pk, prepare(pk, st, proof)):
        raise InvalidProof(f"{st.part}: membership equation fails")
