"""Credential codes and keys (docs/spec.md §8.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemphieu.crypto.election import credential as cr
from kiemphieu.crypto.errors import InvalidSignature


def test_code_shape_and_round_trip():
    code = cr.new_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4, 4, 4, 3]
    data = cr.parse_code(code)
    assert len(data) == 26 and cr.format_code(data) == code


def test_codes_are_random():
    assert len({cr.new_code() for _ in range(200)}) == 200


def test_forgiving_input():
    code = cr.new_code()
    data = cr.parse_code(code)
    sloppy = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert cr.parse_code(sloppy) == data


@given(st.data())
def test_every_single_character_error_is_caught(data):
    code = cr.new_code().replace("-", "")
    pos = data.draw(st.integers(0, len(code) - 1))
    repl = data.draw(st.sampled_from([c for c in cr.ALPHABET if c != code[pos]]))
    typo = code[:pos] + repl + code[pos + 1 :]
    with pytest.raises(cr.CredentialCodeError):
        cr.parse_code(typo)


@given(st.data())
def test_adjacent_swaps_are_caught(data):
    code = cr.new_code().replace("-", "")
    pos = data.draw(st.integers(0, len(code) - 2))
    if code[pos] == code[pos + 1]:
        return
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    with pytest.raises(cr.CredentialCodeError):
        cr.parse_code(swapped)


@pytest.mark.parametrize("bad", ["", "ABC", "U" * 27, "!" * 27])
def test_malformed_codes(bad):
    with pytest.raises(cr.CredentialCodeError):
        cr.parse_code(bad)


def test_key_derivation_is_deterministic_and_per_election():
    code = cr.new_code()
    k1 = cr.derive_key(code, "e1")
    assert cr.derive_key(code.lower(), "e1").public == k1.public
    assert cr.derive_key(code, "e2").public != k1.public
    assert cr.derive_key(cr.new_code(), "e1").public != k1.public
    assert k1.seed.hex() not in repr(k1)


def test_hkdf_rfc5869_case_1():
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = cr.hkdf_sha256(ikm, salt, info, 42)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_signature():
    key = cr.derive_key(cr.new_code(), "e1")
    sig = key.sign(b"message")
    cr.verify_signature(key.public, b"message", sig)
    with pytest.raises(InvalidSignature):
        cr.verify_signature(key.public, b"messagf", sig)
    with pytest.raises(InvalidSignature):
        cr.verify_signature(bytes(32), b"message", sig)
    with pytest.raises(InvalidSignature):
        cr.verify_signature(key.public, b"message", sig[:-1])


@pytest.mark.parametrize("letter", ["ı", "ſ", "ß", "Ａ"])
def test_non_ascii_refused_before_case_mapping(letter):
    code = cr.new_code()
    with pytest.raises(cr.CredentialCodeError, match="ASCII"):
        cr.parse_code(letter + code[1:])
