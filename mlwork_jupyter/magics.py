"""The `%mlwork` line magic and `%%mlwork STAGE` cell magic: parse, hand over, show."""

from __future__ import annotations

import ast
import inspect
import os
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.displayhook import DisplayHook
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import MagicArgumentParser
from traitlets import Bool, Int, Unicode

from mlwork_jupyter.cell_runner import CellPlan, MagicLine
from mlwork_jupyter.display.output import Output
from mlwork_jupyter.errors import MlworkError, error_line
from mlwork_jupyter.provenance.record import code_hash
from mlwork_jupyter.provenance.store import default_store_dir
from mlwork_jupyter.sharing import commands
from mlwork_jupyter.stages import STAGES, CellRequest, Workbench, unknown_stage_message

if TYPE_CHECKING:
    import argparse
    from types import CodeType

    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

    from mlwork_jupyter.display.form import Forms
    from mlwork_jupyter.stages.base import OpenCell, Stage

__all__ = ["MlworkMagics", "plain_help"]

_BACKTICKS = re.compile(r"``?([^`\n]+)``?")
_LINE_COMMANDS = ("devices", "verify", "env", "seed", "runs", "show", "diff", "form", "help")


class _Parser(MagicArgumentParser):
    """An argument parser whose errors are one-line `UsageError`s naming the fix."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message}; see `%mlwork help`")


def _cell_parser(stage: str) -> _Parser:
    parser = _Parser(prog=f"%%mlwork {stage}", add_help=False)  # type: ignore[no-untyped-call]
    parser.add_argument("--name", help="group runs of one logical step across edits")
    parser.add_argument(
        "--form",
        action="store_true",
        help="show the cell's `# @param` declarations as a form whose edits rewrite the source",
    )
    STAGES[stage].add_arguments(parser)
    return parser


def plain_help(doc: str) -> str:
    """Return a docstring as `%mlwork help` prints it: its text without reST markup.

    Literal-block markers (``::``), heading underlines and backticks go; indentation and
    line breaks stay.

    Examples
    --------
    >>> plain_help("RUN is an id, ``last``, or `a suffix`; line magic::")
    'RUN is an id, last, or a suffix; line magic:'
    """
    lines: list[str] = []
    for line in inspect.cleandoc(doc).splitlines():
        stripped = line.strip()
        if stripped == "::":
            continue
        if stripped and set(stripped) <= set("-=~") and lines and lines[-1].strip():
            lines[-1] += ":"
            continue
        text = line[:-1] if line.endswith("::") else line
        lines.append(_BACKTICKS.sub(r"\1", text))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _line_parser() -> _Parser:
    parser = _Parser(prog="%mlwork", add_help=False)  # type: ignore[no-untyped-call]
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("help")
    sub.add_parser("env")
    sub.add_parser("verify")
    sub.add_parser("devices")
    sub.add_parser("form")
    seed = sub.add_parser("seed")
    seed.add_argument("seed", type=int)
    runs = sub.add_parser("runs")
    runs.add_argument("--stage", choices=list(STAGES))
    runs.add_argument("--name")
    runs.add_argument("--last", type=int, default=20)
    runs.add_argument("--all-notebooks", action="store_true")
    runs.add_argument("--top", action="store_true")
    show = sub.add_parser("show")
    show.add_argument("run")
    diff = sub.add_parser("diff")
    diff.add_argument("run_a")
    diff.add_argument("run_b")
    return parser


def _split_last_expression(
    shell: InteractiveShell, code: str, filename: str
) -> tuple[CodeType, CodeType | None, bool]:
    """Compile a cell body as IPython would, its last bare expression apart (for `Out[n]`).

    The cell-magic path only (`--workers`, cells run from cells): the shell's parser, AST
    transformers and compiler flags, never this module's.
    """
    # One leading newline: line numbers in tracebacks then match the cell, whose first line
    # is the `%%mlwork` line.
    parsed = shell.compile.ast_parse("\n" + code, filename)
    tree: ast.Module = shell.transform_ast(parsed)  # type: ignore[no-untyped-call]
    last: CodeType | None = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        expr = ast.Expression(tree.body.pop().value)  # type: ignore[attr-defined]
        last = shell.compile(expr, filename, "eval")  # type: ignore[arg-type]
    quiet: bool = DisplayHook.semicolon_at_end_of_expression(code)  # type: ignore[no-untyped-call]
    return shell.compile(tree, filename, "exec"), last, quiet  # type: ignore[arg-type]


@magics_class
class MlworkMagics(Magics):
    """Record every `%%mlwork` cell: code, environment, data, params, metrics, status.

    Configure with `%config MlworkMagics.store_dir = "path"` and the other traits.
    """

    store_dir = Unicode(
        "",
        help="Folder of the run store; default `.mlwork` beside the notebook (else the cwd).",
    ).tag(config=True)
    sample_rows = Int(
        None,
        allow_none=True,
        help="Fingerprint frames longer than this from an even row sample (labelled so).",
    ).tag(config=True)
    keras_progress = Bool(
        False,  # noqa: FBT003 - traitlets' positional default
        help="Keep Keras' own progress lines under the live panel when `fit` has no `verbose=`.",
    ).tag(config=True)

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell=shell)
        self._cell_id: str | None = None
        self._raw_cell = ""
        self._workbench: Workbench | None = None
        self._forms: Forms | None = None
        self._after_cell: dict[str, Any] = {}
        self._shell = shell
        self._plan: CellPlan | None = None
        # One entry per execution in progress (cells can run cells): the run it opened.
        self._open: list[tuple[Workbench, OpenCell] | None] = []
        self._magic_line = MagicLine(self._plan_cell)
        shell.input_transformers_cleanup.append(self._magic_line)
        shell.events.register("pre_run_cell", self._pre_run_cell)
        shell.events.register("post_run_cell", self._post_run_cell)
        shell.events.register("pre_execute", self._pre_execute)
        shell.events.register("post_execute", self._post_execute)

    def _pre_run_cell(self, info: ExecutionInfo) -> None:
        self._cell_id = getattr(info, "cell_id", None)
        self._raw_cell = getattr(info, "raw_cell", None) or ""
        self._after_cell = {}

    def _pre_execute(self) -> None:
        plan, self._plan = self._plan, None
        self._open.append(None if plan is None else self._open_run(plan))

    def _open_run(self, plan: CellPlan) -> tuple[Workbench, OpenCell] | None:
        """Open the run of a `%%mlwork` cell that IPython is about to run."""
        if plan.form_key is not None:
            self.forms().show(plan.form_key, plan.request.cell_id, plan.source)
        bench = self.workbench()
        try:
            return bench, bench.begin(plan.stage, plan.request, self._shell.user_ns)
        except SyntaxError:
            return None  # IPython reports it; an unparsable cell is not a run
        except Exception as exc:
            bench.output.warning(f"this cell is not recorded ({error_line(exc)})")
            return None

    def _post_execute(self) -> None:
        self._plan = None
        opened = self._open.pop() if self._open else None
        if opened is not None:
            bench, cell = opened
            result = self._shell.last_execution_result
            error = None if result is None else result.error_before_exec or result.error_in_exec
            bench.end(cell, self._shell.user_ns, error)

    def _post_run_cell(self, _result: ExecutionResult) -> None:
        # Values a `%mlwork form` cell wrote into its own source while it ran: the cell's
        # assignments ran with the old text, so the namespace gets the new values now.
        values, self._after_cell = self._after_cell, {}
        self._shell.user_ns.update(values)

    def unregister(self) -> None:
        """Detach from the shell's events and close the store and forms (`%unload_ext`)."""
        self._shell.events.unregister("pre_run_cell", self._pre_run_cell)
        self._shell.events.unregister("post_run_cell", self._post_run_cell)
        self._shell.events.unregister("pre_execute", self._pre_execute)
        self._shell.events.unregister("post_execute", self._post_execute)
        if self._magic_line in self._shell.input_transformers_cleanup:
            self._shell.input_transformers_cleanup.remove(self._magic_line)
        if self._workbench is not None:
            self._workbench.close()
        if self._forms is not None:
            self._forms.close()

    def _notebook(self) -> tuple[str, Path]:
        """Return the notebook name records carry and the folder the store lives in."""
        user_ns = self._shell.user_ns
        path = user_ns.get("__vsc_ipynb_file__") or os.environ.get("JPY_SESSION_NAME")
        if path:
            nb = Path(path)
            folder = nb.parent if nb.is_absolute() else Path.cwd()
            return nb.name, folder
        return "", Path.cwd()

    def store_path(self) -> Path:
        """Return the folder of the store that runs are recorded in (`store_dir` if set)."""
        return Path(self.store_dir) if self.store_dir else default_store_dir(self._notebook()[1])

    def workbench(self) -> Workbench:
        """Return this kernel's workbench, created on first use."""
        notebook, folder = self._notebook()
        store_dir = Path(self.store_dir) if self.store_dir else default_store_dir(folder)
        bench = self._workbench
        if bench is None or bench.store_dir != store_dir or bench.sample_rows != self.sample_rows:
            if bench is not None:
                bench.close()
            live = getattr(self.shell, "kernel", None) is not None
            nb_path = folder / notebook if notebook else None
            bench = Workbench(store_dir, notebook, Output(live=live), self.sample_rows, nb_path)
            self._workbench = bench
        return bench

    @line_cell_magic
    def mlwork(self, line: str, cell: str | None = None) -> Any:
        """Run a cell as an ML workload stage and record it; or inspect the records.

        Cell magic::

            %%mlwork STAGE [--name NAME]
            %%mlwork train [--strategy S] [--mixed-precision]
            %%mlwork train --workers N   the cell on N TensorFlow workers (127.0.0.1)
            %%mlwork STAGE --form        a form of the cell's `# @param` lines

        STAGE is one of data, train, tune, evaluate, deploy, monitor. The cell runs as it
        would without the magic, in your namespace; its run (code, environment, data read
        and written with fingerprints, params, metrics, artifacts, status, duration) goes to
        the store beside the notebook and, compactly, into the cell's output.

        Line magic::

            %mlwork runs [--stage S] [--name N] [--last K]  recent runs of this notebook
                  [--all-notebooks] [--top]                 (of every notebook; no tune trials)
            %mlwork show RUN                                one run in full
            %mlwork diff RUN_A RUN_B                        params, data, code, metrics, env
            %mlwork devices                                 accelerators, strategy and why
            %mlwork env                                     environment, and what changed
            %mlwork verify                                  this notebook's records vs now
            %mlwork seed N                                  seed Python, NumPy, TensorFlow
            %mlwork form                                    (first line of a plain cell) its form
            %mlwork help                                    this text

        RUN is a run id, a unique prefix or suffix of one (the eight characters that cards
        and `%mlwork runs` show), or `last` for the latest run.

        Examples
        --------
        ::

            %load_ext mlwork_jupyter

            %%mlwork data --name load
            df = pd.read_csv("iris.csv")

            %%mlwork train --name forest
            model = RandomForestClassifier(n_estimators=200).fit(X_train, y_train)

            %mlwork runs --stage train
        """
        if cell is None:
            return self._line(line)
        return self._cell(line, cell)

    def _stage(self, line: str, code: str) -> tuple[Stage, CellRequest]:
        """Parse a `%%mlwork` line and prepare its stage; a bad line is a `UsageError`."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%%mlwork {line}: {exc}; see `%mlwork help`") from None
        if not words:
            raise UsageError(f"%%mlwork needs a stage; Stages: {', '.join(STAGES)}")
        stage_name = words[0]
        if stage_name not in STAGES:
            raise UsageError(unknown_stage_message(stage_name))
        options = _cell_parser(stage_name).parse_args(words[1:])
        request = CellRequest(
            code=code.rstrip("\n"), name=options.name, cell_id=self._cell_id, options=options
        )
        output = self.workbench().output
        output.keras_progress = bool(self.keras_progress)
        stage = STAGES[stage_name](output)
        stage.namespace = self._shell.user_ns  # `tune --workers` packs the values it reads
        try:
            stage.prepare(request)
        except MlworkError as exc:
            raise UsageError(f"%%mlwork {stage_name}: {exc}") from None
        return stage, request

    def _plan_cell(self, source: str) -> CellPlan | None:
        """Plan a `%%mlwork` cell for IPython to run (the input transformer's half).

        Returns None, leaving the cell to the cell magic, for a stage whose body runs
        elsewhere (`--workers`) and for a cell transformed while another executes (a cell
        that runs cells, `%%time`): no `pre_execute` of its own may follow.
        """
        if self._open:
            return None
        if self._plan is not None and self._plan.raw == source:
            return self._plan  # transformed twice before it runs
        raw = source
        first, _, body = source.partition("\n")
        stage, request = self._stage(first.removeprefix("%%mlwork").strip(), body)
        if not stage.runs_here:
            return None
        request.cell_id, source = self._kernel_request(source)
        key, source, written = self._with_pending(source, request.cell_id)
        if written:
            request.code = source.partition("\n")[2].rstrip("\n")
        request.source = source
        form = bool(getattr(request.options, "form", False))
        self._plan = CellPlan(stage, request, source, raw, key if form else None)
        return self._plan

    def _kernel_request(self, source: str) -> tuple[str | None, str]:
        """Return the executing cell's id and its source as the front end holds it.

        IPython's transformers see the cell with a newline added at its end; forms compare
        and edit the front end's text, which the kernel's execute request carries.
        """
        kernel = getattr(self._shell, "kernel", None)
        try:
            parent = kernel.get_parent("shell") if kernel is not None else None
        except Exception:
            parent = None
        cell_id = ((parent or {}).get("metadata") or {}).get("cellId")
        code = ((parent or {}).get("content") or {}).get("code")
        if not isinstance(code, str) or code.strip() != source.strip():
            code = source.removesuffix("\n")
        return (cell_id if isinstance(cell_id, str) else None), code

    def _cell(self, line: str, cell: str) -> Any:
        """Run a cell on the cell-magic path: a body run elsewhere, or `run_cell_magic` called."""
        stage, request = self._stage(line, cell)
        key, source, written = self._with_pending(self._cell_source(line, cell), self._cell_id)
        if written:
            cell = source.partition("\n")[2]
            request.code = cell.rstrip("\n")
        request.source = self._kernel_request(source)[1]
        if getattr(request.options, "form", False):
            self.forms().show(key, self._cell_id, source)
        code: str = self._shell.transform_cell(cell)  # type: ignore[no-untyped-call]
        filename = self._shell.compile.cache(
            "\n" + code, self._shell.execution_count, raw_code=cell
        )
        body, last, quiet = _split_last_expression(self._shell, code, filename)
        request.filename = filename
        bench = self.workbench()
        try:
            result = bench.run_cell(stage, request, self._shell.user_ns, body, last)
        except BaseException as exc:
            self._show_as_user_error(exc, filename)
            raise
        return None if quiet else result

    def _cell_source(self, line: str, cell: str) -> str:
        """Return the whole cell as the notebook holds it, first line included."""
        raw = self._raw_cell
        if raw.lstrip().startswith("%%") and raw.partition("\n")[2].rstrip() == cell.rstrip():
            return raw
        return f"%%mlwork {line}\n{cell}"

    def _with_pending(self, source: str, cell_id: str | None) -> tuple[str, str, dict[str, Any]]:
        """Apply form values kept for this cell (no bridge wrote them) to its source.

        Returns the cell's form key, the source to run, and the values written into it (empty
        when none were kept); the front end is asked to show the new source.
        """
        key = cell_id or "source:" + code_hash(source)
        taken = None if self._forms is None else self._forms.take_pending(key, source)
        if taken is None:
            return key, source, {}
        self._replace_source(taken[0])
        return key, taken[0], taken[1]

    def _replace_source(self, source: str) -> None:
        """Ask the front end to put `source` in the running cell, keeping its outputs."""
        payloads = getattr(self._shell, "payload_manager", None)
        if payloads is not None:
            payloads.write_payload(
                {
                    "source": "set_next_input",
                    "text": source,
                    "replace": True,
                    "clear_output": False,
                }
            )

    def forms(self) -> Forms:
        """Return this kernel's forms, made on first use (ipywidgets is imported then)."""
        if self._forms is None:
            from IPython.display import display

            from mlwork_jupyter.display.form import Forms

            self._forms = Forms(lambda bundle: display(bundle, raw=True))  # type: ignore[no-untyped-call]
        return self._forms

    def _line_form(self) -> None:
        """`%mlwork form` as the first line of a plain cell: that cell's form (papermill)."""
        source = self._raw_cell
        if "@param" not in source:
            raise UsageError("%mlwork form: this cell declares no `# @param`; see `%mlwork help`")
        key, source, self._after_cell = self._with_pending(source, self._cell_id)
        self.forms().show(key, self._cell_id, source)

    def _show_as_user_error(self, exc: BaseException, filename: str) -> None:
        """Make IPython show the user's traceback from their cell's frame down, as usual."""
        if isinstance(exc, SystemExit | UsageError):
            return
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != filename:
            tb = tb.tb_next
        if tb is None:
            return
        stb = self._shell.InteractiveTB.structured_traceback(type(exc), exc, tb)
        try:
            exc._render_traceback_ = lambda: stb  # type: ignore[attr-defined]
        except AttributeError:
            return  # an exception type without __dict__: IPython's own rendering is used

    def _line(self, line: str) -> Any:
        words = shlex.split(line)
        if words and words[0] not in _LINE_COMMANDS and words[0] in STAGES:
            raise UsageError(f"`{words[0]}` is a stage: use it as a cell magic, `%%mlwork {line}`")
        if words and words[0] not in _LINE_COMMANDS:
            raise UsageError(
                f"unknown command {words[0]!r}; commands: {', '.join(_LINE_COMMANDS)}; "
                f"stages (cell magic): {', '.join(STAGES)}"
            )
        args: argparse.Namespace = _line_parser().parse_args(words or ["help"])
        if args.command == "form":
            return self._line_form()
        if args.command == "help":
            print(plain_help(MlworkMagics.mlwork.__doc__ or ""))  # noqa: T201 - the magic's own docstring
            return None
        try:
            return commands.run_line_command(self.workbench(), args)
        except MlworkError as exc:
            raise UsageError(str(exc)) from None
