"""Human references, display codes and secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# No 0/O, 1/I/L, 5/S, 2/Z: references are read aloud and typed from paper.
REFERENCE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
REFERENCE_LENGTH = 8


def new_reference() -> str:
    """A short human appointment reference such as `K7MQ-4XT9`."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


def normalise_reference(text: str) -> str:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == REFERENCE_LENGTH else text.upper()


def display_code(prefix: str, number: int) -> str:
    """Ticket display code: prefix and a number of at least three digits (`A042`), wider past 999 (`A1000`)."""
    return f"{prefix}{number:03d}"


def new_nonce() -> str:
    return secrets.token_hex(16)


def patient_token(secret_key: str, kind: str, record_id: int, nonce: str) -> str:
    """The secret a patient holds for their own appointment or ticket.

    Derived, not stored: the database keeps only a random nonce, so a retried
    booking can hand back the same token and a database leak reveals none.
    """
    message = f"{kind}:{record_id}:{nonce}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def token_matches(secret_key: str, kind: str, record_id: int, nonce: str, given: str) -> bool:
    expected = patient_token(secret_key, kind, record_id, nonce)
    return hmac.compare_digest(expected.encode(), given.encode())


def new_api_token() -> str:
    return "sq_" + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
