"""Test tool: a large, valid election record, made fast (issue 6, benchmarks).

Never shipped and never part of an election: it plays the dealer, every voter
and every trustee at once, which no real party ever does. It makes the record
the verifier's throughput is measured on (tests/benchmarks/verify_throughput.py)::

    .venv/bin/python tests/benchmarks/record_generator.py --ballots 10000 \
        --out /tmp/bench-10k.zip [--bits 3072] [--revotes 100] [--workers 2]

The election: a QĐ 96 confidence vote on five people (three levels and the
blank: k = 4 allowed plaintexts per row, five membership proofs per ballot),
a 3072-bit key under ``KeyPolicy.STANDARD`` dealt to 5 trustees with t = 3,
``--ballots`` ballots on the board of which ``--revotes`` are second ballots
(last-counts), tallied by trustees 1–3. The board, receipts, counted set,
encrypted tally, shares, counts, result and minutes come from
tests/support/record_factory.py (:class:`RecordBuilder`); only the ballots are
made here, then posted to the builder.

Shortcuts (test only; each keeps every proof, signature and hash valid)
-----------------------------------------------------------------------
The costly part of a ballot is its n-th powers modulo n²: r^n for each
ciphertext, w^n for each real commitment, z_i^n for each simulated branch.

1. **A pool of precomputed units.** ``--pool`` units x_j and x_j^n mod n² are
   computed once, with the dealer's factorization (CRT modulo p² and q²).
   Every unit a ballot needs (r, w, and the s_i below) is the product of three
   pool units picked with ``secrets``; its n-th power is the product of theirs,
   since (x·y mod n)^n ≡ x^n·y^n (mod n²). So no n-th power is computed per
   ballot. These coins are far from uniform (a few million products of a pool
   of a few hundred): fine for a benchmark, since the verifier's work does not
   depend on how the prover chose its coins, and never acceptable for a vote.
2. **Simulated branches without an exponentiation modulo n².** With
   c = (1 + m·n)·r^n, the simulator's response is taken as z_i = s_i·r^(e_i)
   mod n for a pool product s_i; then a_i = s_i^n·(1 + e_i·(m_i − m)·n) mod n²
   satisfies z_i^n ≡ a_i·u_i^(e_i) (mod n²) exactly as the honest simulator's
   a_i = z_i^n·u_i^(−e_i) does (same distribution for uniform s_i), and costs
   two multiplications. The true branch is the prover's (spec §7.2):
   a = w^n, e = challenge − Σ e_i, z = w·r^e mod n.

The Fiat–Shamir challenge is the production one
(:func:`kiemphieu.crypto.primitives.proofs.membership.fiat_shamir`), the
ballot is signed by its credential like any other, and at the end a sample of
the ballots is re-read from the archive and verified with the production
:func:`~kiemphieu.crypto.election.ballot.verify_ballots` (every proof), and the
first ciphertext is compared with ``PublicKey.encrypt``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import gmpy2
from gmpy2 import mpz

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # run as a script: tests/support/record_factory.py
    sys.path.insert(0, str(TESTS))

from support.committee import hold_ceremony, make_committee  # noqa: E402
from support.record_factory import RecordBuilder, RecordOptions  # noqa: E402

from kiemphieu.crypto.election.ballot import (  # noqa: E402
    ZERO_SIGNATURE,
    Ballot,
    EncryptedAnswer,
    VerifiedBallot,
    allowed_values,
    part_indices,
    signing_message,
    verify_ballots,
)
from kiemphieu.crypto.election.context import ElectionContext  # noqa: E402
from kiemphieu.crypto.election.credential import CredentialKey  # noqa: E402
from kiemphieu.crypto.election.manifest import Manifest, QuestionKind  # noqa: E402
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml  # noqa: E402
from kiemphieu.crypto.primitives import rng  # noqa: E402
from kiemphieu.crypto.primitives.paillier import KeyPolicy  # noqa: E402
from kiemphieu.crypto.primitives.primes import safe_prime_pair  # noqa: E402
from kiemphieu.crypto.primitives.proofs.membership import (  # noqa: E402
    E_MOD,
    MembershipProof,
    MembershipStatement,
    fiat_shamir,
)
from kiemphieu.crypto.primitives.proofs.pedersen import RING_PEDERSEN_BITS  # noqa: E402
from kiemphieu.crypto.primitives.threshold import Dealing  # noqa: E402
from kiemphieu.crypto.primitives.transcript import CHALLENGE_BITS  # noqa: E402
from kiemphieu.crypto.record.archive import RecordArchive  # noqa: E402
from kiemphieu.crypto.record.documents import RecordState  # noqa: E402

ELECTION_ID = "bench-record"
ROWS = 5
SAMPLE = 40
"""Ballots re-read from the archive and verified with the production verifier."""

MANIFEST_TOML = """\
election_id = "{election_id}"

[title]
vi = "Lấy phiếu tín nhiệm (bản ghi thử hiệu năng)"
en = "Confidence vote (benchmark record)"

[description]
vi = "Bản ghi lớn dùng để đo tốc độ kiểm tra."
en = "A large record for measuring the verifier."

[rules]
summoned = {summoned}
quorum = "2/3"
denominator = "returned"
revote = "last-counts"
trustees = 5
threshold = 3

[[rules.thresholds]]
id = "low-more-than-half"
question = "leaders"
slot = "low"
comparison = "more-than"
fraction = "1/2"
denominator = "returned"
label = {{ vi = "Quá nửa tín nhiệm thấp", en = "More than half low confidence" }}

[[questions]]
id = "leaders"
kind = "confidence"
title = {{ vi = "Lãnh đạo", en = "Leaders" }}
levels = [
  {{ id = "high", vi = "Tín nhiệm cao", en = "High confidence" }},
  {{ id = "mid", vi = "Tín nhiệm", en = "Confidence" }},
  {{ id = "low", vi = "Tín nhiệm thấp", en = "Low confidence" }},
]
rows = [
{rows}
]
"""


def bench_manifest(voters: int, election_id: str = ELECTION_ID) -> Manifest:
    """The five-row confidence vote (QĐ 96 flag at more than half low)."""
    rows = ",\n".join(
        f'  {{ id = "p{i}", vi = "Người thứ {i}", en = "Person {i}" }}' for i in range(1, ROWS + 1)
    )
    return manifest_from_toml(
        MANIFEST_TOML.format(election_id=election_id, summoned=max(voters, 1), rows=rows)
    )


# --- the pool of units with their n-th powers -------------------------------------


@dataclass(frozen=True)
class Pool:
    """Units x_j mod n and x_j^n mod n² (test only: see the module docstring)."""

    n: int
    n2: int
    units: tuple[int, ...]
    powers: tuple[int, ...]

    def draw(self) -> tuple[mpz, mpz]:
        """(x, x^n mod n²) for x the product of three pool units picked at random."""
        size = len(self.units)
        x, xn = mpz(1), mpz(1)
        for _ in range(3):
            j = secrets.randbelow(size)
            x = x * self.units[j] % self.n
            xn = xn * self.powers[j] % self.n2
        return x, xn


def make_pool(dealing: Dealing, primes: tuple[int, int], size: int) -> Pool:
    """``size`` random units and their n-th powers, by CRT modulo p² and q²."""
    p, q = primes
    n = dealing.public.n
    n2 = n * n
    p2, q2 = mpz(p) * p, mpz(q) * q
    ep, eq = mpz(n) % (p * (p - 1)), mpz(n) % (q * (q - 1))  # orders of Z*_{p²}, Z*_{q²}
    q2_inv = gmpy2.invert(q2, p2)
    units, powers = [], []
    for _ in range(size):
        x = rng.random_unit(n)
        xp = gmpy2.powmod(x, ep, p2)
        xq = gmpy2.powmod(x, eq, q2)
        powers.append(int(xq + q2 * ((xp - xq) * q2_inv % p2)))  # CRT
        units.append(x)
    if gmpy2.powmod(units[0], n, n2) != powers[0]:
        raise AssertionError("CRT n-th power differs from the direct one")
    return Pool(n, n2, tuple(units), tuple(powers))


# --- ballots -----------------------------------------------------------------------


def prove_part(
    ctx: ElectionContext, pool: Pool, st_base: MembershipStatement, index: int
) -> tuple[int, MembershipProof]:
    """The ciphertext of allowed[index] and its membership proof (module docstring)."""
    n, n2 = pool.n, pool.n2
    allowed = st_base.allowed
    m = allowed[index]
    r, rn = pool.draw()
    c = int((1 + (m % n) * n) * rn % n2)
    st = dataclasses.replace(st_base, c=c)
    k = len(allowed)
    a: list[int] = [0] * k
    e: list[int] = [0] * k
    z: list[int] = [0] * k
    w, wn = pool.draw()
    for i in range(k):
        if i == index:
            a[i] = int(wn)
            continue
        ei = secrets.randbits(CHALLENGE_BITS)
        s, sn = pool.draw()
        e[i] = ei
        z[i] = int(s * gmpy2.powmod(r, ei, n) % n)
        a[i] = int(sn * (1 + (ei * (allowed[i] - m)) % n * n) % n2)
    total = fiat_shamir(ctx.public_key, st, a)
    e[index] = (total - sum(e[i] for i in range(k) if i != index)) % E_MOD
    z[index] = int(w * gmpy2.powmod(r, e[index], n) % n)
    return c, MembershipProof(tuple(a), tuple(e), tuple(z))


def fast_ballot(
    ctx: ElectionContext, pool: Pool, key: CredentialKey, votes: dict[str, object]
) -> Ballot:
    """A signed ballot for ``votes`` whose proofs verify (confidence and single
    choice questions; multiple choice is not needed here)."""
    answers = []
    for q in ctx.manifest.questions:
        if q.kind is QuestionKind.MULTIPLE:
            raise ValueError("the generator makes confidence and single-choice answers only")
        allowed = allowed_values(ctx, q)
        cts, proofs = [], []
        for part, idx in zip(q.parts, part_indices(q, votes[q.id]), strict=True):  # type: ignore[arg-type]
            st = MembershipStatement(0, allowed, ctx.hash, key.public, q.id, part)
            c, proof = prove_part(ctx, pool, st, idx)
            cts.append(c)
            proofs.append(proof)
        answers.append(EncryptedAnswer(q.id, tuple(cts), tuple(proofs), None))
    unsigned = Ballot(ctx.hash, key.public, tuple(answers), ZERO_SIGNATURE)
    return dataclasses.replace(unsigned, signature=key.sign(signing_message(unsigned)))


def votes_for(number: int) -> dict[str, object]:
    """Varied choices: levels cycle through high/mid/low/blank per row."""
    levels = tuple(None if (number + r) % 7 == 6 else (number * 3 + r) % 3 for r in range(ROWS))
    return {"leaders": levels}


# --- parallel ballot making --------------------------------------------------------

_WORKER: tuple[ElectionContext, Pool, tuple[CredentialKey, ...]] | None = None


def _init_worker(ctx: ElectionContext, pool: Pool, keys: tuple[CredentialKey, ...]) -> None:
    global _WORKER  # noqa: PLW0603 - one context per worker process, set once
    _WORKER = (ctx, pool, keys)


def _make(job: tuple[int, int]) -> Ballot:
    number, voter = job
    if _WORKER is None:
        raise RuntimeError("worker not initialised")
    ctx, pool, keys = _WORKER
    return fast_ballot(ctx, pool, keys[voter], votes_for(number))


def _jobs(voters: int, ballots: int, revotes: int) -> Iterator[tuple[int, int]]:
    """(ballot number, voter): every voter once, then ``revotes`` voters again,
    spread over the roll."""
    step = max(voters // max(revotes, 1), 1)
    for number in range(ballots):
        yield number, number if number < voters else ((number - voters) * step) % voters


@dataclass(frozen=True)
class Generated:
    path: str
    bits: int
    ballots: int
    voters: int
    counted: int
    board_size: int
    size_bytes: int
    seconds: dict[str, float]
    pool: int
    workers: int
    sample_verified: int


def generate(
    out: Path,
    *,
    ballots: int,
    revotes: int,
    bits: int = 3072,
    pool_size: int = 256,
    workers: int = 1,
    policy: KeyPolicy = KeyPolicy.STANDARD,
    primes: tuple[int, int] | None = None,
    progress: bool = True,
) -> Generated:
    """Write a tallied record of ``ballots`` ballots (``revotes`` of them second
    ballots) to ``out`` and check a sample of it with the production verifier."""
    if not 0 <= revotes < ballots:
        raise ValueError("need 0 <= revotes < ballots")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    primes = primes or safe_prime_pair(bits)
    pedersen = safe_prime_pair(bits if policy is KeyPolicy.TESTING else RING_PEDERSEN_BITS)
    held = hold_ceremony(ELECTION_ID, make_committee(pedersen), primes)
    dealing = held.dealing
    seconds["dealing"] = time.perf_counter() - t0
    voters = ballots - revotes
    manifest = bench_manifest(voters)
    t0 = time.perf_counter()
    pool = make_pool(dealing, primes, pool_size)
    seconds["pool"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with out.open("wb") as stream:
        options = RecordOptions(voters=voters, state=RecordState.TALLIED, policy=policy)
        builder = RecordBuilder(held, manifest, stream, options)
        ctx = builder.ctx
        first_r_check(ctx, pool)
        jobs = _jobs(voters, ballots, revotes)
        done = 0
        if workers > 1:
            with multiprocessing.get_context("fork").Pool(
                workers, initializer=_init_worker, initargs=(ctx, pool, builder.keys)
            ) as procs:
                for ballot in procs.imap(_make, jobs, chunksize=16):
                    builder.post(ballot)
                    done += 1
                    _progress(progress, done, ballots, t0)
        else:
            _init_worker(ctx, pool, builder.keys)
            for job in jobs:
                ballot = _make(job)
                builder.post(ballot)
                done += 1
                _progress(progress, done, ballots, t0)
        seconds["ballots"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = builder.finish()
        seconds["finish"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    checked = check_sample(out, ctx)
    seconds["sample_check"] = time.perf_counter() - t0
    return Generated(
        path=str(out),
        bits=bits,
        ballots=ballots,
        voters=voters,
        counted=len(summary.counted),
        board_size=summary.index.board_size,
        size_bytes=out.stat().st_size,
        seconds={k: round(v, 2) for k, v in seconds.items()},
        pool=pool_size,
        workers=workers,
        sample_verified=checked,
    )


def _progress(on: bool, done: int, total: int, t0: float) -> None:
    if on and (done % 500 == 0 or done == total):
        rate = done / max(time.perf_counter() - t0, 1e-9)
        print(f"  {done}/{total} ballots ({rate:.0f}/s)", file=sys.stderr, flush=True)


def first_r_check(ctx: ElectionContext, pool: Pool) -> None:
    """The pool's encryption equals ``PublicKey.encrypt`` for the same r."""
    r, rn = pool.draw()
    pk = ctx.public_key
    if int((1 + 2 * pk.n) * rn % pk.n2) != pk.encrypt(2, int(r)):
        raise AssertionError("pool encryption differs from PublicKey.encrypt")


def check_sample(path: Path, ctx: ElectionContext, sample: int = SAMPLE) -> int:
    """Verify the first ``sample`` ballots of the archive with verify_ballots."""
    ballots: list[Ballot] = []
    with path.open("rb") as f, RecordArchive(f) as record:
        for segment in record.segments():
            ballots += [i.ballot for i in segment.items if i.ballot is not None]
            if len(ballots) >= sample:
                break
    outcomes = verify_ballots(ctx, ballots[:sample])
    bad = [i for i, o in enumerate(outcomes) if not isinstance(o, VerifiedBallot)]
    if bad:
        raise AssertionError(f"generated ballots {bad} do not verify: {outcomes[bad[0]]}")
    return len(outcomes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the record to write (zip)")
    parser.add_argument("--ballots", type=int, default=10_000)
    parser.add_argument("--revotes", type=int, default=100, help="second ballots among them")
    parser.add_argument("--bits", type=int, default=3072, choices=(2048, 3072, 4096))
    parser.add_argument("--pool", type=int, default=256, help="precomputed units")
    parser.add_argument("--workers", type=int, default=1, help="processes making ballots")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    got = generate(
        args.out,
        ballots=args.ballots,
        revotes=args.revotes,
        bits=args.bits,
        pool_size=args.pool,
        workers=args.workers,
        policy=KeyPolicy.STANDARD if args.bits >= 3072 else KeyPolicy.SHORT_LIVED,
    )
    text = json.dumps(dataclasses.asdict(got), indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
