"""A stand-in for the GitLab REST endpoints codex review uses, enforcing GitLab's rules.

``PRIVATE-TOKEN`` required (401); a diff note needs a text position on a line of the diff, with
both ``old_line`` and ``new_line`` for an unchanged context line (else 400, as GitLab answers with
``line_code`` errors); lists are paginated (Link and X-Next-Page headers); a rate limit answers 429
with ``Retry-After`` and ``RateLimit-Reset``.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import ClassVar

from codex_testing.fake_http import FakeServer, Reply, diff_lines

_MR = r"/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>\d+)"
_BAD_LINE = {"message": '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}'}


class FakeGitLab(FakeServer):
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("GET", _MR, "get_mr"),
        ("GET", _MR + "/discussions", "list_discussions"),
        ("POST", _MR + "/discussions", "create_discussion"),
        ("PUT", _MR + "/discussions/(?P<id>\\w+)", "update_discussion"),
        ("GET", _MR + "/notes", "list_notes"),
        ("POST", _MR + "/notes", "create_note"),
        ("PUT", _MR + "/notes/(?P<id>\\d+)", "update_note"),
        ("GET", r"/api/v4/user", "current_user"),
    ]
    bot: ClassVar[dict[str, object]] = {"id": 77, "username": "codex-bot"}  # the token's user: a project access token's bot user

    def __init__(self, token: str, project: str = "42", iid: int = 7):
        super().__init__()
        self.token, self.project, self.iid = token, project, iid
        self.diff_refs = {"base_sha": "", "start_sha": "", "head_sha": ""}
        self.lines: dict[str, dict[int, int | None]] = {}
        self.discussions: list[dict] = []
        self.refused = 0
        self._note_ids = itertools.count(5001)

    def set_diff(self, base_sha: str, target_sha: str, head_sha: str, diff_text: str) -> None:
        self.diff_refs = {"base_sha": base_sha, "start_sha": target_sha, "head_sha": head_sha}
        self.lines = diff_lines(diff_text)

    def authenticate(self, headers: dict[str, str]) -> None:
        if headers.get("PRIVATE-TOKEN") != self.token:
            raise Reply(401, {"message": "401 Unauthorized"})

    def rate_limit_reply(self) -> Reply:
        return Reply(429, {"message": "Retry later"}, {"Retry-After": "1", "RateLimit-Reset": str(int(time.time()) + 1)})

    def _check(self, match) -> None:
        if match["project"] != self.project or int(match["iid"]) != self.iid:
            raise Reply(404, {"message": "404 Not found"})

    def get_mr(self, match, query, body):
        self._check(match)
        return {"id": 900, "iid": self.iid, "project_id": int(self.project), "state": "opened", "diff_refs": self.diff_refs}

    def list_discussions(self, match, query, body):
        self._check(match)
        return self.page(f"/api/v4/projects/{self.project}/merge_requests/{self.iid}/discussions", self.discussions, query)

    def _refusal(self, position: dict) -> bool:
        """GitLab's rule: the position must name this diff's refs and a line in it (context lines need old_line too)."""
        if position.get("position_type") != "text" or any(position.get(k) != v for k, v in self.diff_refs.items()):
            return True
        lines = self.lines.get(position.get("new_path"), {})
        new_line = position.get("new_line")
        if new_line not in lines:
            return True
        return lines[new_line] != position.get("old_line")

    def _discussion(self, body: str, position: dict | None, individual: bool) -> dict:
        note = {
            "id": next(self._note_ids),
            "body": body,
            "type": None if individual else "DiffNote",
            "system": False,
            "resolvable": not individual,
            "resolved": False,
            "author": self.bot,
        }
        if position:
            note["position"] = position
        discussion = {"id": uuid.uuid4().hex, "individual_note": individual, "notes": [note]}
        self.discussions.append(discussion)
        return discussion

    def create_discussion(self, match, query, body):
        self._check(match)
        position = body.get("position")
        if position is not None and self._refusal(position):
            self.refused += 1
            raise Reply(400, _BAD_LINE)
        return 201, self._discussion(body["body"], position, individual=position is None), {}

    def update_discussion(self, match, query, body):
        self._check(match)
        discussion = next((d for d in self.discussions if d["id"] == match["id"]), None)
        if discussion is None:
            raise Reply(404, {"message": "404 Not found"})
        resolved = body.get("resolved", query.get("resolved"))
        for note in discussion["notes"]:
            note["resolved"] = resolved in (True, "true")
        return discussion

    def current_user(self, match, query, body):
        return self.bot

    def notes(self) -> list[dict]:
        return [note for d in self.discussions for note in d["notes"]]

    def list_notes(self, match, query, body):
        self._check(match)
        return self.page(f"/api/v4/projects/{self.project}/merge_requests/{self.iid}/notes", self.notes(), query)

    def create_note(self, match, query, body):
        self._check(match)
        return 201, self._discussion(body["body"], None, individual=True)["notes"][0], {}

    def update_note(self, match, query, body):
        self._check(match)
        note = next((n for n in self.notes() if n["id"] == int(match["id"])), None)
        if note is None:
            raise Reply(404, {"message": "404 Not found"})
        note["body"] = body["body"]
        return note
