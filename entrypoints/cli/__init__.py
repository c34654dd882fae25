"""The command line, `liandiao`."""
