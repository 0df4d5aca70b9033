"""``codex replay``: which commits of a range the current ruleset would have blocked or warned, and by which rules."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from codex_cli.commands._common import add_root, add_today, find_root, output_file

if TYPE_CHECKING:
    from codex.ruleset_source import LoadedRuleset
    from reviewer.replay import ReplayedCommit, ReplaySettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument("range", nargs="?", metavar="REV_RANGE", help="commits to replay, as git rev-list takes them (e.g. main~50..main); default HEAD")
    parser.add_argument("--since", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="only commits made since this date")
    parser.add_argument("--first-parent", action="store_true", help="follow first parents only (one commit per merged merge request)")
    add_today(parser)
    parser.add_argument("--jobs", "-j", type=int, help="parallel processes (default: the usable cores)")
    parser.add_argument("--state", type=Path, help="the resumable state file (default: .codex/replay/<ruleset, date and configuration>.jsonl)")
    parser.add_argument("--fresh", action="store_true", help="ignore results saved by an earlier run")
    parser.add_argument("--commit-url", metavar="TEMPLATE", help="link each commit, e.g. https://github.com/o/r/commit/{commit}")
    parser.add_argument("--format", default="text", choices=["text", "json"], help="output format (default: text)")
    parser.add_argument("--output", "-o", type=output_file, help="write the report to this file instead of stdout")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from codex.config import load_config
    from codex.ruleset_source import load_active
    from reviewer.replay import ReplaySettings, default_jobs, list_commits, load_state, replay

    root = find_root(args.root)
    config = load_config(root)
    loaded = load_active(root, config, stale_ok=True)
    for problem in loaded.problems[:1]:
        print(f"codex: {problem}", file=sys.stderr)
    settings = ReplaySettings(root, loaded.ruleset, args.today or dt.date.today(), config)
    commits = list_commits(root, args.range, args.since, args.first_parent)
    state = args.state or root / ".codex" / "replay" / f"{settings.state_key()}.jsonl"
    if args.fresh:
        state.unlink(missing_ok=True)
    resumed = len(load_state(state, commits, settings))
    console = Console(stderr=True)
    columns = (TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[last]}"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("replay", total=len(commits), completed=resumed, last="")
        try:
            results = replay(settings, commits, state, args.jobs or default_jobs(), lambda r: bar.update(task, advance=1, last=f"{r.commit[:12]} {r.verdict}"))
        except KeyboardInterrupt:
            saved = len(load_state(state, commits, settings))
            print(
                f"codex replay: interrupted after {saved} of {len(commits)} commit(s); run the same command again to resume (state in {state})", file=sys.stderr
            )
            return 130
    payload = _payload(results, loaded, settings, args, resumed)
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n" if args.format == "json" else _text(payload)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _payload(results: list[ReplayedCommit], loaded: LoadedRuleset, settings: ReplaySettings, args: argparse.Namespace, resumed: int) -> dict:
    commits = []
    for result in results:
        entry = result.model_dump(mode="json")
        entry["url"] = args.commit_url.replace("{commit}", result.commit) if args.commit_url else None
        commits.append(entry)
    return {
        "ruleset": {"version": loaded.ruleset.version, "origin": loaded.origin},
        "date": settings.today.isoformat(),
        "range": args.range or "HEAD",
        "since": args.since.isoformat() if args.since else None,
        "commits": commits,
        "summary": {
            "commits": len(results),
            "resumed": resumed,
            "blocked": [r.commit for r in results if r.verdict == "blocked"],
            "warned": [r.commit for r in results if r.verdict == "warned"],
        },
    }


def _text(payload: dict) -> str:
    summary = payload["summary"]
    lines = [
        f"codex replay: {summary['commits']} commit(s) of {payload['range']} against ruleset {payload['ruleset']['version']} "
        f"(stages in force on {payload['date']}): {len(summary['blocked'])} would have been blocked, {len(summary['warned'])} warned"
    ]
    for commit in payload["commits"]:
        if commit["verdict"] == "clean":
            continue
        link = f"  {commit['url']}" if commit["url"] else ""
        lines.append(f"\n{commit['commit'][:12]} {commit['date'][:10]} {commit['subject']} ({commit['author']}) — {commit['verdict']}{link}")
        for f in commit["findings"]:
            if f["stage"] == "shadow":
                continue
            tag = "overridden" if f["overridden"] else "blocking" if f["stage"] == "block" else f["stage"]
            link_to = f["rfc"]["url"] or f"{f['rfc']['path']}#{f['rfc']['anchor']}"
            lines.append(f"    {f['path']}:{f['line']}  {f['rule_id']} ({tag})  {f['message']} — {link_to}")
    return "\n".join(lines) + "\n"
