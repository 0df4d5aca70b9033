"""``codex merge``: the reports of ``codex check --shard I/N`` runs combined into one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codex_cli.commands._common import output_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from reviewer.formatters import FORMATS

    parser.add_argument("reports", nargs="+", type=Path, metavar="REPORT", help="JSON reports (or SARIF logs) written by the shards")
    parser.add_argument("--format", choices=list(FORMATS), help="output format for JSON reports (default: json); SARIF logs merge into SARIF")
    parser.add_argument("--output", "-o", type=output_file, help="write the merged report to this file instead of stdout")


def run(args: argparse.Namespace) -> int:
    from codex.problems import Problem, ProblemError
    from reviewer.formatters import get_formatter
    from reviewer.shard_merge import merge_reports, merge_sarif, read_reports, sarif_blocking, sarif_failures

    kind, documents = read_reports(args.reports)
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        if kind == "sarif":
            if args.format not in (None, "sarif"):
                raise ProblemError(
                    Problem(
                        message=f"SARIF logs merge into SARIF, not {args.format}", hint="merge the shards' JSON reports to get another format", kind="usage"
                    )
                )
            log = merge_sarif(documents, args.reports)
            json.dump(log, out, indent=2, ensure_ascii=False)
            out.write("\n")
            failed = sarif_failures(documents, args.reports)
            for source, notes in failed:
                for note in notes:
                    print(f"{source}: {note}", file=sys.stderr)
            if failed:
                print(
                    f"codex merge: {len(failed)} of {len(documents)} shard(s) did not complete ({', '.join(str(s) for s, _ in failed)}); "
                    "the merged log says so (executionSuccessful false)",
                    file=sys.stderr,
                )
                return 2
            return 1 if sarif_blocking(log) else 0
        report = merge_reports(documents, args.reports)
        get_formatter(args.format or "json").write(report, out)
        return report.exit_code
    finally:
        if args.output:
            out.close()
