"""What a lying dealer or server sends, for the tests that play them (issue 10).

- :func:`lopsided_primes` and :func:`lopsided_ceremony`: n = p·q of very
  unequal Blum primes, with a valid Paillier–Blum proof and the factor proofs
  only such a dealer can make (which Π^fac refuses);
- :func:`rehashed`: an election summary with its key ceremony swapped (or
  edited) and the base hash H_E moved to match, as a server that changes the
  ceremony would serve it.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets

import gmpy2

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.proofs import factor
from kiemphieu.crypto.primitives.proofs.modulus import prove_modulus
from kiemphieu.crypto.primitives.threshold import factor_context


def blum_prime(bits: int) -> int:
    """A random prime of exactly ``bits`` bits, ≡ 3 (mod 4)."""
    while True:
        x = int(gmpy2.next_prime(secrets.randbits(bits) | (1 << (bits - 1))))
        if x % 4 == 3 and x.bit_length() == bits:
            return x


def lopsided_primes(bits: int = 3072, small_bits: int = 20) -> tuple[int, int]:
    """(small, big) Blum primes with small·big of ``bits`` bits, a modulus the
    Paillier–Blum proof accepts (gcd(n, φ(n)) = 1) and trial division factors."""
    small = blum_prime(small_bits)
    while True:
        big = blum_prime(bits - small_bits)
        if (small * big).bit_length() == bits and (big - 1) % small:
            return small, big


def lopsided_ceremony(ceremony: KeyCeremony, small: int, big: int) -> KeyCeremony:
    """``ceremony`` with n = small·big, a valid modulus proof and factor proofs
    made by a cheating dealer to each trustee; everything else unchanged."""
    eid = ceremony.election_id
    return dataclasses.replace(
        ceremony,
        key=dataclasses.replace(ceremony.key, n=small * big),
        modulus_proof=prove_modulus(small, big, eid),
        factor_proofs=tuple(
            factor._prove(small, big, m.pedersen, factor_context(eid, m.index))
            for m in ceremony.committee.trustees
        ),
    )


def rehashed(summary: dict, ceremony: KeyCeremony | None = None) -> dict:
    """A copy of an election summary (GET /api/elections/<id>) with
    ``ceremony`` in it (or its own, as edited) and the base hash that goes with
    it (test policy)."""
    out = copy.deepcopy(summary)
    if ceremony is not None:
        out["key_ceremony"] = codec.to_wire(ceremony)
    manifest = codec.from_wire(Manifest, out["manifest"])
    held = codec.from_wire(KeyCeremony, out["key_ceremony"])
    out["base_hash"] = ElectionContext(manifest, held, KeyPolicy.TESTING).hash.hex()
    return out
