"""The auditor's toolkit: replay and timeline, seals over the chain heads, the one-case dossier.

The masking helpers are re-exported here because the HTTP API masks listings with the same rules."""

from domain.masking import mask_id_number, mask_name, mask_phone, masked_party, redact

__all__ = ["mask_id_number", "mask_name", "mask_phone", "masked_party", "redact"]
