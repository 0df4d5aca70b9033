"""The formatter interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TextIO

from reviewer.finding import Report


class Formatter(ABC):
    @abstractmethod
    def write(self, report: Report, out: TextIO) -> None:
        """Write the whole report to ``out``."""
