"""The libcst rules as a Fixit-style linter runs them: one rule per pass, each pass parsing every Python file.

Usage: python bench/fixit_style.py TREE — the baseline codex's batched, prefiltered libcst engine is compared with.
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper

from codex.matchers.libcst import LibcstMatcher
from codex.model import Ruleset
from codex.rule_class import load_rule_class

REPO = Path(__file__).resolve().parent.parent


def main(tree: Path) -> int:
    rules = [r for r in Ruleset.load(REPO / "rules" / "ruleset.json").rules if isinstance(r.matcher, LibcstMatcher)]
    files = sorted(p for p in tree.rglob("*.py") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(tree).parts))
    found = 0
    for rule in rules:
        cls = load_rule_class(rule.matcher.rule_class, "codex.lint:LintRule")
        for path in files:
            visitor = cls()
            try:
                MetadataWrapper(cst.parse_module(path.read_bytes()), unsafe_skip_copy=True).visit_batched([visitor])
            # codex: allow CX0004 -- the baseline mirrors Fixit, which skips a file it cannot parse or analyse and goes on
            except Exception:
                continue
            found += len(visitor.flagged)
    print(f"{found} findings from {len(rules)} rules over {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
