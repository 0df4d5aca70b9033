"""Which file the configuration was read from, so that messages about a key name that file and spell the key its way."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, PrivateAttr

from codex.problems import Problem

PYPROJECT = "pyproject.toml"


class FromFile(BaseModel):
    """A table of the configuration that knows the file it was read from, so messages about its keys name that file
    and spell the key as that file does."""

    _table: ClassVar[str] = ""  # the table's name in codex.toml ("" for the top level)
    _file: str = PrivateAttr(PYPROJECT)

    @property
    def file(self) -> str:
        """The file this configuration was read from (one of ``CONFIG_FILES``; pyproject.toml when none was)."""
        return self._file

    def key(self, name: str) -> str:
        """A key as its file spells it: ``[tool.codex.llm] model`` in pyproject.toml, ``[llm] model`` (a top-level
        key bare) in codex.toml."""
        if self._file == PYPROJECT:
            return f"[tool.codex{'.' + self._table if self._table else ''}] {name}"
        return f"[{self._table}] {name}" if self._table else name

    def setting(self, name: str, value: str = "") -> str:
        """A key (with ``value``, as in ``shipped = false``) and the file it is set in: ``shipped = false in codex.toml``."""
        return f"{self.key(name)}{' = ' + value if value else ''} in {self.file}"

    def problem(self, message: str, hint: str) -> Problem:
        """A problem with this configuration, said at the file it was read from."""
        return Problem(path=self.file, message=message, hint=hint, kind="config")
