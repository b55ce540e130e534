"""The contest's one server: tornado (Jupyter's own server, already installed), one process, one room.

Pages (self-contained HTML with a little JavaScript; nothing loaded from any other address):

* ``/console?key=...`` the trainer's console: teams, the draw, the rounds, the countdown, every press;
* ``/projector`` the large-type view for the screen: question, countdown, scoreboard, then the answer;
* ``/team/<n>?key=...`` a team's page: the buzzer, the answer buttons, the stake in the risk round.

Each page polls ``GET /api/state`` (a few times a second) and sends ``POST /api/setup`` or
``POST /api/act``. Handlers run on the one I/O loop thread, one after another, and every action takes
the room's lock as well: the order of arrival decides the first buzz. Pages write every text with
``textContent``, never as HTML, and a Content-Security-Policy allows only the page's own script.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

from toolkit.contest.draw import Plan
from toolkit.contest.room import ContestRoom
from toolkit.errors import ContestError

PAGES = ("console", "projector", "team")
POLL_MS = 300


@cache
def _asset(name: str) -> str:
    return resources.files("toolkit.contest").joinpath("pages", name).read_text(encoding="utf-8")


def strings(lang: str) -> dict[str, str]:
    """The phrases a page needs, from the catalog of ``lang``."""
    from toolkit.i18n import catalog

    t = catalog(lang)
    keys = [key for key in t.messages if key.startswith("contest.")]
    return {key: t.messages[key] for key in [*keys, "quiz.true", "quiz.false", "punct.list", "punct.colon"]}


def page(name: str, lang: str, nonce: str, data: dict[str, Any]) -> str:
    """One page: its template with the stylesheet, the script and the phrases inlined (escaped as JSON)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_asset("page.html.j2"))
    return template.render(
        page=name,
        lang=lang,
        nonce=nonce,
        title=strings(lang)[f"contest.page.{name}"],
        css=_asset("contest.css"),
        js=_asset("contest.js"),
        boot={"page": name, "strings": strings(lang), "poll_ms": POLL_MS, **data},
    )


def make_app(room: ContestRoom) -> Any:
    """The tornado application serving ``room``."""
    import tornado.web

    lang = room.settings.lang

    class Base(tornado.web.RequestHandler):
        def set_default_headers(self) -> None:
            self.set_header("Cache-Control", "no-store")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("X-Frame-Options", "DENY")

        def html(self, name: str, data: dict[str, Any], status: int = 200) -> None:
            nonce = secrets.token_urlsafe(12)
            data = {"points": room.settings.points.as_dict(), "plan": room.plan.as_dict(), "seed": room.seed, **data}
            self.set_status(status)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header(
                "Content-Security-Policy",
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            )
            self.finish(page(name, lang, nonce, data))

        def json_out(self, data: dict[str, Any], status: int = 200) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps(data, ensure_ascii=False))

        def body(self) -> dict[str, Any]:
            try:
                data = json.loads(self.request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise ContestError("the request is not JSON") from None
            if not isinstance(data, dict):
                raise ContestError("the request is not a JSON object")
            return data

        def console(self, key: Any) -> None:
            if not isinstance(key, str) or not secrets.compare_digest(key, room.console_key):
                raise PermissionError("the console link is not valid")

        @contextmanager
        def answering(self) -> Iterator[None]:
            try:
                yield
            except PermissionError as exc:
                self.json_out({"error": str(exc)}, 403)
            except ContestError as exc:
                self.json_out({"error": str(exc)}, 400)

    class Index(Base):
        def get(self) -> None:
            self.redirect("/projector")

    class NoIcon(Base):
        def get(self) -> None:
            self.set_status(204)
            self.finish()

    class Console(Base):
        def get(self) -> None:
            key = self.get_query_argument("key", "")
            if not secrets.compare_digest(key, room.console_key):
                self.html("denied", {}, 403)
                return
            self.html("console", {"key": key})

    class Projector(Base):
        def get(self) -> None:
            self.html("projector", {})

    class Team(Base):
        def get(self, number: str) -> None:
            key = self.get_query_argument("key", "")
            try:
                team = room.team_for_key(int(number), key)
            except ContestError:
                self.html("denied", {}, 403)
                return
            self.html("team", {"key": key, "team": team})

    class State(Base):
        def get(self) -> None:
            view = self.get_query_argument("view", "projector")
            key = self.get_query_argument("key", "")
            with self.answering():
                if view == "console":
                    self.console(key)
                    self.json_out(room.snapshot("console"))
                elif view == "team":
                    team = room.team_for_key(int(self.get_query_argument("team", "0") or 0), key)
                    self.json_out(room.snapshot("team", team))
                elif view == "projector":
                    self.json_out(room.snapshot("projector"))
                else:
                    raise ContestError(f"view '{view}' is not valid; valid: console, projector, team")

    class Setup(Base):
        def post(self) -> None:
            with self.answering():
                data = self.body()
                self.console(data.get("key"))
                plan = data.get("plan")
                chosen = (
                    Plan(**{k: plan[k] for k in ("required", "buzzer", "risk") if k in plan})
                    if isinstance(plan, dict)
                    else None
                )
                teams = data.get("teams")
                if not isinstance(teams, list) or not all(isinstance(name, str) for name in teams):
                    raise ContestError("teams: give a list of team names")
                contest = room.setup(teams, chosen, data.get("seed"))
                self.json_out({"ok": True, "contest": contest})

    class Act(Base):
        def post(self) -> None:
            with self.answering():
                data = self.body()
                args = data.get("args") or {}
                if not isinstance(args, dict):
                    raise ContestError("args: give a JSON object")
                team = data.get("team")
                if team is None:
                    self.console(data.get("key"))
                    result = room.act(str(data.get("action")), args)
                else:
                    if isinstance(team, bool) or not isinstance(team, int):
                        raise ContestError(f"team {team!r} is not valid; valid: a team number")
                    room.team_for_key(team, str(data.get("key")))
                    result = room.act(str(data.get("action")), args, team=team)
                self.json_out(result)

    return tornado.web.Application(
        [
            (r"/", Index),
            (r"/favicon.ico", NoIcon),
            (r"/console", Console),
            (r"/projector", Projector),
            (r"/team/([0-9]{1,3})", Team),
            (r"/api/state", State),
            (r"/api/setup", Setup),
            (r"/api/act", Act),
        ],
        compress_response=False,
        xsrf_cookies=False,  # no cookie carries authority: every request names its key
    )


class Running:
    """A server running on a thread of its own (tests, notebooks); ``stop()`` ends it."""

    def __init__(self, room: ContestRoom, ip: str = "127.0.0.1", port: int = 0) -> None:
        self.room = room
        self.ip = ip
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.port = port
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="contest-server", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        import tornado.httpserver
        import tornado.netutil

        try:
            sockets = tornado.netutil.bind_sockets(self.port, self.ip)
            server = tornado.httpserver.HTTPServer(make_app(self.room))
            server.add_sockets(sockets)
            self.port = sockets[0].getsockname()[1]
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        server.stop()
        await server.close_all_connections()

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def serve_forever(room: ContestRoom, ip: str, port: int) -> None:
    """Run the server in this thread until interrupted (``lianzheng contest``)."""
    import tornado.httpserver

    async def main() -> None:
        server = tornado.httpserver.HTTPServer(make_app(room))
        server.listen(port, ip)
        await asyncio.Event().wait()

    asyncio.run(main())
