"""Distributed key generation run in memory (docs/spec.md §12).

One 512-bit run (t = 3, ℓ = 5) is made once for the module; the god's-eye
view (this test) pools what no party may hold and checks that none did.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import pytest

from kiemphieu.crypto.errors import KeygenAbort, ParameterError
from kiemphieu.crypto.keygen.messages import Incoming, KeygenResult, Outgoing
from kiemphieu.crypto.keygen.parameters import KeygenParameters
from kiemphieu.crypto.primitives.combination import (
    combine,
    decryption_share,
    verify_decryption_share,
)
from kiemphieu.crypto.primitives.numbers import lagrange_at
from kiemphieu.crypto.primitives.threshold import check_share, check_verification_keys
from tests.support.keygen_run import Run, run

ELECTION = "keygen-test"


def _ints(obj: object, seen: set[int], out: set[int]) -> None:
    """Every integer reachable from obj's attributes, dicts, lists and tuples."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, bool):
        return
    if isinstance(obj, int):
        out.add(int(obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _ints(k, seen, out)
            _ints(v, seen, out)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _ints(v, seen, out)
    elif isinstance(obj, bytes):
        return
    elif hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
        for name in getattr(obj, "__dict__", {}):
            _ints(getattr(obj, name), seen, out)
        for name in getattr(type(obj), "__slots__", ()):
            if hasattr(obj, name):
                _ints(getattr(obj, name), seen, out)
    elif type(obj).__name__ == "mpz":
        out.add(int(obj))


@dataclass
class Observed:
    """What the god's-eye watcher saw during the run."""

    ints: set[int] = field(default_factory=set)
    p_shares: dict[int, int] = field(default_factory=dict)
    q_shares: dict[int, int] = field(default_factory=dict)

    def watch(self, state: Run) -> None:
        for j, party in state.parties.items():
            if party.params.bits != 512:
                continue
            _ints(party, set(), self.ints)
            if party._label.endswith("/commit"):
                self.p_shares[j] = party._state.p_share
                self.q_shares[j] = party._state.q_share


@pytest.fixture(scope="module")
def generated() -> tuple[Run, dict[int, KeygenResult], Observed]:
    observed = Observed()
    state, results = run(KeygenParameters(512, 3, 5), ELECTION, 64, watch=observed.watch)
    for party in state.parties.values():
        _ints(party, set(), observed.ints)
    return state, results, observed


def test_every_trustee_gets_the_same_checked_key(generated) -> None:
    _, results, _ = generated
    pk = results[1].public
    assert pk.n.bit_length() == 512 and pk.n % 4 == 1 and pk.t == 3 and pk.l == 5
    for r in results.values():
        assert r.public == pk
        check_share(r.share)
    check_verification_keys(pk, election_id=ELECTION)


def test_any_three_of_five_decrypt(generated) -> None:
    _, results, _ = generated
    pk = results[1].public
    message = 424242
    c = pk.public_key.encrypt(message)
    context = bytes(range(32))
    shares = {
        i: verify_decryption_share(pk, c, decryption_share(r.share, c, context), context)
        for i, r in results.items()
    }
    for subset in itertools.combinations(range(1, 6), 3):
        assert combine(pk, c, [shares[i] for i in subset]) == message
    with pytest.raises(Exception, match="need 3 shares"):
        combine(pk, c, [shares[1], shares[2]])


def test_the_key_is_the_product_of_two_primes_and_d_has_its_residues(generated) -> None:
    _, results, observed = generated
    n = results[1].public.n
    p, q = sum(observed.p_shares.values()), sum(observed.q_shares.values())
    assert p * q == n and p % 4 == 3 and q % 4 == 3
    assert math.gcd(p, q) == 1 and p.bit_length() == q.bit_length() == 256
    from kiemphieu.crypto.primitives.numbers import is_probable_prime

    assert is_probable_prime(p) and is_probable_prime(q)
    delta = results[1].public.delta
    lam = lagrange_at(0, [1, 2, 3], delta)
    delta_d = sum(lam[i] * results[i].share.s for i in (1, 2, 3))
    assert delta_d % delta == 0
    d = delta_d // delta
    phi = (p - 1) * (q - 1)
    assert d % n == 1 and d % phi == 0


def test_no_party_ever_holds_the_factorization_or_the_exponent(generated) -> None:
    _, results, observed = generated
    n = results[1].public.n
    p, q = sum(observed.p_shares.values()), sum(observed.q_shares.values())
    phi = (p - 1) * (q - 1)
    lam = phi // math.gcd(p - 1, q - 1)
    delta = results[1].public.delta
    coeff = lagrange_at(0, [1, 2, 3], delta)
    d = sum(coeff[i] * results[i].share.s for i in (1, 2, 3)) // delta
    forbidden = {p, q, phi, lam, d, p - 1, q - 1}
    assert len(observed.ints) > 1000  # the watcher did see the parties' state
    assert not forbidden & observed.ints
    assert not [x for x in observed.ints if 1 < math.gcd(x, n) < n]
    for r in results.values():
        assert r.share.s not in forbidden


# --- a deviating trustee ----------------------------------------------------------


def _replace(out: Outgoing, broadcast: bytes | None = None, **private: bytes) -> Outgoing:
    new_private = dict(out.private)
    for key, value in private.items():
        new_private[int(key.removeprefix("to"))] = value
    return Outgoing(out.label, out.broadcast if broadcast is None else broadcast, new_private)


def _run_with(tamper, bits: int = 256, t: int = 2, l: int = 3) -> None:  # noqa: E741
    run(KeygenParameters(bits, t, l), ELECTION, 32, tamper=tamper)


def test_an_inconsistent_key_share_names_its_sender() -> None:
    def tamper(label: str, sender: int, out: Outgoing) -> Outgoing:
        if label == "key/open" and sender == 2:
            width = len(out.private[1])
            forged = (int.from_bytes(out.private[1], "big") + 1).to_bytes(width, "big")
            return _replace(out, to1=forged)
        return out

    with pytest.raises(KeygenAbort, match="inconsistent key shares") as info:
        _run_with(tamper)
    assert info.value.accused == (2,)


def test_a_false_accusation_names_the_accuser() -> None:
    def tamper(label: str, sender: int, out: Outgoing) -> Outgoing:
        if label == "key/confirm" and sender == 3:
            return _replace(out, broadcast=bytes([1]) + (70).to_bytes(4, "big") + bytes(70))
        return out

    with pytest.raises(KeygenAbort) as info:
        _run_with(tamper)
    assert info.value.accused == (3,)


def test_a_malformed_payload_names_its_sender() -> None:
    def tamper(label: str, sender: int, out: Outgoing) -> Outgoing:
        if label == "a0/product" and sender == 1:
            return _replace(out, to3=out.private[3][:-1])
        return out

    with pytest.raises(KeygenAbort, match="from trustee 1") as info:
        _run_with(tamper)
    assert info.value.accused == (1,)


def test_an_opening_that_differs_from_its_commitment_names_the_sender() -> None:
    def tamper(label: str, sender: int, out: Outgoing) -> Outgoing:
        if label.endswith("/reveal") and sender == 2:
            return _replace(out, broadcast=out.broadcast[:-1] + bytes([out.broadcast[-1] ^ 1]))
        return out

    with pytest.raises(KeygenAbort, match="differs from the commitment") as info:
        _run_with(tamper)
    assert info.value.accused == (2,)


def test_a_non_contributor_sending_sieve_shares_is_named() -> None:
    def tamper(label: str, sender: int, out: Outgoing) -> Outgoing:
        if label == "a0/sieve-0" and sender == 3:
            return _replace(out, to1=b"\x01" * 8)
        return out

    with pytest.raises(KeygenAbort, match="not a sieve contributor") as info:
        _run_with(tamper)
    assert info.value.accused == (3,)


def test_an_inconsistent_product_is_detected_with_a_spare_trustee() -> None:
    # ℓ = 4 > 2t − 1 = 3: the published N_j must lie on one polynomial of degree 2
    def tamper(label: str, sender: int, out: Outgoing) -> Outgoing:
        if label == "a0/open" and sender == 4:
            return _replace(out, broadcast=bytes(len(out.broadcast) - 1) + b"\x01")
        return out

    with pytest.raises(KeygenAbort, match="inconsistent"):
        _run_with(tamper, t=2, l=4)


def test_a_round_out_of_order_or_incomplete_is_refused() -> None:
    from tests.support.keygen_run import make_run

    state = make_run(KeygenParameters(256, 2, 3), ELECTION, 4)
    party = state.parties[1]
    out = party.start()
    with pytest.raises(ParameterError, match="not the round awaited"):
        party.receive(Incoming("a0/product", {2: b"", 3: b""}, {2: b"", 3: b""}))
    with pytest.raises(ParameterError, match="one message from each trustee"):
        party.receive(Incoming(out.label, {2: b""}, {2: b""}))
    with pytest.raises(ParameterError, match="already started"):
        party.start()


# --- parameters --------------------------------------------------------------------


@pytest.mark.parametrize(("t", "l"), [(1, 3), (3, 4), (2, 17), (9, 16)])
def test_parameters_refuse_a_dishonest_majority_or_too_many(t: int, l: int) -> None:  # noqa: E741
    with pytest.raises(ParameterError):
        KeygenParameters(512, t, l)


@pytest.mark.parametrize("bits", [512, 2048, 3072])
def test_parameters_sieve_only_primes_above_l_and_keep_p_in_its_window(bits: int) -> None:
    params = KeygenParameters(bits, 3, 5)
    assert params.m % 3 and params.m % 5 and params.m % 7 == 0
    assert params.offset % (4 * params.m) == 0
    h = params.h
    low = params.offset
    high = params.offset + params.l * 4 * params.m * params.spread
    assert 3 << (h - 2) <= low and high <= 1 << h
    assert params.spread >= 1 << 32
    assert params.field_prime > 1 << bits
    repr_ = repr(params)
    assert str(params.m) not in repr_


def test_a_letter_in_a_broadcast_round_names_its_sender() -> None:
    def tamper(label: str, sender: int, out: Outgoing) -> Outgoing:
        if label == "a0/open" and sender == 2:
            return _replace(out, to3=b"unexpected")
        return out

    with pytest.raises(KeygenAbort, match="a letter in a broadcast round") as info:
        _run_with(tamper)
    assert info.value.accused == (2,)
