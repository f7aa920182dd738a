"""Sharing a view with a class: the link students can open, and a QR code of it.

The link's host is the one the teacher's browser shows (st.context.url), or LSOFTMAX_PUBLIC_URL
when the app runs behind a proxy whose public address the server cannot see. A link that would
point at localhost or 127.0.0.1 while the app is served elsewhere is never shown as shareable:
the page says to set LSOFTMAX_PUBLIC_URL instead. The QR code comes from segno (a PNG).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from urllib.parse import urlsplit

import segno
import streamlit as st

from app import links

PUBLIC_URL = "LSOFTMAX_PUBLIC_URL"  # e.g. https://lab.example.edu/lsoftmax
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def public_root(browser_url: str, public_url: str | None) -> str:
    """Scheme, host and base path to put in front of a page path: LSOFTMAX_PUBLIC_URL, else the browser's."""
    if public_url:
        parts = urlsplit(public_url.strip())
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    parts = urlsplit(browser_url or "")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    root = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return f"{root}/{base}" if base else root


def is_local(url: str) -> bool:
    """Whether url points at this machine only (students elsewhere cannot open it)."""
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def share_url(page_path: str, params: Sequence[links.Param]) -> str:
    """The link to this page in its current state, for students."""
    values = {param.key: st.session_state[param.key] for param in params if param.key in st.session_state}
    query = links.link_query(values, params)
    root = public_root(st.context.url or "", os.environ.get(PUBLIC_URL))
    path = f"{root}/{page_path.strip('/')}"
    return f"{path}?{query}" if query else path


def qr_png(url: str) -> bytes:
    """A PNG QR code of url, dark on white, 6 px a module (medium error correction; segno writes
    the PNG itself). st.html would strip an inline SVG, so the page shows this with st.image."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2, dark="#111111", light="#ffffff")
    return buffer.getvalue()


def show_share(page_path: str, params: Sequence[links.Param]) -> str:
    """The share link with a copy button, and its QR code in an expander; returns the link."""
    url = share_url(page_path, params)
    st.caption("Link to exactly this view (copy button on the right), or let the class scan the code:")
    st.code(url, language=None, wrap_lines=True)
    if is_local(url):
        st.caption(
            f"This address only works on this computer. Behind a proxy or on a classroom server, "
            f"set {PUBLIC_URL} to the address students use."
        )
    with st.expander("QR code of this link", icon=":material/qr_code_2:"):
        st.image(qr_png(url), caption=url, width=260)
    return url
