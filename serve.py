"""The server entry point: `streamlit run serve.py` serves app.py with one fix to Streamlit's routing.

Streamlit answers any unknown path with its index.html, whose scripts are linked relative to the
page (``./static/js/…``). One level deep (``/lab``) they resolve to ``/static/…``; two levels deep
(``/lab/extra``) they resolve to ``/lab/static/…``, which is answered with index.html again, so the
browser gets HTML for JavaScript and shows an empty page forever (streamlit/streamlit#8013, still
open in 1.67). ``NestedPageRedirect`` sends a browser that asks for such a page to its first
segment (``/lab/extra?lang=en`` → ``/lab?lang=en``): a known page opens, an unknown one gets
Streamlit's own "page not found" and the home page, as ``/doesnotexist`` does.
"""

from starlette.middleware import Middleware
from streamlit.starlette import App

from server.routing import NestedPageRedirect

app = App("app.py", middleware=[Middleware(NestedPageRedirect)])
