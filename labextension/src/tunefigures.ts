/**
 * The small charts of a tune panel on screen: one figure per chart, kept across updates by the
 * chart's key, its plot drawn once the chart chunk has loaded and updated in place afterwards.
 */
import { el } from './dom';
import { formatNumber } from './format';
import { setText } from './panelview';
import { TUNE_PLOT_HEIGHT, loadTunePlots } from './tuneplots';
import type { ITuneChart, ITunePlot } from './tuneplots';

/** The figures of several grids; `root` shows how many plots are drawn and built. */
export class TuneFigures {
  constructor(root: HTMLElement) {
    this._root = root;
  }

  /**
   * Show each grid's charts, in order, reusing the figure and plot of a chart seen before;
   * the figures of charts gone are removed. Resolves once new plots are drawn.
   */
  async show(
    grids: ReadonlyArray<[HTMLElement, readonly ITuneChart[]]>
  ): Promise<void> {
    const generation = ++this._generation;
    const keys = new Set<string>();
    for (const [grid, charts] of grids) {
      const figures = charts.map(chart => {
        keys.add(chart.key);
        let view = this._views.get(chart.key);
        if (view === undefined) {
          view = Private.view(chart);
          this._views.set(chart.key, view);
        }
        view.chart = chart;
        view.figure.classList.toggle('mlwork-tune-log', chart.xScale === 'log');
        return view.figure;
      });
      const current = Array.from(grid.children);
      if (
        figures.length !== current.length ||
        figures.some((f, i) => current[i] !== f)
      ) {
        grid.replaceChildren(...figures);
      }
    }
    for (const [key, view] of this._views) {
      if (!keys.has(key)) {
        view.plot?.dispose();
        this._resize.unobserve(view.host);
        view.figure.remove();
        this._views.delete(key);
      }
    }
    for (const view of this._views.values()) {
      // Most updates are a trial's epochs: the search's charts have not changed.
      const drawn = JSON.stringify(view.chart);
      if (view.plot !== null && drawn !== view.drawn) {
        view.plot.update(view.chart);
        view.drawn = drawn;
      }
    }
    this._count();
    if ([...this._views.values()].some(view => view.plot === null)) {
      await this._draw(generation);
    }
  }

  /** Re-read the theme's colours in every chart. */
  restyle(): void {
    for (const view of this._views.values()) {
      view.plot?.restyle();
    }
  }

  dispose(): void {
    this._generation += 1;
    for (const view of this._views.values()) {
      view.plot?.dispose();
      view.figure.remove();
    }
    this._views.clear();
    this._resize.disconnect();
  }

  private async _draw(generation: number): Promise<void> {
    let module;
    try {
      module = await loadTunePlots();
    } catch (reason) {
      const detail = reason instanceof Error ? reason.message : String(reason);
      for (const view of this._views.values()) {
        view.host.textContent = `chart could not load (${detail})`;
      }
      return;
    }
    if (generation !== this._generation) {
      return; // a newer payload arrived while the chunk loaded: it draws
    }
    for (const view of this._views.values()) {
      if (view.plot === null) {
        view.plot = module.createTunePlot(view.host, view.chart, {
          onCursor: index => {
            Private.showPoint(view, index);
          }
        });
        view.drawn = JSON.stringify(view.chart);
        this._resize.observe(view.host);
      }
    }
    this._count();
  }

  private _count(): void {
    const views = [...this._views.values()];
    const data = this._root.dataset;
    data.mlworkTuneCharts = String(views.filter(v => v.plot !== null).length);
    data.mlworkTuneBuilds = String(
      views.reduce((n, v) => n + (v.plot?.builds ?? 0), 0)
    );
  }

  private _onResize(entries: ResizeObserverEntry[]): void {
    for (const entry of entries) {
      for (const view of this._views.values()) {
        if (view.host === entry.target) {
          view.plot?.resize(entry.contentRect.width);
        }
      }
    }
  }

  private readonly _root: HTMLElement;
  private readonly _views = new Map<string, Private.IView>();
  private _generation = 0;
  private readonly _resize = new ResizeObserver(entries => {
    this._onResize(entries);
  });
}

namespace Private {
  /** A tune chart on screen: its data, its DOM and, once the library loaded, its plot. */
  export interface IView {
    chart: ITuneChart;
    figure: HTMLElement;
    position: HTMLElement;
    host: HTMLElement;
    plot: ITunePlot | null;
    /** The chart as last drawn (JSON), to skip updates that change nothing. */
    drawn: string;
  }

  export function view(chart: ITuneChart): IView {
    const figure = el('figure', 'mlwork-chart mlwork-tune-chart');
    figure.dataset.mlworkChart = chart.key;
    const caption = el('figcaption', 'mlwork-chart-caption');
    const position = el('span', 'mlwork-chart-position');
    caption.append(el('span', 'mlwork-chart-title', chart.title), position);
    const host = el('div', 'mlwork-plot');
    host.style.height = `${TUNE_PLOT_HEIGHT}px`;
    figure.append(caption, host);
    return { chart, figure, position, host, plot: null, drawn: '' };
  }

  /** Hover: the nearest trial's value and score, or nothing when the cursor left. */
  export function showPoint(view: IView, index: number | null): void {
    const dots = view.chart.dots;
    const y = index === null ? undefined : dots.y[index];
    const text =
      index === null || y === undefined
        ? ''
        : `${dots.labels[index] ?? ''} → ${formatNumber(y)} · id ${dots.ids[index] ?? ''}`;
    setText(view.position, text);
  }
}
