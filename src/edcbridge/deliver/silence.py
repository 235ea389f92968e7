"""When a run stops asking a target that has stopped answering."""

from __future__ import annotations

SILENT_LIMIT = 3  # requests in a row without an answer after which a run stops asking


class Silence:
    """The requests in a row a target left unanswered; any answer starts the count again."""

    def __init__(self) -> None:
        self.in_a_row = 0

    def heard(self, answered: bool) -> bool:
        """Count one request; whether the run should now stop asking."""
        self.in_a_row = 0 if answered else self.in_a_row + 1
        return self.over

    @property
    def over(self) -> bool:
        return self.in_a_row >= SILENT_LIMIT
