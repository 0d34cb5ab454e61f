"""The captions pages in a real browser: the speaker uploads captions with the keyboard alone,
and the transcript fits a phone screen with each time reachable by Tab."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowflow.library import services
from knowflow.library.models import RecordingCaptions
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person, make_session

pytestmark = BROWSER_TESTS

FILES = Path(__file__).parent / "captions"


@pytest.mark.django_db(transaction=True)
def test_speaker_uploads_captions_and_reads_the_transcript_on_a_phone(
    live_server, browser_page
) -> None:
    speaker = make_person(name="Ana Ortiz", username="ana")
    recording = services.resource_create(
        actor=speaker,
        kind="recording",
        title="Making Python fast (recording)",
        url="https://www.youtube.com/watch?v=abc123",
        session=make_session(speakers=[speaker], title="Making Python fast"),
    )
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "ana")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/library/{recording.slug}/")

    page.get_by_role("link", name="Add captions").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.set_input_files("#id_captions", str(FILES / "talk.vtt"))
    page.get_by_role("button", name="Upload the captions").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/library/{recording.slug}/")

    assert page.locator(".messages li").inner_text() == (
        "Captions saved: 6 lines. Search now finds this recording by what was said."
    )
    assert page.locator(".transcript li").count() == 6
    assert page.locator("#t-754").inner_text() == (
        "12:34\nSampling profilers such as py-spy attach to a running processalert(1)."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for _ in range(60):  # the times are links a keyboard reaches
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "12:34":
            break
    else:
        pytest.fail("the transcript's times cannot be reached with Tab")
    assert page.evaluate("document.activeElement.href") == (
        "https://www.youtube.com/watch?v=abc123&t=754"
    )
    assert RecordingCaptions.objects.get(resource=recording).cue_count == 6
