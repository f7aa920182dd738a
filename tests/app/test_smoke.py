"""Every page in the navigation runs in AppTest without an exception and renders a title.

Pages are discovered from app/views/, so a new page is covered as soon as it exists.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app"
ENTRY = APP / "streamlit_app.py"
PAGES = sorted(path for path in (APP / "views").glob("*.py") if path.name != "__init__.py")
DEFAULT_PAGE = "about.py"  # served at /


def exceptions(at: AppTest) -> list[str]:
    return [element.value for element in at.exception]


def test_pages_were_found():
    assert {"about.py", "binary.py", "multiclass.py", "psi_curve.py", "train.py"} <= {page.name for page in PAGES}


def test_entry_point_opens_the_default_page():
    at = AppTest.from_file(str(ENTRY), default_timeout=60).run()
    assert not exceptions(at), exceptions(at)
    assert len(at.title) > 0


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_page_runs_and_renders_a_title(page):
    at = AppTest.from_file(str(ENTRY), default_timeout=60).run()
    default_titles = [title.value for title in at.title]
    at.switch_page(str(page.relative_to(ENTRY.parent))).run()
    assert not exceptions(at), exceptions(at)
    titles = [title.value for title in at.title]
    assert titles, f"{page.name} rendered no title"
    if page.name != DEFAULT_PAGE:  # the switch really left the default page
        assert titles != default_titles
