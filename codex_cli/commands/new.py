"""``codex new``: scaffold a draft RFC with one rule in the right shape (it compiles and its examples pass)."""

from __future__ import annotations

import argparse
from pathlib import Path

from codex_cli.commands._common import add_root, find_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from codex.scaffold import LANGUAGES

    add_root(parser)
    parser.add_argument("title", nargs="?", default="[TODO: title]", help="the RFC's title")
    parser.add_argument("--language", default="python", choices=LANGUAGES, help="the first rule's language (default: python)")
    parser.add_argument("--rule-id", help="the rule id (default: the next free one with --prefix)")
    parser.add_argument("--prefix", default="CX", help="rule id prefix (default: CX)")
    parser.add_argument("--author", default="[TODO: team]", help="the RFC's author or owning team")
    parser.add_argument("--out", type=Path, help="the RFC directory (default: the project's rfcs/)")


def run(args: argparse.Namespace) -> int:
    from codex.config import load_config
    from codex.model import Ruleset, is_rule_id
    from codex.problems import Problem, ProblemError
    from codex.ruleset_source import extends_shipped, shipped_ruleset
    from codex.scaffold import new_rfc, next_rfc_id, next_rule_ids, slug

    root = find_root(args.root)
    config = load_config(root)
    rfc_dir = args.out or root / config.rfcs
    shipped = shipped_ruleset() if extends_shipped(root, config) else Ruleset.build([], [])
    rule_id = args.rule_id or next(next_rule_ids(rfc_dir, args.prefix, [r.id for r in shipped.rules]))
    if not is_rule_id(rule_id):
        raise ProblemError(Problem(message=f"bad rule id {rule_id!r}", hint="use capital letters then at least three digits, e.g. CX0001", kind="usage"))
    if (taken := shipped.rule(rule_id)) is not None:
        raise ProblemError(
            Problem(message=f"rule id {rule_id} is a shipped rule ({taken.title})", hint="leave --rule-id out for the next free id", kind="usage")
        )
    rfc_id = next_rfc_id(rfc_dir, [m.id for m in shipped.rfcs])
    target = rfc_dir / f"{rfc_id.split('-')[1]}-{slug(args.title.replace('[TODO: title]', 'new-rfc'))}.md"
    if target.exists():
        raise ProblemError(Problem(path=str(target), message="already exists", hint="pick another title", kind="usage"))
    rfc_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(new_rfc(rfc_id, rule_id, args.title, args.language, args.author), encoding="utf-8")
    print(f"wrote {target} ({rfc_id}, rule {rule_id}, draft)")
    print(f"Next: replace each [TODO: ...], write the semgrep pattern and the bad/good examples, then `codex test {rule_id}` and `codex explain {rule_id}`.")
    return 0
