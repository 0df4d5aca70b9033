"""An RFC's front matter: the YAML between the ``---`` lines that open the file, found one way for every reader."""

from __future__ import annotations

import re
from typing import Any

import yaml

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<body>.*?)^---[ \t]*\r?$\n?", re.S | re.M)  # group "body": the YAML


def front_matter(text: str) -> dict[str, Any] | None:
    """The front matter as a mapping; None when there is none, or it is not YAML, or not a mapping."""
    match = FRONT_MATTER.match(text)
    try:
        front = yaml.safe_load(match["body"]) if match else None
    except yaml.YAMLError:
        return None
    return front if isinstance(front, dict) else None


def without_front_matter(text: str) -> str:
    match = FRONT_MATTER.match(text)
    return text[match.end() :] if match else text
