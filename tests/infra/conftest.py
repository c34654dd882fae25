"""Fixtures of the adapter tests beside the session's (tests/conftest.py): ``own_pool`` lives there, shared
with the application tests."""
