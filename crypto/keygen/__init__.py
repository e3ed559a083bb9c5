"""Distributed generation of the threshold Paillier key (docs/spec.md §12).

No party ever holds p, q, φ(n) or the decryption exponent: the ℓ trustees
sieve and multiply shared candidates (Boneh–Franklin with distributed
sieving), test biprimality jointly, and derive integer Shamir shares of
d ≡ 1 (mod n), d ≡ 0 (mod φ(n)) (after Nishide–Sakurai). The result is a
:class:`~kiemphieu.crypto.primitives.threshold.ThresholdPublicKey` and one
:class:`~kiemphieu.crypto.primitives.threshold.KeyShare` per trustee, used by
the same decryption, proofs and checks as a dealt key.
"""
