"""The guided lesson in AppTest, through the real entry point (its explorer links need the
navigation): every step renders, Back/Next move and write ?step=, a link opens its step, a bad
step shows the notice, and the figures show the numbers the text promises."""

import json
import math
import re
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from app.live_chart import unpack_message
from lsoftmax.geometry import binary_boundaries, wedge_margin
from lsoftmax.margins import CombinedMargin, CosFace, SphereFace

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "app" / "streamlit_app.py")
LESSONS = ROOT / "assets" / "lessons"
STEP_COUNT = 12
TITLES = {  # step -> words its heading must contain
    1: "softmax", 2: "ψ", 3: "m = 2", 4: "norms", 5: "K classes", 6: "λ", 7: "Training", 8: "Test time",
    9: "A-Softmax", 10: "CosFace", 11: "ArcFace", 12: "combined",
}  # fmt: skip
FAMILY_STEPS = (9, 10, 11, 12)  # L-Softmax's successors, on the family page


def open_lesson(step=None) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=90)
    at.switch_page("views/lesson.py")
    if step is not None:
        at.query_params["step"] = step
    return at.run()


def heading(at: AppTest) -> str:
    return at.header[0].value


def shown_step(at: AppTest) -> int:
    return int(heading(at).split(".")[0])


def link_notice(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning if "ignored" in w.value)


@pytest.mark.parametrize("step", range(1, STEP_COUNT + 1))
def test_every_step_renders_its_text_figure_and_explorer_link(step):
    at = open_lesson(str(step))
    assert not at.exception, at.exception
    assert not link_notice(at)
    assert shown_step(at) == step and TITLES[step] in heading(at)
    text_files = sorted(LESSONS.glob(f"{step:02d}-*.md"))
    assert len(text_files) == 1
    first_line = text_files[0].read_text().splitlines()[0]
    assert any(first_line in md.value for md in at.markdown)
    links = explorer_links(at)
    assert len(links) == 1
    assert at.get("progress")[0].proto.value == int(100 * step / STEP_COUNT)
    assert at.get("progress")[0].proto.text == f"Step {step} of {STEP_COUNT}"
    assert len(at.get("plotly_chart")) + len(live_charts(at)) == 1


def explorer_links(at: AppTest) -> list:
    return [button for button in at.get("link_button") if "Open this in the explorer" in button.proto.label]


def test_the_handout_prints_every_step_with_its_question():
    at = AppTest.from_file(ENTRY, default_timeout=90)
    at.switch_page("views/lesson.py")
    at.query_params["handout"] = "1"
    at.run()
    assert not at.exception
    headers = [header.value for header in at.header]
    assert [h.split(".")[0] for h in headers] == [str(n) for n in range(1, STEP_COUNT + 1)]
    questions = [md.value for md in at.markdown if md.value.startswith("**Question for the class.**")]
    assert len(questions) == STEP_COUNT and all(q.rstrip().endswith("?") for q in questions)
    assert len(at.get("plotly_chart")) + len(live_charts(at)) == STEP_COUNT


def live_charts(at: AppTest) -> list[dict]:
    """The headers of the live charts on the page (app.live_chart)."""
    return [unpack_message(chart.proto.bytes)[0] for chart in at.get("bidi_component") if chart.proto.bytes[:4] != b""]


def step_spec(at: AppTest) -> dict:
    """The step's figure as plotly JSON, from st.plotly_chart or from a live chart."""
    if at.get("plotly_chart"):
        return json.loads(at.get("plotly_chart")[0].proto.spec)
    (header,) = [header for header in live_charts(at) if "figure" in header]
    return header["figure"]


def test_next_twice_then_back_moves_and_writes_the_url():
    at = open_lesson()
    assert shown_step(at) == 1
    assert at.button(key="back").disabled
    at.button(key="next").click().run()
    at.button(key="next").click().run()
    assert shown_step(at) == 3
    assert at.query_params["step"] == "3"
    at.button(key="back").click().run()
    assert shown_step(at) == 2
    assert not at.exception


def test_next_is_disabled_on_the_last_step_and_the_picker_jumps():
    at = open_lesson(str(STEP_COUNT))
    assert at.button(key="next").disabled
    at.pagination(key="step").select(5).run()
    assert shown_step(at) == 5


@pytest.mark.parametrize(("raw", "message"), [("99", "step=99 is outside 1..12"), ("abc", "step=abc is not a number"),
                                              ("0", "step=0 is outside 1..12"), ("", "step is empty")])  # fmt: skip
def test_a_bad_step_shows_the_notice_and_opens_step_one(raw, message):
    at = open_lesson(raw)
    assert not at.exception
    assert message in link_notice(at)
    assert shown_step(at) == 1


def plane_notes(at: AppTest) -> list[str]:
    spec = step_spec(at)
    return [note.get("text", "") for note in spec["layout"]["annotations"]]


def test_step_three_draws_the_closed_form_margin():
    at = open_lesson("3")
    expected = (2 - 1) / (2 + 1) * 90  # (m - 1)/(m + 1) * theta12 at m = 2, 90 degrees
    assert f"margin {expected:.1f}°" in plane_notes(at)


def test_step_seven_animates_the_wedges_of_the_compared_margins():
    spec = step_spec(open_lesson("7"))
    assert [frame["name"] for frame in spec["frames"]] == ["1", "2", "3", "4"]


def test_step_one_has_no_margin_and_step_eight_shows_the_softmax_field():
    assert not any(note.startswith("margin") for note in plane_notes(open_lesson("1")))
    spec = step_spec(open_lesson("8"))
    assert any(trace["type"] == "heatmap" for trace in spec["data"])


@pytest.mark.parametrize("step", range(1, STEP_COUNT + 1))
def test_explorer_link_carries_the_same_settings_as_the_figure(step):
    at = open_lesson(str(step))
    link = explorer_links(at)[0].proto
    page_path, _, query_string = link.url.partition("?")
    query = dict(parse_qsl(query_string))
    assert query, "the explorer link must carry the step's state"
    if step in (1, 3, 8):  # the binary plane: its title states m and the angle
        spec = step_spec(at)
        title = spec["layout"]["title"]["text"]
        assert f"m = {query['m']}," in title and f"θ12 = {query['t12']}°" in title
        assert page_path == "binary"
    if step in FAMILY_STEPS:  # the family page: the figure draws exactly the members the link shows
        assert page_path == "family"
        names = [trace["name"] for trace in step_spec(at)["data"][1:]]
        hidden = [key for key in ("ls", "sf", "cf", "af", "cm") if query.get(key) == "false"]
        assert len(names) == 5 - len(hidden) and hidden
        starts = {"ls": "L-Softmax", "sf": "A-Softmax", "cf": "CosFace", "af": "ArcFace", "cm": "combined"}
        assert not any(name.startswith(starts[key]) for key in hidden for name in names)


def test_the_numbers_of_step_four_match_the_library():
    """The prose quotes rounded boundaries for |W1| = 3, |W2| = 1.5, m = 4, 90 degrees: keep them true."""
    text = (LESSONS / "04-norms.md").read_text()
    found = binary_boundaries(3.0, 1.5, math.radians(90), 4)
    quoted = {
        "63": math.degrees(found.softmax),
        "20": math.degrees(found.class1),
        "15": 90 - math.degrees(found.class2),
        "55": math.degrees(found.margin),
    }
    for shown, exact in quoted.items():
        assert f"{shown}^\\circ" in text
        assert abs(exact - int(shown)) < 0.6, (shown, exact)


def test_lesson_markdown_has_balanced_math():
    for path in LESSONS.glob("*.md"):
        text = path.read_text()
        assert text.count("$") % 2 == 0, path.name


def quoted_degrees(text: str) -> list[float]:
    """Every 'N^\\circ' the markdown quotes, as numbers."""
    return [float(number) for number in re.findall(r"(\d+(?:\.\d+)?)\^\\circ", text)]


def test_the_numbers_of_step_nine_match_the_library():
    """|W1| = |W2| / 2, m = 4, 90 degrees: L-Softmax's class 1 claims ~15, class 2 ~20; A-Softmax 18 each."""
    text = (LESSONS / "09-sphereface.md").read_text()
    lsoftmax = binary_boundaries(0.5, 1.0, math.radians(90), 4)
    sphereface = binary_boundaries(0.5, 1.0, math.radians(90), SphereFace(4))
    assert abs(math.degrees(lsoftmax.class1) - 15) < 0.5 and abs(90 - math.degrees(lsoftmax.class2) - 20) < 0.5
    assert math.degrees(sphereface.class1) == pytest.approx(18) == 90 - math.degrees(sphereface.class2)
    assert math.degrees(math.acos(0.5 * 1)) == pytest.approx(60)  # 0.5 psi(0) = cos(theta2)
    assert quoted_degrees(text) == [60, 90, 15, 20, 18]


def test_the_numbers_of_steps_ten_to_twelve_are_the_docs_check_values():
    """margin-family.md section 2, rounded as the text quotes them."""
    assert quoted_degrees((LESSONS / "10-cosface.md").read_text()) == [49, 41, 60, 29, 90, 21, 150]
    # CosFace 0.35: 40.975 at 60, 28.658 at 90, 20.876 at 150; the whole wedge up to ~49 degrees
    cosface = CosFace(0.35)
    assert math.degrees(wedge_margin(1, 1, math.radians(48), cosface)) == pytest.approx(48)
    assert math.degrees(wedge_margin(1, 1, math.radians(50), cosface)) < 50
    assert quoted_degrees((LESSONS / "11-arcface.md").read_text()) == [28.6, 28.6, 28.6]
    assert math.degrees(0.5) == pytest.approx(28.6, abs=0.05)
    assert quoted_degrees((LESSONS / "12-combined.md").read_text()) == [17.2, 36, 60, 29, 150, 28.6]
    assert math.degrees(0.3) == pytest.approx(17.2, abs=0.05)  # InsightFace's m2 = 0.3 rad, as the step quotes it
    combined = CombinedMargin(1.0, 0.3, 0.2)  # the doc: 35.638 at 60, 28.739 at 150
    assert [round(math.degrees(wedge_margin(1, 1, math.radians(a), combined))) for a in (60, 150)] == [36, 29]
