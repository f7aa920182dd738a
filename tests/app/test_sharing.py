"""The share link: the browser's own address or LSOFTMAX_PUBLIC_URL, never a bare path; local
addresses are flagged; the QR code is a PNG from segno that grows with the link."""

import struct
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.sharing import is_local, public_root, qr_png

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


@pytest.mark.parametrize(
    ("browser", "public", "expected"),
    [
        ("http://10.0.0.5:8501/binary?m=3", None, "http://10.0.0.5:8501"),
        ("https://lab.example.edu/binary", "", "https://lab.example.edu"),
        ("http://localhost:8501/binary", "https://lab.example.edu/lsoftmax/", "https://lab.example.edu/lsoftmax"),
        ("http://localhost:8501/binary", "not a url", "http://localhost:8501"),  # a bad setting is ignored
    ],
)
def test_the_root_is_the_public_url_or_the_browsers(browser, public, expected):
    assert public_root(browser, public) == expected


@pytest.mark.parametrize(
    ("url", "local"),
    [("http://localhost:8501/x", True), ("http://127.0.0.1:9/x", True), ("https://lab.example.edu/x", False),
     ("http://10.0.0.5:8501/x", False)],
)  # fmt: skip
def test_local_addresses_are_recognised(url, local):
    assert is_local(url) is local


def test_the_qr_code_is_a_png_that_grows_with_the_link():
    short, long = qr_png("https://a.b/binary"), qr_png("https://lab.example.edu/binary?" + "m=4&t12=90&" * 12)
    assert short[:8] == b"\x89PNG\r\n\x1a\n"
    width = [struct.unpack(">I", png[16:20])[0] for png in (short, long)]  # IHDR width
    assert width[1] > width[0] and (width[0] // 6 - 4) in range(21, 178, 4)  # 6 px a module, 2 of border each side


def test_the_binary_page_shares_the_public_url(monkeypatch):
    monkeypatch.setenv("LSOFTMAX_PUBLIC_URL", "https://lab.example.edu/lsoftmax")
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page("views/binary.py")
    at.query_params["m"] = "3"
    at.run()
    assert not at.exception
    shown = [code.value for code in at.code]
    assert "https://lab.example.edu/lsoftmax/binary?m=3" in shown
    assert any("QR code" in expander.label for expander in at.expander)
    assert type(at.expander[0].children[0]).__name__ == "Image"  # the QR code
