"""The few errors that reach the user: each carries a one-line message and an exit code."""

from __future__ import annotations


class RelcrmError(Exception):
    """A failure the user can act on. The CLI prints `relcrm: <message>` and exits."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(RelcrmError):
    """Bad input: a value that is not accepted. Exit code 2."""

    exit_code = 2


class NotFound(RelcrmError):
    """An unknown record (prospect id or name). Exit code 1."""

    exit_code = 1


class Ambiguous(UsageError):
    """A reference that matches several records; the message lists them. Exit code 2."""


class DatabaseError(RelcrmError):
    """The database cannot be used as it is (newer schema, not a relcrm file). Exit code 1."""

    exit_code = 1
