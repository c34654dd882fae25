"""`liandiao papers list CASE_ID`, `liandiao papers get CASE_ID DOCUMENT_ID [--out FILE]`: the mediation papers
issued on a case, read from the stack's database (thin callers of application/documents.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.describe import DOCUMENT

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="where the stack keeps its data")]
RunDb = Callable[[Path | None, Callable[[Any], Awaitable[Any]]], Any]


def register(app: typer.Typer, fail: Callable[[str, int], None], run_db: RunDb, os_user: Callable[[], str]) -> None:
    papers_app = typer.Typer(help="Mediation papers (协议书, 卷宗, ...) issued on a case.", no_args_is_help=True)
    app.add_typer(papers_app, name="papers")

    @papers_app.command("list")
    def papers_list(case_id: str, data_dir: DataDir = None) -> None:
        """One line per paper: document id, kind, number, SHA-256."""
        from application.documents import stored_papers

        for d in run_db(data_dir, lambda pool: stored_papers(pool, case_id)):
            print(f"{d.document_id}\t{d.kind.value}\t{DOCUMENT[d.kind]}\t{d.number}\t{d.sha256}")

    @papers_app.command("get")
    def papers_get(case_id: str, document_id: str,
                   out: Annotated[Path | None, typer.Option("--out", help="the PDF file to write")] = None,
                   data_dir: DataDir = None) -> None:
        """Write one paper's PDF (its SHA-256 checked against the recorded one); prints the file and the hash."""
        from application.access_log import command_line_actor
        from application.documents import stored_paper

        actor = command_line_actor(os_user())  # the paper names the parties: who fetched it is logged
        pdf = run_db(data_dir, lambda pool: stored_paper(pool, actor, case_id, document_id))
        target = out or Path(pdf.filename)
        try:
            target.write_bytes(pdf.content)
        except OSError as exc:
            fail(f"cannot write {target}: {exc.strerror}", 1)
        print(f"{target}\t{pdf.document.sha256}")
