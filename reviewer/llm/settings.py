"""Where the LLM pass talks to: ``[tool.codex.llm]`` with the environment on top."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from codex.config import LlmConfig

NO_KEY_NEEDED = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) ignore the key; the client wants one


@dataclass(frozen=True)
class LlmSettings:
    """A configured endpoint: the table's limits plus model, URL and key resolved from the environment."""

    model: str
    base_url: str | None
    api_key: str
    config: LlmConfig


def resolve(config: LlmConfig, env: Mapping[str, str]) -> tuple[LlmSettings | None, str]:
    """The endpoint to use, or ``None`` and the plain reason the pass is skipped.

    ``CODEX_LLM_MODEL`` and ``CODEX_LLM_BASE_URL`` override the table; the key is
    ``CODEX_LLM_API_KEY``, else ``OPENAI_API_KEY`` (never read from pyproject.toml).
    """
    model = env.get("CODEX_LLM_MODEL") or config.model
    base_url = env.get("CODEX_LLM_BASE_URL") or config.base_url
    api_key = env.get("CODEX_LLM_API_KEY") or env.get("OPENAI_API_KEY")
    if not model:
        return None, "no model configured: set CODEX_LLM_MODEL or [tool.codex.llm] model"
    if not api_key and not base_url:
        return None, "no API key for the OpenAI endpoint: set CODEX_LLM_API_KEY or OPENAI_API_KEY, or a base URL"
    return LlmSettings(model=model, base_url=base_url, api_key=api_key or NO_KEY_NEEDED, config=config), ""
