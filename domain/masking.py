"""Masking of parties' personal data (docs/domain.md "Personal data"): names, phone numbers and ID numbers.

``mask_*`` mask one known value; :func:`redact` masks them inside free text (descriptions, reasons, terms),
by the parties' known values and by the shapes of mainland phone and ID numbers, so a party named in a
mediator's note does not leak into a listing, a timeline or a dossier."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from domain.events import Party

_PHONE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: the first character stays."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """13800001234 -> 138****1234: the first 3 and last 4 digits stay."""
    phone = phone.strip()
    if len(phone) <= 4:
        return "*" * len(phone)
    if len(phone) <= 7:
        return "*" * (len(phone) - 4) + phone[-4:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(id_number: str) -> str:
    """110101199001011234 -> 110***********1234: the first 3 and last 4 characters stay."""
    id_number = id_number.strip()
    if len(id_number) <= 7:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def masked_party(party: Party) -> dict[str, Any]:
    return {
        "name": mask_name(party.name),
        "role": party.role.value,
        "phone": mask_phone(party.phone) if party.phone else None,
        "id_number": mask_id_number(party.id_number) if party.id_number else None,
    }


def redact(text: str, parties: Iterable[Party] = ()) -> str:
    """``text`` with the parties' names, phones and ID numbers masked, and anything shaped like a mainland
    mobile or ID number masked too. One-character names are left alone: masking them would mangle text."""
    replacements: dict[str, str] = {}
    for party in parties:
        if party.id_number and party.id_number.strip():
            replacements[party.id_number.strip()] = mask_id_number(party.id_number)
        if party.phone and party.phone.strip():
            replacements[party.phone.strip()] = mask_phone(party.phone)
        if len(party.name.strip()) >= 2:
            replacements[party.name.strip()] = mask_name(party.name)
    # Longest first, so a name inside a longer name is not masked half-way.
    for value in sorted(replacements, key=len, reverse=True):
        text = text.replace(value, replacements[value])
    text = _ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group()), text)
    return _PHONE_RE.sub(lambda m: mask_phone(m.group()), text)


def masked_parties(parties: Iterable[Party]) -> tuple[Party, ...]:
    """The parties as a listing shows them (张*, 138****0000, 110***********1234). Built without validation:
    a masked phone or ID number is, on purpose, no longer a valid one."""
    return tuple(Party.model_construct(**{**party.model_dump(), **{k: v for k, v in masked_party(party).items()
                                                                   if k != "role"}}) for party in parties)
