"""The About page in AppTest: the text and the static Figure 4 drawn by the binary page's figure function."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.live_chart import unpack_message

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")  # About is the default page


def test_about_shows_figure_4_at_the_default_settings():
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    assert not at.exception
    (spec,) = [
        unpack_message(chart.proto.bytes)[0]["figure"] for chart in at.get("bidi_component") if chart.proto.bytes
    ]
    texts = [note.get("text", "") for note in spec["layout"]["annotations"]]
    assert "margin 54.0°" in texts  # (4 - 1)/(4 + 1) * 90 degrees, the binary page's defaults
    assert [trace.get("name") for trace in spec["data"]][:3] == ["class 1", "class 2", "margin (no class)"]
    assert any("decision margin" in md.value for md in at.markdown)


def test_about_lists_every_preset_as_a_link():
    from app.presets import PRESETS

    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    assert not at.exception
    shown = {link.label.strip("*") for link in at.get("page_link")}
    assert {preset.title for preset in PRESETS.values()} <= shown
