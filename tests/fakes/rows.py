"""A stored record of the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Row:
    """A stored record of the fake (a leave, a mark, a pickup, a plan): attributes as the tables have them."""

    student_id: int
    day: date
    id: int = 0
    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in {"student_id", "day", "id", "values"}:
            object.__setattr__(self, name, value)
        else:
            self.values[name] = value
