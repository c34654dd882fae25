"""``python -m entrypoints.cli``: the same as the ``liandiao`` command."""

from entrypoints.cli.app import main

main()
