"""Platform adapters: verify, decrypt and parse callbacks into IncomingMessage; build replies."""


class Rejected(Exception):
    """A callback refused before any handling: `status` is the HTTP answer, `reason` goes to the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
