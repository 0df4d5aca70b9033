"""The file index (reviewer.file_index): a warm run reads no file whose status is unchanged, and never trusts a
status a write may not have changed. Files made by a test are younger than the index's settling time, so most
tests settle at once (``settle_ns=0``, or ``SETTLE_NS`` patched to 0 for runs through run_check)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from codex.model import LlmMatcher, Prefilter, Ruleset
from reviewer import check, file_index
from reviewer.changes import ChangeSet, FileChange
from reviewer.file_index import FileIndex
from reviewer.overrides import OVERRIDE_PROBE
from reviewer.targets import Contents, Known, Target, applies, select_targets

SUBPROCESS = Prefilter(keywords=("subprocess",))
UNWRAP = Prefilter(keywords=("unwrap", "expect"))
MARKER = b"codex: " + b"allow"  # spelt at run time, so this file carries no override itself
PROBES = {"python": (OVERRIDE_PROBE, SUBPROCESS), "rust": (OVERRIDE_PROBE, UNWRAP)}
FILES = {
    "a.py": b"import subprocess\n",
    "b.py": b"x = 1  # " + MARKER + b" CX0005 -- none\n",
    "c.rs": b"fn main() {}\n",
    "d.rs": b"fn main() { None::<u8>.unwrap(); }\n",
}


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def _select(root: Path, cache: Path, names=tuple(FILES), settle_ns: int = 0) -> tuple[list[Target], list, FileIndex]:
    index = FileIndex(cache, root, PROBES, settle_ns=settle_ns)
    targets, problems = select_targets(ChangeSet(root, [FileChange(n, None) for n in names]), {"python", "rust"}, index=index)
    index.save()
    return targets, problems, index


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_unchanged_since_the_last_run_is_known_by_its_status_alone(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _write(root, FILES)
    first, _, _ = _select(root, tmp_path / "cache")
    assert [t.contents is not None for t in first] == [True, True, True, True]  # read: nothing known yet
    assert (tmp_path / "cache" / ".gitignore").read_text() == "*\n"  # the index alone keeps the cache out of git
    second, problems, _ = _select(root, tmp_path / "cache")
    assert problems == []
    assert [(t.path, t.contents, t.known) for t in second] == [
        ("a.py", None, Known(_sha(FILES["a.py"]), frozenset({SUBPROCESS}), frozenset({OVERRIDE_PROBE, SUBPROCESS}))),
        ("b.py", None, Known(_sha(FILES["b.py"]), frozenset({OVERRIDE_PROBE}), frozenset({OVERRIDE_PROBE, SUBPROCESS}))),
        ("c.rs", None, Known(_sha(FILES["c.rs"]), frozenset(), frozenset({OVERRIDE_PROBE, UNWRAP}))),
        ("d.rs", None, Known(_sha(FILES["d.rs"]), frozenset({UNWRAP}), frozenset({OVERRIDE_PROBE, UNWRAP}))),
    ]
    assert [t.known for t in first] == [t.known for t in second]  # what the first run learnt reading them
    assert [t.text for t in second] == [d.decode() for d in FILES.values()]  # read when needed


def test_any_write_makes_a_file_unknown_even_with_its_size_and_modification_time_put_back(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _write(root, FILES)
    _select(root, tmp_path / "cache")
    before = os.stat(root / "b.py")
    rewritten = b"x = 2  # " + MARKER + b" CX0005 -- none\n"
    (root / "b.py").write_bytes(rewritten)  # same size
    os.utime(root / "b.py", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (os.stat(root / "b.py").st_size, os.stat(root / "b.py").st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    targets, _, _ = _select(root, tmp_path / "cache")
    assert [t.path for t in targets if t.contents is not None] == ["b.py"]  # its change time moved: read again
    assert targets[1].text == rewritten.decode()
    assert targets[1].digest == _sha(rewritten)


def test_a_file_written_just_before_the_run_is_not_recorded(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _write(root, FILES)
    _, _, index = _select(root, tmp_path / "cache", settle_ns=file_index.SETTLE_NS)  # as a real run: 2 s
    assert not index.path.exists()  # a write in the same clock tick as the read would leave the status as it is
    targets, _, _ = _select(root, tmp_path / "cache")
    assert [t.contents is not None for t in targets] == [True, True, True, True]


def test_a_file_system_without_times_is_never_trusted(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _write(root, {"a.py": b"import subprocess\n"})
    real = os.stat(root / "a.py")
    index = FileIndex(tmp_path / "cache", root, PROBES, settle_ns=0)
    for mtime, ctime in ((0, real.st_ctime_ns), (real.st_mtime_ns, 0)):  # as some FUSE and network file systems report
        timeless = os.stat_result((*real[:7], 0, 0, 0), {"st_mtime_ns": mtime, "st_ctime_ns": ctime})
        index.learn("a.py", timeless, "python", b"import subprocess\n", "import subprocess\n")
    index.learn("b.py", real, "python", b"import subprocess\n", "import subprocess\n")  # the control: a file with times
    index.save()
    assert sorted(json.loads(index.path.read_bytes())["files"]) == ["b.py"]


def test_other_probes_start_an_empty_index(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _write(root, FILES)
    _select(root, tmp_path / "cache")
    index = FileIndex(tmp_path / "cache", root, {"python": (OVERRIDE_PROBE,), "rust": (OVERRIDE_PROBE, UNWRAP)}, settle_ns=0)
    assert index.lookup("c.rs", os.stat(root / "c.rs"), "rust") is None  # its probes were tested with another list
    same = FileIndex(tmp_path / "cache", root, PROBES, settle_ns=0)
    assert same.lookup("c.rs", os.stat(root / "c.rs"), "rust") == Known(_sha(FILES["c.rs"]), frozenset(), frozenset({OVERRIDE_PROBE, UNWRAP}))


def test_saving_drops_the_files_that_are_gone_and_keeps_those_not_listed_this_time(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _write(root, FILES)
    _, _, index = _select(root, tmp_path / "cache")
    (root / "b.py").unlink()
    (root / "c.rs").write_bytes(b"fn main() { }\n")
    _select(root, tmp_path / "cache", names=("c.rs",))  # a diff of one file
    assert sorted(json.loads(index.path.read_bytes())["files"]) == ["a.py", "c.rs", "d.rs"]


def test_binary_files_stay_binary_without_being_read(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _write(root, {"a.py": b"import subprocess\n", "blob.py": b"\x00\x01" * 10})
    _select(root, tmp_path / "cache", names=("a.py", "blob.py"))
    targets, problems, _ = _select(root, tmp_path / "cache", names=("blob.py", "a.py"))
    assert [(t.path, t.contents) for t in targets] == [("a.py", None)]
    assert [(p.path, p.message) for p in problems] == [("blob.py", "binary content, not checked")]


def test_a_corrupt_or_unwritable_index_is_a_note_and_the_run_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / ".codex").mkdir(parents=True)
    _write(root, FILES)
    _, _, index = _select(root, root / ".codex")
    index.path.write_bytes(b'{"format": "codex-files/1", "files": [')
    targets, _, broken = _select(root, root / ".codex")
    assert [(p.path, p.message, p.kind) for p in broken.problems] == [
        (
            f".codex/files/{index.path.name}",
            "the file index is unreadable (1 error(s), first: Invalid JSON: EOF while parsing a list at line 1 column 38); every file is read afresh",
            "cache",
        )
    ]
    assert [t.contents is not None for t in targets] == [True, True, True, True]
    rewritten, _, again = _select(root, root / ".codex")
    assert again.problems == [] and [t.contents for t in rewritten] == [None, None, None, None]

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    _, _, unwritable = _select(root, blocker)
    assert [(p.path, p.message) for p in unwritable.problems] == [
        (str(unwritable.path), "cannot write the file index (Not a directory); files are read afresh next time")
    ]


def test_a_known_file_answers_its_probes_without_being_read(tmp_path: Path, shipped_ruleset: Ruleset) -> None:
    subprocess_rule = shipped_ruleset.rule("CX0005")
    assert subprocess_rule.prefilter == SUBPROCESS
    told = Known(_sha(b"import subprocess\n"), frozenset(), frozenset({SUBPROCESS}))  # the index's word, not the file's
    assert not applies(subprocess_rule, Target("a.py", tmp_path / "a.py", "python", None, "a.py", known=told))  # no such file: not read
    untested = Known(_sha(b"import subprocess\n"), frozenset(), frozenset())
    target = Target("a.py", tmp_path / "a.py", "python", None, "a.py", Contents("import subprocess\n"), untested)
    assert applies(subprocess_rule, target)  # a probe the index did not test: the text answers


TREE = {
    "found.rs": b"fn main() {\n    let x: Option<u8> = None;\n    x.unwrap();\n}\n",
    "other/clean.rs": b"fn main() {}\n",  # not beside found.rs, whose module declaration is looked for among its siblings
    "allowed.py": b"import subprocess\nsubprocess.run('ls', shell=True)  # " + MARKER + b" CX0005 -- a fixed command\n",
    "plain.py": b"import subprocess\nsubprocess.run(['ls'])\n",
    "found.py": b"import subprocess\nsubprocess.run('ls', shell=True)\n",
}


@pytest.fixture
def warm_tree(tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch):
    """A tree checked once by the static rules with the result cache and file index (settled at once); then a function
    checking it again that returns the report and the targets run_check selected, after ``meanwhile`` ran between
    selecting and checking. (Judgment rules are left out: listing the rules an LLM pass leaves unreviewed reads files.)"""
    monkeypatch.setattr(file_index, "SETTLE_NS", 0)
    root = tmp_path / "tree"
    root.mkdir()
    _write(root, TREE)
    static = shipped_ruleset.model_copy(update={"rules": tuple(r for r in shipped_ruleset.rules if not isinstance(r.matcher, LlmMatcher))})
    options = check.CheckOptions(use_llm=False, cache_dir=tmp_path / "cache")
    changes = ChangeSet(root, [FileChange(n, None) for n in TREE], mode="all")
    cold = check.run_check(static, changes, options)
    selected = check.select_targets

    def again(meanwhile=lambda: None):
        seen: list[Target] = []

        def select_then(*args, **kwargs):
            targets, problems = selected(*args, **kwargs)
            seen.extend(targets)
            meanwhile()
            return targets, problems

        monkeypatch.setattr(check, "select_targets", select_then)
        return check.run_check(static, changes, options), seen

    return root, cold, again


def _shown(report) -> tuple[list, list]:
    findings = [(f.rule_id, f.path, f.line, f.overridden, f.override_reason, f.source_line, f.fingerprint) for f in report.findings]
    return findings, [(e.path, e.message) for e in report.errors]


def test_a_warm_run_reads_only_the_files_whose_findings_or_overrides_it_reports(warm_tree) -> None:
    _, cold, again = warm_tree
    warm, targets = again()
    assert _shown(warm) == _shown(cold)
    assert [(f.rule_id, f.path, f.line) for f in cold.findings] == [("CX0005", "allowed.py", 2), ("CX0005", "found.py", 2), ("CX0001", "found.rs", 3)]
    assert sorted(t.path for t in targets if "_read" in t.__dict__) == ["allowed.py", "found.py", "found.rs"]


def test_a_known_file_gone_or_changed_before_it_is_read_is_reported_not_checked(warm_tree, tmp_path: Path) -> None:
    root, _, again = warm_tree

    def edit():
        (root / "found.rs").unlink()
        (root / "found.py").write_bytes(b"import subprocess\nsubprocess.run('rm', shell=True)\n")

    warm, _ = again(edit)
    assert [(f.rule_id, f.path) for f in warm.findings] == [("CX0005", "allowed.py")]
    assert [(e.path, e.message, e.kind) for e in warm.errors] == [  # in the order of the files
        ("found.rs", "cannot read: No such file or directory: not checked", "skipped"),
        ("found.py", "changed while codex checked it: not checked", "skipped"),
    ]


def test_a_known_file_changed_before_the_engines_run_is_neither_checked_nor_cached(warm_tree, tmp_path: Path) -> None:
    root, _, again = warm_tree
    for entry in (tmp_path / "cache" / "static").rglob("*.json"):
        entry.unlink()  # every file is a miss: the engines run

    def edit():
        (root / "plain.py").write_bytes(b"import subprocess\nsubprocess.run('ls', shell=True)\n")

    warm, _ = again(edit)
    assert [(f.rule_id, f.path) for f in warm.findings] == [("CX0005", "allowed.py"), ("CX0005", "found.py"), ("CX0001", "found.rs")]
    assert [(e.path, e.message) for e in warm.errors] == [("plain.py", "changed while codex checked it: not checked")]
    assert warm.stats.cache.misses == 4  # every file but clean.rs, which no rule's prefilter takes
    third, _ = again()  # plain.py is listed afresh and checked as it now is
    assert [(f.rule_id, f.path) for f in third.findings] == [("CX0005", "allowed.py"), ("CX0005", "found.py"), ("CX0001", "found.rs"), ("CX0005", "plain.py")]
    assert third.errors == []
