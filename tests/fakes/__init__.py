"""Fake provider servers on loopback, one module per wire format."""
