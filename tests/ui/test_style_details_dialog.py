"""The dialog that edits a painting's details: shows the painting, reads from the start of
each field, gives only what changed, and keeps itself open on a bad value."""

from __future__ import annotations

import pytest

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.ui.style_details_dialog import StyleDetailsDialog


@pytest.fixture
def scream():
    store = GalleryStore()  # the starter paintings, in this test's own home
    record = next(r for r in store.styles() if r.title == "The Scream")
    yield record
    store.close()


def test_the_dialog_shows_the_painting_and_each_field_from_its_start(qtbot, scream):
    dialog = StyleDetailsDialog(scream)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.preview.isVisible()
    pixmap = dialog.preview.pixmap()
    assert not pixmap.isNull() and max(pixmap.width(), pixmap.height()) > 100
    source = dialog.source_edit
    assert source.text() == scream.source and source.cursorPosition() == 0
    # wide enough for the starter painting's source and the tags' hint
    metrics = source.fontMetrics()
    assert metrics.horizontalAdvance("Public domain. National Museum of Norway") < source.width()
    assert metrics.horizontalAdvance(dialog.tags_edit.placeholderText()) < source.width()


def test_a_style_without_its_thumbnail_gets_the_form_alone(qtbot, scream):
    scream.thumbnail_path.unlink()
    dialog = StyleDetailsDialog(scream)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.preview.isVisible()
    assert dialog.title_edit.text() == "The Scream"


def test_only_what_changed_comes_back_and_a_bad_title_keeps_it_open(qtbot, scream):
    dialog = StyleDetailsDialog(scream)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.year_edit.setText("c. 1893")
    dialog.favourite_check.setChecked(True)
    assert dialog.changes() == {"year": "c. 1893", "favourite": True}
    dialog.title_edit.setText("   ")
    dialog.accept()
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert dialog.error_label.text()
    dialog.title_edit.setText("Der Schrei")
    dialog.accept()
    assert not dialog.isVisible() and dialog.result() == StyleDetailsDialog.DialogCode.Accepted
