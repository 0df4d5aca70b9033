"""reviewer.unified_diff: a unified diff turned into changed files and lines, every part read or said."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from codex_testing.changes import added
from reviewer.unified_diff import from_patch, printable, unquote


@pytest.fixture(scope="module")
def mixed_patch(git_repo_factory) -> str:
    """A real `git diff --cached` with every kind of file change, from git's default settings."""
    repo = git_repo_factory("mixed")
    repo.commit(
        "base",
        {
            "keep.py": "a\nb\nc\n",
            "old.py": "x\ny\n",
            "ren.py": "one\ntwo\nthree\nfour\nfive\nsix\n",
            "nonl.py": "z",
            "blob.bin": b"\x00\x01binary",
            "run.sh": "echo hi\n",
        },
    )
    repo.git("mv", "ren.py", "renamed.py")
    repo.write_files(
        {
            "renamed.py": "one\ntwo\nTHREE\nfour\nfive\nsix\n",
            "new.py": "n1\nn2\n",
            "crlf.py": "r1\r\nr2\r\n",
            "nonl.py": "z\nw",
            "blob.bin": b"\x00\x02binary",
            "\u00e4.py": "q\n",
            "keep.py": "a\nB\nc\n",
        }
    )
    repo.git("rm", "--quiet", "old.py")
    (repo.path / "run.sh").chmod(0o755)
    repo.stage()
    return repo.diff("--cached", "-M")


def test_patch_kinds_of_change(mixed_patch: str) -> None:
    changes = from_patch(mixed_patch, Path("."), "change.patch")
    assert added(changes) == {
        "keep.py": {2},
        "renamed.py": {3},  # a rename is reported under its new name, only the changed line
        "new.py": {1, 2},
        "crlf.py": {1, 2},
        "nonl.py": {1, 2},  # "\ No newline at end of file" on both sides
        "\u00e4.py": {1},  # git quotes the non-ASCII path: "b/\303\244.py"
    }
    assert [(p.path, p.kind) for p in changes.problems] == [("blob.bin", "skipped")]
    assert '"b/\\303\\244.py"' in mixed_patch  # the quoted form really was exercised


def test_deleted_and_mode_only_files_are_not_checked(mixed_patch: str) -> None:
    assert "deleted file mode" in mixed_patch and "new mode 100755" in mixed_patch
    paths = {f.path for f in from_patch(mixed_patch, Path("."), "p").files}
    assert "old.py" not in paths and "run.sh" not in paths


def test_patch_saved_with_crlf_line_ends(mixed_patch: str) -> None:
    windows = mixed_patch.replace("\r\n", "\n").replace("\n", "\r\n")
    assert added(from_patch(windows, Path("."), "p")) == added(from_patch(mixed_patch, Path("."), "p"))


def _first_hunk(patch: str, path: str) -> str:
    start = patch.index(f"diff --git a/{path} ")
    return patch[patch.index("@@", start) : patch.index("\n", patch.index("@@", start))]


@pytest.mark.parametrize("broken", ["@@ -1,3 +1,9 @@", "@@ garbage @@"])
def test_corrupt_hunk_is_reported_and_other_files_kept(mixed_patch: str, broken: str) -> None:
    header = _first_hunk(mixed_patch, "keep.py")
    corrupt = mixed_patch.replace(header, broken, 1)
    changes = from_patch(corrupt, Path("."), "change.patch")
    assert "keep.py" not in added(changes)
    assert {"renamed.py", "new.py", "crlf.py", "nonl.py", "\u00e4.py"} <= set(added(changes))
    diff_problems = [p for p in changes.problems if p.kind == "diff"]
    assert len(diff_problems) == 1
    problem = diff_problems[0]
    assert problem.path == "change.patch"
    assert corrupt.splitlines()[problem.line - 1].startswith("diff --git a/keep.py")
    assert str(problem).startswith(f"change.patch:{problem.line}: ")


def test_plain_diff_without_git_headers() -> None:
    text = "--- a/src/x.py\n+++ b/src/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\n"
    assert added(from_patch(text, Path("."), "p")) == {"src/x.py": {2}}


def test_plain_diff_before_the_first_git_header_is_kept() -> None:
    text = "--- a/src/x.py\n+++ b/src/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\ndiff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n"
    changes = from_patch(text, Path("."), "p")
    assert added(changes) == {"src/x.py": {2}, "y.py": {2}}
    assert changes.problems == []


@pytest.mark.parametrize(
    "text", ["hello\n", "diff --git", "--- a\n+++ b\n@@ -1 +1 @@\n", "\x00\xff", "\ufffd\ufffdd\x00i\x00f\x00f\x00"]
)  # the last: UTF-16 read as UTF-8
def test_junk_is_a_problem_not_a_crash(text: str) -> None:
    changes = from_patch(text, Path("."), "junk.patch")
    assert changes.files == []
    assert [(p.path, p.kind) for p in changes.problems] == [("junk.patch", "diff")]


def test_empty_diff_and_bom(mixed_patch: str) -> None:
    assert from_patch("", Path("."), "p").problems == []
    with_bom = from_patch("\ufeff" + mixed_patch, Path("."), "p")
    assert added(with_bom) == added(from_patch(mixed_patch, Path("."), "p"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "diff --git a/x.py b/x.py\n",
                "--- a/x.py\n",
                "+++ b/x.py\n",
                '+++ "b/\\x"\n',
                "--- /dev/null\n",
                "@@ -1,2 +1,3 @@\n",
                "@@ -0,0 +1 @@\n",
                " ctx\n",
                "+add\n",
                "-del\n",
                "\\ No newline at end of file\n",
                "Binary files a/x and b/x differ\n",
                "rename from a\n",
                "rename to b\n",
                "new file mode 100644\n",
                "\n",
            ]
        )
        | st.text(max_size=40).map(lambda s: s + "\n"),
        max_size=30,
    )
)
def test_from_patch_never_raises_on_arbitrary_text(lines: list[str]) -> None:
    changes = from_patch("".join(lines), Path("."), "fuzz.patch")
    for change in changes.files:
        assert change.added and min(change.added) >= 1


def test_unquote() -> None:
    assert unquote('"b/\\303\\244 x.py"') == "b/\u00e4 x.py"
    assert unquote('"tab\\there"') == "tab\there"
    assert unquote("plain.py") == "plain.py"
    assert unquote('"bad\\x"') == "bad\\x"
    assert unquote('""') == ""
    assert unquote('"caf\\351.py"') == "caf\udce9.py"  # not UTF-8: the byte kept as the file system has it


_HINT = "give a unified diff as `git diff` writes it; the other files are still checked"


@pytest.mark.parametrize(
    ("text", "files", "problems"),
    [
        (
            "--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n",
            {"y.py": {2}},
            [],
        ),  # a deleted file first: the next file is still read
        (
            "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\n--- a/b.bin\n+++ b/b.bin\n"
            "Binary files a/b.bin and b/b.bin differ\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n",
            {"x.py": {2}, "y.py": {2}},
            [("b.bin", None, "skipped", "binary file, not checked", "")],
        ),
        (
            "\ufeffdiff --git a/b.bin b/b.bin\nindex 1..2 100644\nBinary files a/b.bin and b/b.bin differ\n"
            "diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n",
            {"y.py": {2}},
            [("b.bin", None, "skipped", "binary file, not checked", "")],
        ),
        (
            "\n--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\ndiff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,9 @@\n y\n+z\n",
            {"x.py": {2}},
            [("p", 8, "diff", "cannot parse this part of the diff: Hunk is shorter than expected", _HINT)],
        ),
        (
            "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,9 @@\n one\n+two\n three\ndiff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n",
            {"y.py": {2}},
            [("p", 1, "diff", "cannot parse this part of the diff: Hunk is shorter than expected", _HINT)],
        ),
        (
            "\ndiff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ garbage @@\n y\n+z\n",
            {},
            [("p", 2, "diff", "1 hunk header(s) in this part of the diff are not valid", _HINT)],
        ),
        (
            "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\ndiff --git a/q b/q\n",
            {"x.py": {2}},
            [],
        ),  # a last part without files: the diff as a whole still had some
        ("hello\n", {}, [("p", 1, "diff", "no file changes found in this diff", "give a unified diff as `git diff` writes it (UTF-8, not UTF-16)")]),
    ],
)
def test_each_part_of_a_diff_is_read_or_said_exactly(text: str, files: dict[str, set[int]], problems: list[tuple]) -> None:
    changes = from_patch(text, Path("/checked"), "p")
    assert added(changes) == files
    assert [(p.path, p.line, p.kind, p.message, p.hint) for p in changes.problems] == problems
    assert changes.root == Path("/checked")


def test_each_file_keeps_its_part_of_the_diff() -> None:
    x = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n one\n+two\n three\n"
    y = "diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1,2 @@\n y\n+z\n"
    assert [str(f.patch) for f in from_patch(x + y, Path("."), "p").files] == [x, y.replace("@@ -1 +1,2 @@", "@@ -1,1 +1,2 @@")]


def test_printable_names_show_undecodable_bytes_as_replacement_characters() -> None:
    assert printable(os.fsdecode(b"caf\xe9.py")) == "caf\ufffd.py"
    assert printable("\u00e4.py") == "\u00e4.py"


def test_a_plain_diff_saved_with_a_bom_is_read_as_without() -> None:
    """Without git's header the BOM would stand before `---`, where unidiff no longer sees the file's source."""
    changes = from_patch("\ufeff--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n x\n+y\n", Path("."), "p")
    assert (added(changes), changes.problems) == ({"x.py": {2}}, [])
