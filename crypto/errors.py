"""One exception tree for the cryptographic core (docs/spec.md §1.4).

Every verification step raises a subclass of :class:`VerificationError` naming
what failed; messages never carry secret values.
"""

from __future__ import annotations


class KiemphieuCryptoError(Exception):
    """Root of every error raised by ``kiemphieu.crypto``."""


class ParameterError(KiemphieuCryptoError):
    """Parameters refused: modulus too short for the policy, bad t/ℓ, bad sizes."""


class DecodeError(KiemphieuCryptoError):
    """A wire or record object does not follow the codec (docs/spec.md §9).

    ``path`` names the offending field, for example ``answers[2].proof.z[1]``.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '<root>'}: {message}")
        self.path = path or "<root>"
        self.message = message


class VerificationError(KiemphieuCryptoError):
    """A public object failed one of the numbered verification steps."""


class InvalidElement(VerificationError):
    """A group element is out of range or not a unit modulo n."""


class InvalidProof(VerificationError):
    """A zero-knowledge proof does not verify."""


class InvalidShare(VerificationError):
    """A key share or decryption share does not match its verification key."""


class InvalidSignature(VerificationError):
    """A credential or identity signature does not verify."""


class InvalidBallot(VerificationError):
    """A ballot is malformed for its election (shape, credential, context)."""


class CombinationError(VerificationError):
    """Decryption shares cannot be combined (too few, duplicates, bad result)."""


class TallyError(VerificationError):
    """An unpacked tally fails the public sanity checks (docs/spec.md §8.7.3)."""


class AuditMismatch(VerificationError):
    """A ballot audit does not re-encrypt to its ballot (docs/spec.md §8.11)."""


class BatchFailure(VerificationError):
    """A batch check failed; ``bad`` lists the indices bisection isolated."""

    def __init__(self, message: str, bad: tuple[int, ...]) -> None:
        super().__init__(f"{message}: bad items {list(bad)}")
        self.bad = bad


class RecordError(KiemphieuCryptoError):
    """An election record archive is malformed: not a zip, a file missing,
    unexpected or too large, or a name that is not allowed (docs/record.md §1)."""


class RecordIntegrityError(VerificationError):
    """A file of an election record differs from the size or SHA-256 that the
    record's index lists for it (docs/record.md §2.1)."""


class KeygenAbort(VerificationError):
    """A distributed key generation stopped (docs/spec.md §12.7); ``accused``
    names the trustees a check found deviating (empty if none can be named)."""

    def __init__(self, message: str, accused: tuple[int, ...] = ()) -> None:
        who = f" (trustee {', '.join(map(str, accused))})" if accused else ""
        super().__init__(f"{message}{who}")
        self.accused = accused
