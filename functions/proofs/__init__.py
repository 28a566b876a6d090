"""Proof of work against floods (docs/spec/pow-v1.md): stateless HMAC-signed challenges
(``challenge``), the API's gate that spends each proof once (``gate``), and where its key
comes from (``secret``)."""

from functions.proofs.challenge import ProofError
from functions.proofs.gate import DEFAULT_DIFFICULTY, Proofs, action_of

__all__ = ["DEFAULT_DIFFICULTY", "ProofError", "Proofs", "action_of"]
