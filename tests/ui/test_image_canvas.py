"""The image view: zoom around the cursor, pan, fit, 100 %, before/after split, held key."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from nst_desktop.ui.image_canvas import ImageCanvas

FIT = 284 / 600  # an 800x600 image in a 400x300 view, 8 px margins


def solid(w: int, h: int, color: str) -> QImage:
    image = QImage(w, h, QImage.Format.Format_RGB888)
    image.fill(QColor(color))
    return image


@pytest.fixture
def canvas(qtbot):
    view = ImageCanvas()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.set_image(solid(800, 600, "red"))
    return view


def image_point(view: ImageCanvas, widget_point: QPointF) -> QPointF:
    rect = view.image_rect()
    return (widget_point - rect.topLeft()) / view.scale()


def test_a_new_image_is_fitted_to_the_view(canvas):
    rect = canvas.image_rect()
    assert canvas.is_fitted()
    assert rect.width() <= 400 and rect.height() <= 300
    assert rect.height() == pytest.approx(284)  # limited by height, 8 px margin each side
    assert rect.center().x() == pytest.approx(200) and rect.center().y() == pytest.approx(150)


def test_ctrl_wheel_zooms_keeping_the_point_under_the_cursor(canvas):
    cursor = QPointF(120, 90)
    before = image_point(canvas, cursor)
    event = QWheelEvent(
        cursor,
        canvas.mapToGlobal(cursor),
        QPoint(),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas, event)
    assert canvas.scale() == pytest.approx(FIT * 1.25**2, rel=1e-3)
    after = image_point(canvas, cursor)
    assert after.x() == pytest.approx(before.x(), abs=0.5)
    assert after.y() == pytest.approx(before.y(), abs=0.5)
    assert not canvas.is_fitted()


def test_plus_and_minus_keys_zoom(canvas, qtbot):
    start = canvas.scale()
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.scale() == pytest.approx(start * 1.25)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.scale() == pytest.approx(start)


def test_actual_size_is_one_image_pixel_per_device_pixel_and_fit_returns(canvas):
    canvas.actual_size()
    assert canvas.zoom_percent() == pytest.approx(100)
    assert canvas.scale() == pytest.approx(1 / canvas.devicePixelRatioF())
    canvas.fit()
    assert canvas.is_fitted() and canvas.scale() == pytest.approx(FIT)


def test_dragging_pans_a_zoomed_image(canvas, qtbot):
    canvas.actual_size()
    start = canvas.image_rect().topLeft()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    qtbot.mouseMove(canvas, QPoint(150, 120))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(150, 120))
    moved = canvas.image_rect().topLeft() - start
    assert (moved.x(), moved.y()) == (pytest.approx(-50), pytest.approx(-30))


def test_a_preview_of_another_size_keeps_the_view(canvas):
    canvas.zoom_by(2.0, QPointF(100, 100))
    rect = canvas.image_rect()
    canvas.set_image(solid(200, 150, "blue"), QSize(800, 600))  # a coarse frame
    assert canvas.image_rect() == rect
    canvas.set_image(solid(300, 300, "blue"))  # a different picture: fitted anew
    assert canvas.is_fitted()


def test_split_shows_before_left_and_after_right(canvas):
    canvas.set_compare_image(solid(800, 600, "blue"))
    canvas.set_split_enabled(True)
    canvas.set_split_position(0.5)
    grab = canvas.grab().toImage()
    dpr = grab.devicePixelRatio()
    rect = canvas.image_rect()
    y = int(rect.center().y() * dpr)
    left = grab.pixelColor(int((rect.left() + rect.width() * 0.25) * dpr), y)
    right = grab.pixelColor(int((rect.left() + rect.width() * 0.75) * dpr), y)
    assert left.blue() > 200 and left.red() < 50
    assert right.red() > 200 and right.blue() < 50


def test_dragging_the_split_line_moves_it(canvas, qtbot):
    canvas.set_compare_image(solid(800, 600, "blue"))
    canvas.set_split_enabled(True)
    rect = canvas.image_rect()
    x = round(rect.left() + rect.width() / 2)
    y = round(rect.top() + rect.height() / 3)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.mouseMove(canvas, QPoint(round(rect.left() + rect.width() * 0.8), y))
    qtbot.mouseRelease(
        canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(rect.left() + rect.width() * 0.8), y)
    )
    assert canvas.split_position() == pytest.approx(0.8, abs=0.01)


def test_holding_backslash_shows_the_original(canvas, qtbot):
    canvas.set_compare_image(solid(800, 600, "blue"))
    qtbot.keyPress(canvas, Qt.Key.Key_Backslash)
    assert canvas.showing_compare()
    centre = canvas.grab().toImage()
    c = centre.pixelColor(centre.width() // 2, centre.height() // 2)
    assert c.blue() > 200 and c.red() < 50
    qtbot.keyRelease(canvas, Qt.Key.Key_Backslash)
    assert not canvas.showing_compare()


def test_result_pane_original_button_holds_the_photo(loaded_window, qtbot):
    import numpy as np

    from nst_desktop.engine import Result

    canvas = loaded_window.result_pane.canvas
    image = np.random.default_rng(0).random((36, 48, 3), dtype=np.float32)
    loaded_window.runner.show_result(Result(image, loaded_window.model.params, elapsed=1.0,
                                            device="cpu", steps=3))
    loaded_window.original_button.pressed.emit()
    assert canvas.showing_compare()
    loaded_window.original_button.released.emit()
    assert not canvas.showing_compare()
    loaded_window.compare_action.trigger()
    assert canvas.split_enabled() and loaded_window.compare_button.isChecked()


def test_an_empty_canvas_paints_its_placeholder(qtbot):
    view = ImageCanvas()
    qtbot.addWidget(view)
    view.placeholder = "Drop a photo here"
    view.resize(200, 100)
    assert not view.grab().isNull() and not view.has_image()


def checkerboard(w: int, h: int) -> QImage:
    """Black and white pixels in turn: any smoothing or resampling turns them grey."""
    image = QImage(w, h, QImage.Format.Format_RGB888)
    for y in range(h):
        for x in range(w):
            image.setPixelColor(x, y, QColor("white" if (x + y) % 2 else "black"))
    return image


def test_fit_never_enlarges_a_small_image_past_100_percent(qtbot):
    """A 256 px result in a large pane was stretched to 187-240 % with smoothing: blurred.
    Fit shows it at 100 %, its pixels as they are; zooming in still enlarges it."""
    view = ImageCanvas()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    small = checkerboard(256, 192)
    view.set_image(small)
    assert view.is_fitted() and view.zoom_percent() == pytest.approx(100)
    rect = view.image_rect()
    assert rect.center().x() == pytest.approx(400) and rect.center().y() == pytest.approx(300)
    shot = view.grab().toImage()
    dpr = shot.devicePixelRatio()
    left, top = round(rect.left() * dpr), round(rect.top() * dpr)
    for x, y in ((0, 0), (1, 0), (10, 7), (255, 191), (128, 96)):
        assert shot.pixelColor(left + x, top + y) == small.pixelColor(x, y)

    view.zoom_in()
    assert view.zoom_percent() == pytest.approx(125)  # asked for: enlarged
    view.resize(1000, 700)
    view.fit()
    assert view.zoom_percent() == pytest.approx(100)
    view.resize(200, 150)  # smaller than the image: fitted below 100 %
    assert view.is_fitted() and view.zoom_percent() < 100
