"""codex: engineering RFCs compiled into enforced checks."""

__version__ = "0.1.0"
