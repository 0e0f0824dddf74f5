"""The protocol client's message cache does what Streamlit's frontend does (ForwardMsgCache in its
bundle): it keeps the deltas the server marks cacheable, names them in every rerun, reads a
reference as the element it names, and forgets an entry after ``max_cached_message_age`` runs of
its fragment or of the whole page. Fed the server's own message types, no server needed."""

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.streamlit_client import Student


class Wire:
    """Stands in for the websocket: keeps what the client sends."""

    def __init__(self):
        self.sent = []

    def send(self, data: bytes) -> None:
        self.sent.append(BackMsg.FromString(data))


def feed(s: Student, fm: ForwardMsg) -> None:
    s._handle(fm.SerializeToString())


def new_session(age: int = 2) -> ForwardMsg:
    fm = ForwardMsg()
    fm.new_session.config.max_cached_message_age = age
    return fm


def markdown(body: str, hash_: str, cacheable: bool = True, fragment: str = "") -> ForwardMsg:
    fm = ForwardMsg(hash=hash_)
    fm.metadata.cacheable = cacheable
    fm.delta.new_element.markdown.body = body
    fm.delta.fragment_id = fragment
    return fm


def ref(hash_: str) -> ForwardMsg:
    return ForwardMsg(ref_hash=hash_)


def finished(*fragments: str) -> ForwardMsg:
    fm = ForwardMsg()
    fm.script_finished = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY if fragments else \
        ForwardMsg.FINISHED_SUCCESSFULLY
    fm.metadata.run.fragment_ids.extend(fragments)
    return fm


def student() -> Student:
    s = Student("http://127.0.0.1:1", "lab")
    s.ws = Wire()
    return s


def test_a_cacheable_delta_is_named_in_the_next_rerun_and_a_reference_reads_as_it():
    s = student()
    feed(s, new_session())
    feed(s, markdown("a long chart", "h1"))
    feed(s, markdown("small", "h2", cacheable=False))
    feed(s, finished())
    s._rerun()
    assert list(s.ws.sent[-1].rerun_script.cached_message_hashes) == ["h1"]  # not the small one
    feed(s, new_session())
    feed(s, ref("h1"))
    feed(s, finished())
    assert s.seen.texts == ["a long chart"] and s.seen.cache_refs == 1 and s.seen.cache_misses == 0


def test_an_entry_expires_after_max_age_runs_without_use():
    s = student()
    feed(s, new_session(age=2))
    feed(s, markdown("chart", "h1"))
    for run in (1, 2):  # ages 1 and 2: kept
        feed(s, finished())
        assert "h1" in s._cache, run
    feed(s, finished())  # age 3 > 2: gone, and no longer named in a rerun
    assert "h1" not in s._cache
    s._rerun()
    assert not s.ws.sent[-1].rerun_script.cached_message_hashes


def test_a_reference_renews_the_entry():
    s = student()
    feed(s, new_session(age=2))
    feed(s, markdown("chart", "h1"))
    for _ in range(5):  # every run refers to it again: never expires
        feed(s, finished())
        feed(s, ref("h1"))
    assert "h1" in s._cache and s.seen.cache_refs == 5


def test_another_fragments_runs_do_not_age_an_entry():
    s = student()
    feed(s, new_session(age=1))
    feed(s, markdown("the live chart", "h1", fragment="f1"))
    for _ in range(4):  # a different fragment polls: the frontend leaves f1's entries alone
        feed(s, finished("f2"))
    assert "h1" in s._cache
    feed(s, finished("f1"))  # its own fragment's run: 5 runs old > 1
    assert "h1" not in s._cache


def test_a_run_cut_short_by_a_rerun_does_not_count():
    s = student()
    feed(s, new_session(age=0))
    feed(s, markdown("chart", "h1"))
    fm = ForwardMsg()
    fm.script_finished = ForwardMsg.FINISHED_EARLY_FOR_RERUN
    feed(s, fm)
    assert "h1" in s._cache and s._runs == 0


def test_a_reference_to_something_not_held_is_counted_not_raised():
    s = student()
    feed(s, new_session())
    feed(s, ref("unknown"))
    assert s.seen.cache_misses == 1 and s.seen.cache_refs == 0
