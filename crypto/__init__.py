"""kiemphieu.crypto: the pure cryptographic core (docs/spec.md).

Nothing in this package touches files, the network or a web framework; an
observer verifies an election record with this package alone.
"""

SPEC_VERSION = 2
