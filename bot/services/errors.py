"""What a use case refuses, for its caller (chat, job or CLI) to word."""

from __future__ import annotations


class NoSchool(Exception):
    """No school yet: the roster has not been imported (nor the demo loaded)."""
