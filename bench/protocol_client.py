"""A stubbed browser that speaks Streamlit's websocket protocol: one /train session without Chromium.

    session = Session("http://127.0.0.1:8501", query="?compare_ms=1,2")
    await session.open()              # GET the page, open /_stcore/stream, ask for the page's first run
    await session.wait_ready()        # that run finished and the main chart arrived
    await session.press("train_play")
    ...                               # session.updates: (time.perf_counter(), step) of every new main-chart figure
    await session.close()

What it does as Streamlit 1.67's frontend does (read from its minified bundle, and checked against
the frames a real Chromium page sends, see tests/bench/test_protocol_client.py):
- one websocket to <base>/_stcore/stream, subprotocol "streamlit"; the page is first asked for by
  name (page_name "train", the query string without "?"), afterwards by the page_script_hash
  that Navigation (st.navigation) names, with the query string as the last PageInfo left it;
- every rerun request carries the state of every widget the page shows (its default, or the
  value the server set), and a button press is that plus trigger_value = True for the button;
- ForwardMsg caching: cacheable messages are kept by hash, their hashes go with every rerun
  request, a ref_hash is answered from the cache, entries age as the frontend ages them
  (NewSession's max_cached_message_age, counted in finished runs);
- fragment timers: AutoRerun arms a timer per fragment (setInterval: a rerun request with
  fragment_id and is_auto_rerun every interval, whether or not a run is in progress; the server
  coalesces them), a full run's NewSession clears every timer, StopAutoRerun clears the named ones.

A chart update is what bench/load.py's browser stub counts: a figure for the main chart (the
first live chart on the page, i.e. the bidi component with the smallest delta path) whose
revision differs from the one it shows (live_chart.js skips a figure it already shows).
Nothing is drawn, no plotly.js runs, and many sessions share one event loop.
"""

from __future__ import annotations

import asyncio
import http.cookies
import json
import struct
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Button_pb2 import Button
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

FINISHED = ForwardMsg.ScriptFinishedStatus
VALUED_WIDGETS = ("checkbox", "number_input", "slider", "selectbox", "radio", "multiselect", "file_uploader")
CONTEXT = ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US", is_embedded=False, color_scheme="light")


@dataclass
class Cached:
    """One entry of the frontend's ForwardMsg cache."""

    raw: bytes  # the message as it came
    run_count: int  # the cache's run count when it was last used
    fragment_id: str  # the fragment of its delta ("" outside fragments): only that fragment's runs age it


def widget_state(kind: str, element, previous: WidgetState | None) -> WidgetState | None:
    """The state the frontend keeps for a widget element: the server's value when it set one, else what
    the widget already holds, else its default. None for elements without a value (buttons)."""
    if kind not in VALUED_WIDGETS:
        return None
    if previous is not None and not getattr(element, "set_value", False):
        return previous
    state = WidgetState(id=element.id)
    given = getattr(element, "set_value", False)
    if kind == "checkbox":
        state.bool_value = element.value if given else element.default
    elif kind == "number_input":
        if not given and not element.HasField("default"):
            return None
        number = element.value if given else element.default
        if element.data_type == NumberInput.INT:
            state.int_value = int(number)
        else:
            state.double_value = number
    elif kind == "slider":
        state.double_array_value.data.extend(element.value if given else element.default)
    elif kind in ("selectbox", "radio"):
        if given:
            state.string_value = element.raw_value
        elif element.HasField("default"):
            state.string_value = element.options[element.default]
        else:
            return None
    elif kind == "multiselect":
        chosen = element.raw_values if given else [element.options[index] for index in element.default]
        state.string_array_value.data.extend(chosen)
    else:  # file_uploader: an empty uploader's state
        state.file_uploader_state_value.SetInParent()
    return state


def chart_header(data: bytes) -> dict:
    """The JSON header of a live_chart payload (uint32 length, header, optional plotly bundle)."""
    (length,) = struct.unpack_from("<I", data)
    return json.loads(data[4 : 4 + length])


class Session:
    """One browser session on one page: its websocket and the parts of the frontend's state that
    the server sees (widgets, fragment timers, message cache, page and query string)."""

    def __init__(self, base_url: str, page: str = "train", query: str = ""):
        self.base_url = base_url.rstrip("/")
        self.page = page
        self.query = query.lstrip("?")  # the URL's query string, as the browser would show it
        self.updates: list[tuple[float, int]] = []  # (time.perf_counter(), step) of each new main-chart figure
        self.errors: list[str] = []  # exceptions and "page not found" the page showed
        self.received_bytes = 0
        self.reruns_sent = 0
        self.timer_intervals: dict[str, float] = {}  # fragment id -> the interval its timer was last armed with
        self._socket = None
        self._reader: asyncio.Task | None = None
        self._page_hash = ""  # the page's script hash, once known (from NewSession, then Navigation)
        self._widgets: dict[str, WidgetState] = {}  # widget id -> state sent with every rerun
        self._buttons: dict[str, Button] = {}  # button key -> the element as last shown
        self._seen_this_run: set[str] = set()  # widget ids of the full run in progress
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id -> (interval, task)
        self._cache: dict[str, Cached] = {}
        self._run_count = 0
        self._max_age = 2
        self._new_session_since_rerun = False  # the frontend's hasReceivedNewSession
        self._revisions: dict[tuple[int, ...], str] = {}  # delta path of each live chart -> revision shown
        self._ready = asyncio.Event()  # a full run finished and the main chart arrived
        self._full_run_done = asyncio.Event()  # set when a full run finishes (cleared by answered())

    @property
    def closed(self) -> bool:
        """The websocket is gone (closed, or the reader failed: see `failure`)."""
        return self._reader is not None and self._reader.done()

    def failure(self) -> BaseException | None:
        """What ended the reader, if an error did."""
        if self.closed and not self._reader.cancelled():
            return self._reader.exception()
        return None

    @property
    def url(self) -> str:
        """The page's address with its current query string (the browser's location)."""
        return f"{self.base_url}/{self.page}" + (f"?{self.query}" if self.query else "")

    async def open(self) -> None:
        """Load the page over HTTP (a proxy's affinity cookie is set there), open the websocket and ask
        for the page's first run."""
        cookies = await asyncio.to_thread(_page_cookies, self.url)
        parts = urllib.parse.urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        stream = urllib.parse.urlunsplit((scheme, parts.netloc, f"{parts.path}/_stcore/stream", "", ""))
        headers = {"Cookie": cookies} if cookies else None
        self._socket = await connect(
            stream, subprotocols=["streamlit"], additional_headers=headers, max_size=None,
            ping_interval=None, proxy=None, open_timeout=30,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())
        await self._rerun()

    async def wait_ready(self, timeout: float = 120.0) -> None:
        """Until a full run has finished and the main chart has arrived (the reader's errors raised)."""
        waiter = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait({waiter, self._reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            if self._reader in done:
                self._reader.result()  # raises what ended the reader
                raise ConnectionError(f"{self.url}: the websocket closed before the page was ready")
            raise TimeoutError(f"{self.url}: no finished run with a chart within {timeout:g} s")

    async def press(self, key: str) -> None:
        """Click the button with this key: every widget's state plus its trigger, as a full rerun."""
        button = self._buttons.get(key)
        if button is None or button.disabled:
            raise ValueError(f"key must name an enabled button the page shows, got {key!r}")
        await self._rerun(extra=WidgetState(id=button.id, trigger_value=True))

    async def answered(self, key: str, timeout: float = 60.0) -> float:
        """Press the button with this key and wait until the full run it asks for has finished (the
        page shows the click's result); returns the seconds that took."""
        self._full_run_done.clear()
        began = time.perf_counter()
        await self.press(key)
        await asyncio.wait_for(self._full_run_done.wait(), timeout)
        return time.perf_counter() - began

    async def set_value(self, key: str, value: float) -> None:
        """Move the slider or number input with this key to `value`, as a full rerun (a user's edit)."""
        matches = [widget_id for widget_id in self._widgets if widget_id.rsplit("-", 1)[-1] == key]
        if len(matches) != 1:
            raise ValueError(f"key must name one slider or number input the page shows, got {key!r}")
        state = self._widgets[matches[0]]
        if state.WhichOneof("value") == "double_array_value":
            del state.double_array_value.data[:]
            state.double_array_value.data.append(float(value))
        elif state.WhichOneof("value") == "int_value":
            state.int_value = int(value)
        elif state.WhichOneof("value") == "double_value":
            state.double_value = float(value)
        else:
            raise ValueError(f"{key!r} is not a slider or number input")
        await self._rerun()

    async def close(self) -> None:
        """Stop the timers and close the websocket (as closing the tab does)."""
        self._clear_timers(list(self._timers))
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    # ------------------------------------------------------------------ sending

    async def _rerun(self, fragment_id: str = "", auto: bool = False, extra: WidgetState | None = None) -> None:
        states = WidgetStates(widgets=[*self._widgets.values(), *([extra] if extra else [])])
        state = ClientState(
            query_string=self.query, widget_states=states, page_script_hash=self._page_hash,
            page_name="" if self._page_hash else self.page, fragment_id=fragment_id, is_auto_rerun=auto,
            cached_message_hashes=list(self._cache), context_info=CONTEXT,
        )  # fmt: skip
        state.context_info.url = self.url
        self._new_session_since_rerun = False
        self.reruns_sent += 1
        await self._socket.send(BackMsg(rerun_script=state).SerializeToString())

    async def _tick(self, fragment_id: str, interval: float) -> None:
        """setInterval: a fragment rerun every interval, late ticks not made up for."""
        loop = asyncio.get_running_loop()
        due = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                await self._rerun(fragment_id, auto=True)
            except ConnectionClosed:
                return
            due = max(due + interval, loop.time())

    def _clear_timers(self, fragment_ids) -> None:
        for fragment_id in fragment_ids:
            entry = self._timers.pop(fragment_id, None)
            if entry is not None:
                entry[1].cancel()

    # ------------------------------------------------------------------ receiving

    async def _read(self) -> None:
        async for raw in self._socket:
            self.received_bytes += len(raw)
            message = ForwardMsg()
            message.ParseFromString(raw)
            self._handle(self._through_cache(message, raw))

    def _through_cache(self, message: ForwardMsg, raw: bytes) -> ForwardMsg:
        """Keep a cacheable message; answer a reference from the cache (with the reference's metadata)."""
        if message.HasField("ref_hash"):
            entry = self._cache[message.ref_hash]  # a miss is a protocol error, as in the frontend
            entry.run_count = self._run_count
            cached = ForwardMsg()
            cached.ParseFromString(entry.raw)
            cached.metadata.CopyFrom(message.metadata)
            return cached
        if message.metadata.cacheable and message.hash:
            entry = self._cache.get(message.hash)
            if entry is None:
                self._cache[message.hash] = Cached(raw, self._run_count, message.delta.fragment_id)
            else:
                entry.run_count = self._run_count
        return message

    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self._new_session(message)
        elif kind == "delta":
            self._delta(message)
        elif kind == "auto_rerun":
            fragment_id, interval = message.auto_rerun.fragment_id, message.auto_rerun.interval
            if fragment_id and self._timers.get(fragment_id, (None,))[0] != interval:
                self._clear_timers([fragment_id])
                self._timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))
                self.timer_intervals[fragment_id] = interval
        elif kind == "stop_auto_rerun":
            self._clear_timers(message.stop_auto_rerun.fragment_ids)
        elif kind == "navigation":  # st.navigation names the page that ran (NewSession names the entry script)
            self._page_hash = message.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "page_not_found":
            self.errors.append(f"page not found: {message.page_not_found.page_name!r}")
        elif kind == "script_finished":
            self._script_finished(message)

    def _new_session(self, message: ForwardMsg) -> None:
        self._new_session_since_rerun = True
        self._page_hash = message.new_session.page_script_hash
        self._max_age = message.new_session.config.max_cached_message_age
        if not message.metadata.run.fragment_ids:  # a full run: the frontend drops every timer
            self._clear_timers(list(self._timers))
            self._seen_this_run = set()

    def _delta(self, message: ForwardMsg) -> None:
        delta = message.delta
        if delta.WhichOneof("type") != "new_element":
            return
        kind = delta.new_element.WhichOneof("type")
        element = getattr(delta.new_element, kind)
        if kind == "bidi_component" and element.WhichOneof("data") == "bytes":
            self._chart(tuple(message.metadata.delta_path), element.bytes)
        elif kind == "exception":
            self.errors.append(f"{element.type}: {element.message}")
        elif kind == "button":
            self._buttons[element.id.rsplit("-", 1)[-1]] = element
        elif hasattr(element, "id") and element.id:
            self._seen_this_run.add(element.id)
            state = widget_state(kind, element, self._widgets.get(element.id))
            if state is not None:
                self._widgets[element.id] = state

    def _chart(self, path: tuple[int, ...], data: bytes) -> None:
        header = chart_header(data)
        previous = self._revisions.get(path)
        self._revisions[path] = header["revision"]
        if path == min(self._revisions) and header["revision"] != previous:
            self.updates.append((time.perf_counter(), int(header.get("step", 0))))

    def _script_finished(self, message: ForwardMsg) -> None:
        status, fragment_ids = message.script_finished, list(message.metadata.run.fragment_ids)
        if status == FINISHED.FINISHED_SUCCESSFULLY and not fragment_ids:
            # the frontend forgets widgets that the finished full run no longer shows
            self._widgets = {key: state for key, state in self._widgets.items() if key in self._seen_this_run}
            if self.updates or self._revisions:
                self._ready.set()
            self._full_run_done.set()
        if status != FINISHED.FINISHED_EARLY_FOR_RERUN and self._new_session_since_rerun:
            self._age_cache(fragment_ids)

    def _age_cache(self, fragment_ids: list[str]) -> None:
        """One finished run: drop entries unused for more than max_age runs (a fragment run ages only
        its own fragment's entries), as the frontend's ForwardMsgCache.incrementRunCount does."""
        self._run_count += 1
        for key, entry in list(self._cache.items()):
            if fragment_ids and entry.fragment_id not in fragment_ids:
                continue
            if self._run_count - entry.run_count > self._max_age:
                del self._cache[key]


def _page_cookies(url: str) -> str:
    """GET the page as a browser would; the cookies it sets (e.g. a proxy's affinity cookie), as a header."""
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        jar = http.cookies.SimpleCookie()
        for line in response.headers.get_all("Set-Cookie") or []:
            jar.load(line)
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())


async def play_sessions(
    base_url: str, count: int, seconds: float, query: str = "", values: dict[str, float] | None = None
) -> list[Session]:
    """Open `count` sessions on /train, set `values` (widget key -> value), press Play in each,
    let them play `seconds`, close them."""
    sessions = [Session(base_url, query=query) for _ in range(count)]
    try:
        await asyncio.gather(*(session.open() for session in sessions))
        await asyncio.gather(*(session.wait_ready() for session in sessions))
        for key, value in (values or {}).items():
            await asyncio.gather(*(session.set_value(key, value) for session in sessions))
        await asyncio.gather(*(session.press("train_play") for session in sessions))
        await asyncio.sleep(seconds)
    finally:
        await asyncio.gather(*(session.close() for session in sessions), return_exceptions=True)
    return sessions
