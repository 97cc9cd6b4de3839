/**
 * The tune panel's small charts, drawn with uPlot in its faceted mode (each series has its own
 * x values): a best-so-far staircase, a dot per trial, the best trial marked. Part of a lazily
 * loaded chunk (see `loadTunePlots`).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { readColors } from './colors';
import type { IColors } from './colors';
import { shorten } from './format';
import { tickText } from './ticks';
import { logSplits, logTickText } from './tunecharts';
import { TUNE_PLOT_HEIGHT } from './tuneplots';
import type {
  ITuneChart,
  ITunePlot,
  ITunePlotHooks,
  TunePlotFactory
} from './tuneplots';

/** Draw a tune chart; see `ITunePlot`. */
export const createTunePlot: TunePlotFactory = (host, chart, hooks) =>
  new TunePlot(host, chart, hooks);

/** Increments of an axis of whole numbers (trial numbers, category slots). */
const WHOLE_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/** Category labels drawn at most; beyond, every n-th. */
const MAX_LABELS = 8;

class TunePlot implements ITunePlot {
  constructor(host: HTMLElement, chart: ITuneChart, hooks: ITunePlotHooks) {
    this._host = host;
    this._chart = chart;
    this._hooks = hooks;
    this._colors = readColors(host);
    this._plot = this._create();
  }

  get builds(): number {
    return this._builds;
  }

  update(chart: ITuneChart): void {
    const old = this._chart;
    const rebuild =
      chart.xScale !== old.xScale ||
      chart.integer !== old.integer ||
      chart.xLabel !== old.xLabel ||
      chart.yLabel !== old.yLabel ||
      (chart.step === null) !== (old.step === null) ||
      (chart.best === null) !== (old.best === null) ||
      chart.categories.length !== old.categories.length ||
      chart.categories.some((name, i) => name !== old.categories[i]);
    this._chart = chart;
    if (rebuild) {
      this._plot.destroy();
      this._plot = this._create();
      return;
    }
    this._plot.batch(() => {
      this._plot.setData(this._data(), false);
      this._plot.setScale('x', { min: chart.x[0], max: chart.x[1] });
      this._plot.setScale('y', { min: chart.y[0], max: chart.y[1] });
    });
  }

  resize(width: number): void {
    const w = Math.floor(width);
    if (w > 0 && w !== this._plot.width) {
      this._plot.setSize({ width: w, height: TUNE_PLOT_HEIGHT });
    }
  }

  restyle(): void {
    this._colors = readColors(this._host);
    this._host.dataset.mlworkInk = this._colors.ink;
    this._plot.redraw(false, true);
  }

  dispose(): void {
    this._plot.destroy();
  }

  /** Series in order: the staircase (when there is one), the dots, the best trial. */
  private _data(): uPlot.AlignedData {
    const chart = this._chart;
    const data: unknown[] = [null];
    if (chart.step !== null) {
      data.push([chart.step.x, chart.step.y]);
    }
    data.push([chart.dots.x, chart.dots.y]);
    if (chart.best !== null) {
      data.push([[chart.best.x], [chart.best.y]]);
    }
    return data as uPlot.AlignedData;
  }

  private _create(): uPlot {
    const chart = this._chart;
    const colors = (): IColors => this._colors;
    const brand = () => colors().palette[0] ?? colors().ink;
    const mark = () => colors().palette[1] ?? colors().ink;
    const dotsIndex = chart.step === null ? 1 : 2;
    const axis = (label: string): uPlot.Axis => ({
      stroke: () => colors().ink,
      grid: { stroke: () => colors().grid, width: 1 },
      ticks: { stroke: () => colors().grid, width: 1, size: 3 },
      font: `10px ${this._colors.font}`,
      gap: 2,
      ...(label
        ? { label, labelFont: `10px ${this._colors.font}`, labelSize: 13, labelGap: 0 }
        : {})
    });
    const series: uPlot.Series[] = [{}];
    if (chart.step !== null) {
      series.push({
        label: 'best so far',
        stroke: brand,
        width: 1.5,
        points: { show: false }
      });
    }
    series.push({
      label: 'trials',
      stroke: brand,
      points: { show: false },
      paths: (u, i) => Private.dots(u, i, brand(), 2.5, null)
    });
    if (chart.best !== null) {
      series.push({
        label: 'best trial',
        stroke: mark,
        points: { show: false },
        paths: (u, i) => Private.dots(u, i, mark(), 4.5, colors().ink)
      });
    }
    const opts: uPlot.Options = {
      mode: uPlot.Mode.Faceted,
      width: Math.max(Math.floor(this._host.clientWidth), 160),
      height: TUNE_PLOT_HEIGHT,
      legend: { show: false },
      cursor: {
        drag: { x: false, y: false, setScale: false },
        points: { size: 8 },
        dataIdx: (u, seriesIdx) =>
          seriesIdx === dotsIndex ? Private.nearest(u, seriesIdx) : null
      },
      scales: {
        x: {
          time: false,
          auto: false,
          range: (): uPlot.Range.MinMax => this._chart.x,
          ...(chart.xScale === 'log' ? { distr: uPlot.Scale.Distr.Logarithmic } : {})
        },
        y: { auto: false, range: (): uPlot.Range.MinMax => this._chart.y }
      },
      axes: [
        {
          ...axis(chart.xLabel),
          size: chart.xLabel ? 22 : 24,
          ...Private.xTicks(chart)
        },
        { ...axis(chart.yLabel), size: 44, values: Private.values(tickText) }
      ],
      series,
      hooks: {
        setCursor: [
          u => {
            const left = u.cursor.left ?? -1;
            this._hooks.onCursor(
              left < 0 ? null : (u.cursor.idxs?.[dotsIndex] ?? null)
            );
          }
        ]
      }
    };
    const plot = new uPlot(opts, this._data(), this._host);
    this._builds += 1;
    this._host.dataset.mlworkInk = this._colors.ink;
    return plot;
  }

  private readonly _host: HTMLElement;
  private readonly _hooks: ITunePlotHooks;
  private _chart: ITuneChart;
  private _colors: IColors;
  private _plot: uPlot;
  private _builds = 0;
}

namespace Private {
  /** Where an x axis puts its ticks: whole numbers only, or one per category with its label. */
  export function xTicks(chart: ITuneChart): Partial<uPlot.Axis> {
    if (chart.xScale === 'category') {
      const names = chart.categories;
      const every = Math.ceil(names.length / MAX_LABELS);
      return {
        splits: () => names.map((_, i) => i),
        // Canvas text, never HTML: the labels are payload data.
        values: (_, splits) =>
          splits.map(i => (i % every === 0 ? shorten(names[i] ?? '', 10) : ''))
      };
    }
    if (chart.xScale === 'log') {
      return {
        splits: (_u, _axis, min, max) => logSplits(min, max),
        filter: (_u, splits) => splits,
        values: values(logTickText)
      };
    }
    return {
      ...(chart.integer ? { incrs: WHOLE_INCREMENTS } : {}),
      values: values(tickText)
    };
  }

  /** Tick labels as short text (uPlot's own show too few digits for small steps). */
  export function values(text: (value: number) => string): uPlot.Axis.DynamicValues {
    // A filtered-out split arrives as null despite the declared type.
    return (_u, splits) =>
      splits.map(v => (typeof v === 'number' && Number.isFinite(v) ? text(v) : ''));
  }

  /** Draw a series' points as dots, clipped to the plot area; no path is kept. */
  export function dots(
    u: uPlot,
    seriesIdx: number,
    color: string,
    size: number,
    ring: string | null
  ): null {
    const [xs, ys] = (u.data[seriesIdx] ?? [[], []]) as unknown as [number[], number[]];
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const radius = size * uPlot.pxRatio;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.globalAlpha = ring === null ? 0.7 : 1;
    ctx.fillStyle = color;
    ctx.beginPath();
    for (let i = 0; i < xs.length; i++) {
      const x = u.valToPos(xs[i] ?? 0, 'x', true);
      const y = u.valToPos(ys[i] ?? 0, 'y', true);
      ctx.moveTo(x + radius, y);
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
    }
    ctx.fill();
    if (ring !== null) {
      ctx.lineWidth = uPlot.pxRatio;
      ctx.strokeStyle = ring;
      ctx.stroke();
    }
    ctx.restore();
    return null;
  }

  /** The index of the series' point nearest to the cursor on screen, or `null`. */
  export function nearest(u: uPlot, seriesIdx: number): number | null {
    const left = u.cursor.left ?? -1;
    const top = u.cursor.top ?? -1;
    const [xs, ys] = (u.data[seriesIdx] ?? [[], []]) as unknown as [number[], number[]];
    if (left < 0 || xs.length === 0) {
      return null;
    }
    let best: number | null = null;
    let bestDistance = Infinity;
    for (let i = 0; i < xs.length; i++) {
      const dx = u.valToPos(xs[i] ?? 0, 'x') - left;
      const dy = u.valToPos(ys[i] ?? 0, 'y') - top;
      const distance = dx * dx + dy * dy;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    return best;
  }
}
