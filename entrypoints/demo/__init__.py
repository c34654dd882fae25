"""The demo district's sample people and cases, loaded through the application layer like any caller."""
