"""The LLM pass: judgment rules reviewed by a model over the changed hunks, within a budget, cached, failing open."""

from reviewer.llm.run import LlmOutcome, run_llm_pass

__all__ = ["LlmOutcome", "run_llm_pass"]
