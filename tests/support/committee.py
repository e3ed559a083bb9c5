"""Test only: a counting committee and a registrar with their secrets, and the
dealer's ceremony for them.

No real party ever holds all of this: each member's identity seed and sealing
key, the registrar's seed, and the dealing with every key share in clear.
Ring-Pedersen parameters are test-sized (512 bits) and, to save the safe-prime
search, every member's N̂ is built from the same two primes (each with its own
s, t and proof); production makes a fresh N̂ per member.

    committee = make_committee(pedersen_primes)          # 5 members and a registrar
    held = hold_ceremony("e1", committee, test_primes)   # dealing + KeyCeremony
    ctx = ElectionContext(manifest, held.ceremony, KeyPolicy.TESTING)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import nacl.public
import nacl.signing

from kiemphieu.crypto.election.ceremony import KeyCeremony, publish
from kiemphieu.crypto.election.committee import (
    Committee,
    Registrar,
    Trustee,
    TrusteeCard,
    make_card,
    make_registrar,
    pedersen_binding,
    place,
)
from kiemphieu.crypto.election.credential import CredentialKey, derive_key
from kiemphieu.crypto.election.roll import SignedRoll, sign_roll
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.proofs.pedersen import RingPedersen, make_ring_pedersen
from kiemphieu.crypto.primitives.threshold import Dealing, deal

NAMES = ("Đỗ Thị Hương", "Bùi Văn Khánh", "Hoàng Thị Ngọc", "Ngô Quang Vinh", "Đặng Thu Trang")
TEST_BITS = 512


@dataclass(frozen=True)
class Member:
    """One trustee with its secrets: the identity seed signs, the sealing key opens shares."""

    index: int
    identity_seed: bytes = field(repr=False)
    sealing_key: nacl.public.PrivateKey = field(repr=False)
    card: TrusteeCard

    @property
    def trustee(self) -> Trustee:
        return place(self.index, self.card)


@dataclass(frozen=True)
class CommitteeSecrets:
    """ℓ members in index order and the registrar with its seed."""

    members: tuple[Member, ...]
    registrar_seed: bytes = field(repr=False)
    registrar: Registrar

    @property
    def committee(self) -> Committee:
        return Committee(tuple(m.trustee for m in self.members), self.registrar)

    @property
    def trustees(self) -> tuple[Trustee, ...]:
        return tuple(m.trustee for m in self.members)

    @property
    def verifiers(self) -> list[RingPedersen]:
        return [m.card.pedersen for m in self.members]

    def seed(self, index: int) -> bytes:
        return self.members[index - 1].identity_seed

    @property
    def registrar_key(self) -> bytes:
        """The registrar's identity key, which the credential KDF binds."""
        return self.registrar.identity_key

    def credential(self, code: str, election_id: str) -> CredentialKey:
        """The key of ``code`` for ``election_id`` under this registrar."""
        return derive_key(code, election_id, self.registrar_key)

    def sign_roll(
        self, election_id: str, election_hash: bytes, keys: Sequence[bytes]
    ) -> SignedRoll:
        return sign_roll(self.registrar_seed, election_id, election_hash, keys)


def make_pedersen(identity_seed: bytes, primes: tuple[int, int]) -> RingPedersen:
    """Test ring-Pedersen parameters bound to the identity key of ``identity_seed``."""
    identity = bytes(nacl.signing.SigningKey(identity_seed).verify_key)
    return make_ring_pedersen(
        (primes[0] * primes[1]).bit_length(), pedersen_binding(identity), primes=primes
    )


def make_member(
    index: int, pedersen_primes: tuple[int, int], name: str | None = None, role: str | None = None
) -> Member:
    seed = nacl.signing.SigningKey.generate()
    sealing = nacl.public.PrivateKey.generate()
    params = make_pedersen(bytes(seed), pedersen_primes)
    card = make_card(
        bytes(seed),
        bytes(sealing.public_key),
        name or NAMES[(index - 1) % len(NAMES)],
        role if role is not None else ("Trưởng ban kiểm phiếu" if index == 1 else "Ủy viên"),
        params,
    )
    return Member(index, bytes(seed), sealing, card)


def make_committee(pedersen_primes: tuple[int, int], size: int = 5) -> CommitteeSecrets:
    """``size`` members and a registrar, fresh keys each time."""
    registrar_seed = bytes(nacl.signing.SigningKey.generate())
    return CommitteeSecrets(
        tuple(make_member(i, pedersen_primes) for i in range(1, size + 1)),
        registrar_seed,
        make_registrar(registrar_seed, "Vụ Tổ chức cán bộ"),
    )


@dataclass(frozen=True)
class HeldCeremony:
    """A dealer ceremony held for a test committee: the dealing (shares in
    clear) and the published key ceremony."""

    committee: CommitteeSecrets
    dealing: Dealing = field(repr=False)
    ceremony: KeyCeremony


def hold_ceremony(
    election_id: str,
    committee: CommitteeSecrets,
    primes: tuple[int, int],
    *,
    t: int = 3,
    **fixed: object,
) -> HeldCeremony:
    """Deal a t-of-ℓ key for ``election_id`` from the given safe primes to
    ``committee`` and publish it; ``fixed`` goes to ``deal`` (vectors)."""
    bits = (primes[0] * primes[1]).bit_length()
    dealing = deal(
        election_id,
        bits,
        t,
        len(committee.members),
        KeyPolicy.TESTING,
        verifiers=committee.verifiers,
        primes=primes,
        **fixed,  # type: ignore[arg-type]
    )
    return HeldCeremony(committee, dealing, publish(dealing, election_id, committee.committee))
