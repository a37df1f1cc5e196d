"""Errors raised by the SPL engine: one line of text plus a position in the search."""

from __future__ import annotations


class SplError(Exception):
    """A problem with a search: bad syntax, unknown macro/command/function, or a runtime failure.

    ``position`` is a 0-based character offset into ``text`` (the search the error refers to),
    or ``None`` when no position applies.
    """

    def __init__(self, message: str, position: int | None = None, text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        if self.text is not None:
            line, col = self.line_col()
            if "\n" in self.text:
                return f"{self.message} (line {line}, column {col})"
            return f"{self.message} (at position {self.position})"
        return f"{self.message} (at position {self.position})"

    def line_col(self) -> tuple[int, int]:
        """1-based line and column of the position within ``text``."""
        if self.text is None or self.position is None:
            return (1, 1)
        pos = max(0, min(self.position, len(self.text)))
        before = self.text[:pos]
        line = before.count("\n") + 1
        col = pos - (before.rfind("\n") + 1) + 1
        return (line, col)

    def caret(self) -> str:
        """Two lines: the line of the search holding the position, and a caret under it."""
        if self.text is None or self.position is None:
            return self.message
        pos = max(0, min(self.position, len(self.text)))
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        if end < 0:
            end = len(self.text)
        line = self.text[start:end].replace("\t", " ")
        return f"{line}\n{' ' * (pos - start)}^"

    def with_text(self, text: str, offset: int = 0) -> SplError:
        """Return this error relocated into ``text`` (positions shifted by ``offset``)."""
        pos = None if self.position is None else self.position + offset
        err = SplError(self.message, pos, text)
        return err


def engine_failure(exc: BaseException, command: str | None) -> str:
    """The one line a Python exception inside the engine (a bug) becomes, naming the command
    it happened in when known."""
    where = f"{command}: " if command else ""
    return f"{where}error in the SPL engine: {type(exc).__name__}: {exc}"
