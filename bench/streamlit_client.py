"""A simulated student: a websocket client that speaks Streamlit's own protocol, without a browser.

It does what the browser's Streamlit frontend does, in a few hundred microseconds of CPU per
message: opens ``/_stcore/stream``, asks for a page (``BackMsg.rerun_script`` with the URL's path
and query), reads the ``ForwardMsg`` deltas, presses a button (a rerun whose ``WidgetStates`` holds
the button's trigger), reruns ``st.fragment(run_every=…)`` fragments when the server asks
(``ForwardMsg.auto_rerun``: polling is driven by the client, as in the browser), keeps the browser's
message cache (Streamlit's frontend ``ForwardMsgCache``: a delta of 10 kB or more that the server
marks cacheable is kept, its hash is sent with every rerun, and the server then sends a reference
instead of an unchanged chart again; an entry expires after ``max_cached_message_age`` runs of its
fragment, or of the page), and records when things it waits for arrived. Used by
bench/classroom_load.py and by the CI load test.
"""

from __future__ import annotations

import inspect
import json
import threading
import time
from dataclasses import dataclass, field

from websockets.sync.client import connect

# websockets ≥ 16 wants connect() as a context manager (or legacy=True for a plain connection);
# a student here opens and closes the connection explicitly.
LEGACY = {"legacy": True} if "legacy" in inspect.signature(connect).parameters else {}

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Seen:
    """What one client saw, in seconds since its click (None: never)."""

    first_point: float | None = None  # the first chart delta that holds a training curve point
    done: float | None = None  # the page said the runs finished (``done_text`` appeared)
    messages: int = 0  # ForwardMsgs received
    bytes: int = 0
    exceptions: list[str] = field(default_factory=list)  # st.exception elements (tracebacks) seen
    texts: list[str] = field(default_factory=list)  # markdown/caption/alert texts of the last run
    every_text: set[str] = field(default_factory=set)  # every distinct such text seen since the click
    last_chart: dict | None = None  # the newest chart with curve points (Plotly figure JSON)
    load_time: float | None = None  # the page's first full run, from connect to script_finished
    cache_refs: int = 0  # elements the server sent as a reference to this client's message cache
    cache_misses: int = 0  # references to a message no longer cached here


class Student:
    """One session: ``open(page)``, ``press(label)``, then ``watch`` until a text appears."""

    def __init__(self, base_url: str, page: str, query: str = "lang=en", cookies: dict[str, str] | None = None):
        self.ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        self.page, self.query = page, query
        self.cookies = dict(cookies or {})  # sent with the websocket handshake, as a browser sends its cookies
        self.seen = Seen()
        self._page_hash = ""
        self._buttons: dict[str, str] = {}  # label → widget id
        self._numbers: dict[str, object] = {}  # label → NumberInput proto
        self._values: dict[str, WidgetState] = {}  # widget id → the value this student set
        self._fragments: dict[str, tuple[float, float]] = {}  # fragment id → (interval, next due)
        self._click = None
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self.ws = None
        self._t_open: float | None = None
        self._run_texts: list[str] = []
        self._done_text, self._done_count = None, 1
        self._cache: dict[str, list] = {}  # hash → [serialized message, run count when last used, fragment id]
        self._runs = 0  # script runs finished (the frontend's scriptRunCount)
        self._max_age = 2  # new_session.config.max_cached_message_age

    # ---- protocol ----
    def _rerun(self, widgets: list[WidgetState] = (), fragment_id: str = "", auto: bool = False) -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_name = self.page
        cs.page_script_hash = self._page_hash
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        cs.widget_states.widgets.extend([*self._values.values(), *widgets])
        cs.cached_message_hashes.extend(self._cache)
        self.ws.send(msg.SerializeToString())

    def _handle(self, raw: bytes) -> None:
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        self.seen.messages += 1
        self.seen.bytes += len(raw)
        kind = fm.WhichOneof("type")
        now = time.perf_counter()
        if kind == "ref_hash":  # an element this client holds: the frontend takes it from its cache
            entry = self._cache.get(fm.ref_hash)
            if entry is None:  # expired here after the rerun named it (the frontend would fetch it)
                self.seen.cache_misses += 1
                return
            entry[1] = self._runs
            self.seen.cache_refs += 1
            fm = ForwardMsg()
            fm.ParseFromString(entry[0])
            kind = fm.WhichOneof("type")
        elif fm.metadata.cacheable and fm.hash:  # kept, or its entry renewed (maybeCacheMessage)
            self._cache.setdefault(fm.hash, [raw, self._runs, fm.delta.fragment_id])[1] = self._runs
        if kind == "new_session":  # a script run starts (fragment runs too: polling goes on)
            self._page_hash = fm.new_session.page_script_hash or self._page_hash
            self._max_age = fm.new_session.config.max_cached_message_age
        elif kind == "navigation":  # the page st.navigation ran: later reruns name it by its hash
            self._page_hash = fm.navigation.page_script_hash or self._page_hash
        elif kind == "auto_rerun":
            if fm.auto_rerun.interval > 0:
                self._fragments[fm.auto_rerun.fragment_id] = (fm.auto_rerun.interval, now + fm.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self._fragments.clear()
        elif kind == "script_finished":
            if fm.script_finished != fm.FINISHED_EARLY_FOR_RERUN:  # the frontend's incrementRunCount
                self._runs += 1
                ran = fm.metadata.run.fragment_ids  # the fragments this run reran (none: the whole page)
                for h, (_, used, fragment) in list(self._cache.items()):
                    if (not ran or fragment in ran) and self._runs - used > self._max_age:
                        del self._cache[h]
            self._finished.set()
            if self._done_text and self._click is not None and self.seen.done is None:
                if sum(self._done_text in t for t in self._run_texts) >= self._done_count:
                    self.seen.done = now - self._click
                    self._fragments.clear()
            self.seen.texts, self._run_texts = self._run_texts, []
            if self.seen.load_time is None and self._t_open is not None:
                self.seen.load_time = now - self._t_open
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            which = el.WhichOneof("type")
            if which == "button":
                self._buttons[el.button.label] = el.button.id
            elif which == "number_input":
                self._numbers[el.number_input.label] = el.number_input
            elif which == "exception":
                self.seen.exceptions.append(f"{el.exception.type}: {el.exception.message}")
            elif which == "plotly_chart" and self._click is not None:
                spec = json.loads(el.plotly_chart.spec or "{}")
                if any(len(tr.get("x") or []) for tr in spec.get("data", [])):
                    self.seen.last_chart = spec
                    if self.seen.first_point is None:
                        self.seen.first_point = now - self._click
            elif which in ("markdown", "alert", "text"):
                self._run_texts.append(getattr(el, which).body)
                if self._click is not None:
                    self.seen.every_text.add(self._run_texts[-1])

    def _pump(self, until: float, stop_when=lambda: False) -> None:
        """Read messages and drive due fragment reruns until ``until`` or ``stop_when()``."""
        while time.perf_counter() < until and not stop_when():
            due = min((d for _, d in self._fragments.values()), default=until)
            timeout = max(0.01, min(until, due) - time.perf_counter())
            try:
                raw = self.ws.recv(timeout=timeout)
            except TimeoutError:
                raw = None
            if raw is not None:
                self._handle(raw)
            now = time.perf_counter()
            for fid, (interval, next_due) in list(self._fragments.items()):
                if now >= next_due:
                    self._fragments[fid] = (interval, now + interval)
                    self._rerun(fragment_id=fid, auto=True)

    # ---- what a student does ----
    def open(self, timeout: float = 60.0) -> None:
        """Connect and load the page; returns once its first run finished."""
        self._t_open = time.perf_counter()
        self.ws = connect(self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout,
                          ping_interval=None,  # a student on a slow machine must not time out
                          # Read every frame as it arrives, as a browser does: with websockets' bounded
                          # queue (16 frames) a student not being watched stops reading, the server's
                          # ping sits unread behind the backlog, and after 30 s the server closes the
                          # socket (1011 keepalive ping timeout: seen on a loaded fresh clone).
                          max_queue=None,
                          additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
                          if self.cookies else None,
                          **LEGACY)
        self._rerun()
        self._finished.clear()
        self._pump(time.perf_counter() + timeout, self._finished.is_set)
        # require_shell() may rerun once on a fresh server: wait for the run that drew the buttons.
        end = time.perf_counter() + timeout
        while not self._buttons and time.perf_counter() < end:
            self._finished.clear()
            self._pump(end, self._finished.is_set)

    def set_number(self, label_part: str, value: float) -> None:
        """Type ``value`` into the number input whose label contains ``label_part`` (sent with every
        later rerun, as the browser sends every widget's value)."""
        label = next((lbl for lbl in self._numbers if label_part in lbl), None)
        if label is None:
            raise LookupError(f"no number input like {label_part!r} among {list(self._numbers)}")
        el = self._numbers[label]
        state = WidgetState(id=el.id)
        if el.data_type == el.INT:
            state.int_value = int(value)
        else:
            state.double_value = float(value)
        self._values[el.id] = state
        self._finished.clear()
        self._rerun()
        self._pump(time.perf_counter() + 60, self._finished.is_set)

    def press(self, label_part: str) -> None:
        """Click the button whose label contains ``label_part``."""
        label = next((lbl for lbl in self._buttons if label_part in lbl), None)
        if label is None:
            raise LookupError(f"no button like {label_part!r} among {list(self._buttons)}")
        self._click = time.perf_counter()
        self._rerun([WidgetState(id=self._buttons[label], trigger_value=True)])

    def button_id(self, label_part: str) -> str:
        """The widget id of the button whose label contains ``label_part`` (as drawn to this client)."""
        label = next((lbl for lbl in self._buttons if label_part in lbl), None)
        if label is None:
            raise LookupError(f"no button like {label_part!r} among {list(self._buttons)}")
        return self._buttons[label]

    def forge(self, widget_id: str) -> None:
        """Send a click on a widget id this page may never have drawn for this client (a made-up
        request: what a page does not offer a session must not happen when it is sent anyway)."""
        self._finished.clear()
        self._rerun([WidgetState(id=widget_id, trigger_value=True)])
        self._pump(time.perf_counter() + 60, self._finished.is_set)

    def until(self, seconds: float, condition) -> bool:
        """Keep the page open (polling as the browser does) until ``condition(self)`` holds after the
        last run or a later one, or time is up; whether it held."""
        held = [bool(self.seen.texts) and bool(condition(self))]  # the last run may show it already
        if held[0]:
            return True

        def check() -> bool:
            if self._finished.is_set():
                self._finished.clear()
                held[0] = bool(condition(self))
            return held[0]

        self._finished.clear()
        self._pump(time.perf_counter() + seconds, check)
        return held[0]

    def shows(self, part: str) -> bool:
        """Did the last finished run (a page or fragment run) show a text containing ``part``?"""
        return any(part in text for text in self.seen.texts)

    def watch(self, seconds: float, done_text: str, count: int = 1) -> Seen:
        """Keep the page open (polling as the browser does) until one run of the page shows
        ``done_text`` ``count`` times (in markdown, alerts or text), or time is up."""
        self._done_text, self._done_count = done_text, count
        self._pump(time.perf_counter() + seconds, lambda: self.seen.done is not None)
        return self.seen

    def wait_first_point(self, seconds: float) -> float | None:
        """Keep polling until the first curve point arrived (or time is up); seconds since the click."""
        self._pump(time.perf_counter() + seconds, lambda: self.seen.first_point is not None)
        return self.seen.first_point

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
