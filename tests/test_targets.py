"""reviewer.targets: which changed files are checked, and which rules apply to each."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.languages import language_of
from codex.model import PathFilter, Prefilter, Ruleset
from reviewer.changes import ChangeSet, FileChange
from reviewer.targets import Target, applies, path_matches, prefilter_passes, select_targets

TEST_CODE = PathFilter(exclude=("**/test_*.py", "**/tests/**", "**/build.rs"))


@pytest.mark.parametrize(
    ("path", "checked"),
    [
        ("src/app.py", True),
        ("test_app.py", False),  # ** also spans zero directories
        ("pkg/deep/test_app.py", False),
        ("tests/helpers.py", False),
        ("a/tests/b/c.py", False),
        ("build.rs", False),
        ("src/build.rs.bak", True),
        ("contests/x.py", True),
    ],
)
def test_exclude_globs(path: str, checked: bool) -> None:
    assert path_matches(TEST_CODE, path) is checked


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/app.py", "python"),
        ("src/APP.PY", "python"),
        ("stubs/x.pyi", "python"),
        ("crates/a/b.tar.rs", "rust"),
        ("src/.py", None),  # a dotfile has no ending
        ("..py", "python"),
        ("src/a.", None),
        ("a.py/README", None),  # an ending of a directory is not the file's
        ("Makefile", None),
    ],
)
def test_the_language_of_a_path_is_its_file_ending(path: str, language: str | None) -> None:
    assert language_of(path) == language


def test_include_and_exclude_together() -> None:
    paths = PathFilter(include=("services/**", "*.py"), exclude=("services/legacy/**",))
    assert path_matches(paths, "services/api/x.py")
    assert path_matches(paths, "top.py")
    assert not path_matches(paths, "lib/x.py")
    assert not path_matches(paths, "services/legacy/x.py")
    assert path_matches(PathFilter(), ".hidden/x.py")


def test_prefilter() -> None:
    assert prefilter_passes(None, "")
    assert prefilter_passes(Prefilter(keywords=("requests",)), "import requests")
    assert not prefilter_passes(Prefilter(keywords=("requests",)), "import httpx")
    assert prefilter_passes(Prefilter(regex=(r"\.get\(",)), "d.get(k)")
    assert not prefilter_passes(Prefilter(regex=(r"\.get\(",)), "d[k]")


def test_select_targets(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    (tmp_path / "src" / "b.rs").write_text("fn main() {}\n")
    (tmp_path / "src" / "blob.py").write_bytes(b"\x00\x00binary")
    (tmp_path / "notes.txt").write_text("not a language any rule covers\n")
    changes = ChangeSet(
        tmp_path,
        [
            FileChange("src/a.py", frozenset({1})),
            FileChange("src/b.rs", None),
            FileChange("src/blob.py", None),
            FileChange("notes.txt", None),
            FileChange("src/gone.py", frozenset({2})),
        ],
    )
    targets, problems = select_targets(changes, {"python"})
    assert [(t.path, t.language, t.added) for t in targets] == [("src/a.py", "python", frozenset({1}))]
    assert targets[0].abs_path == tmp_path / "src" / "a.py"
    assert {(p.path, p.kind) for p in problems} == {("src/blob.py", "skipped"), ("src/gone.py", "skipped")}
    assert "binary" in next(p.message for p in problems if p.path == "src/blob.py")


def test_touches() -> None:
    target = Target("a.py", Path("a.py"), "python", frozenset({5, 9}), "a.py")
    assert target.touches(5, 5) and target.touches(3, 6) and target.touches(9, 12)
    assert not target.touches(6, 8) and not target.touches(1, 4)
    assert Target("a.py", Path("a.py"), "python", None, "a.py").touches(1000, 1000)


def test_applies_language_paths_and_prefilter(tmp_path: Path, shipped_ruleset: Ruleset) -> None:
    source = tmp_path / "x.py"
    source.write_text("import requests\nassert True\n")
    prod = Target("svc/x.py", source, "python", None, "svc/x.py")
    test = Target("tests/x.py", source, "python", None, "tests/x.py")
    rust = Target("svc/x.rs", source, "rust", None, "svc/x.rs")
    timeout, swallowed, asserts = (shipped_ruleset.rule(i) for i in ("CX0003", "CX0004", "CX0007"))
    asserts = asserts.model_copy(update={"paths": PathFilter(exclude=("**/tests/**",))})  # CX0007 now leaves tests to the test-code model
    assert applies(timeout, prod) and not applies(timeout, rust)
    assert not applies(swallowed, prod)  # its prefilter needs "except"
    assert applies(asserts, prod) and not applies(asserts, test)


def test_paths_outside_the_tree_and_unreadable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.py").write_text("token = 1\n")
    (root / "locked.py").write_text("x = 1\n")
    (root / "fine.py").write_text("x = 1\n")
    real_open = Path.open

    def open_or_deny(self: Path, *args, **kwargs):
        if self.name == "locked.py":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_or_deny)
    changes = ChangeSet(root, [FileChange("../secret.py", None), FileChange("locked.py", None), FileChange("fine.py", None)])
    targets, problems = select_targets(changes, {"python"})
    assert [t.path for t in targets] == ["fine.py"]
    assert [(p.path, p.message, p.kind) for p in problems] == [
        ("../secret.py", "outside the checked tree, not checked", "skipped"),
        ("locked.py", "cannot read: Permission denied", "skipped"),
    ]


def test_each_skipped_file_leaves_the_files_after_it_checked(tmp_path: Path) -> None:
    """Every kind of skip sits before a file that must still be checked (a skip that ended the loop would show)."""
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.py").write_text("token = 1\n")
    (root / "blob.py").write_bytes(b"\x00binary")
    for name in ("a.py", "b.py", "c.py", "d.py", "e.py"):
        (root / name).write_text("x = 1\n")
    changes = ChangeSet(
        root,
        [
            FileChange("caf\udce9.py", None),
            FileChange("a.py", None),
            FileChange("../secret.py", None),
            FileChange("b.py", None),
            FileChange("gone.py", None),
            FileChange("c.py", None),
            FileChange("blob.py", None),
            FileChange("d.py", None),
            FileChange("notes.txt", None),
            FileChange("e.py", None),
        ],
    )
    targets, problems = select_targets(changes, {"python"})
    assert [t.path for t in targets] == ["a.py", "b.py", "c.py", "d.py", "e.py"]
    assert [(p.path, p.message, p.kind, p.hint) for p in problems] == [
        ("caf\ufffd.py", "file name is not valid UTF-8, not checked", "skipped", "rename it: semgrep cannot read it and reports cannot name it"),
        ("../secret.py", "outside the checked tree, not checked", "skipped", ""),
        ("gone.py", f"not found under {root}", "skipped", "give --root the post-change tree the diff applies to"),
        ("blob.py", "binary content, not checked", "skipped", ""),
    ]
    assert [t.scope_path for t in targets] == ["a.py", "b.py", "c.py", "d.py", "e.py"]


def test_a_nul_byte_past_the_first_8_kb_is_still_text(tmp_path: Path) -> None:
    """Only the head of a file is sniffed for binary content: a late NUL (a generated table, say) keeps it checked."""
    (tmp_path / "late.py").write_bytes(b"x = 1\n" * 2000 + b"\x00")
    targets, problems = select_targets(ChangeSet(tmp_path, [FileChange("late.py", None)]), {"python"})
    assert [t.path for t in targets] == ["late.py"] and problems == []


def test_symbolic_links_are_listed_never_read(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("x = 1\n")
    (tmp_path / "secret.py").write_text("token = 1\n")
    (root / "inside.py").symlink_to("src/a.py")
    (root / "outside.py").symlink_to(tmp_path / "secret.py")
    (root / "linked_dir").symlink_to(root / "src")
    changes = ChangeSet(
        root, [FileChange("inside.py", None), FileChange("outside.py", None), FileChange("linked_dir/a.py", None), FileChange("src/a.py", None)]
    )
    targets, problems = select_targets(changes, {"python"})
    assert [t.path for t in targets] == ["src/a.py"]
    assert [(p.path, p.message, p.kind) for p in problems] == [
        ("inside.py", "symbolic link to src/a.py, not checked here", "skipped"),
        ("outside.py", "symbolic link to a file outside the repository, not read", "skipped"),
        ("linked_dir/a.py", "symbolic link to src/a.py, not checked here", "skipped"),
    ]


def test_binary_content_is_sniffed_in_exactly_the_first_8192_bytes(tmp_path: Path) -> None:
    (tmp_path / "nul_at_8191.py").write_bytes(b"#" * 8191 + b"\x00")  # the 8192nd byte: inside the sniffed head
    (tmp_path / "nul_at_8192.py").write_bytes(b"#" * 8191 + b"\n\x00")  # the 8193rd byte: past it
    changes = ChangeSet(tmp_path, [FileChange("nul_at_8191.py", None), FileChange("nul_at_8192.py", None)])
    targets, problems = select_targets(changes, {"python"})
    assert [t.path for t in targets] == ["nul_at_8192.py"]
    assert [(p.path, p.message) for p in problems] == [("nul_at_8191.py", "binary content, not checked")]


def test_a_root_reached_through_a_link_is_no_symbolic_link_of_its_files(tmp_path: Path) -> None:
    """Only links inside the checked tree count; a path leaving the tree is outside it, even when it ends in a link."""
    real = tmp_path / "real"
    (real / "src").mkdir(parents=True)
    (real / "src" / "a.py").write_text("x = 1\n")
    (real / "inside.py").symlink_to("src/a.py")
    (tmp_path / "secret.py").write_text("token = 1\n")
    (tmp_path / "link_out.py").symlink_to(tmp_path / "secret.py")
    root = tmp_path / "root_link"
    root.symlink_to(real)
    changes = ChangeSet(root, [FileChange("inside.py", None), FileChange("../link_out.py", None), FileChange("src/a.py", None)])
    targets, problems = select_targets(changes, {"python"})
    assert [t.path for t in targets] == ["src/a.py"]
    assert [(p.path, p.message, p.kind, p.hint) for p in problems] == [
        ("inside.py", "symbolic link to src/a.py, not checked here", "skipped", "src/a.py is checked as its own file when the change touches it"),
        ("../link_out.py", "outside the checked tree, not checked", "skipped", ""),
    ]


SHELL_TRUE = "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n"


@pytest.fixture(scope="module")
def linked_repo(git_repo_factory):
    """A feature branch adding a violation, a symlink to it and a symlink out of the repository."""
    outside = git_repo_factory("outside")
    outside.write("secret.py", "password = 'hunter2'\nassert password\n")
    repo = git_repo_factory("linked")
    repo.commit("base", {"README.md": "x\n"})
    repo.branch("feature")
    (repo.path / "a_link.py").symlink_to("tool.py")
    (repo.path / "b_out.py").symlink_to(outside.path / "secret.py")
    repo.commit("feature", {"tool.py": SHELL_TRUE})
    return repo


def test_a_symlink_among_the_changes_leaves_the_semgrep_rules_on(linked_repo, run_codex) -> None:
    result = run_codex(["check", "--no-llm", "--no-history", "--no-cache", "--format", "json"], cwd=linked_repo.path)
    assert result.code == 1, result.err
    report = result.json()
    assert [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]] == [("CX0005", "tool.py", 4)]
    assert [(e["path"], e["message"]) for e in report["errors"]] == [
        ("a_link.py", "symbolic link to tool.py, not checked here"),
        ("b_out.py", "symbolic link to a file outside the repository, not read"),
    ]


def test_a_staged_symlink_out_of_the_repository_is_not_read(linked_repo, run_codex) -> None:
    linked_repo.git("reset", "--quiet", "--soft", "HEAD~1")  # the feature's files staged again, the symlinks with them
    try:
        (linked_repo.path / "b_out.py").unlink()  # the working tree differs: codex reads the staged version
        result = run_codex(["check", "--staged", "--no-llm", "--no-history", "--no-cache", "--format", "json"], cwd=linked_repo.path)
    finally:
        linked_repo.git("checkout", "--", "b_out.py")
        linked_repo.git("commit", "--quiet", "-m", "feature")
    assert result.code == 1, result.err
    report = result.json()
    assert [(f["rule_id"], f["path"], f["line"]) for f in report["findings"]] == [("CX0005", "tool.py", 4)]
    assert [(e["path"], e["message"]) for e in report["errors"]] == [
        ("a_link.py", "symbolic link to tool.py, not checked here"),
        ("b_out.py", "symbolic link to a file outside the repository, not read"),
    ]


def test_every_file_under_a_linked_directory_is_reported_though_each_directory_is_asked_once(tmp_path: Path) -> None:
    """Links are looked up once per directory: the second file under a linked directory, and a file in a real
    directory below one, are reported as the first is."""
    root = tmp_path / "root"
    (root / "src" / "deeper").mkdir(parents=True)
    for name in ("src/a.py", "src/b.py", "src/deeper/c.py"):
        (root / name).write_text("x = 1\n")
    (root / "linked").symlink_to(root / "src")
    paths = ("linked/a.py", "src/a.py", "linked/deeper/c.py", "src/deeper/c.py", "linked/b.py", "src/b.py")
    targets, problems = select_targets(ChangeSet(root, [FileChange(p, None) for p in paths]), {"python"}, max_bytes=100)
    assert [t.path for t in targets] == ["src/a.py", "src/deeper/c.py", "src/b.py"]
    assert [(p.path, p.message, p.kind) for p in problems] == [
        ("linked/a.py", "symbolic link to src/a.py, not checked here", "skipped"),
        ("linked/deeper/c.py", "symbolic link to src/deeper/c.py, not checked here", "skipped"),
        ("linked/b.py", "symbolic link to src/b.py, not checked here", "skipped"),
    ]


def test_a_file_within_the_limit_is_read_once_here_and_larger_ones_are_listed_after_the_other_skips(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_bytes(b"x = 1\n" * 10)  # 60 bytes
    (tmp_path / "edge.py").write_bytes(b"#" * 58 + b"\n")  # 59 bytes: at the limit, checked
    (tmp_path / "latin.py").write_bytes(b"s = '\xe9'\r\n")  # not UTF-8: its bytes are kept besides the text
    (tmp_path / "blob.py").write_bytes(b"\x00" * 100)  # binary and over the limit: said to be binary
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbfx = 1\r\n")
    names = ("big.py", "edge.py", "latin.py", "blob.py", "gone.py", "bom.py")
    targets, problems = select_targets(ChangeSet(tmp_path, [FileChange(p, None) for p in names]), {"python"}, max_bytes=59)
    assert [t.path for t in targets] == ["edge.py", "latin.py", "bom.py"]
    assert [(p.path, p.message, p.hint) for p in problems] == [
        ("blob.py", "binary content, not checked", ""),
        ("gone.py", f"not found under {tmp_path}", "give --root the post-change tree the diff applies to"),
        (
            "big.py",
            "60 bytes, over the limit of 59: not checked",
            "raise [tool.codex] max_file_bytes in pyproject.toml to check it, or leave generated files out of the rules' paths",
        ),
    ]
    for name in ("edge.py", "latin.py", "bom.py"):
        (tmp_path / name).unlink()  # the engines take the file from the target: it is not read again
    assert [(t.data, t.text) for t in targets] == [
        (b"#" * 58 + b"\n", "#" * 58 + "\n"),
        (b"s = '\xe9'\r\n", "s = '\ufffd'\r\n"),
        (b"\xef\xbb\xbfx = 1\r\n", "\ufeffx = 1\r\n"),
    ]


def test_a_file_that_vanishes_after_selection_is_checked_as_read_or_reported_never_a_traceback(
    tmp_path: Path, shipped_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tree-sitter takes the Rust file from the target; semgrep, which reads the Python file itself, cannot: it is named."""
    from reviewer import check

    unwrap = "fn main() {\n    let x: Option<u8> = None;\n    x.unwrap();\n}\n"
    (tmp_path / "a.rs").write_text(unwrap)
    (tmp_path / "b.rs").write_text(unwrap)
    (tmp_path / "a.py").write_text("import subprocess\n\nsubprocess.run('ls', shell=True)\n")
    selected = check.select_targets

    def select_then_delete(*args, **kwargs):
        found = selected(*args, **kwargs)
        (tmp_path / "a.rs").unlink()
        (tmp_path / "a.py").unlink()
        return found

    monkeypatch.setattr(check, "select_targets", select_then_delete)
    changes = ChangeSet(tmp_path, [FileChange(p, None) for p in ("a.rs", "a.py", "b.rs")], mode="all")
    report = check.run_check(shipped_ruleset, changes, check.CheckOptions(use_llm=False))
    assert [(f.rule_id, f.path, f.line) for f in report.findings] == [("CX0001", "a.rs", 3), ("CX0001", "b.rs", 3)]
    assert [(e.path, e.kind, e.message) for e in report.errors] == [
        ("a.py", "skipped", "no longer there when semgrep ran (deleted or moved during the check): not checked by the semgrep rules")
    ]  # one problem naming it, not a semgrep failure (nor its fallback)
