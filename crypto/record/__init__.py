"""The election record: every public object of an election in one archive
(docs/record.md), and the observer's verifier over it (docs/spec.md §11)."""
