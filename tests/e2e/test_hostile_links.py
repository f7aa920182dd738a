"""Hostile links and uploads in a real browser: the notice shows the text as typed (no link, no
image, no tag, no emoji), the page fetches nothing from another origin, and a too-large upload
is refused with its own name shown."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.conftest import ROOT, assert_no_exception, wait_ready

RESULTS = ROOT / "test-results"  # ignored by git
HOSTILE = {
    "link": "[click here](https://evil.example/phish)",
    "image": "![x](https://evil.example/t.png)",
    "tag": "<img src=https://evil.example/i.png>",
    "bare": "see https://evil.example and www.evil.example or me@evil.example :smile: :material/home:",
}


def alerts_text(page) -> str:
    return "\n".join(page.locator('[data-testid="stAlert"]').all_inner_texts())


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("path", ["binary", "train"])
def test_a_hostile_value_is_shown_as_text(page, app_url, path, kind):
    key = "m" if path == "binary" else "dataset"
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/{path}?{key}={quote(HOSTILE[kind])}")
    wait_ready(page, timeout=60_000)
    assert_no_exception(page)
    alerts = page.locator('[data-testid="stAlert"]')
    assert alerts.count() >= 1
    assert alerts.locator("a, img, b, code, strong, em").count() == 0, alerts.first.inner_html()
    shown = alerts_text(page).replace("\u2060", "")
    assert HOSTILE[kind][:40] in shown, shown  # character for character (the value is cut after 40 or 60)
    foreign = [url for url in requests if not url.startswith((app_url, "data:", "blob:"))]
    assert foreign == [], foreign  # nothing from another origin
    icon = page.evaluate("() => document.querySelector(\"link[rel='shortcut icon']\").href")
    assert icon.startswith(app_url), icon  # the page icon is a file served by the app, not a font CDN
    if kind == "link":
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"hostile-{path}-1024.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        page.screenshot(path=str(RESULTS / f"hostile-{path}-390.png"))


def test_a_too_large_upload_is_refused_by_name(page, app_url, tmp_path):
    """The uploader refuses a file over MAX_UPLOAD_MB next to that file's name (before sending it);
    the file it still holds keeps its own message, which names it."""
    from lab.user_data import MAX_BYTES, MAX_UPLOAD_MB

    bad = tmp_path / "bad-[x](https:evil.example).csv"
    bad.write_text("x,y,label\n1,2,a\nnot,a,number\n")
    big = tmp_path / "big.csv"
    big.write_text("1,2,0\n" * (MAX_BYTES // 6 + 100))
    page.goto(f"{app_url}/train")
    wait_ready(page, timeout=60_000)
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    uploader.set_input_files(str(bad))
    page.get_by_text("The previous data and model are kept").wait_for(timeout=30_000)
    assert "bad-[x](https:evil.example).csv" in alerts_text(page).replace("\u2060", "")
    uploader.set_input_files(str(big))
    widget = page.locator('[data-testid="stFileUploader"]')
    refusal = widget.get_by_text(f"File must be {MAX_UPLOAD_MB:.1f}MB or smaller")
    refusal.wait_for(timeout=30_000)
    files = widget.inner_text()
    assert files.index("big.csv") < files.index("must be")  # the refusal sits under the refused file
    RESULTS.mkdir(exist_ok=True)
    widget.scroll_into_view_if_needed()
    widget.screenshot(path=str(RESULTS / "upload-too-large.png"))
    assert_no_exception(page)


PUT_FILES = """async ([url, headers, count, size]) => {
  const base = url.slice(0, url.lastIndexOf('/') + 1);
  const statuses = [];
  for (let index = 0; index < count; index++) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(size)]), `evil-${index}.csv`);
    const response = await fetch(base + `evil-file-${index}-${Date.now()}`, {method: 'PUT', body: form, headers});
    statuses.push(response.status);
  }
  return statuses;
}"""


def uploaded_bytes(app_url: str) -> int:
    """What the server's upload store holds (Streamlit's own metrics, read on loopback)."""
    import re
    import urllib.request

    with urllib.request.urlopen(f"{app_url}/_stcore/metrics?families=cache_memory_bytes", timeout=10) as response:
        text = response.read().decode()
    found = re.findall(r"^cache_memory_bytes\{[^}]*UploadedFileManager[^}]*\} (\S+)", text, re.MULTILINE)
    return int(float(found[0])) if found else 0


def test_one_session_cannot_pile_up_uploads(page, app_url, tmp_path):
    """A script that sends many files under new ids to its own session keeps only the newest two."""
    from app.uploads import MAX_FILES_PER_SESSION

    puts = []
    page.on("request", lambda request: puts.append(request) if request.method == "PUT" else None)
    page.goto(f"{app_url}/train")
    wait_ready(page, timeout=60_000)
    good = tmp_path / "points.csv"
    good.write_text("x,y,label\n" + "".join(f"{i % 5},{i % 3},{i % 2}\n" for i in range(20)))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    for _ in range(60):  # the uploader sends the file itself
        if puts:
            break
        page.wait_for_timeout(500)
    assert puts and "/_stcore/upload_file/" in puts[0].url
    headers = {name: value for name, value in puts[0].headers.items() if name.lower() == "x-xsrftoken"}
    size, count = 100_000, 20
    statuses = page.evaluate(PUT_FILES, [puts[0].url, headers, count, size])
    assert set(statuses) == {204} or set(statuses) == {200}, statuses  # accepted: the cap, not a refusal, bounds them
    page.wait_for_timeout(6_000)  # the metrics' memory figures are cached for a few seconds
    held = uploaded_bytes(app_url)
    assert size <= held <= MAX_FILES_PER_SESSION * size + 10_000, held  # without the cap: 2 MB
