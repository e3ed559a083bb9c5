"""One trustee's side of the distributed key generation (docs/spec.md §12.7).

A :class:`KeygenParty` is a state machine over synchronous rounds. Each round
has a label; every trustee sends one :class:`Outgoing` per round (a
broadcast, possibly empty, and one private payload to each other trustee,
possibly empty) and receives every other trustee's :class:`Incoming` for
the same label before its next step. The labels and their order follow
from public values only, so all honest trustees walk the same sequence:

    a<k>/sieve-0, a<k>/sieve-1 …, a<k>/product, a<k>/open, a<k>/filter,
    a<k>/commit, a<k>/reveal     (attempt k = 0, 1, … until a candidate passes)
    key/share, key/open, key/confirm

The transport (signing, sealing, relaying) is not here (:mod:`.envelope`).
The party holds only its own shares, never p, q, φ(n), λ or d.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import DecodeError, InvalidShare, KeygenAbort, ParameterError
from ..primitives import rng
from . import biprimality as bp
from . import candidates as cand
from .envelope import commitment
from .keyshare import KeyDerivation
from .messages import Incoming, KeygenResult, KeygenStatistics, Outgoing
from .parameters import BIPRIMALITY_ROUNDS, KeygenParameters
from .sharing import lagrange_zero_mod, pack, unpack, width_of


@dataclass(repr=False)
class Scratch:
    """A party's working values for the current rounds; replaced as rounds pass,
    so nothing of an earlier candidate lingers (never printed)."""

    own: list[int] = field(default_factory=list)
    products: int = 0
    carry: list[list[int]] = field(default_factory=list)
    p: list[int] = field(default_factory=list)
    q: list[int] = field(default_factory=list)
    points: list[int] = field(default_factory=list)
    survivors: list[int] = field(default_factory=list)
    mine: list[tuple[int, int]] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    n: int = 0
    p_share: int = 0
    q_share: int = 0
    opening: bytes = b""
    commitments: dict[int, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "Scratch(…)"


PRIVATE_ONLY = frozenset({"product"} | {f"sieve-{k}" for k in range(100)})
BROADCAST_ONLY = frozenset({"open", "filter", "commit", "reveal", "key/confirm"})

Step = Callable[[Incoming], "Outgoing | KeygenResult"]


class KeygenParty:
    """Trustee ``index`` of a run bound to ``session`` (32 bytes, §12.7)."""

    def __init__(
        self,
        params: KeygenParameters,
        index: int,
        *,
        session: bytes,
        election_id: str,
        batch: int,
        identity_keys: Mapping[int, bytes],
    ) -> None:
        if index not in params.parties:
            raise ParameterError(f"trustee index {index} not in 1..{params.l}")
        if len(session) != 32:
            raise ParameterError("session must be 32 bytes")
        if not 1 <= batch <= 1 << 16:
            raise ParameterError("batch must be in 1..65536")
        self.params = params
        self.index = index
        self.session = session
        self.election_id = election_id
        self.batch = batch
        if sorted(identity_keys) != list(params.parties):
            raise ParameterError("need every trustee's identity key")
        self.identity_keys = dict(identity_keys)
        self._others = [j for j in params.parties if j != index]
        self._lam_m = lagrange_zero_mod(list(params.parties), params.m)
        self._attempt = 0
        self._level = 0
        self._counts = [0, 0, 0, 0]
        self._label = ""
        self._state = Scratch()
        self._derivation: KeyDerivation | None = None
        self._step: Step = self._sieve_received

    def __repr__(self) -> str:
        return f"KeygenParty(index={self.index}, round={self._label!r})"

    # --- driving ---------------------------------------------------------------

    def start(self) -> Outgoing:
        """The first round's message."""
        if self._label:
            raise ParameterError("the run has already started")
        return self._start_attempt()

    def receive(self, incoming: Incoming) -> Outgoing | KeygenResult:
        """Consume one round; return the next message or the result.

        Raises KeygenAbort (naming the accused trustees where a check can) for
        malformed or inconsistent payloads, ParameterError for a round out of
        order or incomplete.
        """
        if not self._label or incoming.label != self._label:
            raise ParameterError(f"round {incoming.label!r} is not the round awaited")
        expected = set(self._others)
        if set(incoming.broadcasts) != expected or set(incoming.private) != expected:
            raise ParameterError(f"round {incoming.label}: need one message from each trustee")
        label = incoming.label
        kind = label if label.startswith("key/") else label.rsplit("/", 1)[1]
        for j in self._others:
            if incoming.broadcasts[j] and kind in PRIVATE_ONLY:
                raise KeygenAbort(f"{incoming.label}: a broadcast in a private round", (j,))
            if incoming.private[j] and kind in BROADCAST_ONLY:
                raise KeygenAbort(f"{incoming.label}: a letter in a broadcast round", (j,))
        return self._step(incoming)

    def statistics(self) -> KeygenStatistics:
        """What this run has tried so far."""
        return KeygenStatistics(*self._counts)

    def _send(
        self, label: str, broadcast: bytes, private: dict[int, bytes], step: Step
    ) -> Outgoing:
        self._label = label if label.startswith("key/") else f"a{self._attempt}/{label}"
        self._step = step
        for j in self._others:
            private.setdefault(j, b"")
        return Outgoing(self._label, broadcast, private)

    def _read(self, data: bytes, count: int, bound: int, *, sender: int, label: str) -> list[int]:
        """``count`` values below ``bound`` packed by :func:`pack`; KeygenAbort names the sender."""
        width = width_of((bound - 1).bit_length())
        try:
            return unpack(data, width, count, bound, f"{label} from trustee {sender}")
        except DecodeError as exc:
            raise KeygenAbort(str(exc), (sender,)) from exc

    # --- sieve (§12.3) ---------------------------------------------------------

    def _start_attempt(self) -> Outgoing:
        p = self.params
        self._counts[0] += 1
        self._counts[1] += self.batch
        self._level = 0
        if self.index <= p.t:
            shares = cand.share_vector(
                cand.draw_units(p.m, 2 * self.batch), p.t - 1, list(p.parties), p.m
            )
        else:
            shares = {j: [] for j in p.parties}
        self._state = Scratch(own=shares[self.index])
        wm = width_of(p.m.bit_length())
        return self._send(
            "sieve-0", b"", {j: pack(shares[j], wm) for j in self._others}, self._sieve_received
        )

    def _sieve_received(self, incoming: Incoming) -> Outgoing:
        p, count = self.params, 2 * self.batch
        if self._level == 0:
            by_sender: dict[int, list[int]] = {}
            if self.index <= p.t:
                by_sender[self.index] = self._state.own
            for j, data in incoming.private.items():
                if j <= p.t:
                    by_sender[j] = self._read(data, count, p.m, sender=j, label=incoming.label)
                elif data:
                    raise KeygenAbort(
                        f"{incoming.label}: trustee {j} is not a sieve contributor", (j,)
                    )
            factors = [by_sender[j] for j in range(1, p.t + 1)]
        else:
            factors = self._reduce(incoming)
        if len(factors) > 2:
            return self._reshare(factors)
        u = cand.multiply(factors[0], factors[1], p.m)
        lam = self._lam_m[self.index]
        return self._product_round([lam * x % p.m for x in u])

    def _reshare(self, factors: list[list[int]]) -> Outgoing:
        p = self.params
        products = [
            cand.multiply(factors[k], factors[k + 1], p.m) for k in range(0, len(factors) - 1, 2)
        ]
        carry = [factors[-1]] if len(factors) % 2 else []
        outgoing: dict[int, list[int]] = {j: [] for j in p.parties}
        for u in products:
            shares = cand.share_vector(u, p.t - 1, list(p.parties), p.m)
            for j in p.parties:
                outgoing[j].extend(shares[j])
        self._state = Scratch(own=outgoing[self.index], products=len(products), carry=carry)
        self._level += 1
        wm = width_of(p.m.bit_length())
        return self._send(
            f"sieve-{self._level}",
            b"",
            {j: pack(outgoing[j], wm) for j in self._others},
            self._sieve_received,
        )

    def _reduce(self, incoming: Incoming) -> list[list[int]]:
        p, count = self.params, 2 * self.batch
        k, carry = self._state.products, self._state.carry
        received: dict[int, Sequence[int]] = {self.index: self._state.own}
        for j, data in incoming.private.items():
            received[j] = self._read(data, k * count, p.m, sender=j, label=incoming.label)
        flat = cand.recombine(received, self._lam_m, p.m)
        return [flat[i * count : (i + 1) * count] for i in range(k)] + carry

    # --- product n = p·q (§12.4) ----------------------------------------------

    def _product_round(self, b: list[int]) -> Outgoing:
        p, k, prime = self.params, self.batch, self.params.field_prime
        ps = [cand.candidate_share(p, self.index, b[i]) for i in range(k)]
        qs = [cand.candidate_share(p, self.index, b[k + i]) for i in range(k)]
        parties = list(p.parties)
        sp = cand.share_vector(ps, p.t - 1, parties, prime)
        sq = cand.share_vector(qs, p.t - 1, parties, prime)
        sz = cand.zero_vector(k, 2 * p.t - 2, parties, prime)
        self._state = Scratch(own=sp[self.index] + sq[self.index] + sz[self.index], p=ps, q=qs)
        wp = width_of(prime.bit_length())
        return self._send(
            "product",
            b"",
            {j: pack(sp[j] + sq[j] + sz[j], wp) for j in self._others},
            self._product_received,
        )

    def _product_received(self, incoming: Incoming) -> Outgoing:
        k, prime = self.batch, self.params.field_prime
        total = list(self._state.own)
        for j, data in incoming.private.items():
            vec = self._read(data, 3 * k, prime, sender=j, label=incoming.label)
            total = [a + b for a, b in zip(total, vec, strict=True)]
        points = [(total[i] * total[k + i] + total[2 * k + i]) % prime for i in range(k)]
        self._state.points = points
        return self._send(
            "open", pack(points, width_of(prime.bit_length())), {}, self._open_received
        )

    def _open_received(self, incoming: Incoming) -> Outgoing:
        p, k, prime = self.params, self.batch, self.params.field_prime
        published = {self.index: self._state.points}
        for j, data in incoming.broadcasts.items():
            published[j] = self._read(data, k, prime, sender=j, label=incoming.label)
        survivors: list[tuple[int, int]] = []
        for i in range(k):
            try:
                n = cand.interpolate_product(p, {j: v[i] for j, v in published.items()})
            except InvalidShare as exc:
                raise KeygenAbort(f"{incoming.label}: {exc}") from exc
            if cand.acceptable(p, n):
                survivors.append((i, n))
        self._counts[2] += len(survivors)
        ps, qs = self._state.p, self._state.q
        mine = [(ps[i], qs[i]) for i, _ in survivors]
        values = [
            bp.value(self.index, n, a, b, bp.base(self.session, n, 0))
            for (_, n), (a, b) in zip(survivors, mine, strict=True)
        ]
        self._state = Scratch(survivors=[n for _, n in survivors], mine=mine, values=values)
        return self._send("filter", pack(values, width_of(p.bits)), {}, self._filter_received)

    # --- biprimality (§12.5) ---------------------------------------------------

    def _filter_received(self, incoming: Incoming) -> Outgoing:
        survivors, mine = self._state.survivors, self._state.mine
        received = {
            j: self._read(d, len(survivors), 1 << self.params.bits, sender=j, label=incoming.label)
            for j, d in incoming.broadcasts.items()
        }
        received[self.index] = self._state.values
        chosen = None
        for pos, n in enumerate(survivors):
            if bp.passes(n, {j: v[pos] for j, v in received.items()}):
                self._counts[3] += 1
                if chosen is None:
                    chosen = pos
        if chosen is None:
            self._attempt += 1
            return self._start_attempt()
        n = survivors[chosen]
        pi, qi = mine[chosen]
        tests = [
            bp.value(self.index, n, pi, qi, bp.base(self.session, n, r))
            for r in range(1, BIPRIMALITY_ROUNDS + 1)
        ]
        opening = rng.random_bits(256).to_bytes(32, "big") + pack(tests, width_of(self.params.bits))
        self._state = Scratch(n=n, p_share=pi, q_share=qi, opening=opening)
        label = f"a{self._attempt}/commit"
        return self._send(
            "commit",
            commitment(self.session, label, self.index, opening),
            {},
            self._commit_received,
        )

    def _commit_received(self, incoming: Incoming) -> Outgoing:
        for j, d in incoming.broadcasts.items():
            if len(d) != 32:
                raise KeygenAbort(f"{incoming.label}: no commitment", (j,))
        self._state.commitments = dict(incoming.broadcasts)
        return self._send("reveal", self._state.opening, {}, self._reveal_received)

    def _reveal_received(self, incoming: Incoming) -> Outgoing:
        n, commitments = self._state.n, self._state.commitments
        commit_label = incoming.label.replace("/reveal", "/commit")
        openings = dict(incoming.broadcasts)
        openings[self.index] = self._state.opening
        rounds: list[dict[int, int]] = [{} for _ in range(BIPRIMALITY_ROUNDS)]
        for j, opening in openings.items():
            if (
                j != self.index
                and commitment(self.session, commit_label, j, opening) != commitments[j]
            ):
                raise KeygenAbort(
                    f"{incoming.label}: the opening differs from the commitment", (j,)
                )
            vals = self._read(opening[32:], BIPRIMALITY_ROUNDS, n, sender=j, label=incoming.label)
            for r, v in enumerate(vals):
                rounds[r][j] = v
        if not bp.all_pass(n, rounds):
            self._attempt += 1
            return self._start_attempt()
        derivation = KeyDerivation(
            self.params,
            self.index,
            election_id=self.election_id,
            session=self.session,
            identity_keys=self.identity_keys,
            n=n,
            p_share=self._state.p_share,
            q_share=self._state.q_share,
        )
        self._state = Scratch()
        self._derivation = derivation
        broadcast, private = derivation.first()
        return self._send("key/share", broadcast, private, self._key_share_received)

    # --- key derivation (§12.6) ------------------------------------------------

    def _key_share_received(self, incoming: Incoming) -> Outgoing:
        if self._derivation is None:
            raise ParameterError("key derivation not started")
        broadcast, private = self._derivation.second(incoming)
        return self._send("key/open", broadcast, private, self._key_open_received)

    def _key_open_received(self, incoming: Incoming) -> Outgoing:
        if self._derivation is None:
            raise ParameterError("key derivation not started")
        broadcast = self._derivation.third(incoming)
        return self._send("key/confirm", broadcast, {}, self._confirm_received)

    def _confirm_received(self, incoming: Incoming) -> KeygenResult:
        if self._derivation is None:
            raise ParameterError("key derivation not started")
        public, share, theta = self._derivation.finish(incoming)
        self._derivation = None
        self._state = Scratch()
        self._label = "done"
        return KeygenResult(public, share, theta, self.statistics())
