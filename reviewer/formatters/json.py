"""``--format json``: the stable contract other tools consume."""

from __future__ import annotations

from typing import TextIO

from reviewer.finding import Report
from reviewer.formatters.base import Formatter


class JsonFormatter(Formatter):
    def write(self, report: Report, out: TextIO) -> None:
        out.write(report.to_json())
