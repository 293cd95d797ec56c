"""The parameter panel: every knob of a run, bound to the undoable :class:`ParamsModel`.

Widgets never hold state of their own: a change calls ``model.edit`` (one undo
step; a slider drag is one step), and ``model.changed`` writes the value back
into the widget with its signals blocked, so undo and redo show up here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.engine import VGG19_LAYERS, DeviceInfo, Params
from nst_desktop.engine.device import cpu_has_native_bf16
from nst_desktop.engine.params import MAX_SIZE
from nst_desktop.errors import ParameterError
from nst_desktop.ui.estimate import Estimate, bf16_note, estimate
from nst_desktop.ui.params_model import ParamsModel
from nst_desktop.ui.theme import warning_colour
from nst_desktop.ui.widgets import CollapsibleSection, LogSlider, round_nicely

STRENGTH_RANGE = (0.5, 2000.0)
STYLE_SCALE_RANGE = (0.25, 4.0)
# Characters a combo box of the panel shows at least (it grows with the panel).
COMBO_MIN_CHARS = 8


def device_choices(devices: list[DeviceInfo]) -> list[tuple[str, str]]:
    """(label, Params.device value) for every device that exists, 'auto' first."""
    choices = [(f"Automatic ({devices[0].name})" if devices else "Automatic", "auto")]
    for d in devices:
        choices.append((d.name if d.key != "cpu" else "CPU", d.key))
    return choices


class ParamsPanel(QWidget):
    """Edits a :class:`ParamsModel`. Has no signals of its own: listen to the model."""

    def __init__(
        self,
        model: ParamsModel,
        devices: list[DeviceInfo],
        rate: Callable[[str], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.devices = devices
        self._rate = rate
        self.content_shape: tuple[int, int] | None = None
        self.current_estimate: Estimate | None = None
        self._setters: dict[str, Callable[[Any], None]] = {}
        self._text_commits: list[Callable[[], None]] = []  # the line edits' (commit_edits)
        self._updating = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(self._style_group())
        layout.addWidget(self._output_group())
        layout.addWidget(self._run_group())
        self.advanced = CollapsibleSection("Advanced", self._advanced_widget())
        layout.addWidget(self.advanced)
        layout.addStretch(1)

        model.changed.connect(self.on_model_changed)
        model.reset.connect(self.refresh)
        self.refresh()

    # -- sections -----------------------------------------------------------------------
    def _style_group(self) -> QGroupBox:
        box = QGroupBox("Style")
        form = self._form(box)
        self.strength_slider = LogSlider(*STRENGTH_RANGE)
        self.strength_slider.setToolTip(
            "How strongly the painting's style overrides the photo: style weight / content weight."
        )
        self.strength_label = QLabel()
        self.strength_label.setMinimumWidth(44)
        self.strength_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self._track_drag(self.strength_slider)
        self.strength_slider.float_changed.connect(self.on_strength_slider_changed)
        self._setters["style_weight"] = self._show_strength
        self._setters["content_weight"] = self._show_strength
        form.addRow("Strength", self._row(self.strength_slider, self.strength_label))

        self.style_scale_slider = LogSlider(*STYLE_SCALE_RANGE)
        self.style_scale_slider.setToolTip("Size of the brush strokes: above 1, larger patterns.")
        self.style_scale_label = QLabel()
        self.style_scale_label.setMinimumWidth(44)
        self.style_scale_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self._track_drag(self.style_scale_slider)
        self.style_scale_slider.float_changed.connect(
            lambda v: self._edit("style_scale", round_nicely(v))
        )

        def show_style_scale(value: float) -> None:
            self.style_scale_slider.set_float_value(value)
            self.style_scale_label.setText(f"{value:.2f}×")

        self._setters["style_scale"] = show_style_scale
        form.addRow("Stroke scale", self._row(self.style_scale_slider, self.style_scale_label))

        self.color_combo = self._combo(
            "preserve_color",
            [
                ("Painting's colours", "off"),
                ("Photo's colours", "luminance"),
                ("Photo's colours, matched", "histogram"),
            ],
            "Keep the photo's colours: 'luminance' transfers only light and shade; "
            "'matched' recolours the painting to the photo's palette first.",
        )
        form.addRow("Colours", self.color_combo)
        return box

    def _output_group(self) -> QGroupBox:
        box = QGroupBox("Output")
        form = self._form(box)
        self.size_spin = self._spin("size", 16, MAX_SIZE, 64, " px", "Longest side of the result.")
        form.addRow("Size", self.size_spin)
        self.estimate_label = QLabel()
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setObjectName("estimate")
        form.addRow(self.estimate_label)
        self.iterations_spin = self._spin(
            "iterations", 0, 100_000, 10, "", "Optimisation steps at the full size."
        )
        form.addRow("Iterations", self.iterations_spin)
        return box

    def _run_group(self) -> QGroupBox:
        box = QGroupBox("Run")
        form = self._form(box)
        self.optimizer_combo = self._combo(
            "optimizer",
            [("L-BFGS (best quality)", "lbfgs"), ("Adam (steady)", "adam")],
            "L-BFGS converges in fewer steps; Adam uses less memory per step.",
        )
        form.addRow("Optimiser", self.optimizer_combo)
        self.init_combo = self._combo(
            "init",
            [("The photo", "content"), ("Noise", "noise")],
            "What the image starts from. 'Continue from current result' overrides this.",
        )
        form.addRow("Start from", self.init_combo)
        self.seed_spin = self._spin("seed", 0, 2**31 - 1, 1, "", "Random seed of the run.")
        self.seed_lock = QCheckBox("Keep")
        self.seed_lock.setToolTip("Keep this seed; unticked, every run draws a new one.")
        self._bind_check("seed_locked", self.seed_lock)
        form.addRow("Seed", self._row(self.seed_spin, self.seed_lock))
        self.device_combo = self._combo("device", device_choices(self.devices), "Where to compute.")
        form.addRow("Device", self.device_combo)
        self.continue_check = QCheckBox("Continue from current result")
        self.continue_check.setToolTip(
            "Start the next run from the result on screen instead of the photo."
        )
        self._bind_check("continue_from_result", self.continue_check)
        self.continue_check.setEnabled(False)
        form.addRow(self.continue_check)
        return box

    def _advanced_widget(self) -> QWidget:
        widget = QWidget()
        form = self._form(widget)
        form.setContentsMargins(12, 0, 0, 0)
        self.style_loss_combo = self._combo(
            "style_loss",
            [("Gram matrices", "gram"), ("Wasserstein (W2)", "w2")],
            "How style similarity is measured.",
        )
        form.addRow("Style loss", self.style_loss_combo)
        self.tv_spin = self._double_spin(
            "tv_weight", 0, 1000, 0.1, 3, "Smoothness: penalises noise."
        )
        form.addRow("Smoothness", self.tv_spin)
        self.style_layers_edit = self._layers_edit("style_layers")
        form.addRow("Style layers", self.style_layers_edit)
        self.content_layers_edit = self._layers_edit("content_layers")
        form.addRow("Content layers", self.content_layers_edit)
        self.layers_error = QLabel()
        self.layers_error.setWordWrap(True)
        self.layers_error.setStyleSheet(f"color: {warning_colour()};")
        self.layers_error.hide()
        form.addRow(self.layers_error)
        self.pooling_combo = self._combo("pooling", [("Max", "max"), ("Average", "avg")], "")
        form.addRow("Pooling", self.pooling_combo)
        self.precision_combo = self._combo(
            "precision",
            [("Automatic", "auto"), ("FP32", "fp32"), ("TF32", "tf32"), ("BF16", "bf16")],
            "Automatic: TF32 on an NVIDIA GPU; BF16 on a CPU that computes bfloat16\n"
            "natively (AVX-512 BF16 or AMX"
            + (", as this one does" if cpu_has_native_bf16() else "; this one does not")
            + "), FP32 otherwise.\n"
            "Lower precision is faster and needs less memory for about the same picture;\n"
            + bf16_note(),
        )
        form.addRow("Precision", self.precision_combo)
        self.low_memory_check = QCheckBox("Low memory (slower)")
        self.low_memory_check.setToolTip(
            "Run the network on strips of the image, recomputing them (same result), and keep a\n"
            "short optimiser history: from 1024 px on, a fifth to a third of the memory; from\n"
            "a megapixel on at about the same time per step, below it half as much time again\n"
            "(CPU)."
        )
        self._bind_check("low_memory", self.low_memory_check)
        form.addRow(self.low_memory_check)
        self.coarse_check = QCheckBox("Coarse to fine")
        self.coarse_check.setToolTip("Solve at small sizes first: large-scale structure, faster.")
        self._bind_check("coarse_to_fine", self.coarse_check)
        form.addRow(self.coarse_check)
        self.min_size_spin = self._spin(
            "min_size", 16, 4096, 16, " px", "Smallest size of the schedule."
        )
        form.addRow("Smallest size", self.min_size_spin)
        self.coarse_iterations_spin = self._spin(
            "coarse_iterations", 0, 100_000, 10, "", "Steps at each smaller size."
        )
        form.addRow("Coarse iterations", self.coarse_iterations_spin)
        self.lr_spin = self._double_spin("learning_rate", 0.0001, 1, 0.005, 4, "Adam's step size.")
        form.addRow("Learning rate", self.lr_spin)
        self.preview_spin = self._spin(
            "preview_every", 0, 1000, 1, "", "Show the forming image every N steps (0: never)."
        )
        form.addRow("Preview every", self.preview_spin)
        return widget

    # -- builders ---------------------------------------------------------------------------
    @staticmethod
    def _form(parent: QWidget) -> QFormLayout:
        form = QFormLayout(parent)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return form

    @staticmethod
    def _row(*widgets: QWidget) -> QWidget:
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        for i, w in enumerate(widgets):
            lay.addWidget(w, 1 if i == 0 else 0)
        return row

    def _track_drag(self, slider: LogSlider) -> None:
        slider.sliderPressed.connect(self.model.drag.begin)
        slider.sliderReleased.connect(self.model.drag.end)

    def _combo(self, key: str, options: list[tuple[str, Any]], tip: str) -> QComboBox:
        combo = QComboBox()
        # Wide enough for a word or two, growing with the panel; the list shows whole
        # texts. Sized to its longest item instead, "Photo's colours, matched" alone would
        # hold the panel, and so the window, wider than a small screen.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(COMBO_MIN_CHARS)
        for text, value in options:
            combo.addItem(text, value)
        combo.setToolTip(tip)
        combo.activated.connect(lambda index: self._edit(key, combo.itemData(index)))
        self._setters[key] = lambda v: combo.setCurrentIndex(max(0, combo.findData(v)))
        return combo

    def _spin(self, key: str, lo: int, hi: int, step: int, suffix: str, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setSingleStep(step)
        spin.setSuffix(suffix)
        spin.setKeyboardTracking(False)
        spin.setToolTip(tip)
        spin.setAccelerated(True)
        spin.valueChanged.connect(lambda v: self._edit(key, int(v)))
        self._setters[key] = spin.setValue
        return spin

    def _double_spin(
        self, key: str, lo: float, hi: float, step: float, decimals: int, tip: str
    ) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(lo, hi)
        spin.setDecimals(decimals)
        spin.setSingleStep(step)
        spin.setKeyboardTracking(False)
        spin.setToolTip(tip)
        spin.valueChanged.connect(lambda v: self._edit(key, float(v)))
        self._setters[key] = spin.setValue
        return spin

    def _bind_check(self, key: str, check: QCheckBox) -> None:
        check.toggled.connect(lambda on: self._edit(key, bool(on)))
        self._setters[key] = check.setChecked

    def _layers_edit(self, key: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setToolTip("VGG-19 layers, comma-separated: " + ", ".join(VGG19_LAYERS))

        def commit() -> None:
            layers = tuple(x.strip() for x in edit.text().replace(";", ",").split(",") if x.strip())
            try:
                candidate = self.model.params.replace(**{key: layers})
                if key == "style_layers":
                    candidate = candidate.replace(style_layer_weights=())
                candidate.validate()
            except ParameterError as exc:
                self.layers_error.setText(str(exc))
                self.layers_error.show()
                show(self.model.value(key))
                return
            self.layers_error.hide()
            self._edit(key, layers)

        def show(layers: tuple[str, ...]) -> None:
            edit.setText(", ".join(layers))
            if not edit.hasFocus():  # show the list's start; setText leaves it at its end
                edit.setCursorPosition(0)

        edit.editingFinished.connect(commit)
        self._text_commits.append(lambda: commit() if edit.isModified() else None)
        self._setters[key] = show
        return edit

    def commit_edits(self) -> None:
        """Make what every field shows its value: text typed and not yet entered (no Enter,
        the focus still in the field) is committed as an edit, text that is no value goes
        back to the value. Starting a run, saving and undo call this first, so that what
        is on screen is what runs; a field's own Ctrl+Z changes only its text."""
        for spin in self.findChildren(QAbstractSpinBox):
            spin.interpretText()  # emits valueChanged if the text holds another value
        for commit in self._text_commits:
            commit()

    # -- model -> widgets ---------------------------------------------------------------------
    def on_strength_slider_changed(self, strength: float) -> None:
        params = self.model.params
        self._edit("style_weight", round_nicely(strength) * params.content_weight)

    def _show_strength(self, _value: object = None) -> None:
        strength = self.model.params.strength
        self.strength_slider.set_float_value(strength)
        self.strength_label.setText(f"{strength:.3g}")

    def on_model_changed(self, key: str) -> None:
        setter = self._setters.get(key)
        if setter is not None:
            self._set_quietly(setter, self.model.value(key))
        if key == "seed_locked" or key == "continue_from_result":
            self._update_enabled()
        self.update_estimate()

    def refresh(self) -> None:
        for key, setter in self._setters.items():
            self._set_quietly(setter, self.model.value(key))
        self._update_enabled()
        self.update_estimate()

    def _set_quietly(self, setter: Callable[[Any], None], value: Any) -> None:
        """Show a model value without it coming back as an edit."""
        self._updating = True
        try:
            setter(value)
        finally:
            self._updating = False

    def _edit(self, key: str, value: Any) -> None:
        if not self._updating:
            self.model.edit(key, value)

    def _update_enabled(self) -> None:
        continuing = bool(self.model.value("continue_from_result"))
        self.init_combo.setEnabled(not continuing)

    def set_result_available(self, available: bool) -> None:
        self.continue_check.setEnabled(available)
        if not available and self.model.value("continue_from_result"):
            self.model.set_value("continue_from_result", False)

    def set_content_shape(self, shape: tuple[int, int] | None) -> None:
        self.content_shape = shape
        self.update_estimate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark
            self.layers_error.setStyleSheet(f"color: {warning_colour()};")
            self.update_estimate()
        super().changeEvent(event)

    def update_estimate(self) -> None:
        params: Params = self.model.params
        est = estimate(params, self.content_shape, self.devices, self._rate)
        self.current_estimate = est
        if est is None:
            self.estimate_label.setText("Add a photo to see the memory and time a run needs.")
            self.estimate_label.setStyleSheet("")
            self.estimate_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            return
        self.estimate_label.setForegroundRole(QPalette.ColorRole.WindowText)
        self.estimate_label.setText(est.text)
        self.estimate_label.setStyleSheet(
            f"color: {warning_colour()}; font-weight: bold;" if est.warns else "")
