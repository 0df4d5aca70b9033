"""The libcst matchers shipped with codex; RFCs name them by import path."""
