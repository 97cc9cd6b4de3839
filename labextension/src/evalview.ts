/**
 * The evaluation panel (`kind: "evaluate"`): metrics with deltas, the leakage check, the
 * confusion matrix, per-class and per-slice tables, curves and scatters, cluster bars and
 * notes. Every payload string is set with `textContent`; the charts load lazily.
 */
import { ConfusionView } from './confusion';
import type { HeatMode } from './confusion';
import { clustersTable } from './clusters';
import { el } from './dom';
import { curveCharts, regressionCharts } from './evalcharts';
import type { IEvaluation, ILeakage, ISlices, Scatter } from './evaluation';
import { labelledTable, metricsTable, slicesTable } from './evaltables';
import { formatNumber } from './format';
import type { IPanel } from './panel';
import { fillHeader, headerNodes } from './panelview';
import type { IHeaderNodes } from './panelview';
import { loadCharts } from './plot';
import { densityPlot, histogramPlot } from './svgplots';
import { CLASS_COLORS } from './colors';
import { XY_PLOT_HEIGHT } from './xyplot';
import type { IXYChart, IXYPlot } from './xyplot';

/** Renders evaluation payloads into one frame; holds the charts it draws until disposed. */
export class EvaluationView {
  constructor() {
    const { header, ...nodes } = headerNodes();
    this._nodes = nodes;
    this._body = el('div', 'mlwork-eval');
    nodes.root.append(header, this._body);
  }

  /** The panel's frame. */
  get node(): HTMLElement {
    return this._nodes.root;
  }

  /** Show `ev`, replacing what was shown; charts are drawn once their chunk has loaded. */
  async render(panel: IPanel, ev: IEvaluation): Promise<void> {
    const generation = ++this._generation;
    this._clearPlots();
    fillHeader(this._nodes, panel, 'mlwork-evaluate');
    const root = this._nodes.root;
    root.dataset.mlworkTask = ev.task;
    const sections: HTMLElement[] = [Private.summary(ev)];
    const leakage = Private.leakageLine(ev.leakage, ev.rows);
    if (leakage) {
      sections.push(leakage);
    }
    const top = el('div', 'mlwork-eval-row');
    top.append(Private.section('metrics', metricsTable(ev.metrics), 'metrics'));
    if (ev.confusion !== null) {
      const confusion = new ConfusionView(ev.confusion, this._heatMode, this._group);
      confusion.onModeChange = mode => {
        this._heatMode = mode;
      };
      top.append(Private.section('confusion matrix', confusion.node, 'confusion'));
    }
    if (ev.clustering !== null) {
      top.append(Private.section('clusters', clustersTable(ev.clustering), 'clusters'));
    }
    sections.push(top);
    if (ev.perClass !== null) {
      sections.push(
        Private.section('per class', labelledTable(ev.perClass), 'per-class')
      );
    }
    const charts = [...curveCharts(ev), ...regressionCharts(ev)];
    const figures = charts.map(chart => this._xyFigure(chart));
    figures.push(...Private.binnedFigures(ev));
    if (figures.length > 0) {
      const grid = el('div', 'mlwork-panel-charts mlwork-eval-charts');
      grid.append(...figures);
      sections.push(grid);
    }
    if (ev.slices !== null) {
      const title = Private.slicesTitle(ev.slices);
      sections.push(Private.section(title, slicesTable(ev.slices), 'slices'));
    }
    if (ev.notes.length > 0) {
      const notes = el('ul', 'mlwork-eval-notes');
      for (const note of ev.notes) {
        notes.append(el('li', undefined, note));
      }
      sections.push(notes);
    }
    this._body.replaceChildren(...sections);
    if (charts.length > 0) {
      await this._drawCharts(generation);
    }
  }

  /** Re-read the theme's colours in every chart. */
  restyle(): void {
    for (const view of this._views) {
      view.plot?.restyle();
    }
  }

  dispose(): void {
    this._generation += 1;
    this._clearPlots();
    this._resize.disconnect();
    this._nodes.root.remove();
  }

  private async _drawCharts(generation: number): Promise<void> {
    let module;
    try {
      module = await loadCharts();
    } catch (reason) {
      const detail = reason instanceof Error ? reason.message : String(reason);
      for (const view of this._views) {
        view.host.textContent = `chart could not load (${detail})`;
      }
      return;
    }
    if (generation !== this._generation) {
      return; // a newer payload arrived while the chunk loaded
    }
    for (const view of this._views) {
      view.plot = module.createXYPlot(view.host, view.chart, {
        onCursor: nearest => {
          Private.showNearest(view, nearest);
        }
      });
      this._resize.observe(view.host);
    }
    this._nodes.root.dataset.mlworkCharts = String(this._views.length);
  }

  private _xyFigure(chart: IXYChart): HTMLElement {
    const { figure, caption } = Private.figure(chart.title, chart.key);
    const legend = el('span', 'mlwork-chart-legend');
    const values: HTMLElement[] = [];
    let colour = 0;
    for (const line of chart.lines) {
      const item = el('span', 'mlwork-series');
      const swatch = el('span', 'mlwork-swatch');
      if (line.style === 'reference') {
        swatch.classList.add('mlwork-swatch-reference');
      } else {
        swatch.style.borderTopColor = `var(--mlwork-class-${colour % CLASS_COLORS})`;
      }
      colour += 1;
      const value = el('span', 'mlwork-series-value', line.note);
      item.append(swatch, el('span', 'mlwork-series-name', line.label), value);
      legend.append(item);
      values.push(value);
    }
    caption.append(legend);
    const host = el('div', 'mlwork-plot');
    host.style.height = `${XY_PLOT_HEIGHT}px`;
    figure.append(host);
    this._views.push({ chart, host, values, plot: null });
    return figure;
  }

  private _clearPlots(): void {
    for (const view of this._views) {
      view.plot?.dispose();
      this._resize.unobserve(view.host);
    }
    this._views = [];
  }

  private _onResize(entries: ResizeObserverEntry[]): void {
    for (const entry of entries) {
      for (const view of this._views) {
        if (view.host === entry.target) {
          view.plot?.resize(entry.contentRect.width);
        }
      }
    }
  }

  private readonly _nodes: IHeaderNodes;
  private readonly _body: HTMLElement;
  private readonly _group = `mlwork-heat-${Private.nextId()}`;
  private _views: Private.IXYView[] = [];
  private _heatMode: HeatMode = 'counts';
  private _generation = 0;
  private readonly _resize = new ResizeObserver(entries => {
    this._onResize(entries);
  });
}

namespace Private {
  /** An x/y chart on screen: its data, its DOM and, once the library loaded, its plot. */
  export interface IXYView {
    chart: IXYChart;
    host: HTMLElement;
    values: HTMLElement[];
    plot: IXYPlot | null;
  }

  let ids = 0;

  /** `100,000`: the same digit grouping whatever the browser's language. */
  export function count(n: number): string {
    return n.toLocaleString('en-US');
  }

  /** `slices by region · worst: lowest accuracy` (payload slice keys have no name: `slices`). */
  export function slicesTitle(slices: ISlices): string {
    const by = slices.by === 'slice' ? 'slices' : `slices by ${slices.by}`;
    if (slices.worst === null || slices.metric === null) {
      return by;
    }
    const extreme =
      slices.higherIsBetter === null
        ? ''
        : slices.higherIsBetter
          ? 'lowest '
          : 'highest ';
    return `${by} · worst: ${extreme}${slices.metric}`;
  }

  export function nextId(): number {
    ids += 1;
    return ids;
  }

  export function summary(ev: IEvaluation): HTMLElement {
    const reason = ev.taskReason === 'given' ? 'task given' : ev.taskReason;
    const parts = [ev.task, `${count(ev.rows)} rows`, reason];
    return el('div', 'mlwork-eval-summary', parts.filter(p => p !== '').join(' · '));
  }

  /**
   * A warning when evaluated rows also occur in the training data; a quiet line when the
   * check could not run or found nothing; nothing when it was not asked for.
   */
  export function leakageLine(leak: ILeakage, rows: number): HTMLElement | null {
    if (leak.status === 'checked' && leak.rows > 0) {
      const line = el('div', 'mlwork-leakage mlwork-leakage-warning');
      line.setAttribute('role', 'alert');
      line.append(
        el('span', 'mlwork-leakage-icon', '⚠'),
        el(
          'span',
          undefined,
          leak.warning ??
            `${count(leak.rows)} of ${count(rows)} ` +
              'evaluated rows also occur in the training data'
        )
      );
      if (leak.detail) {
        line.title = leak.detail;
      }
      return line;
    }
    if (leak.status === 'unavailable') {
      const why = leak.detail.replace(/^could not run:\s*/, '');
      const text = `leakage check could not run${why ? `: ${why}` : ''}`;
      return el('div', 'mlwork-leakage mlwork-leakage-quiet', text);
    }
    if (leak.status === 'checked') {
      const against = leak.detail ? ` (${leak.detail})` : '';
      const text = `leakage check: no evaluated row occurs in the training data${against}`;
      return el('div', 'mlwork-leakage mlwork-leakage-quiet', text);
    }
    return null;
  }

  export function section(
    title: string,
    content: HTMLElement,
    key: string
  ): HTMLElement {
    const node = el('section', 'mlwork-eval-section');
    node.dataset.mlworkSection = key;
    node.setAttribute('aria-label', title);
    node.append(el('div', 'mlwork-eval-heading', title), content);
    return node;
  }

  export function figure(
    title: string,
    key: string
  ): { figure: HTMLElement; caption: HTMLElement } {
    const node = el('figure', 'mlwork-chart');
    node.dataset.mlworkChart = key;
    const caption = el('figcaption', 'mlwork-chart-caption');
    caption.append(el('span', 'mlwork-chart-title', title));
    node.append(caption);
    return { figure: node, caption };
  }

  /** Density grids and the residual histogram, drawn as SVG. */
  export function binnedFigures(ev: IEvaluation): HTMLElement[] {
    const regression = ev.regression;
    if (regression === null) {
      return [];
    }
    const figures: HTMLElement[] = [];
    const density = (
      scatter: Scatter,
      key: string,
      title: string,
      xLabel: string,
      yLabel: string,
      guide: 'identity' | 'zero'
    ) => {
      if (scatter.kind !== 'density') {
        return;
      }
      const { figure: node, caption } = figure(title, key);
      caption.append(
        el('span', 'mlwork-chart-position', `density of ${count(ev.rows)} rows`)
      );
      const description = `${title}: rows per bin, darker is more`;
      node.append(densityPlot(scatter, { xLabel, yLabel, description }, guide));
      figures.push(node);
    };
    density(
      regression.scatter,
      'scatter',
      'predicted vs actual',
      'actual',
      'predicted',
      'identity'
    );
    density(
      regression.residuals,
      'residuals',
      'residuals vs predicted',
      'predicted',
      'actual − predicted',
      'zero'
    );
    const { figure: node } = figure('residual histogram', 'residual-histogram');
    node.append(
      histogramPlot(regression.residualHist, {
        xLabel: 'actual − predicted',
        yLabel: 'rows',
        description: 'residual histogram: rows per residual bin'
      })
    );
    figures.push(node);
    return figures;
  }

  /** Hover: each line's nearest point, or its note when the cursor left the chart. */
  export function showNearest(
    view: IXYView,
    nearest: Array<number | null> | null
  ): void {
    view.chart.lines.forEach((line, i) => {
      const node = view.values[i];
      if (node === undefined) {
        return;
      }
      const at = nearest?.[i] ?? null;
      const x = at === null ? undefined : line.x[at];
      const y = at === null ? undefined : line.y[at];
      const text =
        x === undefined || y === undefined
          ? line.note
          : `${formatNumber(x)}, ${formatNumber(y)}`;
      if (node.textContent !== text) {
        node.textContent = text;
      }
    });
  }
}
