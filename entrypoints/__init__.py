"""Entry points: thin callers of the application layer (HTTP API, workbench, CLI, demo loader)."""
