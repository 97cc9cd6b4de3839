"""`# @param` forms: ipywidgets controls whose every change is a minimal edit of the cell source.

The cell source stays the source of truth. A `CellForm` knows the source the kernel last saw
for its cell; a control change renders the new literal (`param_render.apply_edit`), and the
edit travels through the `SourceBridge` to our labextension, which applies it only if the
cell still holds that source. Without the bridge (VS Code, Notebook 7 without our extension,
nbclient) the values wait in the kernel and are written into the cell at its next run with a
``set_next_input`` payload that replaces the source and keeps the outputs.

Output bundle of a form: the widget view (`application/vnd.jupyter.widget-view+json`), our
`FORM_MIME` payload (which our labextension prefers: it shows the live form, or "run the cell
to show the form" once the kernel that made it is gone), escaped ``text/html`` and
``text/plain`` saying the same for every other viewer.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

import ipywidgets as w

from mlwork_jupyter.display._literals import show
from mlwork_jupyter.display.form_bridge import SourceBridge, utf16_offset
from mlwork_jupyter.display.param_spec import Form, ParamSpec, apply_edit, parse_form

__all__ = ["FORM_MIME", "CellForm", "Forms", "form_bundle"]

FORM_MIME = "application/vnd.mlwork.form.v1+json"
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_NOTE_NO_BRIDGE = (
    "Kept in the kernel: the cell's source is updated when you next run it "
    "(the mlwork JupyterLab extension is not active here)."
)
_NOTE_CONFLICT = (
    "The cell was edited since it ran; nothing was overwritten. Run it to refresh the form."
)
_NOTE_GONE = "The cell is no longer open; run it again to use the form."
_STATIC = "Form with {names}: run the cell to show the form."

State = Literal["live", "detached"]
Publish = Callable[[dict[str, Any]], None]


def _names(form: Form) -> str:
    return ", ".join(spec.name for spec in form.params) or "no parameters"


def form_bundle(form: Form, model_id: str, cell_id: str | None = None) -> dict[str, Any]:
    """Return the MIME bundle that shows a form (live) or says how to get it back (static).

    `cell_id` is the cell the form edits: a copy of its output pasted into another cell shows a
    note instead of controls that would edit the original.
    """
    static = _STATIC.format(names=_names(form))
    title = form.title or ""
    return {
        _WIDGET_MIME: {"version_major": 2, "version_minor": 0, "model_id": model_id},
        FORM_MIME: {
            "version": 1,
            "model_id": model_id,
            "cell_id": cell_id,
            "title": title,
            "params": [spec.name for spec in form.params],
            "message": static,
        },
        "text/html": (
            '<div class="mlwork-form-static" style="font-family:system-ui,sans-serif;'
            f'font-size:13px;color:#555">{escape(static)}</div>'
        ),
        "text/plain": static,
    }


# --- controls -------------------------------------------------------------------------------


def _decimals(number: float) -> int:
    text = repr(float(number))
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        return max(0, len(mantissa.partition(".")[2].rstrip("0")) - int(exponent))
    return len(text.partition(".")[2].rstrip("0"))


def _slider(spec: ParamSpec, common: dict[str, Any]) -> w.ValueWidget:
    low, high = spec.min, spec.max
    assert low is not None  # a valid slider has both bounds
    assert high is not None
    if spec.log:
        return w.FloatLogSlider(
            value=spec.value,
            base=10,
            min=math.log10(low),
            max=math.log10(high),
            step=0.01,
            readout_format=".3g",
            **common,
        )
    integral = all(isinstance(x, int) for x in (spec.value, low, high, spec.step or 1))
    if integral:
        return w.IntSlider(value=spec.value, min=low, max=high, step=spec.step or 1, **common)
    step = spec.step or (high - low) / 100
    digits = max(_decimals(step), _decimals(low), 1)
    return w.FloatSlider(
        value=spec.value,
        min=low,
        max=high,
        step=step,
        readout_format=f".{min(digits, 8)}f",
        **common,
    )


def _number(spec: ParamSpec, common: dict[str, Any]) -> w.ValueWidget:
    bounded = spec.min is not None or spec.max is not None
    if spec.kind == "integer":
        if bounded:
            return w.BoundedIntText(
                value=spec.value,
                min=spec.min if spec.min is not None else -(2**53),
                max=spec.max if spec.max is not None else 2**53,
                step=spec.step or 1,
                **common,
            )
        return w.IntText(value=spec.value, **common)
    extra: dict[str, Any] = {"step": spec.step} if spec.step is not None else {}
    if bounded:
        return w.BoundedFloatText(
            value=spec.value,
            min=spec.min if spec.min is not None else -math.inf,
            max=spec.max if spec.max is not None else math.inf,
            **extra,
            **common,
        )
    return w.FloatText(value=spec.value, **extra, **common)


def _dropdown(spec: ParamSpec, common: dict[str, Any]) -> w.ValueWidget:
    options = spec.options or ()
    if spec.allow_input:
        return w.Combobox(
            value=spec.value if isinstance(spec.value, str) else show(spec.value),
            options=[o if isinstance(o, str) else show(o) for o in options],
            ensure_option=False,
            **common,
        )
    labels = [(o if isinstance(o, str) else show(o), o) for o in options]
    return w.Dropdown(options=labels, value=spec.value, **common)


def _control(spec: ParamSpec, label_width: str = "initial") -> w.ValueWidget:
    """Return the widget for one parameter; an invalid declaration gets a disabled field."""
    common: dict[str, Any] = {
        "description": spec.name,
        "description_allow_html": False,
        "style": {"description_width": label_width},
        "layout": w.Layout(width="min(100%, 32rem)"),
    }
    if spec.error is not None:
        return w.Text(value=spec.text, disabled=True, **common)
    if spec.kind == "slider":
        control = _slider(spec, {**common, "continuous_update": False})
    elif spec.kind in {"integer", "number"}:
        control = _number(spec, {**common, "continuous_update": False})
    elif spec.kind == "boolean":
        control = w.Checkbox(value=spec.value, indent=False, **common)
    elif spec.kind == "date":
        control = w.DatePicker(value=dt.date.fromisoformat(spec.value), **common)
    elif spec.kind == "dropdown":
        control = _dropdown(spec, common)
    else:  # string, raw
        placeholder = spec.placeholder or ""
        control = w.Text(
            value=spec.value if spec.kind == "string" else spec.text,
            placeholder=placeholder,
            continuous_update=False,
            **common,
        )
    control.add_class("mlwork-form-control")
    return control


def _from_widget(spec: ParamSpec, value: Any) -> Any:
    """Turn a widget value into the value `render_value` takes for the parameter."""
    numeric_options = any(not isinstance(o, str) for o in spec.options or ())
    if spec.kind == "dropdown" and spec.allow_input and isinstance(value, str) and numeric_options:
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return value
    if spec.kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return value


def _to_widget(spec: ParamSpec) -> Any:
    """Return the widget value that shows a (re-read) parameter."""
    if spec.kind == "date":
        return dt.date.fromisoformat(spec.value)
    if spec.kind == "raw":
        return spec.text
    if spec.kind == "dropdown" and spec.allow_input and not isinstance(spec.value, str):
        return show(spec.value)
    return spec.value


def _note_html(text: str, tone: str) -> str:
    colour = {
        "error": "var(--jp-error-color1, #c62828)",
        "info": "var(--jp-ui-font-color2, #616161)",
        "ok": "var(--jp-success-color1, #2e7d32)",
    }[tone]
    return f'<span class="mlwork-form-note" style="color:{colour}">{escape(text)}</span>'


# --- one cell's form ------------------------------------------------------------------------


@dataclass(slots=True)
class _Field:
    control: w.ValueWidget
    message: w.HTML


@dataclass(slots=True)
class CellForm:
    """The form of one cell run: its controls, and the cell source as the kernel knows it.

    Attributes
    ----------
    key
        The cell id, else a hash of the source it ran (no front end sends ids).
    cell_id
        The notebook cell's id, when the front end sent one.
    source
        The whole cell source (first line included) the kernel believes the cell holds.
    state
        ``live``, or ``detached`` once the cell was edited by hand (nothing more is written).
    pending
        Values changed while no bridge could write them: applied at the cell's next run.
    """

    forms: Forms
    key: str
    cell_id: str | None
    source: str
    form: Form
    box: w.VBox = field(init=False)
    status: w.HTML = field(init=False)
    fields: dict[str, _Field] = field(default_factory=dict)
    state: State = "live"
    pending: dict[str, Any] = field(default_factory=dict)
    applied_s: list[float] = field(default_factory=list)
    _quiet: bool = False
    _sent: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Build the controls, one row per parameter, then the Run button and status."""
        rows: list[w.Widget] = []
        if self.form.title:
            rows.append(w.HTML(f"<b>{escape(self.form.title)}</b>"))
        rows += [w.HTML(f"<span>{escape(line)}</span>") for line in self.form.markdown]
        # One label column: every control starts where the longest name ends.
        longest = max((len(spec.name) for spec in self.form.params), default=0)
        label_width = f"{min(longest, 24) + 2}ch"
        for spec in self.form.params:
            control = _control(spec, label_width)
            message = w.HTML("")
            if spec.error is not None:
                message.value = _note_html(f"{spec.name}: {spec.error}", "error")
                control.add_class("mlwork-form-invalid")
            elif spec.warnings:
                message.value = _note_html("; ".join(spec.warnings), "info")
            control.observe(self._observer(spec.name), names="value")
            self.fields[spec.name] = _Field(control, message)
            rows += [control, message]
        run = w.Button(description="Run", icon="play", tooltip="Apply the form and run the cell")
        run.add_class("mlwork-form-run")
        run.on_click(lambda _button: self.run())
        self.status = w.HTML("")
        rows.append(w.HBox([run, self.status], layout=w.Layout(align_items="center")))
        self.box = w.VBox(rows)
        self.box.add_class("mlwork-form")

    # --- changes ------------------------------------------------------------------------

    def _observer(self, name: str) -> Callable[[dict[str, Any]], None]:
        def changed(change: dict[str, Any]) -> None:
            if not self._quiet:
                self.change(name, change["new"])

        return changed

    def _say(self, text: str, tone: str = "info") -> None:
        self.status.value = _note_html(text, tone) if text else ""

    def change(self, name: str, value: Any) -> None:
        """Write a new value of `name` into the cell source (or keep it for the next run)."""
        if self.state == "detached":
            return
        spec = self.form.param(name)
        entry = self.fields[name]
        try:
            new_source = apply_edit(self.source, spec, _from_widget(spec, value))
        except (TypeError, ValueError) as exc:
            entry.message.value = _note_html(str(exc).splitlines()[0], "error")
            return
        entry.message.value = ""
        start, end = spec.span
        new_text = new_source[start : len(new_source) - (len(self.source) - end)]
        before = self.source
        self.source = new_source
        self.form = parse_form(new_source)
        self._show_written(name)
        if self.forms.can_edit(self):
            seq = self.forms.send_edit(self, before, start, end, new_text)
            self._sent[seq] = time.perf_counter()
        else:
            self.pending[name] = self.form.param(name)
            self._say(_NOTE_NO_BRIDGE)

    def _show_written(self, name: str) -> None:
        """Show what the source now says (a slider value snapped to its step, say)."""
        spec = self.form.param(name)
        control = self.fields[name].control
        shown = _to_widget(spec)
        if control.value != shown:
            self._quiet = True
            try:
                control.value = shown
            finally:
                self._quiet = False

    def answered(self, seq: int, status: str) -> None:
        """Take the front end's answer to an edit."""
        sent = self._sent.pop(seq, None)
        if status == "applied":
            if sent is not None:
                self.applied_s.append(time.perf_counter() - sent)
            return
        if status == "conflict":
            self.detach(_NOTE_CONFLICT)
        else:
            self.detach(_NOTE_GONE)

    def detach(self, note: str) -> None:
        """Stop writing: the cell is no longer the source this form read."""
        self.state = "detached"
        for entry in self.fields.values():
            entry.control.disabled = True
        self._say(note, "error")

    def run(self) -> None:
        """Re-run the cell through the front end (edits already sent go first)."""
        if self.state == "detached":
            return
        if self.forms.can_edit(self):
            self.forms.send_run(self)
            self._say("running…")
        else:
            self._say(
                "Run the cell with Shift+Enter: the form's values go into its source then "
                "(the mlwork JupyterLab extension is not active here)."
            )

    def close(self) -> None:
        """Close every widget of the form (a newer run of the cell replaced it)."""
        # Not `Widget.close_all`: that class method closes every widget of the kernel.
        stack: list[w.Widget] = [self.box]
        while stack:
            widget = stack.pop()
            stack.extend(getattr(widget, "children", ()))
            widget.close()


# --- every form of a kernel -----------------------------------------------------------------


class Forms:
    """Every form of one kernel: the bridge to the notebook, and values waiting for a run.

    Parameters
    ----------
    publish
        Shows a MIME bundle in the running cell's output (``display(bundle, raw=True)``).
    """

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._bridge: SourceBridge | None = None
        self._by_key: dict[str, CellForm] = {}
        self._by_seq: dict[int, CellForm] = {}

    # --- bridge -----------------------------------------------------------------------

    @property
    def bridge(self) -> SourceBridge:
        """The kernel's bridge widget, made on first use."""
        if self._bridge is None:
            self._bridge = SourceBridge(self._event)
        return self._bridge

    def can_edit(self, cell: CellForm) -> bool:
        """Tell whether edits of this cell can go to the notebook now."""
        return cell.cell_id is not None and self.bridge.ready

    def send_edit(self, cell: CellForm, before: str, start: int, end: int, text: str) -> int:
        """Ask the front end to replace `before[start:end]` with `text` in the cell."""
        seq = self.bridge.request(
            "edit",
            cell_id=cell.cell_id,
            expected=before,
            start=utf16_offset(before, start),
            end=utf16_offset(before, end),
            text=text,
        )
        self._by_seq[seq] = cell
        return seq

    def send_run(self, cell: CellForm) -> None:
        """Ask the front end to run the cell."""
        seq = self.bridge.request("run", cell_id=cell.cell_id)
        self._by_seq[seq] = cell

    def _event(self, content: dict[str, Any]) -> None:
        seq = content.get("seq")
        cell = self._by_seq.pop(seq, None) if isinstance(seq, int) else None
        if cell is None:
            return
        if content.get("event") == "edit-result":
            cell.answered(seq, str(content.get("status")))  # type: ignore[arg-type]
        elif content.get("event") == "run-result" and content.get("status") != "started":
            cell.detach(_NOTE_GONE)

    # --- forms ------------------------------------------------------------------------

    def show(self, key: str, cell_id: str | None, source: str) -> CellForm:
        """Show the form of a cell about to run; a form it showed before is closed."""
        self.bridge  # noqa: B018 - made before the form, so the front end knows it first
        old = self._by_key.pop(key, None)
        if old is not None:
            old.close()
        cell = CellForm(self, key, cell_id, source, parse_form(source))
        self._by_key[key] = cell
        self._publish(form_bundle(cell.form, cell.box.model_id, cell_id))
        return cell

    def form(self, key: str) -> CellForm | None:
        """Return the form last shown for a cell."""
        return self._by_key.get(key)

    def take_pending(self, key: str, source: str) -> tuple[str, dict[str, Any]] | None:
        """Apply values kept for a cell to its source as it runs now.

        Returns
        -------
        tuple or None
            The new source and the values written (name -> value), or None when nothing
            was pending. Values whose declaration is gone or no longer fits are dropped.
        """
        cell = self._by_key.get(key)
        if cell is None or not cell.pending:
            return None
        kept, cell.pending = cell.pending, {}
        written: dict[str, Any] = {}
        for name, wanted in kept.items():
            try:
                spec = parse_form(source).param(name)
                value = wanted.text if spec.kind == "raw" or spec.raw else wanted.value
                source = apply_edit(source, spec, value)
            except (KeyError, TypeError, ValueError):
                continue
            written[name] = parse_form(source).param(name).value
        return (source, written) if written else None

    def close(self) -> None:
        """Close every form and the bridge (`%unload_ext`)."""
        for cell in self._by_key.values():
            cell.close()
        self._by_key.clear()
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None
