"""One-off recorder of a committee-generated key ceremony (docs/spec.md §12.8).

    .venv/bin/python tests/vectors/make_keygen_ceremony.py   # rewrites recorded/keygen-512.json

Runs the trustees' key generation once, in memory (tests/support/keygen_run.py),
at 512 bits with t = 3 of ℓ = 5, by the committee of the vectors (generate.py's
``make_committee("test-512", …)``: the identity seeds sign the rounds, the
sealing keys seal the letters), publishes the key ceremony (version 3,
``generation = "committee"``) with ``publish_generated``, lets every trustee
decrypt the test ciphertext under H_E of the test manifest for this election,
and writes all of it to ``recorded/keygen-512.json``.

Why this is not part of generate.py: the vectors must come out byte-identical
every time ``make vectors`` runs, but a key generation is random through and
through: the trustees' prime shares, the sieve, the biprimality salts, the
sharings, the masks and the decryption proofs all draw from the operating
system (crypto/primitives/rng.py), and the protocol offers no way to feed it
coins (nor should it). So the run is made once, here, and its output is kept
as a recording; generate.py reads that file, verifies it again under
``KeyPolicy.TESTING`` and writes the deterministic vector ``keygen.json`` from
it, which the Python and the JavaScript tests read. Re-running this script
gives a different (equally valid) ceremony: do so only when the key
ceremony's or the key generation's format changes, then run ``make vectors``
and review both diffs.

TEST ONLY: the key shares are recorded in clear.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
if str(TESTS) not in sys.path:  # run as a script: tests/support, tests/vectors
    sys.path.insert(0, str(TESTS))

from support.keygen_run import run  # noqa: E402
from vectors import generate as gen  # noqa: E402

from kiemphieu.crypto import codec  # noqa: E402
from kiemphieu.crypto.election.ceremony import (  # noqa: E402
    check_test_decryption,
    publish_generated,
    verify_key_ceremony,
)
from kiemphieu.crypto.election.context import ElectionContext  # noqa: E402
from kiemphieu.crypto.keygen.parameters import KeygenParameters  # noqa: E402
from kiemphieu.crypto.primitives import rng  # noqa: E402
from kiemphieu.crypto.primitives.combination import decryption_share  # noqa: E402
from kiemphieu.crypto.primitives.paillier import KeyPolicy  # noqa: E402
from kiemphieu.crypto.primitives.proofs.decryption import mask_bits  # noqa: E402

RECORDER = "tests/vectors/make_keygen_ceremony.py"
OUT = HERE / "recorded" / "keygen-512.json"
ELECTION_ID = "test-election-generated"
COMMITTEE_LABEL = "test-512"
BITS, T, L, BATCH = 512, 3, 5, 64


def record() -> dict[str, Any]:
    """Run the key generation once and return the recording (see the module docstring)."""
    committee = gen.make_committee(COMMITTEE_LABEL, L, BITS)
    seeds = {i: gen.seed_of(f"{COMMITTEE_LABEL}/trustee-{i}/identity") for i in range(1, L + 1)}
    sealing = {i: gen.seed_of(f"{COMMITTEE_LABEL}/trustee-{i}/sealing") for i in range(1, L + 1)}
    state, results = run(
        KeygenParameters(BITS, T, L), ELECTION_ID, BATCH, seeds=seeds, sealing=sealing
    )
    key = results[1].public
    ceremony = publish_generated(ELECTION_ID, committee, key, state.evidence(results))
    verified = verify_key_ceremony(ceremony, KeyPolicy.TESTING)
    context = ElectionContext(gen.make_manifest(ELECTION_ID), ceremony, KeyPolicy.TESTING).hash
    bits = mask_bits(key.n, key.delta)
    masks = {j: rng.random_bits(bits) for j in results}
    shares = [
        decryption_share(results[j].share, ceremony.test_ciphertext, context, r=masks[j])
        for j in sorted(results)
    ]
    check_test_decryption(verified, shares, context)
    return {
        "about": {
            "recorder": RECORDER,
            "spec": "docs/spec.md",
            "contents": (
                f"One key generation by the committee (§12), {BITS} bits, t = {T} of ℓ = {L}, "
                f"batch K = {BATCH}, by the members of generate.py's committee "
                f"'{COMMITTEE_LABEL}': the key ceremony it publishes (§12.8), every trustee's "
                "key share s_i, H_E of generate.py's test manifest for this election "
                "(context), and each trustee's decryption share of the test ciphertext "
                "under it with its proof's mask r. Random: made once, read by generate.py."
            ),
            "test_only": gen.TEST_ONLY + " The key shares are published here.",
        },
        "election_id": ELECTION_ID,
        "committee": COMMITTEE_LABEL,
        "parameters": {"bits": BITS, "t": T, "l": L, "batch": BATCH},
        "key_ceremony": codec.to_wire(ceremony),
        "test_only_key_shares": [
            {"index": j, "s": gen.hexint(results[j].share.s)} for j in sorted(results)
        ],
        "context": context.hex(),
        "decryption_shares": [
            {"r": gen.hexint(masks[s.index]), "share": codec.to_wire(s)} for s in shares
        ],
    }


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gen.render(record()))
    print(f"{OUT.relative_to(TESTS.parent)}: {OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
