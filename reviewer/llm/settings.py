"""Where the LLM pass talks to: ``[tool.codex.llm]`` with the environment on top."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from codex.config import LlmConfig
from codex.model import LlmMatcher, Rule
from reviewer.redact import redact_url, url_secrets

NO_KEY_NEEDED = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) ignore the key; the client wants one


@dataclass(frozen=True)
class LlmSettings:
    """A configured endpoint: the table's limits plus model, URL and key resolved from the environment.

    ``secrets`` are masked in every message; ``shown_url`` is the endpoint fit to print; ``key_withheld`` says why
    the environment's key was not sent (the checked repository chose the URL), or is empty."""

    model: str
    base_url: str | None
    api_key: str
    config: LlmConfig
    secrets: tuple[str, ...] = ()
    key_withheld: str = ""

    @property
    def shown_url(self) -> str:
        return redact_url(self.base_url) if self.base_url else "OpenAI"

    def model_of(self, rule: Rule) -> str:
        """The model that judges ``rule``: the table's ``models`` by rule id, else by severity, else ``model``."""
        models = self.config.models
        return models.get(rule.id) or models.get(rule.severity.value) or self.model

    def verifier_of(self, rule: Rule) -> str | None:
        """The model that verifies ``rule``'s findings that may block (``verify_model``, else the rule's), or ``None``
        when neither the rule (``verify: true`` in its RFC) nor the table (``verify = true``) asks for it."""
        wanted = self.config.verify or (isinstance(rule.matcher, LlmMatcher) and rule.matcher.verify)
        return (self.config.verify_model or self.model_of(rule)) if wanted else None

    def chain(self, model: str) -> tuple[str, ...]:
        """``model``, then the table's ``fallback_models`` in order (each once)."""
        return tuple(dict.fromkeys((model, *self.config.fallback_models)))


def secrets(config: LlmConfig, env: Mapping[str, str]) -> tuple[str, ...]:
    """Every credential the LLM pass could echo: the API keys and whatever the base URLs carry."""
    keys = (env.get("CODEX_LLM_API_KEY"), env.get("OPENAI_API_KEY"))
    return tuple(s for s in (*keys, *url_secrets(env.get("CODEX_LLM_BASE_URL")), *url_secrets(config.base_url)) if s)


def resolve(config: LlmConfig, env: Mapping[str, str], trust_config_url: bool = False) -> tuple[LlmSettings | None, str]:
    """The endpoint to use, or ``None`` and the plain reason the pass is skipped.

    ``CODEX_LLM_MODEL`` and ``CODEX_LLM_BASE_URL`` override the table; the key is ``CODEX_LLM_API_KEY``, else
    ``OPENAI_API_KEY`` (never read from the configuration file). The key goes only where the environment points (its base
    URL, else OpenAI's), or to the table's ``base_url`` when that table is trusted (``trust_config_url``: codex review
    reads it from the target branch). A ``base_url`` of the checked repository's own is asked without the key.
    """
    model = env.get("CODEX_LLM_MODEL") or config.model
    env_url = env.get("CODEX_LLM_BASE_URL")
    base_url = env_url or config.base_url
    api_key = env.get("CODEX_LLM_API_KEY") or env.get("OPENAI_API_KEY")
    if not model:
        return None, f"no model configured: set CODEX_LLM_MODEL or {config.key('model')} in {config.file}"
    withheld = ""
    if api_key and base_url and not env_url and not trust_config_url:
        withheld = (
            f"{config.key('base_url')} {redact_url(base_url)} is the checked repository's choice: the API key from "
            "the environment was not sent to it, the endpoint was asked without a key"
        )
        api_key = None
    if not api_key and not base_url:
        return None, "no API key for the OpenAI endpoint: set CODEX_LLM_API_KEY or OPENAI_API_KEY, or a base URL"
    return LlmSettings(model=model, base_url=base_url, api_key=api_key or NO_KEY_NEEDED, config=config, secrets=secrets(config, env), key_withheld=withheld), ""
