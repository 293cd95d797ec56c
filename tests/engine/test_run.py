"""The optimisation loop: it descends, styles, blends, reproduces, reports and cancels."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
import torch

from nst_desktop.engine import Params, Progress, Result, StyleInput, StyleTransfer
from nst_desktop.engine.color import rgb_to_yiq
from nst_desktop.engine.run import frame_on_device, resize, to_numpy, to_tensor, to_uint8

from .helpers import gram_distance, run_to_end, tiny


def test_loss_decreases(content_image, style_image):
    events, result = run_to_end(
        tiny(coarse_to_fine=False, iterations=15), content_image, [style_image]
    )
    totals = [e.losses["total"] for e in events]
    assert len(totals) == 15
    assert totals[-1] < 0.5 * totals[0]
    assert result.steps == 15 and not result.cancelled
    assert result.image.shape == (36, 48, 3) and result.image.dtype == np.float32
    assert result.image.min() >= 0 and result.image.max() <= 1


def test_result_is_much_closer_to_the_style_than_the_content_is(content_image, style_image):
    _, result = run_to_end(
        tiny(iterations=20, coarse_iterations=20, style_weight=200), content_image, [style_image]
    )
    # Compared with the style at the size the engine used for it (longest side 48).
    style_48 = to_numpy(resize(to_tensor(style_image), (48, 48)))
    before = gram_distance(to_numpy(resize(to_tensor(content_image), (36, 48))), style_48)
    after = gram_distance(result.image, style_48)
    assert after < 0.3 * before


def test_adam_average_pooling_and_noise_init_also_descend(content_image, style_image):
    p = tiny(
        optimizer="adam",
        learning_rate=0.03,
        pooling="avg",
        init="noise",
        average=True,
        coarse_to_fine=False,
        iterations=30,
    )
    events, result = run_to_end(p, content_image, [style_image])
    assert events[-1].losses["total"] < 0.7 * events[0].losses["total"]
    assert np.isfinite(result.image).all()


def test_coarse_to_fine_runs_every_scale_smallest_first(content_image, style_image):
    p = tiny(size=64, min_size=16, iterations=2, coarse_iterations=3)
    assert p.schedule() == [(16, 3), (32, 3), (64, 2)]
    events, result = run_to_end(p, content_image, [style_image])
    # 12x16 is too small for relu5_1 (four poolings): that scale is skipped.
    sizes = [e.size for e in events]
    assert sizes[0] == (24, 32) and sizes[-1] == (48, 64)
    assert [e.scale_index for e in events] == [0] * 3 + [1] * 2
    assert [e.step for e in events] == list(range(1, 6))
    assert all(e.total_steps == 5 and e.scale_count == 2 for e in events)
    assert result.image.shape == (48, 64, 3)
    # Progress counts pixel-iterations, as the time left does: the three coarse steps are a
    # quarter of the pixels each, so they are 3 * 768 / (3 * 768 + 2 * 3072) of the work,
    # not three fifths of it.
    fractions = [e.fraction for e in events]
    assert fractions[2] == pytest.approx(3 * 768 / (3 * 768 + 2 * 3072))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # The time left (engine/timeleft.py): none before the first scale's steps after its first
    # are timed (both of them, as it has fewer than BASIS_STEPS), nothing at the end.
    assert events[0].eta is None and events[1].eta is None
    assert all(e.eta is not None and e.eta >= 0 for e in events[2:])
    assert events[-1].eta == 0.0
    # The result says how long a step took at each scale (after its first): both ran 2+.
    assert set(result.step_times) == {24 * 32, 48 * 64}
    assert all(t > 0 for t in result.step_times.values())


def test_a_step_cost_given_shapes_the_time_left_while_one_scale_is_timed(content_image,
                                                                          style_image):
    """While only the first scale has been timed the later ones are foretold by the cost the
    caller gives (the window's, from earlier runs), not in proportion to the pixels."""
    p = tiny(size=64, min_size=32, iterations=2, coarse_iterations=3)
    assert p.schedule() == [(32, 3), (64, 2)]  # 24 x 32 px, then 48 x 64 px
    asked = []

    def flat(pixels):
        asked.append(pixels)
        return 1.0  # every step as long as the first scale's

    events, _ = run_to_end(p, content_image, [style_image], step_cost=flat)
    assert {24 * 32, 48 * 64} <= set(asked)
    third = events[2]  # the first scale's last step: timed over its second and third
    step = (third.elapsed - events[0].elapsed) / 2
    # Left: the second scale's 2 steps and its set-up, each one first-scale step long (in
    # proportion to the pixels it would be 4 times that).
    assert third.eta == pytest.approx(3 * step, rel=1e-6)


def test_an_output_too_small_for_the_deepest_layer_is_refused(content_image, style_image):
    from nst_desktop.errors import ParameterError

    with pytest.raises(ParameterError, match="at least 16 px") as refused:
        run_to_end(tiny(size=16, coarse_to_fine=False), content_image, [style_image])
    # The message names the least size that works: that size runs, one px less does not.
    h, w = content_image.shape[:2]
    assert f"this {w} × {h} image would be 16 × 12 px" in str(refused.value)
    need = int(re.search(r"Choose a size of (\d+) px or more", str(refused.value)).group(1))
    assert refused.value.suggested_size == need
    _, result = run_to_end(tiny(size=need, coarse_to_fine=False), content_image, [style_image])
    assert min(result.image.shape[:2]) == 16
    with pytest.raises(ParameterError, match="too thin"):
        run_to_end(tiny(size=need - 1, coarse_to_fine=False), content_image, [style_image])


def test_a_shape_no_size_can_serve_is_told_to_crop():
    from nst_desktop.engine.run import too_thin_error

    error = too_thin_error(1, 5000, 512, "relu5_1", 16)
    assert "would be 512 × 1 px" in str(error) and "Crop it" in str(error)
    assert "Choose a size" not in str(error) and error.suggested_size is None


def test_progress_events_carry_losses_eta_and_previews(content_image, style_image):
    p = tiny(coarse_to_fine=False, iterations=9, preview_every=4)
    events, _ = run_to_end(p, content_image, [style_image])
    assert all(isinstance(e, Progress) for e in events)
    with_preview = [e.iteration for e in events if e.preview is not None]
    assert with_preview == [1, 4, 8]
    frame = events[3].preview
    assert frame.dtype == np.uint8 and frame.shape == (36, 48, 3)
    assert events[0].eta is None and events[-1].eta is not None and events[-1].eta >= 0
    assert {"content", "style", "tv", "total"} <= set(events[0].losses)
    assert events[-1].elapsed >= events[0].elapsed


def test_preview_on_request(content_image, style_image):
    t = StyleTransfer(tiny(coarse_to_fine=False, iterations=5), content_image, [style_image])
    frames = []
    for e in t.events():
        if isinstance(e, Progress):
            if e.iteration == 2:
                t.request_preview()
            frames.append(e.preview is not None)
    assert frames == [False, False, True, False, False]


def test_same_seed_same_image_and_other_seed_differs(content_image, style_image):
    p = tiny(init="noise", coarse_to_fine=False, iterations=6, seed=3)
    _, a = run_to_end(p, content_image, [style_image])
    _, b = run_to_end(p, content_image, [style_image])
    _, c = run_to_end(p.replace(seed=4), content_image, [style_image])
    assert np.array_equal(a.image, b.image)
    assert np.abs(a.image - c.image).mean() > 1e-3


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_a_coarse_to_fine_run_repeats_to_the_last_bit(content_image, style_image, optimizer):
    """Two scales, the matrix products large enough to be threaded: on an Intel CPU MKL's
    reduction order varied between runs (0.06 apart after 8 + 8 L-BFGS steps) until the
    package pinned it (nst_desktop/__init__.py)."""
    p = tiny(optimizer=optimizer, learning_rate=0.05, iterations=8, coarse_iterations=8)
    images = [run_to_end(p, content_image, [style_image])[1].image for _ in range(3)]
    assert all(np.array_equal(images[0], other) for other in images[1:])


def test_blend_weights_move_the_result_between_two_styles(
    content_image, style_image, style_image_2
):
    def distances(w1: float, w2: float) -> tuple[float, float]:
        p = tiny(
            styles=(StyleInput("a", w1), StyleInput("b", w2)),
            iterations=15,
            coarse_iterations=15,
            style_weight=50,
        )
        _, r = run_to_end(p, content_image, [style_image, style_image_2])
        return gram_distance(r.image, style_image), gram_distance(r.image, style_image_2)

    to_a = distances(1.0, 0.0)
    mid = distances(0.5, 0.5)
    to_b = distances(0.0, 1.0)
    # Moving weight from style A to style B moves the result away from A, towards B.
    assert to_a[0] < mid[0] < to_b[0]
    assert to_a[1] > mid[1] > to_b[1]


def test_luminance_preservation_keeps_the_contents_chroma(content_image, style_image):
    p = tiny(coarse_to_fine=False, iterations=10, preserve_color="luminance", style_weight=100)
    _, kept = run_to_end(p, content_image, [style_image])
    _, free = run_to_end(p.replace(preserve_color="off"), content_image, [style_image])
    small = resize(to_tensor(content_image), (36, 48))
    c = rgb_to_yiq(small)[0, 1:]
    chroma_kept = float((rgb_to_yiq(to_tensor(kept.image))[0, 1:] - c).abs().mean())
    chroma_free = float((rgb_to_yiq(to_tensor(free.image))[0, 1:] - c).abs().mean())
    assert chroma_kept < 0.01
    assert chroma_free > 3 * chroma_kept
    # ... while the luminance is stylised just the same.
    y_kept = rgb_to_yiq(to_tensor(kept.image))[0, 0]
    y_content = rgb_to_yiq(small)[0, 0]
    assert float((y_kept - y_content).abs().mean()) > 0.02


def test_a_large_photos_fine_colour_detail_is_averaged_not_aliased(style_image):
    """With the photo's colours kept, a photo much larger than the result gives its chroma
    as seen from afar: 1-px red and blue stripes become their mean, not bands (the chroma
    came from an unfiltered bicubic resize of the whole photo: std 0.26 here)."""
    stripes = np.zeros((750, 1000, 3), np.float32)
    stripes[:, 0::2] = (0.9, 0.1, 0.1)
    stripes[:, 1::2] = (0.1, 0.1, 0.9)
    p = tiny(size=64, coarse_to_fine=False, iterations=1, preserve_color="luminance")
    _, result = run_to_end(p, stripes, [style_image])
    chroma = rgb_to_yiq(to_tensor(result.image))[0, 1:].reshape(2, -1)
    mean_colour = rgb_to_yiq(torch.tensor([0.5, 0.1, 0.5]).view(1, 3, 1, 1))[0, 1:].flatten()
    assert float(chroma.std(dim=1).max()) < 0.01
    assert torch.allclose(chroma.mean(dim=1), mean_colour, atol=0.01)


def test_the_device_gets_the_photo_at_the_output_size_not_its_own(style_image):
    """A 48-megapixel photo is 576 MB in float32, outside the memory estimate: a run moves
    it to the device already shrunk to the result's size (white-box: what it moved)."""
    photo = np.random.default_rng(1).random((600, 800, 3), dtype=np.float32)
    t = StyleTransfer(tiny(size=64, coarse_to_fine=False, iterations=1), photo, [style_image])
    list(t.events())
    assert t._content_out is not None and tuple(t._content_out.shape[-2:]) == (48, 64)


def test_histogram_matching_moves_the_style_colours_to_the_content(content_image, style_image):
    from nst_desktop.engine.color import match_histogram

    matched = match_histogram(to_tensor(style_image), to_tensor(content_image))
    for img in (matched,):
        px = img[0].reshape(3, -1)
        ref = to_tensor(content_image)[0].reshape(3, -1)
        assert np.allclose(px.mean(1).numpy(), ref.mean(1).numpy(), atol=0.03)
    p = tiny(coarse_to_fine=False, iterations=4, preserve_color="histogram")
    _, r = run_to_end(p, content_image, [style_image])
    assert r.image.shape == (36, 48, 3)


def test_cancel_stops_within_one_iteration_and_keeps_the_partial_result(content_image, style_image):
    t = StyleTransfer(tiny(coarse_to_fine=False, iterations=50), content_image, [style_image])
    seen = []
    result = None
    for e in t.events():
        if isinstance(e, Progress):
            seen.append(e.step)
            if e.step == 3:
                t.cancel()
        else:
            result = e
    assert seen == [1, 2, 3]
    assert isinstance(result, Result) and result.cancelled and result.steps == 3
    assert np.array_equal(result.image, t.current_image())
    assert not np.array_equal(result.image, content_image[:36, :48])


def test_cancel_from_another_thread(content_image, style_image):
    t = StyleTransfer(tiny(coarse_to_fine=False, iterations=500), content_image, [style_image])
    started = threading.Event()
    steps = []

    def consume():
        for e in t.events():
            if isinstance(e, Progress):
                steps.append(e.step)
                started.set()
            else:
                steps.append(e)

    worker = threading.Thread(target=consume)
    worker.start()
    assert started.wait(60)
    t.cancel()
    worker.join(60)
    assert not worker.is_alive()
    assert isinstance(steps[-1], Result) and steps[-1].cancelled
    assert len(steps) - 1 < 500


def test_continue_from_an_init_image(content_image, style_image):
    _, first = run_to_end(tiny(coarse_to_fine=False, iterations=5), content_image, [style_image])
    p = tiny(coarse_to_fine=False, iterations=5, init="image")
    events, second = run_to_end(p, content_image, [style_image], init_image=first.image)
    fresh, _ = run_to_end(tiny(coarse_to_fine=False, iterations=5), content_image, [style_image])
    # Starting from the earlier result starts where it left off: lower loss than from scratch.
    assert events[0].losses["total"] < fresh[0].losses["total"]


def test_init_image_is_required_for_image_init(content_image, style_image):
    from nst_desktop.errors import ParameterError

    with pytest.raises(ParameterError, match="init image"):
        StyleTransfer(tiny(init="image"), content_image, [style_image])


def test_params_json_roundtrip_reproduces_the_run(content_image, style_image):
    p = tiny(
        coarse_to_fine=False, iterations=4, seed=9, init="noise", styles=(StyleInput("s.png", 2.0),)
    )
    q = Params.from_json(p.to_json())
    assert q == p
    _, a = run_to_end(p, content_image, [style_image])
    _, b = run_to_end(q, content_image, [style_image])
    assert np.array_equal(a.image, b.image)


def test_wasserstein_style_loss_descends_and_styles(content_image, style_image):
    # Shallow layers only: the eigendecompositions of 512x512 covariances are slow on a CPU.
    p = tiny(
        style_loss="w2",
        coarse_to_fine=False,
        iterations=15,
        style_weight=50,
        style_layers=("relu1_1", "relu2_1", "relu3_1"),
    )
    events, result = run_to_end(p, content_image, [style_image])
    styles = [e.losses["style"] for e in events]
    assert styles[-1] < 0.5 * styles[0]
    assert all(np.isfinite(v) for e in events for v in e.losses.values())
    style_48 = to_numpy(resize(to_tensor(style_image), (48, 48)))
    before = gram_distance(to_numpy(resize(to_tensor(content_image), (36, 48))), style_48)
    assert gram_distance(result.image, style_48) < 0.5 * before


@pytest.mark.parametrize("preserve_color", ["off", "luminance"])
def test_a_preview_frame_is_the_finished_image_in_8_bits(
    content_image, style_image, preserve_color
):
    t = StyleTransfer(tiny(preserve_color=preserve_color), content_image, [style_image])
    torch.manual_seed(2)
    image = torch.rand(1, 3, 48, 64) * 1.4 - 0.2  # some values outside 0..1
    expected = to_uint8(t._finish(image))
    for frame in (t._frame(image), frame_on_device(t._finished(image))):  # CPU, GPU way
        assert frame.dtype == np.uint8 and frame.shape == (48, 64, 3)
        np.testing.assert_array_equal(frame, expected)
