"""Money: tokens priced per million as ``[tool.codex.llm]`` says, and a shared request's tokens split between its rules."""

from __future__ import annotations

from codex.config import LlmConfig

PER = 1_000_000  # prices are per million tokens


def priced(config: LlmConfig) -> bool:
    return config.price_input is not None or config.price_output is not None


def money(config: LlmConfig, tokens_in: int, cached: int, tokens_out: int) -> float:
    """What the tokens cost: cached input at ``price_cached_input`` (else at ``price_input``), the rest of the input
    at ``price_input``, the output at ``price_output``; a price not set counts as 0."""
    full = config.price_input or 0.0
    cached_price = config.price_cached_input if config.price_cached_input is not None else full
    return ((tokens_in - cached) * full + cached * cached_price + tokens_out * (config.price_output or 0.0)) / PER


def shares(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (all equal when they sum to 0); the shares sum to ``total``."""
    weights = weights if sum(weights) > 0 else [1] * len(weights)
    parts = [total * w // sum(weights) for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % sum(weights)))
    for i in order[: total - sum(parts)]:  # the remainder, to the largest fractions
        parts[i] += 1
    return parts
