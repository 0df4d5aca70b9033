"""Which code is test code, per language: the model every rule with ``tests: exempt`` relies on.

Rust, on tree-sitter: files under ``tests/``, ``benches/`` or ``examples/``, ``build.rs``, a file whose module its
parent declares under ``#[cfg(test)]`` (``#[cfg(test)] mod x;`` in ``foo.rs``, ``foo/mod.rs``, ``lib.rs`` or
``main.rs``, or a sibling naming it in ``#[path = "..."]``), a file with ``#![cfg(test)]``; and inside a file, items
under ``#[cfg(test)]`` or ``#[cfg(all(test, ...))]`` (never ``cfg(not(test))``) and functions with a test attribute
(a path ending in ``test``, ``test_case`` or ``bench``: ``#[test]``, ``#[tokio::test]``, ``#[rstest]``).
Python: ``test_*.py``, ``*_test.py``, ``tests.py``, ``conftest.py``, files under ``tests/`` or ``test/``, and the
project's own test-support modules (``[tool.codex] test_paths`` globs).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from pydantic import BaseModel, ConfigDict

from codex import __version__
from codex.model import PathFilter, Ruleset
from reviewer.finding import Finding
from reviewer.targets import Target, path_matches

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from reviewer.cache import ResultCache

MODULE_LEVELS = 3  # inline modules a declaration may sit in (mod a { mod b { mod c; } }) and still be found
RUST_TEST_DIRECTORIES = {"tests", "benches", "examples"}
PYTHON_TEST_DIRECTORIES = {"tests", "test"}
_PYTHON_TEST_FILE = re.compile(r"(test_.*|.*_test|tests|conftest)\.py")
Lines = tuple[tuple[int, int], ...]  # (first, last) line ranges of test code
WHOLE_FILE: Lines = ((1, 1 << 62),)


class _Declaration(NamedTuple):
    """A module declaration without a body (``mod x;``) in a Rust file."""

    inline: tuple[str, ...]  # the inline modules it sits in: a, b for mod a { mod b { mod x; } }
    name: str
    path: str | None  # what its #[path = "..."] attribute names
    under_test: bool


class _RustFile(NamedTuple):
    """What the model reads of a Rust file's parse."""

    test_items: Lines
    declarations: tuple[_Declaration, ...]


class _KeptRustFile(BaseModel):
    """A Rust file's reading as the result cache keeps it: a warm run does not parse the files it has findings in."""

    model_config = ConfigDict(extra="forbid")

    test_items: list[tuple[int, int]]
    declarations: list[tuple[list[str], str, str | None, bool]]

    @classmethod
    def of(cls, read: _RustFile) -> _KeptRustFile:
        return cls(test_items=list(read.test_items), declarations=[(list(d.inline), d.name, d.path, d.under_test) for d in read.declarations])

    def reading(self) -> _RustFile:
        return _RustFile(tuple(self.test_items), tuple(_Declaration(tuple(i), n, p, u) for i, n, p, u in self.declarations))


_SHARED: dict[bytes, _RustFile] = {}  # Rust files the tree-sitter engine parsed, by content


def share_tree(language: str, source: bytes, tree: Tree) -> None:
    """Keep what the model needs of a file the tree-sitter engine parsed (a Rust file's test items and module
    declarations), so that the model does not parse it again; kept by content, so it never stands for another
    version of the file."""
    if language == "rust":
        _SHARED[source] = _rust_file(source, tree)


def forget_shared() -> None:
    """Drop what the engine kept and no model read (a tree-sitter run calls it as it starts)."""
    _SHARED.clear()


class TestCodeModel:
    """Test code of the files of one run. ``test_paths``: the project's globs of further test-support files;
    ``root``: the checked tree, where a Rust module's declaring file is read (by default beside the file read);
    ``cache``: where each Rust file's reading is kept, by content, for the next run."""

    __test__ = False  # not a pytest class

    def __init__(self, test_paths: Iterable[str] = (), root: Path | None = None, cache: ResultCache | None = None):
        self.test_paths = PathFilter(include=tuple(test_paths))
        self.root = root
        self.cache = cache
        # Files by their normalized absolute path as a string (a Path per look-up cost more than the look-ups).
        self._lines: dict[str, Lines] = {}
        self._declared: dict[str, bool] = {}
        self._modules: dict[str, dict[str, bool]] = {}
        self._sources: dict[str, bytes] = {}
        self._files: dict[str, bool] = {}  # is it a file (os.path.isfile), once per path
        self._parents: dict[str, list[str]] = {}  # by directory: the possible declaring files that exist
        self._read: dict[str, _RustFile] = {}  # by the content's sha256: each parsed once, as a file checked and as a parent
        self._rust_targets: dict[str, Target] = {}  # a declaring file already read is not read again
        self._unindexed: list[Target] = []  # Rust targets not yet in _rust_targets: indexed when a declaring file is looked for

    def drop_exempt(self, ruleset: Ruleset, targets: list[Target], findings: list[Finding]) -> list[Finding]:
        """``findings`` without those of ``tests: exempt`` rules in test code."""
        exempt = {r.id for r in ruleset.rules if r.tests == "exempt"}
        self._unindexed += [t for t in targets if t.language == "rust"]
        by_path = {t.path: t for t in targets}
        return [f for f in findings if f.rule_id not in exempt or f.path not in by_path or not self.is_test(by_path[f.path], f.line)]

    def is_test(self, target: Target, line: int) -> bool:
        return any(first <= line <= last for first, last in self.test_lines(target))

    def test_lines(self, target: Target) -> Lines:
        if target.path not in self._lines:
            self._lines[target.path] = self._test_lines(target)
        return self._lines[target.path]

    def is_test_path(self, target: Target) -> bool:
        """Is all of the file test code by its path alone (no need to read it)?"""
        scope = target.scope_path  # None: an example file, judged by its content only
        if scope is None:
            return False
        return (bool(self.test_paths.include) and path_matches(self.test_paths, scope)) or _test_path(target.language, scope)

    def _test_lines(self, target: Target) -> Lines:
        if self.is_test_path(target):
            return WHOLE_FILE
        if target.language != "rust":
            return ()
        # by its digest: a warm run reads no file whose reading the result cache kept
        lines = self._rust_file(target.digest, target.path, lambda: target.data if target.read() else None).test_items
        if lines == WHOLE_FILE or self._declared_as_test(self._located(target)):
            return WHOLE_FILE
        return lines

    def _located(self, target: Target) -> str:
        """Where the file sits among its crate's files (a staged copy or a base version is read elsewhere)."""
        return os.path.join(self.root, target.scope_path) if self.root is not None and target.scope_path is not None else os.fspath(target.abs_path)

    def _declared_as_test(self, file: str) -> bool:
        """Is the module of ``file`` declared under ``#[cfg(test)]`` by its parent, or is its parent test code?"""
        file = _normal(file)
        if file in self._declared:
            return self._declared[file]
        self._declared[file] = False  # a cycle of #[path] declarations ends here
        directory, name = os.path.split(file)
        module = PurePosixPath(name).stem
        if name == "mod.rs":
            directory, module = os.path.split(directory)
        found = False
        if name not in ("lib.rs", "main.rs"):
            parents = self._possible_parents(directory)
            for parent in itertools.chain(parents, _siblings(directory, parents)):
                declared = self._declarations(_normal(parent), module).get(file)
                if declared is not None:
                    found = declared or self._declared_as_test(parent)
                    break
        self._declared[file] = found
        return found

    def _possible_parents(self, directory: str) -> list[str]:
        """The files that may declare a module file of ``directory`` and exist: its ``mod.rs``, ``lib.rs``, ``main.rs``
        or ``<dir>.rs``, and those a few levels up (a ``mod x;`` inside inline modules), up to the crate root."""
        if directory not in self._parents:
            candidates: list[str] = []
            level = directory
            for _ in range(MODULE_LEVELS + 1):
                up, name = os.path.split(level)
                candidates += [os.path.join(level, "mod.rs"), os.path.join(level, "lib.rs"), os.path.join(level, "main.rs"), os.path.join(up, f"{name}.rs")]
                if self._is_file(os.path.join(level, "lib.rs")) or self._is_file(os.path.join(level, "main.rs")) or up == level:
                    break
                level = up
            self._parents[directory] = [p for p in candidates if self._is_file(p)]
        return self._parents[directory]

    def _is_file(self, path: str) -> bool:
        if path not in self._files:
            self._files[path] = os.path.isfile(path)
        return self._files[path]

    def _declarations(self, parent: str, name: str) -> dict[str, bool]:
        """The module files ``parent`` declares (``mod x;``), each with whether the declaration is test code: as kept
        when a checked file's reading is (then it is not read); otherwise none when its text names neither the module
        ``name`` nor a ``#[path]`` (then it is not parsed)."""
        if parent in self._modules:
            return self._modules[parent]
        if parent not in self._sources:
            if self._unindexed:
                self._rust_targets.update((_normal(os.fspath(t.abs_path)), t) for t in self._unindexed)
                self._unindexed = []
            checked = self._rust_targets.get(parent)
            kept = self._kept(checked.digest, checked.path) if checked is not None else None
            if kept is not None:
                self._modules[parent] = _module_files(parent, kept.declarations)
                return self._modules[parent]
            try:
                self._sources[parent] = checked.data if checked is not None else Path(parent).read_bytes()
            except OSError:
                self._sources[parent] = b""
        source = self._sources[parent]
        if name.encode() not in source and b"#[path" not in source:
            return {}
        located = Path(parent)
        shown = located.relative_to(self.root).as_posix() if self.root is not None and located.is_relative_to(self.root) else located.name
        self._modules[parent] = _module_files(parent, self._rust_file(hashlib.sha256(source).hexdigest(), shown, lambda: source).declarations)
        return self._modules[parent]

    def _rust_file(self, digest: str, about: str, source: Callable[[], bytes | None]) -> _RustFile:
        """The Rust file of the content whose sha256 is ``digest`` (the file ``about``): as kept, as the tree-sitter
        engine shared it, or parsed now from ``source`` (read only then; None: a file the file index knew that changed
        since, judged as empty and not kept, its findings are not reported); then kept."""
        read = self._kept(digest, about)
        if read is None:
            data = source()
            if data is None:
                return _RustFile((), ())
            read = _SHARED.get(data) or _rust_file(data, _parse_rust(data))
            if self.cache is not None:
                self.cache.store_fact(_kept_key(digest), _KeptRustFile.of(read))
            self._read[digest] = read
        return read

    def _kept(self, digest: str, about: str) -> _RustFile | None:
        """The Rust file of this content as this model or the result cache kept it (a note on an unreadable cache entry
        names the file ``about``), None when neither did."""
        if digest not in self._read and self.cache is not None:
            kept = self.cache.fact(_kept_key(digest), _KeptRustFile, about)
            if kept is not None:
                self._read[digest] = kept.reading()
        return self._read.get(digest)


def _kept_key(digest: str) -> str:
    """The result cache's key for the reading of a Rust file: its content's sha256, and the code and grammar that read it."""
    return hashlib.sha256("\x1f".join(["rust-file", _reader(), digest]).encode()).hexdigest()[:32]


@functools.cache
def _reader() -> str:
    """What a Rust file's reading depends on besides its content: codex, tree-sitter and its grammars, this module."""
    from reviewer.engines.treesitter import ENGINE

    return f"codex {__version__}; {ENGINE.version()}; {hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}"


def _normal(path: str) -> str:
    """An absolute path without ``..``; symbolic links are left as they are (resolving each costs a stat per part)."""
    return os.path.abspath(path)


def _siblings(directory: str, parents: list[str]) -> Iterator[str]:
    """The other Rust files of ``directory``, for ``#[path = "..."]`` declarations: listed only when asked for (when
    no possible parent declares the file)."""
    if os.path.isdir(directory):
        yield from sorted(p for p in map(str, Path(directory).glob("*.rs")) if p not in parents)


def _test_path(language: str, path: str) -> bool:
    """Test code by its path alone: test directories and file names, by language (on strings: this runs once per
    target of a run)."""
    if language not in ("rust", "python"):
        return False
    directory, _, name = path.rpartition("/")
    if name in ("", "."):  # "x/" or "x/.": the last part as PurePosixPath finds it
        parts = PurePosixPath(path).parts
        directory, name = "/".join(parts[:-1]), parts[-1]
    if language == "rust":
        return name == "build.rs" or not RUST_TEST_DIRECTORIES.isdisjoint(_directories(directory))
    return bool(_PYTHON_TEST_FILE.fullmatch(name)) or not PYTHON_TEST_DIRECTORIES.isdisjoint(_directories(directory))


@functools.lru_cache(maxsize=4096)
def _directories(directory: str) -> frozenset[str]:
    """The names of the directories in a "/"-separated path, once per directory."""
    return frozenset(directory.split("/"))


def _parse_rust(source: bytes) -> Tree:
    from reviewer.engines.treesitter import parse

    return parse("rust", source)


def _rust_file(source: bytes, tree: Tree) -> _RustFile:
    tests = _rust_test_items(tree.root_node, source)
    return _RustFile(tests, _declared_modules(tree.root_node, source, tests))


def _text(source: bytes, node: Node | None) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace") if node is not None else ""


def _rust_test_items(root: Node, source: bytes) -> Lines:
    """Line ranges of test items (from their first attribute to their end); WHOLE_FILE under ``#![cfg(test)]``."""
    found: list[tuple[int, int]] = []

    def visit(container: Node) -> bool:
        """Collect the test items of ``container``; True when an inner attribute makes all of it test code."""
        attributes: list[Node] = []
        for child in container.named_children:
            if child.type == "inner_attribute_item" and _is_test_attribute(child, source, cfg_only=True):
                return True
            if child.type == "attribute_item":
                attributes.append(child)
                continue
            if child.type in ("line_comment", "block_comment"):
                continue
            if any(_is_test_attribute(a, source, cfg_only=child.type != "function_item") for a in attributes):
                found.append(((attributes[0] if attributes else child).start_point.row + 1, child.end_point.row + 1))
            elif child.type in ("mod_item", "impl_item", "trait_item"):
                body = child.child_by_field_name("body")
                if body is not None and visit(body):
                    found.append((child.start_point.row + 1, child.end_point.row + 1))
            attributes = []
        return False

    return WHOLE_FILE if visit(root) else tuple(found)


def _is_test_attribute(item: Node, source: bytes, cfg_only: bool) -> bool:
    """``#[cfg(<test predicate>)]``, or (on a function) an attribute path ending in test, test_case or bench."""
    attribute = next((c for c in item.named_children if c.type == "attribute"), None)
    if attribute is None or not attribute.named_children:
        return False
    path = _text(source, attribute.named_children[0])
    last = path.rsplit("::", 1)[-1]
    if path == "cfg":
        arguments = attribute.child_by_field_name("arguments")
        return arguments is not None and _cfg_requires_test(arguments, source)
    return not cfg_only and (last.endswith("test") or last in ("test_case", "bench"))


def _cfg_requires_test(tree: Node, source: bytes) -> bool:
    """Does a cfg predicate (a token tree ``(...)``) hold only under ``test``? ``test``, ``all(.., test, ..)``,
    ``any(..)`` of such predicates only; never ``not(..)``."""
    terms = _terms(tree, source)
    return len(terms) == 1 and _predicate_requires_test((_text(source, terms[0][0]), terms[0][1]), source)


def _predicate_requires_test(term: tuple[str, Node | None], source: bytes) -> bool:
    name, group = term
    if group is None:
        return name == "test"
    inner = [(_text(source, t), g) for t, g in _terms(group, source)]
    if name == "all":
        return any(_predicate_requires_test(t, source) for t in inner)
    if name == "any":
        return bool(inner) and all(_predicate_requires_test(t, source) for t in inner)
    return False  # not(..) and anything unknown


def _terms(group: Node, source: bytes) -> list[tuple[Node, Node | None]]:
    """The predicates of a group, each a name and its own group: ``all(test, feature = "x")`` gives test, feature."""
    tokens = group.children[1:-1]
    terms = []
    for i, token in enumerate(tokens):
        if token.type == "identifier" and (i == 0 or tokens[i - 1].type == ","):
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            terms.append((token, following if following is not None and following.type == "token_tree" else None))
    return terms


def _declared_modules(root: Node, source: bytes, tests: Lines) -> tuple[_Declaration, ...]:
    """The modules a file declares without a body (``mod x;``), at any depth of inline modules."""
    declarations: list[_Declaration] = []
    stack: list[tuple[Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, inline = stack.pop()
        for child in node.named_children:
            if child.type != "mod_item":
                continue
            name = _text(source, child.child_by_field_name("name"))
            body = child.child_by_field_name("body")
            if body is not None:
                stack.append((body, (*inline, name)))
                continue
            line = child.start_point.row + 1
            under_test = tests == WHOLE_FILE or any(first <= line <= last for first, last in tests)
            declarations.append(_Declaration(inline, name, _path_attribute(child, source), under_test))
    return tuple(declarations)


def _module_files(parent: str, declarations: tuple[_Declaration, ...]) -> dict[str, bool]:
    """The files of the modules ``parent`` (a normalized path) declares (beside it, or where a ``#[path = "..."]``
    says), each with whether the declaration is test code."""
    beside, name = os.path.split(parent)
    own = beside if name in ("mod.rs", "lib.rs", "main.rs") else os.path.join(beside, PurePosixPath(name).stem)
    files: dict[str, bool] = {}
    for declaration in declarations:
        directory, module = os.path.join(own, *declaration.inline), declaration.name
        if declaration.path:
            candidates = [os.path.join(beside, declaration.path)]
        else:
            candidates = [os.path.join(directory, f"{module}.rs"), os.path.join(directory, module, "mod.rs")]
        for candidate in candidates:
            files[os.path.normpath(candidate)] = declaration.under_test  # absolute, as parent is
    return files


def _path_attribute(declaration: Node, source: bytes) -> str | None:
    """The file a ``#[path = "..."]`` attribute of a module declaration names."""
    sibling = declaration.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
        named = re.fullmatch(r'#\[\s*path\s*=\s*"([^"]+)"\s*\]', _text(source, sibling))
        if named:
            return named[1]
        sibling = sibling.prev_named_sibling
    return None
