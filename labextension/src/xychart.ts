/**
 * x/y charts drawn with uPlot in its faceted mode (each line has its own x values): ROC,
 * precision-recall and calibration curves, predicted-against-actual and residual scatters.
 * Part of the lazily loaded chart chunk.
 */
import uPlot from 'uplot';

import { readColors } from './colors';
import type { IColors } from './colors';
import { XY_PLOT_HEIGHT } from './xyplot';
import type { IXYChart, IXYLine, IXYPlot, IXYPlotHooks, XYPlotFactory } from './xyplot';

/** Draw an x/y chart; see `IXYPlot`. */
export const createXYPlot: XYPlotFactory = (host, chart, hooks) =>
  new XYPlot(host, chart, hooks);

class XYPlot implements IXYPlot {
  constructor(host: HTMLElement, chart: IXYChart, hooks: IXYPlotHooks) {
    this._host = host;
    this._chart = chart;
    this._hooks = hooks;
    this._colors = readColors(host);
    this._plot = this._create();
    this._host.dataset.mlworkInk = this._colors.ink;
    // Double-click shows the chart's own ranges again (uPlot's own reset covers x only).
    this._plot.over.addEventListener('dblclick', this._reset);
  }

  resize(width: number): void {
    const w = Math.floor(width);
    if (w > 0 && w !== this._plot.width) {
      this._plot.setSize({ width: w, height: XY_PLOT_HEIGHT });
    }
  }

  restyle(): void {
    this._colors = readColors(this._host);
    this._host.dataset.mlworkInk = this._colors.ink;
    this._plot.redraw(false, true);
  }

  dispose(): void {
    this._plot.over.removeEventListener('dblclick', this._reset);
    this._plot.destroy();
  }

  private readonly _reset = (): void => {
    const [x0, x1] = this._chart.x;
    const [y0, y1] = this._chart.y;
    this._plot.batch(() => {
      this._plot.setScale('x', { min: x0, max: x1 });
      this._plot.setScale('y', { min: y0, max: y1 });
    });
  };

  private _create(): uPlot {
    const chart = this._chart;
    const colors = (): IColors => this._colors;
    const axis = (label: string): uPlot.Axis => ({
      stroke: () => colors().ink,
      grid: { stroke: () => colors().grid, width: 1 },
      ticks: { stroke: () => colors().grid, width: 1, size: 4 },
      font: `11px ${this._colors.font}`,
      labelFont: `11px ${this._colors.font}`,
      label,
      labelSize: 14,
      labelGap: 0,
      gap: 3
    });
    const opts: uPlot.Options = {
      mode: uPlot.Mode.Faceted,
      width: Math.max(Math.floor(this._host.clientWidth), 160),
      height: XY_PLOT_HEIGHT,
      legend: { show: false },
      cursor: {
        drag: { x: true, y: true, uni: 20, setScale: true },
        points: { size: 7 },
        // Reference lines carry no data: no hover point on them.
        dataIdx: (u, seriesIdx) =>
          chart.lines[seriesIdx - 1]?.style === 'reference'
            ? null
            : Private.nearest(u, seriesIdx)
      },
      scales: {
        x: { time: false, auto: false, range: chart.x },
        y: { auto: false, range: chart.y }
      },
      axes: [
        { ...axis(chart.xLabel), size: 26 },
        { ...axis(chart.yLabel), size: 46 }
      ],
      series: [{}, ...chart.lines.map((line, i) => Private.series(line, i, colors))],
      hooks: {
        setCursor: [
          u => {
            const left = u.cursor.left ?? -1;
            this._hooks.onCursor(left < 0 ? null : [...(u.cursor.idxs ?? [])].slice(1));
          }
        ]
      }
    };
    const data = [null, ...chart.lines.map(line => [line.x, line.y])];
    return new uPlot(opts, data as unknown as uPlot.AlignedData, this._host);
  }

  private readonly _host: HTMLElement;
  private readonly _hooks: IXYPlotHooks;
  private readonly _chart: IXYChart;
  private _colors: IColors;
  private readonly _plot: uPlot;
}

namespace Private {
  /** Reference lines are drawn in the grid's colour; data lines take the class colours. */
  export function lineColor(colors: IColors, line: IXYLine, index: number): string {
    if (line.style === 'reference') {
      return colors.ink;
    }
    return colors.classes[index % colors.classes.length] ?? colors.ink;
  }

  export function series(
    line: IXYLine,
    index: number,
    colors: () => IColors
  ): uPlot.Series {
    const stroke = () => lineColor(colors(), line, index);
    const common = { label: line.label, stroke, points: { show: false } };
    if (line.style === 'points') {
      return { ...common, paths: (u, seriesIdx) => dots(u, seriesIdx, stroke()) };
    }
    return {
      ...common,
      width: line.style === 'reference' ? 1 : 1.5,
      dash: line.style === 'reference' ? [4, 4] : undefined,
      alpha: line.style === 'reference' ? 0.7 : 1
    };
  }

  /** Draw a line's points as small dots, clipped to the plot area; no path is kept. */
  function dots(u: uPlot, seriesIdx: number, color: string): null {
    const [xs, ys] = (u.data[seriesIdx] ?? []) as unknown as [number[], number[]];
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const radius = 2 * uPlot.pxRatio;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.globalAlpha = xs.length > 500 ? 0.45 : 0.7;
    ctx.fillStyle = color;
    ctx.beginPath();
    for (let i = 0; i < xs.length; i++) {
      const x = u.valToPos(xs[i] ?? 0, 'x', true);
      const y = u.valToPos(ys[i] ?? 0, 'y', true);
      ctx.moveTo(x + radius, y);
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
    }
    ctx.fill();
    ctx.restore();
    return null;
  }

  /** The index of the line's point nearest to the cursor on screen, or `null`. */
  export function nearest(u: uPlot, seriesIdx: number): number | null {
    const left = u.cursor.left ?? -1;
    const top = u.cursor.top ?? -1;
    const [xs, ys] = (u.data[seriesIdx] ?? [[], []]) as unknown as [number[], number[]];
    if (seriesIdx === 0 || left < 0 || xs.length === 0) {
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
