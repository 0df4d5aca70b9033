"""CX0006 (codex.lints.yaml_load) through the real libcst engine: what it flags, the loader factories it follows, and its fixes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codex.model import Ruleset
from reviewer.engines.libcst import check_file
from reviewer.targets import Target


@pytest.fixture
def cx0006(shipped_ruleset: Ruleset, tmp_path: Path):
    """``cx0006(source)`` → (line, message, fix) of every CX0006 finding in the file, in line order."""

    def run(source: str) -> list[tuple[int, str | None, str | None]]:
        path = tmp_path / "app.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        matches, problems = check_file(Target("app.py", path, "python", None, None), [shipped_ruleset.rule("CX0006")])
        assert problems == []
        return sorted((m.line, m.message, m.fix) for m in matches)

    return run


def test_a_loader_factory_of_the_module_is_followed_to_the_loader_it_derives_from(cx0006) -> None:
    # mkdocs' shape (a subclass of the factory's loader parameter, whose default is yaml.Loader, reached through
    # `loader = loader or factory()`) and omegaconf's (a SafeLoader subclass), the unsafe one first
    assert cx0006("""\
        import yaml


        def get_yaml_loader(loader=yaml.Loader):
            class Loader(loader):
                pass
            Loader.add_constructor("!ENV", None)
            return Loader


        def get_safe_loader():
            class OmegaConfLoader(yaml.SafeLoader):
                pass
            return OmegaConfLoader


        def yaml_load(source, loader=None):
            loader = loader or get_yaml_loader()
            return yaml.load(source, Loader=loader)


        def direct(source):
            return yaml.load(source, Loader=get_yaml_loader())


        def safe(source):
            first = yaml.load(source, Loader=get_safe_loader())
            return first, yaml.load(source, Loader=get_yaml_loader(yaml.SafeLoader))
        """) == [(19, "yaml.load() with Loader=loader (from yaml.Loader)", None), (23, "yaml.load() with Loader=get_yaml_loader() (from yaml.Loader)", None)]


def test_loaders_it_cannot_see_into_are_left_alone(cx0006) -> None:
    assert (
        cx0006("""\
        import yaml
        from .loaders import make_loader, UnsafeSubclass


        def read(source, holder, *args):
            return (yaml.load(source, Loader=make_loader()), yaml.load(source, Loader=UnsafeSubclass),
                    yaml.load(source, Loader=holder.loader), yaml.load(source, Loader=factory(*args)))


        def factory(base=yaml.Loader):
            return base
        """)
        == []
    )


def test_own_classes_and_names_are_flagged_by_what_they_derive_from(cx0006) -> None:
    assert cx0006("""\
        import yaml as y
        from yaml import CLoader, SafeLoader


        class Unsafe(y.Loader):
            pass


        class Safe(SafeLoader):
            pass


        LOADER = Unsafe


        def read(source, fast):
            chosen = CLoader if fast else SafeLoader
            return (y.load(source, Loader=Safe), y.load(source, Loader=LOADER), y.load(source, chosen),
                    y.load(source, Loader=Unsafe))
        """) == [
        (18, "yaml.load() with Loader=LOADER (from yaml.Loader)", None),
        (18, "yaml.load() with Loader=chosen (from yaml.CLoader)", None),
        (19, "yaml.load() with Loader=Unsafe (from yaml.Loader)", None),
    ]


def test_fixes_keep_the_module_name_and_the_stream_and_are_left_out_where_unsafe(cx0006) -> None:
    assert cx0006("""\
        import yaml as y
        from yaml import load, CLoader


        def read(source):
            y.load(source, y.UnsafeLoader)
            y.full_load_all(source)
            load(source)
            y.load(source, Loader=y.cyaml.CFullLoader)
            y.load(source, Loader=CLoader)
            y.load(
                source,
                Loader=y.Loader,
            )
        """) == [
        (6, "yaml.load() with Loader=yaml.UnsafeLoader", "    y.safe_load(source)"),
        (7, "yaml.full_load_all()", "    y.safe_load_all(source)"),
        (8, "yaml.load() without a Loader", None),
        (9, "yaml.load() with Loader=yaml.cyaml.CFullLoader", "    y.load(source, Loader=y.cyaml.CSafeLoader)"),
        (10, "yaml.load() with Loader=yaml.CLoader", None),
        (11, "yaml.load() with Loader=yaml.Loader", "    y.safe_load(\n        source,\n    )"),
    ]
