"""The server entry point: `streamlit run serve.py` serves app.py behind two pieces of middleware.

``NestedPageRedirect`` (server/routing.py): Streamlit answers any unknown path with its index.html,
whose scripts are linked relative to the page (``./static/js/…``). One level deep (``/lab``) they
resolve to ``/static/…``; two levels deep (``/lab/extra``) they resolve to ``/lab/static/…``, which is
answered with index.html again, so the browser gets HTML for JavaScript and shows an empty page
forever (streamlit/streamlit#8013, still open in 1.67). It sends a browser that asks for such a page
to its first segment (``/lab/extra?lang=en`` → ``/lab?lang=en``): a known page opens, an unknown one
gets Streamlit's own "page not found" and the home page, as ``/doesnotexist`` does.

``ClassroomCookies`` (server/classroom.py): the presenter link's cookie and each browser's voter id.
The presenter link is printed here, once, when the server starts.

``preload()`` (server/preload.py) imports the pages' modules first and freezes them out of the
garbage collector, whose full collections otherwise walked all of them and stalled the server.
"""

import sys

from starlette.middleware import Middleware
from streamlit import config
from streamlit.starlette import App

from core.classroom import current
from server.classroom import ClassroomCookies
from server.preload import preload
from server.routing import NestedPageRedirect

preload()

app = App("app.py", middleware=[Middleware(NestedPageRedirect), Middleware(ClassroomCookies)])

print(f"Presenter link (keep it private; students need only the address): "
      f"http://localhost:{config.get_option('server.port')}/presenter?key={current.board().key}", file=sys.stderr, flush=True)
