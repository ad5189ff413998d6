"""Platform adapters: verify, decrypt and parse callbacks into IncomingMessage; build replies."""


class Rejected(Exception):
    """A callback refused before any handling: `status` is the HTTP answer, `reason` goes to the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


MAX_ID = 128  # the store's width for message, user and chat ids: longer would be cut and could collide


def clean_id(value: object, what: str) -> str:
    """A platform id as the store keeps it: a non-empty string of at most MAX_ID printable characters."""
    if not isinstance(value, str) or not value:
        raise Rejected(400, f"{what} missing or not a string")
    if len(value) > MAX_ID or not value.isprintable():
        raise Rejected(400, f"{what} too long or with control characters")
    return value


def clean_text(value: str) -> str:
    """Message text and names: NUL and lone surrogates (invalid in UTF-8 and PostgreSQL text) become U+FFFD."""
    return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in value)
