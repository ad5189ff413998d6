"""Outbound pushes: platform robots, byte-limit splitting, and the worker that drains the outbox."""
