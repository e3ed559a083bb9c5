"""The key generation's parts: biprimality (completeness, soundness, a known
answer), the sharings, the candidate window, the binary frames (docs/spec.md §12)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiemphieu.crypto.errors import DecodeError, ParameterError
from kiemphieu.crypto.keygen import biprimality as bp
from kiemphieu.crypto.keygen import candidates as cand
from kiemphieu.crypto.keygen.frames import (
    RoundDelivery,
    RoundPost,
    decode_post,
    encode_delivery,
    encode_post,
    split_deliveries,
)
from kiemphieu.crypto.keygen.parameters import KeygenParameters
from kiemphieu.crypto.keygen.sharing import (
    lagrange_zero_int,
    lagrange_zero_mod,
    pack,
    pack_signed,
    share_int,
    share_many,
    unpack,
    unpack_signed,
)

# Blum primes (≡ 3 mod 4) of 64 bits
BLUM = [18446744073709551427, 18446744073709551359, 18446744073709551263, 18446744073709551191]
SESSION = bytes(range(32))


def _split(value: int, parts: int, first: int, draw: st.DrawFn) -> list[int]:
    """Additive shares: share 1 ≡ first (mod 4), the others ≡ 0 (mod 4)."""
    rest = [4 * draw(st.integers(0, 2**60)) for _ in range(parts - 1)]
    one = value - sum(rest)
    if one % 4 != first:  # pragma: no cover - value ≡ first by construction
        raise AssertionError
    return [one, *rest]


@st.composite
def biprime_shares(draw: st.DrawFn):
    p, q = draw(st.sampled_from([(BLUM[0], BLUM[1]), (BLUM[2], BLUM[3]), (BLUM[1], BLUM[3])]))
    parts = draw(st.integers(3, 7))
    return p * q, _split(p, parts, 3, draw), _split(q, parts, 3, draw)


def _values(n: int, ps: list[int], qs: list[int], round_: int) -> dict[int, int]:
    g = bp.base(SESSION, n, round_)
    return {j: bp.value(j, n, ps[j - 1], qs[j - 1], g) for j in range(1, len(ps) + 1)}


@given(biprime_shares(), st.integers(0, 1000))
@settings(max_examples=40, deadline=None)
def test_biprimality_passes_every_round_for_two_blum_primes(shares, round_: int) -> None:
    n, ps, qs = shares
    assert bp.passes(n, _values(n, ps, qs, round_))


def test_biprimality_fails_a_product_of_three_primes_in_most_rounds() -> None:
    # p = r·s is ≡ 3 (mod 4) but not prime: n = r·s·q is refused by most bases
    r, s, q = 1000003, 1000039, BLUM[0]
    p = r * s * 1000099  # three primes ≡ 3 (mod 4): p ≡ 3 (mod 4) too
    assert p % 4 == 3
    n = p * q
    ps, qs = [p - 8, 4, 4], [q - 4, 0, 4]
    passed = sum(bp.passes(n, _values(n, ps, qs, k)) for k in range(64))
    assert passed <= 8  # each round fails with probability >= 1/2; here nearly always


def test_a_changed_value_fails_the_round() -> None:
    n, p, q = BLUM[0] * BLUM[1], BLUM[0], BLUM[1]
    values = _values(n, [p - 8, 4, 4], [q - 4, 0, 4], 3)
    assert bp.passes(n, values)
    values[2] = values[2] * 2 % n
    assert not bp.passes(n, values)
    values[2] = 0
    assert not bp.passes(n, values)


def test_the_biprimality_base_is_a_known_answer_with_jacobi_one() -> None:
    n = BLUM[0] * BLUM[1]
    g = bp.base(SESSION, n, 1)
    assert g == bp.base(SESSION, n, 1) != bp.base(SESSION, n, 2)
    assert g != bp.base(bytes(32), n, 1)
    import gmpy2

    assert gmpy2.jacobi(g, n) == 1 and 0 < g < n
    # hash_to_unit(keygen/biprimality, n, σ, n, 1, 0), recorded when the tag was fixed
    assert g == 0x39E049CCE818EF81621E28AF1F18DE95


# --- sharing -------------------------------------------------------------------


@given(st.integers(0, 2**200), st.integers(2, 6))
@settings(max_examples=30, deadline=None)
def test_shamir_mod_m_reconstructs_from_all_points(secret: int, t: int) -> None:
    params = KeygenParameters(512, t, 2 * t - 1)
    points = list(range(1, 2 * t))
    shares = share_many([secret], t - 1, points, params.m)
    lam = lagrange_zero_mod(points, params.m)
    assert sum(lam[j] * shares[j][0] for j in points) % params.m == secret % params.m


@given(st.integers(-(2**300), 2**300), st.integers(2, 4))
@settings(max_examples=30, deadline=None)
def test_integer_shares_are_positive_and_reconstruct_times_delta(secret: int, t: int) -> None:
    points = list(range(1, 2 * t))
    shares = share_int(secret, t - 1, points, 2**301, 301 + 128)
    assert all(s > 0 for s in shares)
    delta = 120 if len(points) <= 5 else 5040
    lam = lagrange_zero_int(points, delta)
    assert sum(lam[j] * shares[j - 1] for j in points) == delta * secret
    with pytest.raises(ParameterError):
        share_int(2**301, 1, points, 2**301, 10)


def test_packing_is_strict() -> None:
    data = pack([1, 2, 3], 4)
    assert unpack(data, 4, 3, 10, "x") == [1, 2, 3]
    for bad, count, bound in ((data[:-1], 3, 10), (data, 2, 10), (data, 3, 3)):
        with pytest.raises(DecodeError):
            unpack(bad, 4, count, bound, "x")
    signed = pack_signed([-5, 0, 7], 2)
    assert unpack_signed(signed, 2, 3, 16, "y") == [-5, 0, 7]
    with pytest.raises(DecodeError, match="not a valid signed"):
        unpack_signed(b"\x01\x00\x00", 2, 1, 16, "y")  # −0
    with pytest.raises(DecodeError, match="not a valid signed"):
        unpack_signed(b"\x02\x00\x01", 2, 1, 16, "y")


@given(st.data())
@settings(max_examples=30, deadline=None)
def test_honest_candidates_lie_in_their_window_and_avoid_the_sieve(data) -> None:
    params = KeygenParameters(512, 3, 5)
    units = cand.draw_units(params.m, 3)
    a = units[0] * units[1] * units[2] % params.m
    b = [data.draw(st.integers(0, params.m - 1)) for _ in range(4)]
    b.append((a - sum(b)) % params.m)
    p = sum(cand.candidate_share(params, j, b[j - 1]) for j in params.parties)
    assert 3 << (params.h - 2) <= p < 1 << params.h
    assert p % 4 == 3 and p % params.m == a
    import math

    assert math.gcd(p, params.m) == 1


# --- frames ----------------------------------------------------------------------


@given(
    st.sampled_from(["a0/sieve-0", "a12/product", "a3/reveal", "key/open", "key/confirm"]),
    st.integers(1, 16),
    st.binary(max_size=64),
    st.dictionaries(st.integers(1, 16), st.binary(max_size=40), max_size=5),
)
@settings(max_examples=50, deadline=None)
def test_post_frames_round_trip(label: str, sender: int, broadcast: bytes, letters) -> None:
    letters = {j: v for j, v in letters.items() if j != sender}
    post = RoundPost(label, sender, broadcast, letters, bytes(range(64)))
    again = decode_post(encode_post(post))
    assert (again.label, again.sender, again.broadcast, dict(again.letters)) == (
        label, sender, broadcast, letters,
    )  # fmt: skip
    assert again.hashes == post.hashes


def test_frames_refuse_what_is_not_a_frame() -> None:
    post = RoundPost("a0/open", 2, b"bb", {1: b"x", 3: b"y"}, bytes(64))
    frame = encode_post(post)
    for bad in (
        frame[:-1],
        frame + b"\x00",
        b"KPKX" + frame[4:],
        frame.replace(b"a0/open", b"a0/opeN"),
    ):
        with pytest.raises(DecodeError):
            decode_post(bad)
    with pytest.raises(ValueError, match="label"):
        encode_post(RoundPost("../x", 1, b"", {}, bytes(64)))
    with pytest.raises(ValueError, match="recipient"):
        encode_post(RoundPost("a0/open", 1, b"", {1: b"self"}, bytes(64)))
    swapped = frame.replace(
        bytes([1]) + (1).to_bytes(4, "big") + b"x", bytes([3]) + (1).to_bytes(4, "big") + b"x"
    )
    with pytest.raises(DecodeError, match="ascend"):
        decode_post(swapped)
    d = RoundDelivery("key/open", 1, b"b", {2: bytes(32), 3: bytes(32)}, b"letter", bytes(64))
    two = encode_delivery(d) + encode_delivery(d)
    assert [x.sender for x in split_deliveries(two)] == [1, 1]
    with pytest.raises(DecodeError):
        split_deliveries(two[:-3])
