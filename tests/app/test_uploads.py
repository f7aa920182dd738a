"""app.uploads: one session holds at most MAX_FILES_PER_SESSION uploaded files, the newest."""

from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from app.uploads import MAX_FILES_PER_SESSION, cap_session_files


def record(file_id: str, size: int = 1000) -> UploadedFileRec:
    return UploadedFileRec(file_id=file_id, name=f"{file_id}.csv", type="text/csv", data=b"x" * size)


def test_a_session_keeps_only_its_newest_files_and_others_are_untouched():
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    assert cap_session_files(manager) and not cap_session_files(manager)  # installs once
    manager.add_file("neighbour", record("theirs"))
    for index in range(40):
        manager.add_file("attacker", record(f"f{index}", 50_000))
    kept = manager.get_files("attacker", [f"f{index}" for index in range(40)])
    assert [file.file_id for file in kept] == ["f38", "f39"][-MAX_FILES_PER_SESSION:]
    assert [file.file_id for file in manager.get_files("neighbour", ["theirs"])] == ["theirs"]
    assert manager._total_bytes == MAX_FILES_PER_SESSION * 50_000 + 1000  # the store's own count agrees


def test_the_same_id_uploaded_again_replaces_it():
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    cap_session_files(manager)
    manager.add_file("s", record("a"))
    manager.add_file("s", record("a", 10))
    assert [len(file.data) for file in manager.get_files("s", ["a"])] == [10]
