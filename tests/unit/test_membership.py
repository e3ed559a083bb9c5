"""Membership proofs (docs/spec.md §7): completeness, soundness, tampering, batching."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiemphieu.crypto.errors import InvalidElement, InvalidProof, VerificationError
from kiemphieu.crypto.primitives.paillier import PublicKey
from kiemphieu.crypto.primitives.proofs import membership as mb
from kiemphieu.crypto.primitives.proofs.batch import find_bad

B = 1 << 24
LEVELS = tuple(B**j for j in range(4))
CRED = bytes(range(32))


def statement(pk: PublicKey, c: int, context: bytes, allowed=LEVELS, part="row-1"):
    return mb.MembershipStatement(c, allowed, context, CRED, "q1", part)


def make(pk: PublicKey, context: bytes, index: int, allowed=LEVELS, part="row-1"):
    r = pk.random_r()
    c = pk.encrypt(allowed[index], r)
    st_ = statement(pk, c, context, allowed, part)
    return st_, mb.prove(pk, st_, index, r), r


@settings(max_examples=25, deadline=None)
@given(index=st.integers(0, 3))
def test_completeness(public_key, context, index):
    st_, proof, _ = make(public_key, context, index)
    mb.verify(public_key, st_, proof)
    assert mb.check_batch(public_key, [mb.prepare(public_key, st_, proof)])


@settings(max_examples=10, deadline=None)
@given(lo=st.integers(0, 3), span=st.integers(0, 4), pick=st.integers(0, 10))
def test_completeness_ranges(public_key, context, lo, span, pick):
    allowed = tuple(range(lo, lo + span + 1))
    st_, proof, _ = make(public_key, context, pick % len(allowed), allowed, "sum")
    mb.verify(public_key, st_, proof)


@pytest.mark.parametrize("value", [2, B + 1, -1 % 10**9, B**4, 0])
def test_value_outside_set_is_rejected_whatever_the_proof(public_key, context, value):
    """A cheating prover runs the honest algorithm with a false index: no branch is real."""
    pk = public_key
    value %= pk.n
    r = pk.random_r()
    c = pk.encrypt(value, r)
    st_ = statement(pk, c, context)
    for index in range(len(LEVELS)):
        proof = mb.prove(pk, st_, index, r)
        with pytest.raises(InvalidProof):
            mb.verify(pk, st_, proof)
        assert not mb.check_batch(pk, [mb.prepare(pk, st_, proof)])


def test_negative_value_is_rejected(public_key, context):
    pk = public_key
    r = pk.random_r()
    c = pk.encrypt(pk.n - 1, r)  # Enc(-1)
    st_ = statement(pk, c, context, allowed=(0, 1))
    for index in (0, 1):
        with pytest.raises(InvalidProof):
            mb.verify(pk, st_, mb.prove(pk, st_, index, r))


def test_proof_bound_to_credential_question_part_and_context(public_key, context):
    pk = public_key
    st_, proof, _ = make(pk, context, 2)
    for change in (
        {"credential": bytes(32)},
        {"question": "q2"},
        {"part": "row-2"},
        {"context": bytes(32)},
        {"allowed": tuple(reversed(LEVELS))},
    ):
        with pytest.raises(InvalidProof):
            mb.verify(pk, dataclasses.replace(st_, **change), proof)


def test_rerandomized_copy_with_adapted_proof_is_rejected(public_key, context):
    """Helios-style malleability: c' = c·s^n, z_i' = z_i·s^(e_i) would verify under weak
    Fiat–Shamir; strong Fiat–Shamir binds c, so the challenge changes."""
    pk = public_key
    st_, proof, _ = make(pk, context, 1)
    s = pk.random_r()
    c2 = pk.rerandomize(st_.c, s)
    z2 = tuple(z * pow(s, e, pk.n) % pk.n for z, e in zip(proof.z, proof.e, strict=True))
    forged = mb.MembershipProof(proof.a, proof.e, z2)
    st2 = dataclasses.replace(st_, c=c2)
    with pytest.raises(InvalidProof):
        mb.verify(pk, st2, forged)
    # and the algebra alone would have passed: the binding is what refuses it
    prepared = mb.PreparedMembership(c2, st2.allowed, forged)
    assert mb.check_equations(pk, prepared)


@pytest.mark.parametrize("field", ["a", "e", "z"])
def test_every_field_tampered_fails(public_key, context, field):
    pk = public_key
    st_, proof, _ = make(pk, context, 0)
    for i in range(len(LEVELS)):
        values = list(getattr(proof, field))
        values[i] = (values[i] + 1) % (pk.n2 if field == "a" else pk.n)
        if field == "e":
            values[i] = (proof.e[i] + 1) % mb.E_MOD
        bad = dataclasses.replace(proof, **{field: tuple(values)})
        with pytest.raises(VerificationError):
            mb.verify(pk, st_, bad)


def test_challenge_sum_kept_but_split_changed_fails(public_key, context):
    pk = public_key
    st_, proof, _ = make(pk, context, 0)
    e = list(proof.e)
    e[0], e[1] = (e[0] + 5) % mb.E_MOD, (e[1] - 5) % mb.E_MOD
    with pytest.raises(InvalidProof, match="equation"):
        mb.verify(pk, st_, dataclasses.replace(proof, e=tuple(e)))


def test_ranges_and_units(public_key, context):
    pk = public_key
    st_, proof, _ = make(pk, context, 0)
    cases = [
        dataclasses.replace(proof, z=(0, *proof.z[1:])),
        dataclasses.replace(proof, z=(pk.n, *proof.z[1:])),
        dataclasses.replace(proof, a=(pk.n2 + proof.a[0], *proof.a[1:])),
        dataclasses.replace(proof, a=(pk.n, *proof.a[1:])),
        dataclasses.replace(proof, e=(mb.E_MOD, *proof.e[1:])),
        dataclasses.replace(proof, a=proof.a[:-1]),
    ]
    for bad in cases:
        with pytest.raises(VerificationError):
            mb.verify(pk, st_, bad)
    with pytest.raises(InvalidElement):
        mb.verify(pk, dataclasses.replace(st_, c=pk.n), proof)


def test_order_two_tweak_same_verdict_single_and_batch(public_key, context):
    """z → n − z leaves z^(2n) unchanged: both paths accept (squared equations)."""
    pk = public_key
    st_, proof, _ = make(pk, context, 3)
    z = (pk.n - proof.z[0], *proof.z[1:])
    tweaked = dataclasses.replace(proof, z=z)
    mb.verify(pk, st_, tweaked)
    assert mb.check_batch(pk, [mb.prepare(pk, st_, tweaked)])
    # a → n² − a changes the challenge, so both refuse
    a = (pk.n2 - proof.a[0], *proof.a[1:])
    with pytest.raises(InvalidProof):
        mb.verify(pk, st_, dataclasses.replace(proof, a=a))


def test_batch_names_the_bad_item(public_key, context):
    pk = public_key
    items = []
    for k in range(12):
        st_, proof, _ = make(pk, context, k % 4, part=f"row-{k}")
        items.append(mb.prepare(pk, st_, proof))
    assert mb.check_batch(pk, items)
    # item 7: a ciphertext of 2 with an algebraically bad proof that passes prepare()
    r = pk.random_r()
    c = pk.encrypt(2, r)
    st_ = statement(pk, c, context, part="row-7")
    bad = mb.prepare(pk, st_, mb.prove(pk, st_, 1, r))
    items[7] = bad
    assert not mb.check_batch(pk, items)
    assert find_bad(items, lambda xs: mb.check_batch(pk, xs)) == (7,)
    items[2] = bad
    assert find_bad(items, lambda xs: mb.check_batch(pk, xs)) == (2, 7)


def test_prover_refuses_bad_nonces(public_key, context):
    pk = public_key
    r = pk.random_r()
    c = pk.encrypt(LEVELS[1], r)
    st_ = statement(pk, c, context)
    good = [(1, pk.random_r()) for _ in range(3)]
    for nonces in (
        mb.MembershipNonces(0, tuple(good)),
        mb.MembershipNonces(pk.n, tuple(good)),
        mb.MembershipNonces(pk.random_r(), ((mb.E_MOD, pk.random_r()), *good[1:])),
        mb.MembershipNonces(pk.random_r(), ((1, 0), *good[1:])),
    ):
        with pytest.raises(ValueError):
            mb.prove(pk, st_, 1, r, nonces=nonces)
