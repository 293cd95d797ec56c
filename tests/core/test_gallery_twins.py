"""Two copies of one image: the gallery lists it once, and the other copy is never
unlinked (it goes to the trash), whichever way it arrived."""

from __future__ import annotations

import shutil

from nst_desktop.core.gallery_store import GalleryStore
from nst_desktop.core.trash import private_trash_dir
from tests.gallery_helpers import assert_consistent, make_image


def _in_trash() -> list[bytes]:
    folder = private_trash_dir()
    return [p.read_bytes() for p in folder.iterdir()] if folder.is_dir() else []


def test_an_image_put_into_the_folder_twice_goes_to_the_trash_not_unlinked(tmp_path):
    with GalleryStore(seed_starter=False) as store:
        listed = store.add(make_image(tmp_path / "night.png", seed=41), title="Night")
        twin = shutil.copy(tmp_path / "night.png", store.images_dir / "night copy.png")
        report = store.sync()
        assert report.adopted == [] and [r.id for r in store.styles()] == [listed.id]
        assert not twin.exists()
        assert _in_trash() == [(tmp_path / "night.png").read_bytes()]
        assert_consistent(store.root)


def test_the_person_s_copy_of_an_adopted_image_goes_to_the_trash(tmp_path):
    with GalleryStore(seed_starter=False) as store:
        dropped = make_image(store.images_dir / "dropped in.png", seed=42)
        data = dropped.read_bytes()
        [record] = store.sync().adopted
        assert record.image_path.read_bytes() == data
        assert _in_trash() == [data]
        assert_consistent(store.root)


def test_restoring_while_another_copy_lists_the_same_image_keeps_one(tmp_path, monkeypatch):
    image = make_image(tmp_path / "sea.png", seed=43)
    with GalleryStore(seed_starter=False) as first:
        kept = first.add(make_image(tmp_path / "kept.png", seed=44))
        old = first.add(image)
        first.trash([old.id])
        with GalleryStore(seed_starter=False) as second:
            again = second.add(image)  # the other copy adds the same image anew
        # ... a moment after this copy looked for a listed twin:
        monkeypatch.setattr(GalleryStore, "_live_twin", lambda self, sha256: None)
        assert first.restore([kept.id, old.id]) == []
        assert old.id not in first and old.id in first.trashed_ids()
        first.sync()
        assert {r.id for r in first.styles()} == {kept.id, again.id}


def test_images_recovered_from_one_minute_get_titles_a_person_can_tell_apart(tmp_path):
    with GalleryStore(seed_starter=False) as store:
        for n in range(4):
            store.add(make_image(tmp_path / f"{n}.png", seed=50 + n), title="Mine")
        root = store.root
    (root / "gallery.sqlite3").unlink()
    with GalleryStore(seed_starter=False) as store:
        titles = [r.title for r in store.styles()]
    assert len(titles) == 4 and len(set(titles)) == 4
    assert all(t.startswith("Recovered style 20") for t in titles)
