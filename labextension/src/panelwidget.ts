/**
 * The widget that renders one `application/vnd.mlwork.panel.v1+json` output and follows its
 * `update_display`s in place: the same canvases get new data, the user's zoom stays.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { EvaluationView } from './evalview';
import { parseEvaluation } from './evaluation';
import type { IEvaluation } from './evaluation';
import { parsePanel } from './panel';
import type { IPanel } from './panel';
import { chartNodes, fillPanel, panelNodes, showValues } from './panelview';
import type { IChartNodes, IPanelNodes } from './panelview';
import { PLOT_HEIGHT, loadCharts } from './plot';
import type { IPlot, IPlotSettings } from './plot';
import { buildCharts, countPoints, hasBatchSeries, hasEpochCurve } from './series';
import type { IChart } from './series';
import { parseTune } from './tune';
import type { ITune } from './tune';
import { TuneView } from './tuneview';

/** Renders a live panel; a payload it cannot read becomes a one-line note. */
export class RenderedPanel extends Widget implements IRenderMime.IRenderer {
  constructor(options: RenderedPanel.IOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('mlwork-RenderedPanel');
    this._nodes = panelNodes();
    this._listen();
  }

  /** Render the panel; never throws, whatever the payload. */
  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this._renders += 1;
    let panel: IPanel;
    let evaluation: IEvaluation | null;
    let tune: ITune | null;
    try {
      const data = model.data[this._mimeType];
      panel = parsePanel(data);
      evaluation = panel.kind === 'evaluate' ? parseEvaluation(data) : null;
      tune = panel.kind === 'tune' ? parseTune(data) : null;
    } catch (reason) {
      this._showProblem(reason);
      return;
    }
    if (evaluation !== null) {
      await this._renderEvaluation(panel, evaluation);
      return;
    }
    this._evaluation?.dispose();
    this._evaluation = null;
    try {
      this._panel = panel;
      if (this._nodes.root.parentNode !== this.node) {
        this.node.replaceChildren(this._nodes.root);
      }
      fillPanel(this._nodes, panel);
      this._nodes.root.dataset.mlworkRenders = String(this._renders);
      // A search adds its views around the train panel's, whose charts are the trial's.
      if (tune === null) {
        this._disposeTune();
      }
      const searched =
        tune === null
          ? null
          : (this._tune ??= new TuneView(this._nodes)).render(panel, tune);
      await Promise.all([this._draw(), searched]);
    } catch (reason) {
      this._showProblem(reason);
    }
  }

  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._evaluation?.dispose();
    this._evaluation = null;
    this._disposeTune();
    this._resize.disconnect();
    this._theme.disconnect();
    this._disposeViews();
    this.node.replaceChildren();
    super.dispose();
  }

  /** An evaluation payload has its own view (tables, heatmap, curves), no series charts. */
  private async _renderEvaluation(
    panel: IPanel,
    evaluation: IEvaluation
  ): Promise<void> {
    try {
      this._disposeViews();
      this._disposeTune();
      this._panel = null;
      this._evaluation ??= new EvaluationView();
      const view = this._evaluation;
      if (view.node.parentNode !== this.node) {
        this.node.replaceChildren(view.node);
      }
      view.node.dataset.mlworkRenders = String(this._renders);
      await view.render(panel, evaluation);
    } catch (reason) {
      this._showProblem(reason);
    }
  }

  private _disposeTune(): void {
    this._tune?.dispose();
    this._tune = null;
  }

  private _disposeViews(): void {
    for (const view of this._views.values()) {
      view.plot?.dispose();
    }
    this._views.clear();
    this._nodes.charts.replaceChildren();
  }

  /** Draw the current panel's charts, creating plots only for charts not seen before. */
  private async _draw(): Promise<void> {
    const panel = this._panel;
    if (panel === null) {
      return;
    }
    const nodes = this._nodes;
    const hasBatch = hasBatchSeries(panel.series);
    const batch = hasBatch && (this._batch ?? !hasEpochCurve(panel.series));
    nodes.batch.disabled = !hasBatch;
    nodes.batch.checked = batch;
    const charts = buildCharts(panel.series, batch);
    nodes.root.dataset.mlworkMode = batch ? 'batch' : 'epoch';
    nodes.charts.dataset.mlworkPoints = String(countPoints(charts));
    nodes.message.textContent =
      charts.length === 0 ? 'Waiting for the first values…' : '';
    nodes.message.hidden = charts.length > 0;

    const keys = new Set(charts.map(chart => chart.key));
    for (const [key, view] of this._views) {
      if (!keys.has(key)) {
        view.plot?.dispose();
        view.nodes.figure.remove();
        this._views.delete(key);
      }
    }
    const figures: HTMLElement[] = [];
    for (const chart of charts) {
      let view = this._views.get(chart.key);
      if (view === undefined || !Private.sameLines(view.chart, chart)) {
        view?.plot?.dispose();
        view = this._newView(chart, view);
        this._views.set(chart.key, view);
      }
      view.chart = chart;
      figures.push(view.nodes.figure);
      showValues(view.nodes, chart, null);
    }
    const current = Array.from(nodes.charts.children);
    if (figures.some((figure, i) => current[i] !== figure)) {
      nodes.charts.replaceChildren(...figures);
    }
    if (charts.length === 0) {
      return;
    }
    const { createPlot } = await loadCharts();
    const settings = this._settings();
    for (const view of this._views.values()) {
      if (view.plot === null) {
        view.plot = createPlot(view.nodes.host, view.chart, settings, {
          onCursor: index => {
            showValues(view.nodes, view.chart, index);
          }
        });
        this._builds += view.plot.builds;
        this._resize.observe(view.nodes.host);
      } else {
        // The zoom the user had, which the update keeps (the plot applies it asynchronously).
        view.nodes.figure.dataset.mlworkZoomed = String(view.plot.zoomed);
        const before = view.plot.builds;
        view.plot.update(view.chart, settings);
        this._builds += view.plot.builds - before;
      }
      nodes.root.dataset.mlworkBuilds = String(this._builds);
    }
  }

  private _newView(chart: IChart, old: Private.IView | undefined): Private.IView {
    const nodes = chartNodes(chart, PLOT_HEIGHT);
    if (old) {
      old.nodes.figure.replaceWith(nodes.figure);
    }
    chart.lines.forEach((line, i) => {
      const toggle = nodes.toggles[i];
      if (toggle) {
        toggle.checked = !this._hidden.has(line.name);
        toggle.setAttribute('aria-label', `Show ${line.name}`);
        toggle.addEventListener('change', () => {
          if (toggle.checked) {
            this._hidden.delete(line.name);
          } else {
            this._hidden.add(line.name);
          }
          this._redraw();
        });
      }
    });
    return { chart, nodes, plot: null };
  }

  private _settings(): IPlotSettings {
    return {
      log: this._nodes.log.checked,
      smoothing: Number(this._nodes.smoothing.value) || 0,
      hidden: new Set(this._hidden)
    };
  }

  /** Draw again after a control changed; a failure shows as the panel's message. */
  private _redraw(): void {
    this._draw().catch((reason: unknown) => {
      this._showProblem(reason);
    });
  }

  private _listen(): void {
    const nodes = this._nodes;
    nodes.log.addEventListener('change', () => {
      this._redraw();
    });
    nodes.smoothing.addEventListener('input', () => {
      nodes.smoothingValue.value = nodes.smoothing.value;
      this._redraw();
    });
    nodes.batch.addEventListener('change', () => {
      this._batch = nodes.batch.checked;
      this._redraw();
    });
    nodes.resetZoom.addEventListener('click', () => {
      for (const view of this._views.values()) {
        view.plot?.resetZoom();
      }
    });
    this._theme.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
  }

  private _restyle(): void {
    // The theme's stylesheet has applied by the next frame.
    requestAnimationFrame(() => {
      for (const view of this._views.values()) {
        view.plot?.restyle();
      }
      this._evaluation?.restyle();
      this._tune?.restyle();
    });
  }

  private _onResize(entries: ResizeObserverEntry[]): void {
    for (const entry of entries) {
      for (const view of this._views.values()) {
        if (view.nodes.host === entry.target) {
          view.plot?.resize(entry.contentRect.width);
        }
      }
    }
  }

  private _showProblem(reason: unknown): void {
    const detail = reason instanceof Error ? reason.message : String(reason);
    const box = document.createElement('div');
    box.className = 'mlwork-record-problem mlwork-panel-problem';
    box.setAttribute('role', 'note');
    box.textContent = `mlwork: cannot show this panel (${detail})`;
    this._disposeViews();
    this._disposeTune();
    this._evaluation?.dispose();
    this._evaluation = null;
    this.node.replaceChildren(box);
  }

  private readonly _mimeType: string;
  private readonly _nodes: IPanelNodes;
  private readonly _views = new Map<string, Private.IView>();
  private readonly _hidden = new Set<string>();
  private readonly _resize = new ResizeObserver(entries => {
    this._onResize(entries);
  });
  private readonly _theme = new MutationObserver(() => {
    this._restyle();
  });
  private _panel: IPanel | null = null;
  private _evaluation: EvaluationView | null = null;
  private _tune: TuneView | null = null;
  /** The user's choice of per-batch charts; `null` until they make one. */
  private _batch: boolean | null = null;
  private _renders = 0;
  private _builds = 0;
}

/** The statics for `RenderedPanel`. */
export namespace RenderedPanel {
  /** Options of the renderer, as the rendermime registry passes them. */
  export type IOptions = IRenderMime.IRendererOptions;
}

namespace Private {
  /** A chart on screen: its data, its DOM and, once the library loaded, its plot. */
  export interface IView {
    chart: IChart;
    nodes: IChartNodes;
    plot: IPlot | null;
  }

  export function sameLines(a: IChart, b: IChart): boolean {
    return (
      a.lines.length === b.lines.length &&
      a.lines.every((line, i) => line.name === b.lines[i]?.name)
    );
  }
}
