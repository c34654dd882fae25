"""The application layer: the one place use cases live. Entry points (HTTP, CLI, demo loader, workbench)
call it; it calls the domain and infra. Nothing in ``infra`` outside ``entrypoints/http`` imports it."""
