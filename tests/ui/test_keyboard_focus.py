"""Moving through the window by keyboard: Tab goes as the window reads (the gallery, the
photo, the painting and its blend rows, the result, the parameters, Stylize, then round),
scroll areas are no invisible stops, and the pane that has the keyboard's focus shows it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QScrollArea, QTabBar, QWidget

from nst_desktop.ui.app import open_window, parse_args
from nst_desktop.ui.image_canvas import FOCUS_RING_PX


def focus(qtbot, widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def walk(qtbot, window, start: QWidget, forward: bool = True, limit: int = 80) -> list[QWidget]:
    """The widgets Tab (or Shift+Tab) visits from ``start`` until it comes round again."""
    focus(qtbot, start)
    seen = [start]
    for _ in range(limit):
        if forward:
            window.focusNextChild()
        else:
            window.focusPreviousChild()
        widget = QApplication.focusWidget()
        if widget is start:
            return seen
        assert widget not in seen, f"Tab went round without coming back to the start: {seen}"
        seen.append(widget)
    raise AssertionError(f"Tab did not come round in {limit} steps: {seen}")


def app_window(qtbot, content_file, *styles):
    window = open_window(parse_args(["--content", str(content_file)]))
    qtbot.addWidget(window)
    for path in styles:
        assert window.inputs.open_path(str(path), "style")
    window.resize(1200, 800)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    window.gallery_dock.show()
    window.gallery_dock.raise_()
    qtbot.waitUntil(lambda: window.library.gallery.view.isVisible())
    return window


def top_left(widget: QWidget, window: QWidget) -> tuple[int, int]:
    point = widget.mapTo(window, QPoint(0, 0))
    return point.y(), point.x()


def test_tab_goes_through_the_window_as_it_reads(qtbot, content_file, style_file, style_file_2):
    window = app_window(qtbot, content_file, style_file, style_file_2)
    gallery = window.library.gallery
    rows = window.style_pane.rows
    assert len(rows) == 2
    seen = walk(qtbot, window, gallery.toolbar.search_edit)

    tabs = [w for w in seen if isinstance(w, QTabBar)]
    assert len(tabs) == 1 and tabs[0].parentWidget() is window  # the gallery/history tabs
    params = [w for w in seen if window.params_panel.isAncestorOf(w)]
    assert len(params) >= 8  # the sliders, size, steps, optimiser, seed, … Advanced
    # The history's list sits behind the gallery's tab; its buttons are off (none chosen).
    assert window.library.history.view not in seen
    assert seen == [
        *gallery.focus_order(), tabs[0],
        window.content_pane.canvas, window.style_pane.canvas,
        rows[0].slider, rows[0].remove_button, rows[1].slider, rows[1].remove_button,
        window.result_pane.canvas,  # Compare and Original are off: no result to compare
        *params, window.run_button,
    ]
    assert not window.compare_button.isEnabled()
    # The parameters go top to bottom (a row's fields left to right), as they read.
    places = [top_left(w, window) for w in params]
    assert places == sorted(places)
    # No scroll area is a stop of its own: Tab would seem to vanish there.
    assert not [w for w in seen if isinstance(w, QAbstractScrollArea)
                and w not in (gallery.view,)]

    # Shift+Tab goes back the same way.
    back = walk(qtbot, window, gallery.toolbar.search_edit, forward=False)
    assert back == [seen[0], *reversed(seen[1:])]

    # With the history's tab in front, Tab goes through the history, not the hidden gallery
    # (which Qt still counts as visible, moved out of the window).
    history = window.library.history
    window.history_dock.raise_()
    qtbot.waitUntil(lambda: not history.view.visibleRegion().isEmpty())
    assert gallery.view.isVisible() and gallery.view.visibleRegion().isEmpty()
    seen = walk(qtbot, window, window.content_pane.canvas)
    assert seen[-2:] == [history.view, tabs[0]]
    assert not set(gallery.focus_order()) & set(seen)


def test_blend_rows_follow_the_painting_when_styles_come_and_go(
    qtbot, content_file, style_file, style_file_2
):
    window = app_window(qtbot, content_file, style_file)
    pane = window.style_pane
    # One painting: no blend, so no weight slider; its ✕ follows it.
    assert walk(qtbot, window, pane.canvas)[1:3] == [pane.rows[0].remove_button,
                                                   window.result_pane.canvas]

    assert window.inputs.open_path(str(style_file_2), "style")  # made after the window
    qtbot.waitUntil(lambda: all(row.slider.isVisible() for row in pane.rows))
    seen = walk(qtbot, window, pane.canvas)
    assert seen[1:6] == [pane.rows[0].slider, pane.rows[0].remove_button,
                         pane.rows[1].slider, pane.rows[1].remove_button,
                         window.result_pane.canvas]

    # ✕ pressed from the keyboard: the focus stays in the list, on the row now there.
    focus(qtbot, pane.rows[0].remove_button)
    qtbot.keyClick(pane.rows[0].remove_button, Qt.Key.Key_Space)
    assert len(pane.rows) == 1 and len(pane.entries) == 1
    assert QApplication.focusWidget() is pane.rows[0].remove_button
    qtbot.waitUntil(pane.rows[0].remove_button.isVisible)
    assert walk(qtbot, window, pane.canvas)[1:3] == [pane.rows[0].remove_button,
                                                   window.result_pane.canvas]
    # The last one gone, the focus goes back to the (now empty) painting pane.
    qtbot.keyClick(pane.rows[0].remove_button, Qt.Key.Key_Space)
    assert not pane.rows and QApplication.focusWidget() is pane.canvas


def test_shift_tab_into_a_long_blend_shows_the_row_it_reaches(
    qtbot, content_file, style_file, style_file_2
):
    window = app_window(qtbot, content_file, *[style_file, style_file_2] * 3)
    pane = window.style_pane
    assert len(pane.rows) == 6
    scroll = pane.strip_scroll
    assert scroll.verticalScrollBar().maximum() > 0  # three rows show, the rest scroll
    scroll.verticalScrollBar().setValue(0)

    focus(qtbot, window.result_pane.canvas)
    window.focusPreviousChild()
    last = pane.rows[-1].remove_button
    assert QApplication.focusWidget() is last
    seen = last.visibleRegion()
    assert not seen.isEmpty(), "the focused row is scrolled out of sight"


def test_a_pane_reached_by_tab_shows_a_focus_ring_and_a_click_does_not(
    qtbot, content_file, style_file
):
    window = app_window(qtbot, content_file, style_file)
    canvas = window.content_pane.canvas
    highlight = canvas.palette().color(QPalette.ColorRole.Highlight).rgb()

    def edge_pixel() -> int:
        image = canvas.grab().toImage()
        ratio = image.devicePixelRatio()
        x = int(canvas.width() / 2 * ratio)
        return image.pixel(x, int(FOCUS_RING_PX / 2 * ratio)) & 0xFFFFFF

    before = edge_pixel()
    assert before != highlight & 0xFFFFFF
    # Tab from the tab bar before the panes, as a person presses it.
    tabs = window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)[0]
    focus(qtbot, tabs)
    qtbot.keyClick(tabs, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is canvas
    assert canvas.shows_focus()
    assert edge_pixel() == highlight & 0xFFFFFF

    qtbot.keyClick(canvas, Qt.Key.Key_Tab)  # on to the painting: the photo's ring goes
    assert window.style_pane.canvas.hasFocus() and window.style_pane.canvas.shows_focus()
    assert not canvas.shows_focus() and edge_pixel() == before

    # A click gives the pane the focus (for Ctrl+V) without a ring, as Qt's own widgets do.
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.rect().center())
    assert canvas.hasFocus()
    assert not canvas.shows_focus()
    assert edge_pixel() == before


def test_stylize_reached_by_tab_shows_a_ring_a_click_does_not(qtbot, content_file, style_file):
    window = app_window(qtbot, content_file, style_file)
    button = window.run_button
    assert button.isEnabled()
    text = QApplication.palette().color(QPalette.ColorRole.WindowText).rgb() & 0xFFFFFF

    def edge_pixel() -> int:
        image = button.grab().toImage()
        ratio = image.devicePixelRatio()
        return image.pixel(int(button.width() / 2 * ratio), int(1 * ratio)) & 0xFFFFFF

    plain = edge_pixel()
    params = [w for w in walk(qtbot, window, window.content_pane.canvas)
              if window.params_panel.isAncestorOf(w)]
    focus(qtbot, params[-1])  # Advanced, the last field before Stylize
    qtbot.keyClick(params[-1], Qt.Key.Key_Tab)
    assert button.hasFocus() and button.shows_focus()
    assert edge_pixel() == text != plain
    qtbot.keyClick(button, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert params[-1].hasFocus() and not button.shows_focus()
    assert edge_pixel() == plain

    qtbot.mousePress(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    assert button.hasFocus() and not button.shows_focus()
    button.setDown(False)  # no release: the press alone gives the focus, and starts no run
    assert not window.runner.is_running()


def test_the_window_opens_with_the_photo_pane_in_focus(qtbot, content_file):
    # Not the first Tab stop (the gallery's search field): there Ctrl+V would paste text and
    # Ctrl+Z undo the search field's typing instead of the window's last step.
    window = app_window(qtbot, content_file)
    qtbot.waitUntil(window.content_pane.canvas.hasFocus)
    assert not window.content_pane.canvas.shows_focus()  # nobody pressed Tab yet


def test_tab_into_scrolled_parameters_scrolls_to_the_field(qtbot, content_file, style_file):
    # A short window scrolls the parameters; Qt scrolls a field into sight only when Tab
    # moves within the scroll area, not when it comes in from Stylize or the result.
    window = app_window(qtbot, content_file, style_file)
    window.resize(1024, 560)
    qtbot.waitUntil(lambda: window.height() <= 600)
    scroll = next(a for a in window.findChildren(QScrollArea)
                  if a.widget() is not None and a.widget().isAncestorOf(window.params_panel))
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0

    bar.setValue(0)
    focus(qtbot, window.run_button)
    window.focusPreviousChild()  # Shift+Tab from Stylize: the last field, Advanced
    last = QApplication.focusWidget()
    assert window.params_panel.isAncestorOf(last) and bar.value() > 0
    assert not last.visibleRegion().isEmpty()

    bar.setValue(bar.maximum())
    focus(qtbot, window.result_pane.canvas)
    window.focusNextChild()  # Tab from the result (no result: Compare and Original are off)
    first = QApplication.focusWidget()
    assert window.params_panel.isAncestorOf(first) and bar.value() < bar.maximum()
    assert not first.visibleRegion().isEmpty()


def test_undo_stays_on_after_a_double_click_in_the_gallery(qtbot, content_file, style_file):
    """Undo followed the focus: after a gallery painting was double-clicked (the gallery then
    has focus) Undo greyed out and Ctrl+Z did nothing until a parameter was clicked."""
    window = app_window(qtbot, content_file, style_file)
    gallery = window.library.gallery
    view = gallery.view
    qtbot.waitUntil(lambda: gallery.proxy.rowCount() > 0)
    before = [e.name for e in window.style_pane.entries]
    index = gallery.proxy.index(0, 0)
    view.scrollTo(index)
    centre = view.visualRect(index).center()
    focus(qtbot, view)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    title = str(index.data())
    qtbot.waitUntil(lambda: [e.name for e in window.style_pane.entries] == [title])
    assert view.hasFocus(), QApplication.focusWidget()
    assert window.undo_action.isEnabled()
    assert window.status_label.text() == f"Replaced {before[0]} with {title}."
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [e.name for e in window.style_pane.entries] == before
