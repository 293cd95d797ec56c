"""The gallery's Qt model over the store, checked by qtmodeltester, and its proxy."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QPixmap

from nst_desktop.core.gallery_records import SortOrder
from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.ui.gallery_model import (
    STYLES_MIME,
    GalleryFilterModel,
    GalleryModel,
    GalleryRole,
)
from tests.gallery_helpers import make_image


@pytest.fixture
def store(tmp_path):
    s = GalleryStore(seed_starter=False)
    for seed, (title, artist, tags) in enumerate(
        [("Water Lilies", "Claude Monet", "water, impressionism"),
         ("Wheatfield", "Vincent van Gogh", "fields"),
         ("Almond Blossom", "Vincent van Gogh", "impressionism")]
    ):
        s.add(make_image(tmp_path / f"{seed}.png", seed=seed), title=title, artist=artist,
              tags=tags)
    yield s
    s.close()


@pytest.fixture
def model(store, qtbot):
    m = GalleryModel(store, icon_size=32)
    yield m
    m.detach()


def test_model_passes_qtmodeltester_through_changes(model, store, qtmodeltester, tmp_path):
    qtmodeltester.check(model)
    record = store.add(make_image(tmp_path / "new.png", seed=10))
    store.rename(record.id, "Renamed")
    store.trash([store.styles()[0].id])
    qtmodeltester.check(model)
    proxy = GalleryFilterModel()
    proxy.setSourceModel(model)
    proxy.set_search_text("gogh")
    qtmodeltester.check(proxy)


def test_roles_and_follows_the_store(model, store, tmp_path):
    assert model.rowCount() == 3
    record = store.search("water")[0]
    index = model.index_of(record.id)
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Water Lilies"
    assert index.data(GalleryRole.Id) == record.id
    assert index.data(GalleryRole.Path) == str(record.image_path)
    assert index.data(GalleryRole.Artist) == "Claude Monet"
    assert index.data(GalleryRole.Tags) == ["water", "impressionism"]
    assert index.data(GalleryRole.Favourite) is False
    assert "Claude Monet" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert model.roleNames()[int(GalleryRole.LastUsed)] == b"lastUsed"
    store.set_favourite(record.id, True)
    assert index.data(GalleryRole.Favourite) is True  # an update keeps the row
    added = store.add(make_image(tmp_path / "more.png", seed=11))
    assert model.rowCount() == 4 and model.index_of(added.id).isValid()
    store.trash([record.id])
    assert model.rowCount() == 3 and not model.index_of(record.id).isValid()
    # Rows still map to the right records after a removal in the middle.
    for row in range(model.rowCount()):
        rid = model.index(row, 0).data(GalleryRole.Id)
        assert model.row_of(rid) == row


def test_set_data_renames_and_refuses_an_empty_title(model, store, qtbot):
    index = model.index(0, 0)
    style_id = index.data(GalleryRole.Id)
    assert model.setData(index, "New title")
    assert store.get(style_id).title == "New title"
    with qtbot.waitSignal(model.error) as blocker:
        assert not model.setData(index, "   ")
    assert "needs a title" in blocker.args[0]
    assert store.get(style_id).title == "New title"


def test_thumbnails_load_in_the_background(model, qtbot):
    index = model.index(0, 0)
    placeholder = index.data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(placeholder, QPixmap) and not index.data(GalleryRole.ThumbnailReady)
    with qtbot.waitSignal(model.dataChanged, timeout=10_000):
        pass
    pixmap = index.data(Qt.ItemDataRole.DecorationRole)
    assert index.data(GalleryRole.ThumbnailReady)
    assert pixmap.width() == 24 and pixmap.height() == 16  # smaller than the icon: as is
    assert model.cached_thumbnails() == 1


def test_a_missing_thumbnail_is_remade_and_an_unreadable_image_marked(model, store, qtbot):
    first, second = (model.record_at(0), model.record_at(1))
    first.thumbnail_path.unlink()
    second.image_path.write_bytes(b"garbage")
    second.thumbnail_path.unlink()
    model.index(0, 0).data(Qt.ItemDataRole.DecorationRole)
    model.index(1, 0).data(Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: model.loader.pending() == 0, timeout=10_000)
    assert first.thumbnail_path.exists()
    assert model.index(0, 0).data(GalleryRole.ThumbnailReady)
    assert not model.index(1, 0).data(GalleryRole.ThumbnailReady)
    assert "is not an image" in model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_mime_data_of_a_drag_out(model, store):
    indexes = [model.index(0, 0), model.index(2, 0)]
    mime = model.mimeData(indexes)
    records = [model.record_at(0), model.record_at(2)]
    assert [u.toLocalFile() for u in mime.urls()] == [str(r.image_path) for r in records]
    assert json.loads(bytes(mime.data(STYLES_MIME)).decode()) == [r.id for r in records]
    assert set(model.mimeTypes()) == {STYLES_MIME, "text/uri-list"}
    assert model.flags(indexes[0]) & Qt.ItemFlag.ItemIsDragEnabled
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags


def test_proxy_filters_and_orders(model, store):
    proxy = GalleryFilterModel()
    proxy.setSourceModel(model)

    def titles():
        return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]

    assert titles() == ["Almond Blossom", "Water Lilies", "Wheatfield"]
    proxy.set_search_text("van GOGH")
    assert titles() == ["Almond Blossom", "Wheatfield"]
    proxy.set_search_text("")
    proxy.set_tag("impressionism")
    assert titles() == ["Almond Blossom", "Water Lilies"]
    proxy.set_tag(None)
    store.set_favourite(store.search("wheat")[0].id, True)
    assert titles() == ["Wheatfield", "Almond Blossom", "Water Lilies"]  # re-sorted live
    proxy.set_favourites_only(True)
    assert titles() == ["Wheatfield"]
    proxy.set_favourites_only(False)
    proxy.set_sort_order(SortOrder.RECENTLY_ADDED)
    assert titles() == ["Wheatfield", "Almond Blossom", "Water Lilies"]
