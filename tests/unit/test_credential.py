"""Credential codes and keys (docs/spec.md §8.4)."""

from __future__ import annotations

import pytest

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


def test_check_quasigroup_is_totally_anti_symmetric():
    """Exhaustively: (c∘x)∘y = (c∘y)∘x only if x = y, and x∘y = y∘x only if x = y;
    each row is a permutation. These are what make every adjacent swap and
    every single substitution change the check (Damm)."""
    step = cr.damm_step
    for c in range(32):
        assert sorted(step(c, x) for x in range(32)) == list(range(32))
        for x in range(32):
            for y in range(32):
                if x != y:
                    assert step(step(c, x), y) != step(step(c, y), x)
                    assert step(x, y) != step(y, x)


@pytest.mark.parametrize("seed", range(3))
def test_every_single_character_error_is_caught(seed):
    code = cr.new_code().replace("-", "")
    for pos in range(len(code)):
        for repl in cr.ALPHABET:
            if repl != code[pos]:
                with pytest.raises(cr.CredentialCodeError):
                    cr.parse_code(code[:pos] + repl + code[pos + 1 :])


@pytest.mark.parametrize("seed", range(3))
def test_adjacent_swaps_are_caught(seed):
    code = cr.new_code().replace("-", "")
    for pos in range(len(code) - 1):
        if code[pos] != code[pos + 1]:
            swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
            with pytest.raises(cr.CredentialCodeError):
                cr.parse_code(swapped)


def test_the_pair_luhn_mod_32_missed():
    """0 and V (index 31) side by side: Luhn mod 32 let this swap through."""
    data = "0V" + "1" * 24
    swapped = "V0" + "1" * 24
    assert cr.check_character(data) != cr.check_character(swapped)


@pytest.mark.parametrize("bad", ["", "ABC", "U" * 27, "!" * 27])
def test_malformed_codes(bad):
    with pytest.raises(cr.CredentialCodeError):
        cr.parse_code(bad)


REGISTRAR = bytes(range(32))


def test_key_derivation_is_deterministic_and_per_election_and_registrar():
    code = cr.new_code()
    k1 = cr.derive_key(code, "e1", REGISTRAR)
    assert cr.derive_key(code.lower(), "e1", REGISTRAR).public == k1.public
    assert cr.derive_key(code, "e2", REGISTRAR).public != k1.public
    assert cr.derive_key(cr.new_code(), "e1", REGISTRAR).public != k1.public
    # a server that swaps the registrar (and so the election) gets another key
    assert cr.derive_key(code, "e1", bytes(32)).public != k1.public
    assert k1.seed.hex() not in repr(k1)


def test_kdf_info_separates_the_id_from_the_registrar_key():
    assert cr.kdf_info("e1", REGISTRAR) == b"e1\x00" + REGISTRAR
    with pytest.raises(ValueError, match="32 bytes"):
        cr.derive_key(cr.new_code(), "e1", REGISTRAR[:31])


def test_hkdf_rfc5869_case_1():
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = cr.hkdf_sha256(ikm, salt, info, 42)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_signature():
    key = cr.derive_key(cr.new_code(), "e1", REGISTRAR)
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
