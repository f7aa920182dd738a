"""A bound on what one session may hold in uploaded files.

Streamlit keeps every file a browser sends to /_stcore/upload_file/<session>/<id> until that
session ends (and a closed tab's session lingers for a while), whatever the uploader shows: a
script could send thousands of files under new ids. install_session_cap makes the process's
upload store keep only each session's newest MAX_FILES_PER_SESSION files, so a session holds at
most MAX_FILES_PER_SESSION x server.maxUploadSize (lab.user_data.MAX_UPLOAD_MB).
"""

from __future__ import annotations

import functools
import threading

MAX_FILES_PER_SESSION = 2  # the file the uploader holds, and the one replacing it
_installed = threading.Lock()


def cap_session_files(manager, limit: int = MAX_FILES_PER_SESSION) -> bool:
    """Wrap manager.add_file so that each session keeps only its newest `limit` files; once per manager."""
    if getattr(manager, "_lab_capped", False) or not hasattr(manager, "file_storage"):
        return False  # done already, or not Streamlit's in-memory store (a custom one bounds itself)
    add_file = manager.add_file

    @functools.wraps(add_file)
    def add_file_capped(session_id: str, file) -> None:
        add_file(session_id, file)
        with manager._lock:
            stored = list(manager.file_storage.get(session_id, {}))  # oldest first (dicts keep order)
        for file_id in stored[:-limit]:
            manager.remove_file(session_id, file_id)

    manager.add_file = add_file_capped
    manager._lab_capped = True
    return True


def install_session_cap() -> bool:
    """Cap the running server's upload store (no-op outside `streamlit run`, e.g. in AppTest)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return False
    with _installed:
        return cap_session_files(Runtime.instance().uploaded_file_mgr)
