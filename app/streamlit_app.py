"""L-Softmax Lab: the Streamlit entry point. Sets up the page and the navigation."""

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported anywhere
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run app/streamlit_app.py` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import presenter  # noqa: E402
from app.memory import install_memory_trim  # noqa: E402
from app.uploads import install_session_cap  # noqa: E402

install_session_cap()  # once per process: a session holds at most two uploaded files
install_memory_trim()  # once per process: closed sessions' memory goes back to the OS

PAGES = Path(__file__).parent / "views"
ICON = ROOT / "assets" / "icon.png"  # served by the app itself (a :material: icon would come from a font CDN)

st.set_page_config(page_title="L-Softmax Lab", page_icon=str(ICON), layout="wide")

navigation = st.navigation(
    {
        "Learn": [
            st.Page(PAGES / "about.py", title="About L-Softmax", icon=":material/school:", default=True),
            st.Page(PAGES / "lesson.py", title="Guided lesson", icon=":material/route:", url_path="lesson"),
            st.Page(
                PAGES / "binary.py", title="Two classes (Figure 4)", icon=":material/call_split:", url_path="binary"
            ),
            st.Page(PAGES / "multiclass.py", title="K classes", icon=":material/donut_large:", url_path="multiclass"),
            st.Page(
                PAGES / "psi_curve.py", title="psi and lambda (Figure 3)", icon=":material/show_chart:", url_path="psi"
            ),
            st.Page(
                PAGES / "family.py", title="The margin family", icon=":material/stacked_line_chart:", url_path="family"
            ),
            st.Page(PAGES / "sphere.py", title="K classes on a sphere", icon=":material/public:", url_path="sphere"),
        ],
        "Train": [
            st.Page(PAGES / "train.py", title="Live training lab", icon=":material/model_training:", url_path="train"),
            st.Page(PAGES / "digits.py", title="Real digits (Figure 2)", icon=":material/pin:", url_path="digits"),
        ],
    }
)
presenter.setup(navigation.url_path)
navigation.run()
