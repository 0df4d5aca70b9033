"""Project configuration: the ``[tool.codex]`` table of the checked repository's pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from codex.problems import Problem, ProblemError


class CodexConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rfcs: str = "rfcs"
    rules: str = "rules"
    rfc_base_url: str | None = None
    default_branch: str | None = None


def load_config(root: Path) -> CodexConfig:
    path = root / "pyproject.toml"
    if not path.is_file():
        return CodexConfig()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("codex", {})
        return CodexConfig.model_validate(table)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError([Problem(path="pyproject.toml", message=f"cannot read: {exc}", hint="fix the TOML", kind="config")])
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ProblemError([Problem(path="pyproject.toml", message=f"[tool.codex] {key}: {err['msg']}",
                                    hint="see the configuration section of the README", kind="config")])
