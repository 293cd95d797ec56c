"""The window on small screens: a first window fits its screen, and the whole window, gallery
and parameters included, fits a 1024 px wide screen (a 1280 x 800 laptop at 125 % scaling)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QScrollArea,
    QSlider,
)

from nst_desktop.engine import DeviceInfo
from nst_desktop.ui.app import open_window, parse_args
from nst_desktop.ui.library import (
    GALLERY_SHARE,
    attach_library,
    first_gallery_width,
    gallery_width,
)
from nst_desktop.ui.main_window import DEFAULT_WINDOW_SIZE, MainWindow, first_window_geometry

# What the whole window, both docks shown, may need at the least.
SMALL_SCREEN = QSize(1000, 600)


def test_a_first_window_has_the_default_size_on_a_large_screen():
    screen = QRect(0, 0, 1920, 1040)
    place = first_window_geometry(screen, QSize(960, 307))
    assert place.size() == DEFAULT_WINDOW_SIZE
    assert abs(place.center().x() - screen.center().x()) <= 1
    assert abs(place.center().y() - screen.center().y()) <= 1


@pytest.mark.parametrize(
    "screen",
    [
        QRect(0, 0, 1366, 728),  # a laptop, under a task bar
        QRect(0, 0, 1024, 700),
        QRect(1920, 32, 1280, 688),  # a second monitor, right of the first, under a panel
    ],
    ids=["1366x768", "1024x700", "second-monitor"],
)
def test_a_first_window_fits_a_smaller_screen_with_room_for_its_frame(screen):
    place = first_window_geometry(screen, QSize(960, 307))
    assert screen.contains(place)
    assert place.width() <= screen.width() - 40 and place.height() <= screen.height() - 40
    assert place.width() >= 960


def test_a_screen_smaller_than_the_window_can_be_gets_the_window_from_its_corner():
    screen = QRect(100, 50, 800, 500)
    place = first_window_geometry(screen, QSize(960, 600))
    assert place.size() == QSize(960, 600)  # never below the minimum
    assert (place.left(), place.top()) == (100, 50)  # its title bar and menus on the screen


def test_a_new_window_opens_inside_its_screen(qtbot):
    window = MainWindow(devices=[DeviceInfo("cpu", "CPU")])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    available = window.screen().availableGeometry()
    assert window.size() == first_window_geometry(available, window.minimumSizeHint()).size()
    assert available.contains(window.frameGeometry())


def test_the_whole_window_fits_a_small_screen_without_cutting_off_the_parameters(qtbot):
    window = open_window(parse_args([]))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.gallery_dock.isVisible() and window.params_dock.isVisible()
    minimum = window.minimumSizeHint()
    assert minimum.width() <= SMALL_SCREEN.width(), minimum
    assert minimum.height() <= SMALL_SCREEN.height(), minimum

    window.resize(minimum)
    qtbot.waitUntil(lambda: window.width() == minimum.width())
    # At its narrowest the parameters, Advanced ones too, still have all the width they ask
    # for: the dock is never narrower than its panel, whose fields would be cut off.
    panel = window.params_panel
    panel.advanced.set_open(True)
    scroll = window.params_dock.findChild(QScrollArea)
    qtbot.waitUntil(lambda: panel.advanced.content.isVisible())
    fields = [
        f
        for kind in (QComboBox, QAbstractSpinBox, QLineEdit, QCheckBox, QSlider)
        for f in panel.findChildren(kind)
        if f.isVisibleTo(panel)
    ]
    assert len(fields) >= 20
    viewport = scroll.viewport().width()
    for field in fields:
        right = field.mapTo(scroll.viewport(), field.rect().topRight()).x()
        assert right < viewport and field.width() >= field.minimumSizeHint().width(), field
    # and the result keeps a usable pane
    assert window.result_pane.width() >= 240
    assert window.close()


@pytest.mark.parametrize("width", [DEFAULT_WINDOW_SIZE.width(), 1100])
def test_the_gallery_takes_two_columns_on_a_large_window_and_one_on_a_small_one(qtbot, width):
    window = MainWindow(devices=[DeviceInfo("cpu", "CPU")])
    qtbot.addWidget(window)
    window.resize(width, 720)  # as first_window_geometry gives it on a screen of that size
    gallery = attach_library(window).gallery
    one, two = gallery_width(gallery, 1), gallery_width(gallery, 2)
    assert first_gallery_width(gallery, width) == (two if two <= GALLERY_SHARE * width else one)
    window.show()
    qtbot.waitExposed(window)
    shown = window.gallery_dock.width()
    if width == DEFAULT_WINDOW_SIZE.width():
        assert abs(shown - two) <= 4  # two columns of thumbnails
    else:
        assert two > GALLERY_SHARE * width  # two would take more than a quarter of it
        # one column, or the least that the gallery and the history (tabs of one dock) take
        docks = (window.gallery_dock, window.history_dock)
        assert shown <= max(one, *(d.minimumSizeHint().width() for d in docks)) + 4
        assert window.result_pane.width() > shown
    assert window.close()


def test_a_style_name_in_a_narrow_pane_shows_its_start(qtbot, tmp_path, style_image):
    """At the window's minimum width the style list has room for a few letters: they are the
    name's first ones ("starry_…"), not its two ends ("s…g")."""
    from tests.ui.conftest import write_png

    window = open_window(parse_args([]))
    qtbot.addWidget(window)
    for name in ("starry_night_over_the_rhone.png", "the_scream.png"):
        assert window.inputs.open_path(str(write_png(tmp_path / name, style_image)), "style")
    window.show()
    qtbot.waitExposed(window)
    window.resize(window.minimumSizeHint())
    qtbot.waitUntil(lambda: window.width() == window.minimumSizeHint().width())
    label = window.style_pane.rows[0].name_label
    shown = label.shown_text()
    assert shown.endswith("…") and len(shown) >= 4, shown  # narrow enough to be elided
    assert label.text().startswith(shown[:-1]), shown


def test_a_first_window_on_a_screen_too_narrow_for_the_gallery_opens_without_it(qtbot):
    """A 1366 x 768 laptop at 150 % has 911 x 480 px free: the window needs 960 with the
    gallery, and its parameters and Stylize button would lie past the screen's right edge."""
    narrow = QRect(0, 0, 911, 480)
    window = open_window(parse_args([]))
    qtbot.addWidget(window)
    assert not window.gallery_dock.isHidden()
    assert window.minimumSizeHint().width() > narrow.width()
    window.startup_problems.append("The run history cannot be opened: (a test).")
    assert window.fit_screen(narrow)
    assert "The run history cannot be opened" in window.status_label.text()  # still said
    assert window.gallery_dock.isHidden() and window.history_dock.isHidden()
    assert window.width() <= narrow.width() and window.minimumSizeHint().width() <= 911
    assert "View ▸ Gallery" in window.status_label.text()
    assert not window.gallery_dock.toggleViewAction().isChecked()
    window.show()
    qtbot.waitExposed(window)
    assert narrow.contains(window.geometry())
    assert window.params_dock.isVisible() and window.run_button.isVisible()
    window.gallery_dock.toggleViewAction().trigger()  # the View menu brings it back
    assert window.gallery_dock.isVisible()
    assert window.close()


def test_a_screen_wide_enough_keeps_the_gallery(qtbot):
    window = open_window(parse_args([]))
    qtbot.addWidget(window)
    assert not window.fit_screen(QRect(0, 0, 1366, 728))
    assert not window.gallery_dock.isHidden()
    assert window.close()
    # A window whose layout was saved keeps it, the gallery where the person left it.
    again = open_window(parse_args([]))
    qtbot.addWidget(again)
    assert again.state_restored
    assert not again.fit_screen(QRect(0, 0, 911, 480))
    assert not again.gallery_dock.isHidden()
    assert again.close()


def test_a_long_status_message_wraps_whole_and_a_short_one_takes_one_line(qtbot):
    """A full disk names its folder: at the narrowest window the message wraps onto more lines
    and every word is shown, the window no wider; a report longer than three lines is cut
    with "…"; the next short message is one line again."""
    window = open_window(parse_args([]))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    minimum = window.minimumSizeHint()
    window.resize(minimum)
    qtbot.waitUntil(lambda: window.width() == minimum.width())
    label = window.status_label
    metrics = label.fontMetrics()
    window.show_status("Ready.")
    qtbot.waitUntil(lambda: label.height() < 2 * metrics.height())
    one_line = label.height()

    long = ("The run could not be added to the history: the disk is full (no space left in "
            "/home/someone/.local/share/nst-desktop/data/history). The result is still in the "
            "window: save it (Ctrl+S) to keep it.")
    assert metrics.horizontalAdvance(long) > label.width()  # it cannot fit on one line
    window.show_status(long)
    needed = metrics.boundingRect(0, 0, label.contentsRect().width(), 10_000,
                                  int(Qt.TextFlag.TextWordWrap), long).height()
    qtbot.waitUntil(lambda: label.contentsRect().height() >= needed)
    assert needed >= 2 * metrics.height() and label.height() > one_line
    assert window.width() == minimum.width()
    bar = window.statusBar()
    qtbot.waitUntil(lambda: label.geometry().bottom() <= bar.rect().bottom())  # not cut off
    assert bar.geometry().bottom() <= window.rect().bottom()

    assert label.toolTip() == ""  # all of it is shown

    # An import that found twenty bad files: three lines at most, ending in "…", the whole
    # report in the tooltip; the lines of the report run on as sentences.
    report = "\n".join(f"broken{i}.jpg is incomplete or damaged: the image data ends too early."
                       for i in range(20))
    window.show_status(report)
    most = metrics.height() + 2 * metrics.lineSpacing()
    qtbot.waitUntil(lambda: label.contentsRect().height() == most)
    assert label.text() == report.replace("\n", " ")
    assert label.toolTip() == label.text()
    shown = super(type(label), label).text()
    assert shown.endswith("…") and shown.startswith("broken0.jpg is incomplete")
    assert metrics.boundingRect(0, 0, label.contentsRect().width(), 10_000,
                                int(Qt.TextFlag.TextWordWrap), shown).height() <= most
    assert window.width() == minimum.width()

    window.show_status("Ready.")
    qtbot.waitUntil(lambda: label.height() == one_line)
    assert label.toolTip() == ""
    assert window.close()
