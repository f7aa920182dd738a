"""Left and right arrow keys press a page's Back and Next buttons (the lesson, on a projector).

A tiny components-v2 component with no view: its JavaScript listens on the document once per
page and clicks the button with the given widget key. Keys typed into a field or moving a slider
(or with a modifier held) are left alone.
"""

from __future__ import annotations

import streamlit as st

_JS = """
const state = { keys: null };
function typing(target) {
  const fields = 'input, textarea, select, [contenteditable="true"], [role="slider"]';
  return target instanceof Element && target.closest(fields);
}
function onKey(event) {
  if (!state.keys || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (typing(event.target)) return;
  const key = event.key === "ArrowLeft" ? state.keys.back : event.key === "ArrowRight" ? state.keys.next : null;
  const button = key && document.querySelector(`.st-key-${key} button`);
  if (button && !button.disabled) {
    event.preventDefault();
    button.click();
  }
}
export default function (component) {
  state.keys = component.data;
  if (!window.__lsoftmaxArrowKeys) {
    window.__lsoftmaxArrowKeys = true;
    document.addEventListener("keydown", onKey);
  }
  return () => { state.keys = null; };
}
"""
_COMPONENT = st.components.v2.component("lsoftmax_arrow_keys", js=_JS)


def arrow_keys(back: str, next: str) -> None:  # noqa: A002 - the button's role, as the user reads it
    """Let ArrowLeft press the button keyed `back` and ArrowRight the one keyed `next`."""
    _COMPONENT(data={"back": back, "next": next}, key="arrow-keys", height=0)
