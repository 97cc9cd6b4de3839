/**
 * Charts drawn with uPlot (canvas, ~50 kB). Loaded with `import()`, so the library is a
 * separate chunk fetched the first time a panel shows a chart.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { readColors } from './colors';
import type { IColors } from './colors';
import { PLOT_HEIGHT } from './plot';
import type { IPlot, IPlotHooks, IPlotSettings, PlotFactory } from './plot';
import { positiveOnly, smooth } from './series';
import type { IChart } from './series';

export { createXYPlot } from './xychart';

/** Draw a chart; see `IPlot`. */
export const createPlot: PlotFactory = (host, chart, settings, hooks) =>
  new Plot(host, chart, settings, hooks);

class Plot implements IPlot {
  constructor(
    host: HTMLElement,
    chart: IChart,
    settings: IPlotSettings,
    hooks: IPlotHooks
  ) {
    this._host = host;
    this._hooks = hooks;
    this._colors = readColors(host);
    this._chart = chart;
    this._settings = settings;
    this._plot = this._create();
  }

  get builds(): number {
    return this._builds;
  }

  get zoomed(): boolean {
    const { min, max } = this._plot.scales.x ?? {};
    const x = this._chart.x;
    const first = x[0];
    const last = x[x.length - 1];
    if (
      min === undefined ||
      max === undefined ||
      first === undefined ||
      last === undefined
    ) {
      return false;
    }
    const eps = Math.max(Math.abs(last - first), 1) * 1e-9;
    return min > first + eps || max < last - eps;
  }

  update(chart: IChart, settings: IPlotSettings): void {
    const rebuild =
      settings.log !== this._settings.log ||
      chart.lines.length !== this._chart.lines.length ||
      chart.lines.some((line, i) => line.name !== this._chart.lines[i]?.name);
    const scale = this._plot.scales.x;
    const zoom =
      this.zoomed && scale?.min !== undefined && scale.max !== undefined
        ? { min: scale.min, max: scale.max }
        : null;
    this._chart = chart;
    this._settings = settings;
    if (rebuild) {
      this._plot.destroy();
      this._plot = this._create();
    } else {
      chart.lines.forEach((line, i) => {
        const show = !settings.hidden.has(line.name);
        if (this._plot.series[i + 1]?.show !== show) {
          this._plot.setSeries(i + 1, { show });
        }
      });
      this._plot.setData(this._data(), zoom === null);
    }
    if (zoom !== null) {
      this._plot.setScale('x', zoom);
    }
  }

  resize(width: number): void {
    const w = Math.floor(width);
    if (w > 0 && w !== this._plot.width) {
      this._plot.setSize({ width: w, height: PLOT_HEIGHT });
    }
  }

  restyle(): void {
    this._colors = readColors(this._host);
    this._host.dataset.mlworkInk = this._colors.ink;
    // Axes were measured with the old font metrics too: recalculate them.
    this._plot.redraw(false, true);
  }

  resetZoom(): void {
    const x = this._chart.x;
    const first = x[0];
    const last = x[x.length - 1];
    if (first !== undefined && last !== undefined) {
      this._plot.setScale('x', { min: first, max: last });
    }
  }

  dispose(): void {
    this._plot.destroy();
  }

  private _data(): uPlot.AlignedData {
    const { smoothing, log } = this._settings;
    return [
      this._chart.x,
      ...this._chart.lines.map(line => {
        const y = smoothing > 0 ? smooth(line.y, smoothing) : line.y;
        return log ? positiveOnly(y) : y;
      })
    ];
  }

  private _create(): uPlot {
    const colors = (): IColors => this._colors;
    const axis = (): uPlot.Axis => ({
      stroke: () => colors().ink,
      grid: { stroke: () => colors().grid, width: 1 },
      ticks: { stroke: () => colors().grid, width: 1, size: 4 },
      font: `11px ${this._colors.font}`,
      size: 40,
      gap: 3
    });
    const opts: uPlot.Options = {
      width: Math.max(Math.floor(this._host.clientWidth), 120),
      height: PLOT_HEIGHT,
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: true },
        points: { size: 6 }
      },
      scales: {
        x: { time: false },
        y: this._settings.log ? { distr: uPlot.Scale.Distr.Logarithmic } : {}
      },
      axes: [axis(), { ...axis(), size: 52 }],
      series: [
        {},
        ...this._chart.lines.map((line, i) => ({
          label: line.name,
          show: !this._settings.hidden.has(line.name),
          spanGaps: true,
          width: 1.5,
          dash: line.validation ? [5, 3] : undefined,
          stroke: () => Private.lineColor(colors(), i, line.validation),
          points: { show: false }
        }))
      ],
      hooks: {
        setCursor: [
          u => {
            this._hooks.onCursor(u.cursor.idx ?? null);
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
  private readonly _hooks: IPlotHooks;
  private _colors: IColors;
  private _chart: IChart;
  private _settings: IPlotSettings;
  private _plot: uPlot;
  private _builds = 0;
}

namespace Private {
  /** Training lines take the brand colour, their validation lines the warning colour. */
  export function lineColor(
    colors: IColors,
    index: number,
    validation: boolean
  ): string {
    const palette = colors.palette;
    const pick = validation ? 1 : index === 0 ? 0 : index + 1;
    return palette[pick % palette.length] ?? colors.ink;
  }
}
