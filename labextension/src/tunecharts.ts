/**
 * From a search to its small charts: the best score so far against trial number and against
 * wall time, and one scatter of score against each hyper-parameter.
 */
import { paddedRange } from './evalcharts';
import { formatNumber, formatValue } from './format';
import type { ITrial, ITune, ParamValue } from './tune';
import { findTrial } from './tune';
import type { ITuneChart, ITunePoints, TuneScale } from './tuneplots';

/** Hyper-parameter scatters drawn at most. */
export const MAX_PARAM_CHARTS = 8;

/** A positive numeric hyper-parameter spanning this factor or more is drawn on a log axis. */
export const LOG_SPAN = 100;

/** Ticks of a log axis: powers of ten in `[min, max]`, with 2× and 5× when fewer than two. */
export function logSplits(min: number, max: number): number[] {
  if (!(min > 0) || !(max >= min)) {
    return [];
  }
  const first = Math.ceil(Math.log10(min) - 1e-9);
  const last = Math.floor(Math.log10(max) + 1e-9);
  const decades: number[] = [];
  const every = Math.max(1, Math.ceil((last - first + 1) / 6));
  for (let k = first; k <= last; k += every) {
    decades.push(Number(`1e${k}`));
  }
  if (decades.length >= 2) {
    return decades;
  }
  const splits: number[] = [];
  for (let k = first - 1; k <= last; k++) {
    for (const factor of [1, 2, 5]) {
      const value = Number(`${factor}e${k}`);
      if (value >= min && value <= max) {
        splits.push(value);
      }
    }
  }
  return splits;
}

/** A log tick as short text: `1e-4`, `2e-5`, `0.001`, `500`, `1e6`. */
export function logTickText(value: number): string {
  const exponent = Math.floor(Math.log10(value) + 1e-9);
  if (exponent < -3 || exponent > 5) {
    const mantissa = Number((value / Math.pow(10, exponent)).toPrecision(2));
    return `${mantissa}e${exponent}`;
  }
  return String(Number(value.toPrecision(3)));
}

/** Room above and below the scores (a share of their span): the best trial's mark fits. */
const Y_PAD = 0.15;

/** How one hyper-parameter's values sit on an x axis. */
export interface IParamAxis {
  scale: TuneScale;
  categories: string[];
  range: [number, number];
  integer: boolean;
  /** The x position of a value (`null`: not on this axis). */
  position(value: ParamValue): number | null;
}

/** The staircase through points sorted by x: each best holds until the next one. */
export function stepPoints(
  x: readonly number[],
  y: readonly number[],
  until?: number
): ITunePoints {
  const order = x.map((_, i) => i).sort((a, b) => (x[a] ?? 0) - (x[b] ?? 0));
  const xs: number[] = [];
  const ys: number[] = [];
  let last: number | null = null;
  for (const i of order) {
    const xi = x[i] ?? 0;
    const yi = y[i] ?? 0;
    if (last !== null) {
      xs.push(xi);
      ys.push(last);
    }
    xs.push(xi);
    ys.push(yi);
    last = yi;
  }
  const end = xs[xs.length - 1];
  if (last !== null && end !== undefined && until !== undefined && until > end) {
    xs.push(until);
    ys.push(last);
  }
  return { x: xs, y: ys };
}

/** The x axis of a hyper-parameter: numbers as numbers (log when wide), the rest as labels. */
export function paramAxis(values: readonly ParamValue[]): IParamAxis {
  const present = values.filter((v): v is Exclude<ParamValue, null> => v !== null);
  if (present.length > 0 && present.every(v => typeof v === 'number')) {
    const numbers = present;
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const log = min > 0 && max / min >= LOG_SPAN;
    const pad = log ? Math.pow(max / min, 0.06) : 1;
    return {
      scale: log ? 'log' : 'linear',
      categories: [],
      range: log ? [min / pad, max * pad] : paddedRange(numbers, 0.08),
      integer: !log && numbers.every(v => Number.isInteger(v)),
      position: value => (typeof value === 'number' ? value : null)
    };
  }
  const categories = Array.from(new Set(present.map(label))).sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true })
  );
  const index = new Map(categories.map((name, i) => [name, i]));
  return {
    scale: 'category',
    categories,
    range: [-0.5, Math.max(categories.length, 1) - 0.5],
    integer: true,
    position: value => (value === null ? null : (index.get(label(value)) ?? null))
  };
}

/** The best score so far against trial number, and against wall time when ends are known. */
export function bestSoFarCharts(tune: ITune): ITuneChart[] {
  const yLabel = tune.objective ?? 'score';
  const scored = tune.trials.filter(
    (t): t is ITrial & { score: number } => t.score !== null
  );
  const best = findTrial(tune, tune.best);
  const curve = tune.bestSoFar;
  const charts: ITuneChart[] = [];

  const byNumber = pairs(curve.number, curve.score);
  const numbers = dots(scored, t => t.number);
  if (byNumber.x.length > 0 || numbers.x.length > 0) {
    const until = Math.max(...numbers.x, ...byNumber.x);
    const step = stepPoints(byNumber.x, byNumber.y, until);
    const xs = [...step.x, ...numbers.x];
    charts.push({
      key: 'best-number',
      title: 'by trial number',
      xLabel: 'trial',
      yLabel,
      xScale: 'linear',
      categories: [],
      integer: true,
      x: [Math.min(...xs) - 0.5, Math.max(...xs) + 0.5],
      y: paddedRange([...step.y, ...numbers.y], Y_PAD),
      step,
      dots: numbers,
      best: point(best, best?.number ?? null)
    });
  }

  const byTime = pairs(curve.endedS, curve.score);
  const times = dots(
    scored.filter(t => t.endedS !== null),
    t => t.endedS ?? 0
  );
  if (byTime.x.length > 0 || times.x.length > 0) {
    const until = Math.max(...times.x, ...byTime.x);
    const step = stepPoints(byTime.x, byTime.y, until);
    charts.push({
      key: 'best-time',
      title: 'by wall time',
      xLabel: 'seconds since start',
      yLabel,
      xScale: 'linear',
      categories: [],
      integer: false,
      x: [0, Math.max(until, 1e-3) * 1.08],
      y: paddedRange([...step.y, ...times.y], Y_PAD),
      step,
      dots: times,
      best: point(best, best?.endedS ?? null)
    });
  }
  return charts;
}

/** One scatter of score per hyper-parameter (the first `MAX_PARAM_CHARTS` with a scored trial). */
export function paramCharts(tune: ITune): ITuneChart[] {
  const yLabel = tune.objective ?? 'score';
  const scored = tune.trials.filter(t => t.score !== null);
  const charts: ITuneChart[] = [];
  for (const name of tune.params.slice(0, MAX_PARAM_CHARTS)) {
    const axis = paramAxis(scored.map(t => t.params.get(name) ?? null));
    const points = { x: [] as number[], y: [] as number[], ids: [] as string[] };
    const labels: string[] = [];
    let best: { x: number; y: number } | null = null;
    for (const trial of scored) {
      const value = trial.params.get(name) ?? null;
      const x = axis.position(value);
      if (x === null || trial.score === null) {
        continue;
      }
      points.x.push(x);
      points.y.push(trial.score);
      points.ids.push(trial.id);
      labels.push(value === null ? '' : label(value));
      if (trial.id === tune.best) {
        best = { x, y: trial.score };
      }
    }
    if (points.x.length === 0) {
      continue;
    }
    charts.push({
      key: `param:${name}`,
      title: name,
      xLabel: axis.scale === 'log' ? 'log scale' : '',
      yLabel,
      xScale: axis.scale,
      categories: axis.categories,
      integer: axis.integer,
      x: axis.range,
      y: paddedRange(points.y, Y_PAD),
      step: null,
      dots: { ...points, labels },
      best
    });
  }
  return charts;
}

function label(value: Exclude<ParamValue, null>): string {
  return typeof value === 'number' ? formatNumber(value) : formatValue(value);
}

/** A trial's point at `x` with its score, when it has both. */
function point(
  trial: ITrial | null,
  x: number | null
): { x: number; y: number } | null {
  const y = trial?.score ?? null;
  return x === null || y === null ? null : { x, y };
}

function pairs(
  x: ReadonlyArray<number | null>,
  y: ReadonlyArray<number | null>
): ITunePoints {
  const xs: number[] = [];
  const ys: number[] = [];
  x.forEach((xi, i) => {
    const yi = y[i];
    if (xi !== null && yi !== null && yi !== undefined) {
      xs.push(xi);
      ys.push(yi);
    }
  });
  return { x: xs, y: ys };
}

function dots(
  trials: ReadonlyArray<ITrial & { score: number }>,
  at: (trial: ITrial) => number
): ITuneChart['dots'] {
  return {
    x: trials.map(at),
    y: trials.map(t => t.score),
    ids: trials.map(t => t.id),
    labels: trials.map(t => formatNumber(at(t)))
  };
}
