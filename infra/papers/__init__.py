"""Typst templates of the mediation papers, shipped with the package and rendered by ``infra.pdf``."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def template(name: str = "mediation") -> str:
    return (resources.files("infra") / "papers" / f"{name}.typ").read_text(encoding="utf-8")
