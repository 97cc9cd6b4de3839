/**
 * Charts of binned data drawn as SVG (no chart library): a density grid, for scatters of
 * too many rows to send as points, and a histogram. Colours come from CSS classes
 * (panel.css), so both themes work; text is set with `textContent` only.
 */
import { svg } from './dom';
import type { IHistogram, Scatter } from './evaluation';
import { niceTicks, tickText } from './ticks';

type Density = Extract<Scatter, { kind: 'density' }>;

/** Size of the drawing in SVG units; it scales to its figure's width. */
const WIDTH = 320;
const HEIGHT = 220;
const MARGIN = { left: 46, right: 8, top: 6, bottom: 34 };

/** Axes, ticks and labels around a plot area; `x`/`y` map data values to SVG units. */
interface IFrame {
  root: SVGSVGElement;
  plot: SVGGElement;
  x(value: number): number;
  y(value: number): number;
}

export interface IAxes {
  x: [number, number];
  y: [number, number];
  xLabel: string;
  yLabel: string;
  /** What the chart shows, for screen readers. */
  description: string;
}

function frame(axes: IAxes): IFrame {
  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'mlwork-svgplot',
    role: 'img'
  });
  root.setAttribute('aria-label', axes.description);
  const [x0, x1] = axes.x;
  const [y0, y1] = axes.y;
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const x = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * (right - left);
  const y = (v: number) => bottom - ((v - y0) / (y1 - y0 || 1)) * (bottom - top);
  const axesGroup = svg('g', { class: 'mlwork-svgplot-axes' });
  for (const tick of niceTicks(x0, x1, 5)) {
    const at = x(tick);
    axesGroup.append(
      svg('line', {
        x1: at,
        x2: at,
        y1: top,
        y2: bottom,
        class: 'mlwork-svgplot-grid'
      }),
      text(tickText(tick), { x: at, y: bottom + 12, 'text-anchor': 'middle' })
    );
  }
  for (const tick of niceTicks(y0, y1, 4)) {
    const at = y(tick);
    axesGroup.append(
      svg('line', {
        x1: left,
        x2: right,
        y1: at,
        y2: at,
        class: 'mlwork-svgplot-grid'
      }),
      text(tickText(tick), { x: left - 4, y: at + 3, 'text-anchor': 'end' })
    );
  }
  axesGroup.append(
    text(axes.xLabel, {
      x: (left + right) / 2,
      y: HEIGHT - 4,
      'text-anchor': 'middle'
    }),
    text(axes.yLabel, {
      x: 0,
      y: 0,
      'text-anchor': 'middle',
      transform: `translate(10 ${(top + bottom) / 2}) rotate(-90)`
    }),
    svg('rect', {
      x: left,
      y: top,
      width: right - left,
      height: bottom - top,
      class: 'mlwork-svgplot-border'
    })
  );
  const clip = svg('svg', {
    x: left,
    y: top,
    width: right - left,
    height: bottom - top,
    viewBox: `${left} ${top} ${right - left} ${bottom - top}`,
    overflow: 'hidden'
  });
  const plot = svg('g');
  clip.append(plot);
  root.append(axesGroup, clip);
  return { root, plot, x, y };
}

function text(
  content: string,
  attributes: Record<string, string | number>
): SVGElement {
  const node = svg('text', { ...attributes, class: 'mlwork-svgplot-text' });
  node.textContent = content;
  return node;
}

/** Shade of a bin in [0, 1]: counts on a log scale, so a few rows stay visible beside many. */
export function densityShade(count: number, max: number): number {
  if (count <= 0 || max <= 0) {
    return 0;
  }
  return 0.12 + (0.88 * Math.log1p(count)) / Math.log1p(max);
}

/**
 * A 2-D histogram as shaded cells, with a guide line: the identity (`y = x`) or zero
 * (`y = 0`).
 */
export function densityPlot(
  grid: Density,
  axes: Omit<IAxes, 'x' | 'y'>,
  guide: 'identity' | 'zero'
): SVGSVGElement {
  const xs = grid.xEdges;
  const ys = grid.yEdges;
  const range = (edges: number[]): [number, number] => [
    edges[0] ?? 0,
    edges[edges.length - 1] ?? 1
  ];
  const f = frame({ ...axes, x: range(xs), y: range(ys) });
  const max = grid.counts.reduce(
    (m, column) => column.reduce((a, b) => Math.max(a, b), m),
    0
  );
  const cells = svg('g', { class: 'mlwork-density' });
  grid.counts.forEach((column, i) => {
    column.forEach((count, j) => {
      if (count <= 0) {
        return;
      }
      const x0 = f.x(xs[i] ?? 0);
      const x1 = f.x(xs[i + 1] ?? 0);
      const y0 = f.y(ys[j + 1] ?? 0);
      const y1 = f.y(ys[j] ?? 0);
      const cell = svg('rect', {
        x: x0,
        y: y0,
        // A hair wider than the bin (cells are opaque), so neighbours leave no seams.
        width: x1 - x0 + 0.4,
        height: y1 - y0 + 0.4,
        class: 'mlwork-density-cell'
      });
      cell.style.setProperty('--mlwork-heat', densityShade(count, max).toFixed(3));
      cells.append(cell);
    });
  });
  f.plot.append(cells);
  const [x0, x1] = range(xs);
  const [y0, y1] = range(ys);
  if (guide === 'identity') {
    const lo = Math.max(x0, y0);
    const hi = Math.min(x1, y1);
    f.plot.append(guideLine(f.x(lo), f.y(lo), f.x(hi), f.y(hi)));
  } else if (y0 <= 0 && y1 >= 0) {
    f.plot.append(guideLine(f.x(x0), f.y(0), f.x(x1), f.y(0)));
  }
  f.root.dataset.mlworkCells = String(cells.childElementCount);
  return f.root;
}

function guideLine(x1: number, y1: number, x2: number, y2: number): SVGElement {
  return svg('line', { x1, y1, x2, y2, class: 'mlwork-svgplot-guide' });
}

/** A histogram as bars, with a guide at zero when zero is in range. */
export function histogramPlot(
  hist: IHistogram,
  axes: Omit<IAxes, 'x' | 'y'>
): SVGSVGElement {
  const edges = hist.edges;
  const lo = edges[0] ?? 0;
  const hi = edges[edges.length - 1] ?? 1;
  const max = hist.counts.reduce((a, b) => Math.max(a, b), 1);
  const f = frame({ ...axes, x: [lo, hi], y: [0, max * 1.05] });
  const bars = svg('g', { class: 'mlwork-hist' });
  hist.counts.forEach((count, i) => {
    const a = edges[i] ?? 0;
    const b = edges[i + 1] ?? 0;
    const bar = svg('rect', {
      x: f.x(a),
      y: f.y(count),
      width: Math.max(f.x(b) - f.x(a) - 0.5, 0.5),
      height: f.y(0) - f.y(count),
      class: 'mlwork-hist-bar'
    });
    const title = svg('title');
    title.textContent = `${tickText(a)} to ${tickText(b)}: ${count} rows`;
    bar.append(title);
    bars.append(bar);
  });
  f.plot.append(bars);
  if (lo <= 0 && hi >= 0) {
    f.plot.append(guideLine(f.x(0), f.y(0), f.x(0), f.y(max * 1.05)));
  }
  return f.root;
}
