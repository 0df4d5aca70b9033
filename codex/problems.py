"""Problems: bad input reported as ``path:line: what is wrong — what to do``, never as a traceback."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str | None = None
    line: int | None = None
    message: str
    hint: str = ""
    kind: str = "input"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else (self.path or "codex")
        return f"{where}: {self.message}" + (f" — {self.hint}" if self.hint else "")


class ProblemError(Exception):
    """Raised where going on is impossible; carries every problem found so far."""

    def __init__(self, *problems: Problem):
        super().__init__("\n".join(map(str, problems)))
        self.problems = list(problems)
