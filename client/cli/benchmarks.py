"""What ``kiemphieu bench`` measures: each function times one thing and returns
seconds per operation (docs/performance.md).

Everything runs through the production code paths of :mod:`kiemphieu.crypto`;
the only test-size concession is the key policy, which the caller chooses
(:func:`policy_for` for production sizes).

The clock is the CPU time of this process (``time.process_time``): every
timed operation runs in this one single-threaded process, so that is its cost
on one core. It equals wall-clock time on an idle machine and, unlike wall
time, does not grow when other processes share the cores. Only the ballots
of a verification batch may be *made* by several processes; making them is
not what is timed.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from gmpy2 import mpz

from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election import ceremony as key_ceremony
from kiemphieu.crypto.election import committee as cm
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.election.manifest import (
    Choice,
    LocalizedText,
    Manifest,
    Question,
    QuestionKind,
)
from kiemphieu.crypto.errors import VerificationError
from kiemphieu.crypto.primitives import combination, threshold
from kiemphieu.crypto.primitives.numbers import powmod
from kiemphieu.crypto.primitives.paillier import KeyPolicy, PublicKey
from kiemphieu.crypto.primitives.primes import safe_prime, safe_prime_pair
from kiemphieu.crypto.primitives.proofs import factor, membership, pedersen
from kiemphieu.crypto.primitives.threshold import Dealing, VerifiedKeyShare

T = TypeVar("T")

ELECTION_ID = "bench"
TRUSTEES = 5
THRESHOLD = 3
ROWS = 5
LEVELS = ("high", "mid", "low")
CIPHERTEXTS = 4
"""Ciphertexts in the batched share verification (× TRUSTEES shares)."""

MIN_RUN_SECONDS = 0.05
"""A timed run of a fast operation loops until it lasts about this long."""

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Stats:
    """Seconds per operation over several runs."""

    median: float
    min: float
    max: float
    runs: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        if not samples:
            raise ValueError("no samples")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))

    def scaled(self, factor: float) -> Stats:
        """The same figures times ``factor`` (for example per item of a batch)."""
        return Stats(self.median * factor, self.min * factor, self.max * factor, self.runs)


def policy_for(bits: int) -> KeyPolicy:
    """The production policy of a modulus size: SHORT_LIVED for 2048, else STANDARD."""
    return KeyPolicy.SHORT_LIVED if bits == 2048 else KeyPolicy.STANDARD


clock = time.process_time
"""The clock of every figure: CPU seconds of this process."""


def timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """fn(*args) and the CPU seconds it took in this process."""
    start = clock()
    value = fn(*args)
    return value, clock() - start


def per_call(fn: Callable[[], object], repeat: int) -> Stats:
    """Seconds per call of ``fn`` over ``repeat`` runs; fast calls are looped
    within a run (about MIN_RUN_SECONDS) and averaged."""
    _, first = timed(fn)
    loops = max(1, int(MIN_RUN_SECONDS / max(first, 1e-9)))
    samples = []
    for _ in range(repeat):
        start = clock()
        for _ in range(loops):
            fn()
        samples.append((clock() - start) / loops)
    return Stats.of(samples)


# --- the election used throughout ---------------------------------------------


def _text(s: str) -> LocalizedText:
    return LocalizedText(s, s)


def bench_manifest() -> Manifest:
    """One confidence question: 5 rows, 3 levels and the blank slot (k = 4)."""
    levels = tuple(Choice(level, _text(level)) for level in LEVELS)
    rows = tuple(Choice(f"p{i}", _text(f"Person {i}")) for i in range(1, ROWS + 1))
    question = Question(
        "confidence", QuestionKind.CONFIDENCE, _text("Confidence"), levels, rows, blank=True
    )
    return Manifest(ELECTION_ID, _text("Benchmark"), _text("kiemphieu bench"), (question,))


def random_votes() -> dict[str, Any]:
    """A random confidence vote: a level or blank (None) per row."""
    choices: list[int | None] = [*range(len(LEVELS)), None]
    return {"confidence": tuple(secrets.choice(choices) for _ in range(ROWS))}


# --- primitives ---------------------------------------------------------------


def primitives(pk: PublicKey, radix: int, repeat: int) -> dict[str, Stats]:
    """Modular arithmetic, encryption, one membership proof (k = 4)."""
    n, n2 = pk.n, pk.n2
    r = pk.random_r()
    x = secrets.randbelow(n2)
    e = secrets.randbits(128) | 1 << 127
    a, b, m2 = mpz(x), mpz(secrets.randbelow(n2)), mpz(n2)

    def mul() -> None:
        nonlocal a
        a = a * b % m2

    allowed = tuple(radix**j for j in range(len(LEVELS) + 1))
    r_vote = pk.random_r()
    st = membership.MembershipStatement(
        pk.encrypt(allowed[1], r_vote), allowed, bytes(32), bytes(32), "confidence", "p1"
    )
    proof = membership.prove(pk, st, 1, r_vote)
    return {
        "r_pow_n_mod_n2": per_call(lambda: pk.rn(r), repeat),
        "pow_128bit_mod_n2": per_call(lambda: powmod(x, e, n2), repeat),
        "mul_mod_n2": per_call(mul, repeat),
        "encrypt": per_call(lambda: pk.encrypt(secrets.randbelow(n)), repeat),
        "membership_prove_k4": per_call(lambda: membership.prove(pk, st, 1, r_vote), repeat),
        "membership_verify_k4": per_call(lambda: membership.verify(pk, st, proof), repeat),
    }


def safe_primes(bits: int, repeat: int, progress: Progress) -> Stats:
    """One safe prime of bits/2 bits (half of a modulus), ``repeat`` times."""
    samples = []
    for i in range(repeat):
        _, seconds = timed(safe_prime, bits // 2)
        samples.append(seconds)
        progress(f"safe prime {i + 1}/{repeat}: {seconds:.2f} s")
    return Stats.of(samples)


# --- the committee: ring-Pedersen parameters, no-small-factor proofs -----------


def pedersen_bits(policy: KeyPolicy, bits: int) -> int:
    """‖N̂‖ that ``trustee init`` makes: 2048 bits, or the test modulus size."""
    return bits if policy is KeyPolicy.TESTING else pedersen.RING_PEDERSEN_BITS


def committee(bits: int, policy: KeyPolicy, progress: Progress) -> tuple[cm.Committee, Stats]:
    """TRUSTEES members as ``trustee init`` makes them (fresh N̂ of safe primes,
    Π^prm, a signed card) and a registrar; the seconds of one member's init."""
    members = []
    samples = []
    for i in range(1, TRUSTEES + 1):
        seed = secrets.token_bytes(32)
        identity = cm.make_registrar(seed, "x").identity_key
        start = clock()
        params = pedersen.make_ring_pedersen(
            pedersen_bits(policy, bits), cm.pedersen_binding(identity)
        )
        card = cm.make_card(seed, secrets.token_bytes(32), f"Trustee {i}", "", params)
        samples.append(clock() - start)
        members.append(cm.place(i, card))
        progress(f"trustee {i} init (N̂, Π^prm, card): {samples[-1]:.2f} s")
    registrar = cm.make_registrar(secrets.token_bytes(32), "Registrar")
    return cm.Committee(tuple(members), registrar), Stats.of(samples)


def factor_proofs(
    run: Ceremony, members: cm.Committee, policy: KeyPolicy, repeat: int
) -> dict[str, Stats]:
    """Π^prm verified (one member's parameters); Π^fac made and verified to one
    member's parameters at the ceremony's modulus size."""
    params = members.trustees[0].pedersen
    binding = cm.pedersen_binding(members.trustees[0].identity_key)
    primes = run.primes
    context: list[str | int] = [ELECTION_ID, 1]
    proof = factor.prove_factors(primes[0], primes[1], params, context)
    n = primes[0] * primes[1]
    return {
        "pedersen_verify": per_call(
            lambda: pedersen.verify_ring_pedersen(params, binding, policy), repeat
        ),
        "factor_prove": per_call(
            lambda: factor.prove_factors(primes[0], primes[1], params, context), repeat
        ),
        "factor_verify": per_call(lambda: factor.verify_factors(n, proof, params, context), repeat),
    }


# --- the dealer ceremony ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ceremony:
    """A dealing that passed every ceremony check, and the seconds of each step."""

    dealing: Dealing
    shares: tuple[VerifiedKeyShare, ...]
    context: ElectionContext
    steps: dict[str, float]
    primes: tuple[int, int] = (0, 0)
    """The primes of n, kept by the benchmark only to time the factor proof alone."""


def ceremony(bits: int, policy: KeyPolicy, manifest: Manifest, members: cm.Committee) -> Ceremony:
    """The dealer ceremony for 5 trustees, threshold 3 (docs/spec.md §4, §11 steps 1–3).

    ``deal``: primes, shares, v_i, modulus proof, a factor proof to each
    trustee, test ciphertext c_T. ``verify_ceremony``: the published key
    checked as an observer does: the modulus proof, the committee (cards,
    Π^prm), the factor proofs, v, the verification keys' consistency, x_T and c_T.
    ``check_shares``: every trustee checks its share against v_i.
    ``test_shares``: every trustee posts a share of c_T with its proof.
    ``check_test_decryption``: every share verified, every t-subset combined
    to x_T. Raises a VerificationError subclass if a check fails.
    """
    steps: dict[str, float] = {}
    verifiers = [m.pedersen for m in members.trustees]
    primes, steps["primes"] = timed(safe_prime_pair, bits)
    dealing, steps["deal"] = timed(
        lambda: threshold.deal(
            ELECTION_ID, bits, THRESHOLD, TRUSTEES, policy, verifiers=verifiers, primes=primes
        )
    )
    published = key_ceremony.publish(dealing, ELECTION_ID, members)
    verified, steps["verify_ceremony"] = timed(key_ceremony.verify_key_ceremony, published, policy)
    shares, steps["check_shares"] = timed(
        lambda: tuple(threshold.check_share(share) for share in dealing.shares)
    )
    ctx = ElectionContext(manifest, verified.ceremony, policy)
    c_t = published.test_ciphertext
    posted, steps["test_shares"] = timed(
        lambda: [combination.decryption_share(share, c_t, ctx.hash) for share in shares]
    )
    _, steps["check_test_decryption"] = timed(
        key_ceremony.check_test_decryption, verified, posted, ctx.hash
    )
    steps["total"] = sum(steps.values())
    return Ceremony(dealing, shares, ctx, steps, primes)


def ceremonies(
    bits: int, policy: KeyPolicy, count: int, members: cm.Committee, progress: Progress
) -> tuple[Ceremony, dict[str, Stats]]:
    """``count`` ceremonies to ``members``; the last one, and median/min/max of every step."""
    manifest = bench_manifest()
    runs = []
    for i in range(count):
        runs.append(ceremony(bits, policy, manifest, members))
        steps = runs[-1].steps
        progress(f"ceremony {i + 1}/{count}: {steps['total']:.1f} s (deal {steps['deal']:.1f} s)")
    names = runs[-1].steps.keys()
    return runs[-1], {name: Stats.of([run.steps[name] for run in runs]) for name in names}


# --- ballots ------------------------------------------------------------------


def _encrypt_ballots(ctx: ElectionContext, count: int) -> list[bl.Ballot]:
    """``count`` ballots, each under a fresh credential, with random votes."""
    out = []
    for _ in range(count):
        key = derive_key(new_code(), ctx.election_id, ctx.registrar_key)
        out.append(bl.encrypt_ballot(ctx, key, random_votes()))
    return out


def make_ballots(ctx: ElectionContext, count: int, workers: int) -> list[bl.Ballot]:
    """``count`` ballots, made by up to ``workers`` processes."""
    workers = max(1, min(workers, count))
    if workers == 1:
        return _encrypt_ballots(ctx, count)
    chunks = [count // workers + (i < count % workers) for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = pool.map(_encrypt_ballots, [ctx] * workers, chunks)
        return [ballot for part in parts for ballot in part]


def ballots(
    ctx: ElectionContext, repeat: int, batch: int, workers: int, progress: Progress
) -> dict[str, Stats]:
    """Prove one 5-row ballot; verify it alone; verify ``batch`` ballots together
    with :func:`verify_ballots` (signatures and structure included), per ballot."""
    extra = max(0, batch - repeat)
    progress(f"making {extra} ballots for the batch (made by {workers} process(es), not timed)")
    made = make_ballots(ctx, extra, workers)
    prove_times = []
    for _ in range(repeat):
        key = derive_key(new_code(), ctx.election_id, ctx.registrar_key)
        votes = random_votes()
        ballot, seconds = timed(bl.encrypt_ballot, ctx, key, votes)
        made.append(ballot)
        prove_times.append(seconds)
    progress(f"ballot prove: {statistics.median(prove_times):.3f} s")
    verify_times = []
    for ballot in made[-repeat:]:
        _, seconds = timed(bl.verify_ballot, ctx, ballot)
        verify_times.append(seconds)
    group = made[:batch]
    batch_times = []
    for _ in range(repeat):
        outcome, seconds = timed(bl.verify_ballots, ctx, group)
        for result in outcome:
            if isinstance(result, VerificationError):
                raise result
        batch_times.append(seconds)
        progress(f"batch of {len(group)}: {seconds / len(group) * 1000:.1f} ms per ballot")
    return {
        "prove": Stats.of(prove_times),
        "verify": Stats.of(verify_times),
        "verify_batched": Stats.of(batch_times).scaled(1 / len(group)),
    }


# --- decryption shares --------------------------------------------------------


def decryption(run: Ceremony, repeat: int, progress: Progress) -> dict[str, Stats]:
    """A share with its proof; its verification alone; batched verification of
    TRUSTEES × CIPHERTEXTS shares, per share."""
    key = run.dealing.public
    pk = key.public_key
    context = run.context.hash
    cts = [pk.encrypt(secrets.randbelow(pk.n)) for _ in range(CIPHERTEXTS)]
    pairs = [(c, share) for c in cts for share in run.shares]
    made: list[tuple[int, combination.DecryptionShare]] = []
    share_times = []
    for c, share in pairs:
        posted, seconds = timed(combination.decryption_share, share, c, context)
        made.append((c, posted))
        share_times.append(seconds)
    progress(f"{len(made)} decryption shares: {statistics.median(share_times):.3f} s each")
    verify_times = []
    for i in range(repeat):
        c, posted = made[i % len(made)]
        _, seconds = timed(combination.verify_decryption_share, key, c, posted, context)
        verify_times.append(seconds)
    batch_times = []
    for _ in range(repeat):
        _, seconds = timed(combination.batch_verify_decryption_shares, key, made, context)
        batch_times.append(seconds)
    return {
        "share_and_proof": Stats.of(share_times),
        "verify": Stats.of(verify_times),
        "verify_batched": Stats.of(batch_times).scaled(1 / len(made)),
    }
