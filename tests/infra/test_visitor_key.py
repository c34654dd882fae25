"""The visitor key (infra/visitors.py): made once on first use, private to its owner, and refused when it is
not 32 bytes; the hashes it makes depend on it and never show the ID number or the phone."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from domain.events import Party
from domain.vocabulary import PartyRole
from infra.visitors import VisitorKeyError, load_visitor_key, marks


def test_the_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "visitor-key"
    key = load_visitor_key(path)
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_visitor_key(path) == key  # the second use reads the first one's key
    with pytest.raises(VisitorKeyError, match="no visitor key"):
        load_visitor_key(tmp_path / "none", create=False)
    (tmp_path / "short").write_text("c2hvcnQ=\n")
    with pytest.raises(VisitorKeyError, match="32 bytes"):
        load_visitor_key(tmp_path / "short")
    (tmp_path / "junk").write_text("not base64 at all!\n")
    with pytest.raises(VisitorKeyError, match="cannot read"):
        load_visitor_key(tmp_path / "junk")


def test_marks_are_keyed_and_normalised() -> None:
    party = Party(name="张三", role=PartyRole.applicant, id_number="11010519491231002x", phone="+86 138-0013-8000")
    same = Party(name="张叁", role=PartyRole.applicant, id_number="11010519491231002X", phone="13800138000")
    (a,), (b,) = marks(b"k" * 32, [party]), marks(b"k" * 32, [same])
    assert a == b
    (c,) = marks(b"j" * 32, [party])
    assert c.id_digest != a.id_digest and c.phone_digest != a.phone_digest
    assert b"13800138000" not in (a.phone_digest or b"") and len(a.id_digest or b"") == 32
    nobody = Party(name="李四", role=PartyRole.applicant)
    assert marks(b"k" * 32, [nobody]) == []  # neither ID number nor phone: nothing to find again
