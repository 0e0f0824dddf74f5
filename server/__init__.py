"""The web server around the app (ASGI pieces, no Streamlit script code): see serve.py."""
