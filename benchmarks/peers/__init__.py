"""Peers: the same eval run by harness, promptfoo and inspect_ai (see :mod:`.compare`)."""
