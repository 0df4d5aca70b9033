"""One request to an OpenAI-compatible endpoint through the ``openai`` client: bounded retries, then a plain reason."""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from reviewer.llm.schema import AnswerKind, MalformedAnswer
from reviewer.llm.settings import LlmSettings
from reviewer.redact import redact

if TYPE_CHECKING:
    import openai

MAX_RETRY_AFTER = 60.0  # seconds; a server asking to wait longer is treated as a failure
JSON_OBJECT: dict[str, object] = {"type": "json_object"}  # the response_format a json_schema steps down to, then to none
T = TypeVar("T")
_TOO_BIG = re.compile(r"context.length|context.window|maximum.{0,40}tokens|too many tokens|prompt is too long|too long", re.I)


@dataclass(frozen=True)
class Reply(Generic[T]):
    answer: T  # as the request's AnswerKind read it
    model: str  # the model that answered (a fallback, when the one asked first failed)
    tokens_in: int | None  # as the endpoint reported them, when it did
    tokens_out: int | None
    content: str
    tokens_cached: int = 0  # of tokens_in, served from the endpoint's prompt cache (usage.prompt_tokens_details)


@dataclass(frozen=True)
class Fallback:
    """A model given up on for the rest of the run, why, and the one asked instead (``None``: none was left)."""

    model: str
    reason: str
    to: str | None


class EndpointFailure(Exception):
    """The request failed for good; the message says why, for a person."""


class ModelUnavailable(EndpointFailure):
    """The model is not served (404) or keeps failing (5xx after the retries): the next model of the chain is asked."""


class _DeadlinePassed(Exception):
    """The whole request took longer than the timeout (httpx's own timeouts are per read: a server sending a byte
    a second never trips them)."""


class Endpoint:
    """Asks the model; retries timeouts, 429 (after its Retry-After), 5xx, refused connections and bad answers."""

    def __init__(self, settings: LlmSettings, sleep: Callable[[float], None] = time.sleep):
        import httpx
        import openai  # half a second to import: only when there is something to ask

        self.settings = settings
        self._sleep = sleep
        self._format = 0  # 0: the json_schema, 1: json_object, 2: none; stepped down when the endpoint rejects one
        self._gone: dict[str, str] = {}  # models given up on for the run, with the reason
        self.fallbacks: list[Fallback] = []
        self._dropped: set[str] = set()  # other options (temperature, max_tokens) the endpoint rejected by name
        self._lock = threading.Lock()
        self._client = openai.OpenAI(api_key=settings.api_key, base_url=settings.base_url, timeout=settings.config.timeout, max_retries=0)
        self._client.chat.completions  # noqa: B018  imported now, not inside the first request's deadline
        self._tls = httpx.create_ssl_context()  # httpx's default, made once rather than in every request's deadline

    def ask(self, messages: list[dict[str, str]], models: tuple[str, ...], kind: AnswerKind[T]) -> Reply[T]:
        """The first answer of ``models`` in turn: a model that is not found or fails with 5xx after the retries is
        given up on for the rest of the run (``fallbacks``) and the next one asked; ``EndpointFailure`` when none
        answers, or on any other failure."""
        reasons: list[str] = []
        for index, model in enumerate(models):
            with self._lock:
                gone = self._gone.get(model)
            if gone is not None:
                reasons.append(f"{model}: {gone}")
                continue
            try:
                return self._ask(messages, model, kind)
            except ModelUnavailable as exc:
                with self._lock:
                    if model not in self._gone:
                        self._gone[model] = str(exc)
                        following = next((m for m in models[index + 1 :] if m not in self._gone), None)
                        self.fallbacks.append(Fallback(model, str(exc), following))
                reasons.append(f"{model}: {exc}")
        raise self._failure("; ".join(reasons) if len(models) > 1 else reasons[0].removeprefix(f"{models[0]}: "))

    def _ask(self, messages: list[dict[str, str]], model: str, kind: AnswerKind[T]) -> Reply[T]:
        import openai

        config = self.settings.config
        failures = 0
        while True:
            server_error = False  # a 5xx: after the retries, the model is given up on
            options = self._options(kind)
            try:
                return self._once(messages, model, options, kind)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if exc.param not in options and (exc.code == "context_length_exceeded" or _TOO_BIG.search(str(exc.message))):
                    raise self._failure(f"too big for the model ({exc.status_code}: {_detail(exc)})") from None
                if not self._step_down(exc, options, kind):
                    raise self._failure(f"the endpoint refused the request ({exc.status_code}: {_detail(exc)})") from None
                continue  # asked again without the option it named; the answer is validated the same
            except openai.RateLimitError as exc:
                wait = _retry_after(exc.response.headers)
                if wait is not None and wait > MAX_RETRY_AFTER:
                    raise self._failure(f"rate limited (429), asked to wait {wait:.0f} s") from None
                reason, delay = "rate limited (429)", wait
            except (openai.APITimeoutError, _DeadlinePassed):
                reason, delay = f"no answer within {config.timeout:g} s", None
            except openai.APIConnectionError:
                reason, delay = f"cannot connect to {self.settings.shown_url}", None
            except openai.APIStatusError as exc:
                if exc.status_code == 404:
                    raise ModelUnavailable(self._redacted(f"model or URL not found (404: {_detail(exc)})")) from None
                if exc.status_code < 500 and exc.status_code not in (408, 409):
                    raise self._failure(f"the endpoint refused the request ({exc.status_code}: {_detail(exc)})") from None
                reason, delay, server_error = f"server error ({exc.status_code})", None, exc.status_code >= 500
            except MalformedAnswer as exc:
                reason, delay = str(exc), None
            failures += 1
            if failures > config.max_retries:
                if server_error:
                    raise ModelUnavailable(self._redacted(f"{reason}, {failures} tries")) from None
                raise self._failure(f"{reason}, {failures} tries") from None
            self._sleep(delay if delay is not None else config.retry_delay * 2 ** (failures - 1))

    def _options(self, kind: AnswerKind[T]) -> dict[str, object]:
        config = self.settings.config
        wanted: dict[str, object] = {"response_format": self._response_format(kind), "temperature": 0, "max_tokens": config.max_output_tokens}
        return {name: value for name, value in wanted.items() if value is not None and name not in self._dropped}

    def _response_format(self, kind: AnswerKind[T]) -> dict[str, object] | None:
        return (kind.response_format, JSON_OBJECT, None)[self._format]

    def _step_down(self, exc: openai.APIStatusError, sent: dict[str, object], kind: AnswerKind[T]) -> bool:
        """Leave out, for the rest of the run, the option the refusal names (``param``, else its message): a
        response_format steps down json_schema -> json_object -> none. False when it names none that was sent."""
        named = f"{exc.param or ''} {exc.message}".lower()
        with self._lock:
            if "response_format" in sent and any(word in named for word in ("response_format", "json_schema", "json_object")):
                if sent["response_format"] == self._response_format(kind):  # not already stepped down by another request
                    self._format += 1
                return True
            option = next((name for name in sent if name != "response_format" and name in named), None)
            if option is None:
                return False
            self._dropped.add(option)
            return True

    def _failure(self, reason: str) -> EndpointFailure:
        """The failure, its reason cleared of the key and URL credentials (an API error may echo them)."""
        return EndpointFailure(self._redacted(reason))

    def _redacted(self, reason: str) -> str:
        return redact(reason, self.settings.secrets)

    def _once(self, messages: list[dict[str, str]], model: str, options: dict[str, object], kind: AnswerKind[T]) -> Reply[T]:
        """One request within ``timeout`` seconds in all: a watchdog closes its connection when the time is up."""
        import openai

        http = openai.DefaultHttpxClient(timeout=self.settings.config.timeout, verify=self._tls)
        client = self._client.with_options(http_client=http)
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            http.close()

        watchdog = threading.Timer(self.settings.config.timeout, expire)
        watchdog.start()
        try:
            completion = client.chat.completions.create(  # type: ignore[call-overload]  # options: the create() arguments the endpoint still accepts, by name
                model=model, messages=messages, **options
            )
            content = completion.choices[0].message.content if completion.choices else None
            usage = completion.usage
            tokens = (usage.prompt_tokens, usage.completion_tokens) if usage else (None, None)
            details = usage.prompt_tokens_details if usage else None
            cached = details.cached_tokens if details and details.cached_tokens else 0
        except (openai.APIResponseValidationError, ValueError, TypeError, LookupError, AttributeError, RecursionError) as exc:
            # a body that is not JSON, nested past the parser's depth, or not shaped like a chat completion
            raise MalformedAnswer(f"the response is not a chat completion ({type(exc).__name__})") from None
        except (openai.APIConnectionError, RuntimeError):  # RuntimeError: closed before the request went out
            if expired.is_set():
                raise _DeadlinePassed() from None
            raise
        finally:
            watchdog.cancel()
            http.close()
        return Reply(kind.parse(content), model, tokens[0], tokens[1], content or "", cached)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``; ``None`` when absent."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _detail(exc: openai.APIStatusError) -> str:
    return " ".join(str(exc.message).split())[:200]
