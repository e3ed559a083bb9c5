"""A trustee's key-derivation rounds (docs/spec.md §12.6): key/share, key/open, key/confirm.

Holds this trustee's p_j, q_j (its additive shares of the chosen candidate)
and, in turn, its shares of β, φ and the zero; each is dropped as soon as
the next round no longer needs it.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from ..errors import DecodeError, InvalidSignature, KeygenAbort
from ..primitives import rng
from ..primitives.numbers import is_unit
from ..primitives.threshold import (
    KeyShare,
    ThresholdPublicKey,
    check_share,
    derive_v,
    share_bits,
)
from . import derivation as dv
from .envelope import Route, open_letter
from .messages import Incoming
from .parameters import KeygenParameters
from .sharing import (
    evaluate,
    pack,
    pack_signed,
    share_int,
    unpack,
    unpack_signed,
    width_of,
    zero_sharing_int,
)


class KeyDerivation:
    """Trustee ``index``'s part of §12.6 for the chosen n."""

    def __init__(
        self,
        params: KeygenParameters,
        index: int,
        *,
        election_id: str,
        session: bytes,
        identity_keys: Mapping[int, bytes],
        n: int,
        p_share: int,
        q_share: int,
    ) -> None:
        self.params = params
        self.index = index
        self.session = session
        self.identity_keys = dict(identity_keys)
        self.n = n
        self.n2 = n * n
        self.v = derive_v(election_id, n)
        self.bounds = dv.bounds(params)
        self._others = [j for j in params.parties if j != index]
        self._phi = dv.phi_share(index, n, p_share, q_share)
        self._own: list[int] = []
        self._sigma: dict[int, int] = {}
        self._commitments: dict[int, list[int]] = {}
        self._masked: dict[int, int] = {}
        self._complaints = b""

    def __repr__(self) -> str:
        return f"KeyDerivation(index={self.index})"

    def _triple_bits(self) -> int:
        b = self.bounds
        return max(b.beta_share, b.phi_share, b.zero_share).bit_length()

    def first(self) -> tuple[bytes, dict[int, bytes]]:
        """key/share: announce n (every trustee MUST announce the same) and send
        integer shares of β_i, φ_i (degree t − 1) and of a zero (2t − 2)."""
        p, b = self.params, self.bounds
        parties = list(p.parties)
        beta = share_int(dv.draw_beta(b), p.t - 1, parties, b.beta, b.beta_coefficient_bits)
        phi = share_int(self._phi, p.t - 1, parties, b.phi, b.phi_coefficient_bits)
        zero = zero_sharing_int(2 * p.t - 2, parties, b.zero_coefficient_bits)
        self._phi = 0
        width = width_of(self._triple_bits())
        announced = pack([self.n], width_of(p.bits))
        out = {}
        for pos, j in enumerate(parties):
            triple = [beta[pos], phi[pos], zero[pos]]
            if j == self.index:
                self._own = triple
            else:
                out[j] = pack_signed(triple, width)
        return announced, out

    def second(self, incoming: Incoming) -> tuple[bytes, dict[int, bytes]]:
        """key/open: publish y_j and the commitments C_j; send σ_{j→k}."""
        p, b = self.params, self.bounds
        bits = self._triple_bits()
        announced = pack([self.n], width_of(p.bits))
        for j, data in incoming.broadcasts.items():
            if data != announced:
                raise KeygenAbort("key/share: another modulus was announced", (j,))
        total = list(self._own)
        for j, data in incoming.private.items():
            try:
                triple = unpack_signed(data, width_of(bits), 3, bits, f"key/share from trustee {j}")
            except DecodeError as exc:
                raise KeygenAbort(str(exc), (j,)) from exc
            total = [x + y for x, y in zip(total, triple, strict=True)]
        self._own = []
        a = dv.combine_point(p, self.index, total[0], total[1], total[2])
        del total
        y = dv.masked(a, self.n, b)
        coefficients = [a] + [b.a + rng.random_bits(b.a_coefficient_bits) for _ in range(p.t - 1)]
        commitments = dv.commit(coefficients, self.v, self.n2)
        shares = {j: evaluate(coefficients, j) for j in p.parties}
        del a, coefficients
        self._sigma = {self.index: shares[self.index]}
        self._commitments = {self.index: commitments}
        self._masked = {self.index: y}
        width_n2 = width_of(2 * p.bits)
        broadcast = pack([y], width_of(self._y_bits())) + pack(commitments, width_n2)
        sw = width_of(b.a_share.bit_length())
        return broadcast, {j: pack([shares[j]], sw) for j in self._others}

    def _y_bits(self) -> int:
        """y_j travels in share_bits(‖n‖) bits (§12.8: a verifier needs no bounds)."""
        return share_bits(self.params.bits)

    def third(self, incoming: Incoming) -> bytes:
        """key/confirm: check every σ_{j→k} against C_j; accuse with the letter as evidence."""
        p, b = self.params, self.bounds
        yw, cw = width_of(self._y_bits()), width_of(2 * p.bits)
        complaints = b""
        for j in self._others:
            data = incoming.broadcasts[j]
            try:
                (y,) = unpack(data[:yw], yw, 1, 1 << self._y_bits(), f"key/open from trustee {j}")
                commitments = unpack(data[yw:], cw, p.t, self.n2, f"key/open from trustee {j}")
                (sigma,) = unpack(
                    incoming.private[j],
                    width_of(b.a_share.bit_length()),
                    1,
                    b.a_share,
                    f"key/open share from trustee {j}",
                )
            except DecodeError as exc:
                raise KeygenAbort(str(exc), (j,)) from exc
            if not all(is_unit(c, self.n2) for c in commitments):
                raise KeygenAbort("key/open: a commitment is not a unit modulo n²", (j,))
            self._masked[j] = y
            self._commitments[j] = commitments
            self._sigma[j] = sigma
            if not dv.check_point(commitments, self.index, sigma, self.v, self.n2):
                letter = incoming.letters.get(j, b"")
                complaints += struct.pack(">BI", j, len(letter)) + letter
        self._complaints = complaints
        return complaints

    def finish(self, incoming: Incoming) -> tuple[ThresholdPublicKey, KeyShare, int]:
        """Settle complaints, then s_k = c·Σ_j σ_{j→k} and the public key."""
        p = self.params
        complaints = {j: data for j, data in incoming.broadcasts.items() if data}
        if self._complaints:
            complaints[self.index] = self._complaints
        if complaints:
            raise KeygenAbort("key/confirm: inconsistent key shares", self._judge(complaints))
        c = dv.inverse_theta(list(self._masked.values()), self.n)
        theta = sum(self._masked.values()) % self.n
        s = c * sum(self._sigma.values())
        self._sigma = {}
        vks = dv.verification_keys(p, self._commitments, c, self.v, self.n2)
        public = ThresholdPublicKey(self.n, self.v, vks, p.t)
        share = KeyShare(self.index, s, public)
        check_share(share)
        return public, share, theta

    def _judge(self, complaints: Mapping[int, bytes]) -> tuple[int, ...]:
        """Who deviated: the accused if the letter is signed and fails the check,
        else the accuser (a complaint without valid evidence)."""
        guilty: set[int] = set()
        for accuser, data in complaints.items():
            pos = 0
            while pos < len(data):
                if pos + 5 > len(data):
                    guilty.add(accuser)
                    break
                accused, length = struct.unpack(">BI", data[pos : pos + 5])
                letter = data[pos + 5 : pos + 5 + length]
                pos += 5 + length
                guilty.add(self._weigh(accuser, accused, letter))
        return tuple(sorted(guilty))

    def _weigh(self, accuser: int, accused: int, letter: bytes) -> int:
        if accused not in self._commitments or accused == accuser:
            return accuser
        try:
            payload = open_letter(
                self.identity_keys[accused],
                letter,
                Route(self.session, "key/open", accused, accuser),
            )
            (sigma,) = unpack(
                payload,
                width_of(self.bounds.a_share.bit_length()),
                1,
                self.bounds.a_share,
                "evidence",
            )
        except (InvalidSignature, DecodeError, KeyError):
            return accuser
        if dv.check_point(self._commitments[accused], accuser, sigma, self.v, self.n2):
            return accuser
        return accused
