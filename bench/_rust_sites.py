"""Every `.unwrap()` / `.expect(` call site in a Rust tree, with its CX0001 verdict, found independently of codex.

The oracle parses each file with tree-sitter-rust and reads calls both in the syntax tree and in the token trees of
macro invocations and attributes (`println!("{}", x.unwrap())`). Test code follows issue 11: items under
`#[cfg(test)]` or `#[cfg(all(test, …))]` (also `#![cfg(test)]` for a whole file), items with a test attribute
(`#[test]`, `#[tokio::test]`, `#[rstest]`, `#[test_case(…)]`, `#[bench]`, …), module files declared by a test module
(`#[cfg(test)] mod x;` and everything below it), and files under `tests/`, `benches/`, `examples/` or named `build.rs`.
An `expect` on `self`, or with an argument other than a string literal in a crate that defines its own `fn expect`, is
the project's own method, not `Option::expect`/`Result::expect`: the first is labelled ok, the second is left to a
manual label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import tree_sitter as ts
import tree_sitter_rust
from _sites import Site

RULE = "CX0001"
TEST_DIRS = {"tests", "benches", "examples"}
TEST_ATTRIBUTES = {"test", "rstest", "test_case", "test_matrix", "bench", "quickcheck", "wasm_bindgen_test", "proptest"}
ITEM_PARENTS = {"source_file", "declaration_list", "block"}
STRINGS = {"string_literal", "raw_string_literal"}
_PARSER = ts.Parser(ts.Language(tree_sitter_rust.language()))


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char in "(["
        depth -= char in ")]"
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [p for p in (*parts, text[start:]) if p]


def is_test_attribute(attribute: str) -> bool:
    """``attribute`` is the inside of ``#[...]`` without whitespace: ``cfg(test)``, ``cfg(all(test,unix))``, ``tokio::test``."""
    if attribute == "cfg(test)":
        return True
    if match := re.fullmatch(r"cfg\(all\((.*)\)\)", attribute):
        return "test" in _split_top(match.group(1))
    path = attribute.split("(", 1)[0]
    return path.rsplit("::", 1)[-1] in TEST_ATTRIBUTES


def _attributes(node: ts.Node) -> Iterator[str]:
    """The outer attributes written just before ``node`` (comments between them are skipped)."""
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in {"attribute_item", "line_comment", "block_comment"}:
        if sibling.type == "attribute_item":
            yield re.sub(r"\s+", "", sibling.text.decode(errors="replace"))[2:-1]
        sibling = sibling.prev_named_sibling


def _is_test_item(node: ts.Node) -> bool:
    return any(is_test_attribute(attribute) for attribute in _attributes(node))


def _in_test_item(node: ts.Node) -> bool:
    current = node
    while current.parent is not None:
        if current.parent.type in ITEM_PARENTS and current.type not in {"attribute_item", "line_comment", "block_comment"} and _is_test_item(current):
            return True
        current = current.parent
    return False


def _file_is_test(root: ts.Node) -> bool:
    return any(child.type == "inner_attribute_item" and re.sub(r"\s+", "", child.text.decode())[3:-1] == "cfg(test)" for child in root.children)


def _module_dir(path: Path) -> Path:
    return path.parent if path.name in {"lib.rs", "main.rs", "mod.rs"} else path.parent / path.stem


def _declared_modules(path: Path, root: ts.Node) -> Iterator[tuple[Path, bool]]:
    """Each file declared with ``mod x;`` in ``path``, and whether the declaration is test code."""
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "mod_item" or node.child_by_field_name("body") is not None:
            continue
        name = node.child_by_field_name("name").text.decode()
        explicit = next((re.fullmatch(r'path="(.*)"', a) for a in _attributes(node) if a.startswith("path=")), None)
        inline = []
        parent = node.parent
        while parent is not None:
            if parent.type == "mod_item":
                inline.append(parent.child_by_field_name("name").text.decode())
            parent = parent.parent
        base = _module_dir(path).joinpath(*reversed(inline))
        candidates = [path.parent / explicit.group(1)] if explicit else [base / f"{name}.rs", base / name / "mod.rs"]
        for candidate in candidates:
            if candidate.is_file():
                yield candidate.resolve(), _is_test_item(node) or _in_test_item(node)
                break


def test_module_files(files: dict[Path, ts.Node]) -> set[Path]:
    """Files that are test code because a test module declares them (directly, or through a test module file)."""
    declared = {path: list(_declared_modules(path, root)) for path, root in files.items()}
    tests = {path for path, root in files.items() if _file_is_test(root)}
    tests |= {child for children in declared.values() for child, is_test in children if is_test}
    changed = True
    while changed:
        changed = False
        for path in list(tests):
            for child, _ in declared.get(path, []):
                if child not in tests:
                    tests.add(child)
                    changed = True
    return tests


def _path_is_test(relative: str) -> bool:
    parts = relative.split("/")
    return parts[-1] == "build.rs" or any(part in TEST_DIRS for part in parts[:-1])


def _calls(root: ts.Node) -> Iterator[tuple[ts.Node, str, str, list[ts.Node], bool]]:
    """(method name node, receiver text, method, argument nodes, in a token tree) for each `.unwrap(`/`.expect(` call, macros included."""
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "field_expression":
                field = function.child_by_field_name("field")
                if field is not None and field.text in (b"unwrap", b"expect"):
                    arguments = node.child_by_field_name("arguments")
                    receiver = function.child_by_field_name("value")
                    yield field, receiver.text.decode(errors="replace"), field.text.decode(), list(arguments.named_children), False
        elif node.type == "token_tree":
            children = node.children
            for i, child in enumerate(children[1:-1], start=1):
                if (
                    child.type == "identifier"
                    and child.text in (b"unwrap", b"expect")
                    and children[i - 1].type == "."
                    and children[i + 1].type == "token_tree"
                    and children[i + 1].children[0].type == "("
                ):
                    receiver = children[i - 2].text.decode(errors="replace") if i >= 2 else ""
                    inner = children[i + 1].children[1:-1]
                    # a token tree's arguments: one string literal is one node; anything else is several
                    yield child, receiver, child.text.decode(), inner, True


def rust_sites(tree: Path) -> list[Site]:
    """Every candidate CX0001 site under ``tree`` with its verdict."""
    files = {}
    for path in sorted(tree.rglob("*.rs")):
        if path.is_file():
            files[path.resolve()] = _PARSER.parse(path.read_bytes()).root_node
    own_expect = any(re.search(rb"\bfn\s+expect\s*[<(]", root.text) for root in files.values())
    test_files = test_module_files(files)
    sites = []
    for path, root in files.items():
        relative = path.relative_to(tree.resolve()).as_posix()
        lines = root.text.decode(errors="replace").splitlines()
        for name, receiver, method, arguments, in_macro in _calls(root):
            line = name.start_point[0] + 1
            if _path_is_test(relative):
                verdict, reason = "ok", "test path (tests/, benches/, examples/, build.rs)"
            elif path in test_files:
                verdict, reason = "ok", "module file declared by a test module"
            elif _in_test_item(name):
                verdict, reason = "ok", "inside a #[cfg(test)] or test-attribute item"
            elif method == "unwrap":
                verdict, reason = "violation", "unwrap in production code"
            elif receiver == "self":
                verdict, reason = "ok", "self.expect: the type's own method"
            elif len(arguments) == 1 and arguments[0].type in STRINGS:
                verdict, reason = "violation", 'expect("literal") in production code'
            elif not own_expect:
                verdict, reason = "violation", "expect in production code (the crate defines no expect of its own)"
            else:
                verdict, reason = "?", "expect with a non-literal argument in a crate that defines its own expect"
            sites.append(
                Site(
                    rule=RULE,
                    path=relative,
                    line=line,
                    column=name.start_point[1] + 1,
                    verdict=verdict,
                    reason=f"{reason}, in a macro or attribute" if in_macro else reason,
                    snippet=lines[line - 1].strip()[:120],
                )
            )
    return sites
