"""Using the gallery and the history from the window: choosing and dragging styles, adding
the current style, one Ctrl+Z that follows the focus, recording runs, reopening, restoring."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.core.imageio import load_image, save_image
from nst_desktop.core.paths import history_dir
from nst_desktop.engine import DeviceInfo, StyleInput
from nst_desktop.ui.gallery_model import GalleryRole
from nst_desktop.ui.library import attach_library
from nst_desktop.ui.main_window import MainWindow
from nst_desktop.ui.qt_images import rgb_to_qimage
from nst_desktop.ui.settings import AppSettings
from tests.gallery_helpers import make_image

from .conftest import TINY
from .dnd import drag_and_drop


@pytest.fixture
def store(tmp_path):
    s = GalleryStore(seed_starter=False)
    for seed, title in enumerate(["Alpha", "Beta", "Gamma"]):
        s.add(make_image(tmp_path / "art" / f"{title.lower()}.png", seed=seed, size=(40, 32)),
              title=title)
    yield s
    s.close()


@pytest.fixture
def win(qtbot, store, dialogs):
    """A shown window with a gallery of three styles and an empty history."""
    settings = AppSettings()
    settings.save_params(TINY, {"seed_locked": True})
    window = MainWindow(settings=settings, devices=[DeviceInfo("cpu", "CPU")])
    qtbot.addWidget(window)
    attach_library(window, gallery_store=store)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window
    if window.runner.is_running():
        window.runner.controller.shutdown()
    window.library.shutdown()
    assert window.library.gallery.importer.wait_for_done(0)


def ids_of(gallery, *titles):
    rows = range(gallery.proxy.rowCount())
    by_title = {gallery.proxy.index(r, 0).data(): gallery.proxy.index(r, 0) for r in rows}
    return [str(by_title[t].data(GalleryRole.Id)) for t in titles]


def gallery_titles(gallery):
    return [gallery.proxy.index(r, 0).data() for r in range(gallery.proxy.rowCount())]


def style_names(window):
    return [e.name for e in window.style_pane.entries]


def focus(qtbot, widget):
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


# -- choosing styles ------------------------------------------------------------------------
def test_activating_gallery_styles_replaces_the_styles_with_a_blend(win, qtbot, style_file):
    gallery = win.library.gallery
    assert win.inputs.open_path(str(style_file), "style")
    gallery.select_ids(ids_of(gallery, "Alpha", "Gamma"))
    focus(qtbot, gallery.view)
    qtbot.keyClick(gallery.view, Qt.Key.Key_Return)
    assert style_names(win) == ["Alpha", "Gamma"]  # gallery titles, not file names
    qtbot.waitUntil(lambda: all(row.slider.isVisible() for row in win.style_pane.rows))
    assert "Gamma · 40 × 32" in win.style_pane.info_label.text()


def test_styles_dragged_from_the_gallery_drop_on_the_style_pane(win, style_file):
    gallery = win.library.gallery
    assert win.inputs.open_path(str(style_file), "style")
    gallery.select_ids(ids_of(gallery, "Beta"))
    selected = gallery.view.selectionModel().selectedIndexes()
    mime = gallery.model.mimeData([gallery.proxy.mapToSource(i) for i in selected])
    drag_and_drop(win.style_pane, mime)  # on the large view: replaces
    assert style_names(win) == ["Beta"]
    beta = gallery.store.get(ids_of(gallery, "Beta")[0])
    assert win.style_pane.entries[0].image.path == str(beta.image_path)

    gallery.select_ids(ids_of(gallery, "Alpha", "Gamma"))
    selected = gallery.view.selectionModel().selectedIndexes()
    mime = gallery.model.mimeData([gallery.proxy.mapToSource(i) for i in selected])
    strip = win.style_pane.add_zone.geometry().center()
    drag_and_drop(win.style_pane, mime, QPoint(strip.x(), strip.y()))  # on the strip: adds
    assert style_names(win) == ["Beta", "Alpha", "Gamma"]


# -- adding the current style ------------------------------------------------------------------
def test_add_style_to_gallery_from_the_style_pane(win, qtbot, tmp_path):
    library, gallery = win.library, win.library.gallery
    assert not library.add_style_action.isEnabled()  # nothing to add yet
    painting = make_image(tmp_path / "sunflowers.png", seed=42, size=(36, 30))
    assert win.inputs.open_path(str(painting), "style")
    assert library.add_style_action.isEnabled()
    assert library.add_style_action in win.style_pane.actions()  # its context menu
    win.gallery_dock.hide()
    with qtbot.waitSignal(gallery.import_finished, timeout=20_000) as done:
        library.add_style_action.trigger()
    assert win.gallery_dock.isVisible()
    (new_id,) = done.args[0]
    assert gallery.store.get(new_id).title == "Sunflowers"
    assert gallery.selected_ids() == [new_id]
    assert "Added 1 style to" in win.status_label.text()

    # Once it is used from the gallery, the pane calls it by its title; adding it again
    # only points at it.
    gallery.activate_selected()
    assert style_names(win) == ["Sunflowers"]
    gallery.select_ids(ids_of(gallery, "Alpha"))
    with qtbot.assertNotEmitted(gallery.import_finished):
        library.add_style_action.trigger()
    assert gallery.selected_ids() == [new_id]
    assert "'Sunflowers' is already in the gallery" in win.status_label.text()


def test_a_pasted_style_is_added_from_its_pixels(win, qtbot, style_image):
    gallery = win.library.gallery
    QGuiApplication.clipboard().setImage(rgb_to_qimage(style_image))
    focus(qtbot, win.style_pane.canvas)
    win.paste_action.trigger()
    [name] = style_names(win)
    assert name.startswith("Pasted 20") and name.endswith(".png")  # kept, dated
    with qtbot.waitSignal(gallery.import_finished, timeout=20_000) as done:
        win.library.add_current_style()
    (new_id,) = done.args[0]
    assert gallery.store.get(new_id).title == name.removesuffix(".png")  # "Pasted 2026-12-04 …"
    added = load_image(gallery.store.get(new_id).image_path)
    assert added.size == (64, 64)
    assert np.abs(added.rgb - style_image).max() < 1 / 255 + 1e-6


# -- one Ctrl+Z, one history, whatever has focus ----------------------------------------------
def test_ctrl_z_goes_back_through_one_history_whatever_has_focus(win, qtbot):
    gallery, model = win.library.gallery, win.model
    assert gallery.undo_stack is win.undo_stack  # the gallery's edits are the window's
    slider = win.params_panel.strength_slider
    strength = model.params.strength
    focus(qtbot, slider)
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)  # a parameter change: one undo step
    changed = model.params.strength
    assert changed > strength

    beta = ids_of(gallery, "Beta")[0]
    gallery.select_ids([beta])
    focus(qtbot, gallery.view)
    qtbot.keyClick(gallery.view, Qt.Key.Key_Delete)
    assert gallery_titles(gallery) == ["Alpha", "Gamma"]
    assert win.undo_action.text() == "Undo Delete 'Beta'"  # Edit ▸ Undo says what it undoes
    assert "Undo with Ctrl+Z" in gallery.status.text()

    focus(qtbot, slider)  # the last thing done is undone first, wherever the focus is
    qtbot.keyClick(slider, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert gallery_titles(gallery) == ["Alpha", "Beta", "Gamma"]  # the style is back
    assert model.params.strength == changed  # and the parameters are untouched

    focus(qtbot, gallery.view)
    qtbot.keyClick(gallery.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert model.params.strength == pytest.approx(strength)
    assert gallery_titles(gallery) == ["Alpha", "Beta", "Gamma"]

    qtbot.keyClick(gallery.view, Qt.Key.Key_Z,  # redo goes the same way, forward
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert model.params.strength == pytest.approx(changed)
    assert gallery_titles(gallery) == ["Alpha", "Beta", "Gamma"]
    focus(qtbot, slider)
    qtbot.keyClick(slider, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert gallery_titles(gallery) == ["Alpha", "Gamma"]


def run_to_the_end(window, qtbot):
    history, controller = window.library.history, window.runner.controller
    with (
        qtbot.waitSignal(history.entry_recorded, timeout=90_000) as recorded,
        qtbot.waitSignal(controller.finished, timeout=90_000),
    ):
        window.run_action.trigger()
    qtbot.waitUntil(lambda: not window.runner.is_running(), timeout=10_000)
    return recorded.args[0]


def test_a_finished_run_is_recorded_with_the_gallery_titles(win, qtbot, content_file):
    gallery, history = win.library.gallery, win.library.history
    assert win.inputs.open_path(str(content_file), "content")
    gallery.select_ids(ids_of(gallery, "Gamma"))
    gallery.activate_selected()
    entry = run_to_the_end(win, qtbot)
    assert history.entry_ids() == [entry.id]
    assert entry.title == "photo × Gamma"
    assert entry.params == win.result.params and entry.device == "cpu"
    assert entry.precision == win.result.precision != ""  # "on CPU, BF16", as the status says
    assert entry.summary.endswith(f"on CPU, {win.result.precision.upper()}")
    kept = load_image(entry.result_path)
    assert kept.rgb.shape == win.result.image.shape
    assert kept.params == win.result.params  # a kept result restores like a saved one
    assert "photo × Gamma" in win.result_pane.info_label.text()
    assert win.saving.default_path().name.startswith("photo-Gamma")


def test_a_stopped_run_is_kept_in_the_history_marked_where_it_stopped(
        win, qtbot, content_file, style_file, dialogs):
    """Stopping keeps the image so far in the window and in the history, marked "stopped at
    step N": a stopped image the person liked is not lost unless saved."""
    history = win.library.history
    assert win.inputs.open_path(str(content_file), "content")
    assert win.inputs.open_path(str(style_file), "style")
    win.model.set_value("iterations", 300)
    win.runner.controller.progress.connect(
        lambda event: win.stop_action.trigger() if event.step == 1 else None)
    with (
        qtbot.waitSignal(history.entry_recorded, timeout=90_000) as recorded,
        qtbot.waitSignal(win.runner.controller.cancelled, timeout=90_000),
    ):
        win.run_action.trigger()
    qtbot.waitUntil(lambda: not win.runner.is_running(), timeout=10_000)
    entry = recorded.args[0]
    steps = win.result.steps
    assert win.result.cancelled and 1 <= steps <= 2  # stopped within a step of asking
    assert history.entry_ids() == [entry.id] and entry.stopped_at == steps
    def shown() -> str:  # the row's text, its no-break spaces as spaces
        return history.model.index(0, 0).data(Qt.ItemDataRole.DisplayRole).replace("\xa0", " ")

    assert shown().endswith(f" · stopped at step {steps}")
    kept = load_image(entry.result_path)
    assert np.abs(kept.rgb - win.result.image).max() <= 0.5 / 255 + 1e-6  # the image so far
    # Listed again from disk (the next start), it is still marked.
    history.refresh()
    assert shown().endswith(f" · stopped at step {steps}")
    # The history has it: closing does not ask to save it.
    qtbot.waitUntil(lambda: win.kept_result is win.result)
    assert win.close()
    assert dialogs.named("question") == []


def test_the_photos_transparency_is_kept_by_save_and_by_the_history(
        win, qtbot, tmp_path, content_image, style_file, dialogs):
    """The CLI puts the photo's alpha back on the result; the window's Save and the history's
    copy do the same, with the same function (imageio.save_image)."""
    from PIL import Image

    h, w = content_image.shape[:2]
    alpha = np.ones((h, w), np.float32)
    alpha[:, w // 2:] = 0.0  # the right half transparent
    alpha[: h // 4, : w // 4] = 0.5  # and a half-transparent corner
    rgba = np.concatenate([content_image, alpha[..., None]], axis=-1)
    photo = tmp_path / "cut-out.png"
    Image.fromarray((rgba * 255 + 0.5).astype(np.uint8), "RGBA").save(photo)
    assert win.inputs.open_path(str(photo), "content")
    assert win.inputs.open_path(str(style_file), "style")
    assert win.content.alpha is not None
    entry = run_to_the_end(win, qtbot)
    saved = win.saving.save_to(tmp_path / "saved.png")
    assert saved is not None and not dialogs.named("warning")
    cli_like = tmp_path / "cli.png"  # what the CLI writes for this result and photo
    save_image(cli_like, win.result.image, alpha=win.content.alpha, params=win.result.params)
    expected = load_image(cli_like)
    for path in (saved, entry.result_path):
        image = load_image(path)
        assert image.alpha is not None, path
        rh, rw = image.alpha.shape
        assert (rh, rw) == win.result.image.shape[:2]
        assert image.alpha[rh // 2:, : rw // 2 - 2].min() == 1.0  # opaque where the photo is
        assert image.alpha[:, rw // 2 + 2:].max() == 0.0  # transparent where it is
        assert abs(float(image.alpha[1, 1]) - 0.5) < 0.01
        np.testing.assert_array_equal(image.alpha, expected.alpha)
        np.testing.assert_array_equal(image.rgb, expected.rgb)
    # A kept run opened from the history saves with its transparency too.
    history = win.library.history
    history.select_row(0)
    history.open_selected()
    again = win.saving.save_to(tmp_path / "again.png")
    np.testing.assert_array_equal(load_image(again).alpha, expected.alpha)


def kept_run(window, qtbot, content_image, params):
    """Record a run straight into the history (no engine), and select it."""
    history = window.library.history
    with qtbot.waitSignal(history.entry_recorded, timeout=20_000) as recorded:
        history.record_result(content_image, params, 4.0, "cpu")
    history.select_row(0)
    return recorded.args[0]


def test_open_shows_a_past_result_without_touching_the_parameters(
    win, qtbot, dialogs, content_image, style_image
):
    params = TINY.replace(style_weight=3e5, content="/gone/photo.png",
                          styles=(StyleInput("/gone/art.png"),))
    entry = kept_run(win, qtbot, style_image, params)
    before = win.model.params
    win.library.history.open_selected()
    assert win.result is not None
    assert np.abs(win.result.image - load_image(entry.result_path).rgb).max() == 0
    assert win.result.params == params  # saving it embeds the run's own parameters
    assert win.model.params == before and win.undo_stack.count() == 0
    assert win.runner.saved_path is None and win.save_action.isEnabled()
    assert "from the history" in win.status_label.text()
    assert win.close()  # it is kept in the history: closing does not ask to save it
    assert not dialogs.named("question")


def test_restore_parameters_is_one_undo_step_and_reloads_the_images(
    win, qtbot, content_file, content_image
):
    gallery = win.library.gallery
    alpha, beta = (str(gallery.store.get(i).image_path) for i in ids_of(gallery, "Alpha", "Beta"))
    params = TINY.replace(
        style_weight=12345.0, iterations=7, content=str(content_file),
        styles=(StyleInput(alpha, 0.25), StyleInput(beta, 0.75)), seed=99,
    )
    kept_run(win, qtbot, content_image, params)
    before = win.model.params
    win.library.history.restore_selected()
    assert win.model.params.style_weight == 12345.0 and win.model.params.iterations == 7
    assert win.model.params.seed == 99
    assert win.undo_stack.count() == 1  # one step, however many values changed
    assert win.content is not None and win.content.path == str(content_file)
    assert style_names(win) == ["Alpha", "Beta"] and win.style_pane.weights() == [0.25, 0.75]
    assert "photo, 2 styles found" in win.status_label.text()
    win.undo_action.trigger()
    assert win.model.params == before


def test_restore_says_when_the_images_are_gone(win, qtbot, content_image):
    params = TINY.replace(iterations=9, content="/gone/photo.png",
                          styles=(StyleInput("/gone/art.png"),))
    kept_run(win, qtbot, content_image, params)
    win.library.history.restore_selected()
    assert win.model.params.iterations == 9
    assert win.content is None and not win.style_pane.entries
    assert "input images were not found" in win.status_label.text()


def test_history_entries_are_on_disk_for_the_next_session(win, qtbot, content_image):
    entry = kept_run(win, qtbot, content_image, TINY)
    assert entry.folder.parent == history_dir()
    assert (entry.folder / "result.png").is_file()
