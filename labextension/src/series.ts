/**
 * From payload series to charts: one chart per metric family, its lines on one x axis.
 *
 * A series name is `[batch/][fitN/][val_]METRIC`. Training and `val_` series of one metric
 * share a chart; each `fitN/` prefix is a separate fit with its own charts; `batch/` series
 * are drawn only when asked for or while no epoch curve exists yet.
 */
import { BATCH_PREFIX } from './panel';
import type { ISeries } from './panel';

/** The parts of a series name. */
export interface ISeriesName {
  batch: boolean;
  /** `fit2` for a `fit2/` prefix, `''` for the first fit. */
  fit: string;
  validation: boolean;
  metric: string;
}

/** One line of a chart, aligned to the chart's x values. */
export interface ILine {
  /** The series name as the payload has it (also its label). */
  name: string;
  validation: boolean;
  y: Array<number | null>;
}

/** One chart: a metric family of one fit, per epoch or per batch. */
export interface IChart {
  /** Stable identity across updates: `unit|fit|metric`. */
  key: string;
  title: string;
  unit: 'epoch' | 'batch';
  x: number[];
  lines: ILine[];
}

const FIT_PREFIX = /^(fit\d+)\//;
const VALIDATION_PREFIX = 'val_';

/** Split a series name into its parts. */
export function splitName(name: string): ISeriesName {
  let rest = name;
  const batch = rest.startsWith(BATCH_PREFIX);
  if (batch) {
    rest = rest.slice(BATCH_PREFIX.length);
  }
  const fit = FIT_PREFIX.exec(rest)?.[1] ?? '';
  if (fit) {
    rest = rest.slice(fit.length + 1);
  }
  const validation = rest.startsWith(VALIDATION_PREFIX) && rest.length > 4;
  if (validation) {
    rest = rest.slice(VALIDATION_PREFIX.length);
  }
  return { batch, fit, validation, metric: rest };
}

/** Whether an epoch curve exists (two points or more), so batch series can step aside. */
export function hasEpochCurve(series: readonly ISeries[]): boolean {
  return series.some(s => s.unit !== 'batch' && s.x.length > 1);
}

/** Whether any per-batch series exists. */
export function hasBatchSeries(series: readonly ISeries[]): boolean {
  return series.some(s => s.unit === 'batch' && s.x.length > 0);
}

/**
 * Order of series names, whatever order the payload's keys come in (a saved notebook may have
 * them sorted): by fit, then `loss` before other metrics, then training before validation.
 */
export function compareNames(a: string, b: string): number {
  const x = splitName(a);
  const y = splitName(b);
  const fit = (parts: ISeriesName) =>
    parts.fit === '' ? 1 : Number(parts.fit.slice(3));
  return (
    Number(x.batch) - Number(y.batch) ||
    fit(x) - fit(y) ||
    Number(y.metric === 'loss') - Number(x.metric === 'loss') ||
    (x.metric < y.metric ? -1 : x.metric > y.metric ? 1 : 0) ||
    Number(x.validation) - Number(y.validation)
  );
}

/**
 * Group series into charts (see `compareNames` for their order).
 *
 * @param batch - draw the per-batch series instead of the per-epoch ones.
 */
export function buildCharts(series: readonly ISeries[], batch: boolean): IChart[] {
  const groups = new Map<string, { title: string; members: ISeries[] }>();
  const ordered = [...series].sort((a, b) => compareNames(a.name, b.name));
  for (const s of ordered) {
    if ((s.unit === 'batch') !== batch) {
      continue;
    }
    const parts = splitName(s.name);
    const key = `${batch ? 'batch' : 'epoch'}|${parts.fit}|${parts.metric}`;
    let group = groups.get(key);
    if (group === undefined) {
      const title = [parts.fit, parts.metric, batch ? 'per batch' : '']
        .filter(part => part !== '')
        .join(' · ');
      group = { title, members: [] };
      groups.set(key, group);
    }
    group.members.push(s);
  }
  const charts: IChart[] = [];
  for (const [key, group] of groups) {
    const members = [...group.members].sort(
      (a, b) =>
        Number(splitName(a.name).validation) - Number(splitName(b.name).validation)
    );
    const aligned = align(members);
    charts.push({
      key,
      title: group.title,
      unit: batch ? 'batch' : 'epoch',
      x: aligned.x,
      lines: members.map((s, i) => ({
        name: s.name,
        validation: splitName(s.name).validation,
        y: aligned.ys[i] ?? []
      }))
    });
  }
  return charts;
}

/**
 * Put several series on one sorted x axis; a series without a point at some x gets `null`.
 * Series that share their x values (the usual case) are passed through without copying.
 */
export function align(series: ReadonlyArray<Pick<ISeries, 'x' | 'y'>>): {
  x: number[];
  ys: Array<Array<number | null>>;
} {
  const first = series[0];
  if (first === undefined) {
    return { x: [], ys: [] };
  }
  if (series.every(s => sameValues(s.x, first.x)) && isSorted(first.x)) {
    return { x: first.x, ys: series.map(s => s.y) };
  }
  const x = Array.from(new Set(series.flatMap(s => s.x))).sort((a, b) => a - b);
  const index = new Map<number, number>();
  x.forEach((value, i) => index.set(value, i));
  const ys = series.map(s => {
    const y = new Array<number | null>(x.length).fill(null);
    s.x.forEach((value, i) => {
      y[index.get(value) ?? 0] = s.y[i] ?? null;
    });
    return y;
  });
  return { x, ys };
}

/**
 * Exponential moving average with TensorBoard's debiasing, so early points are not pulled
 * towards zero. `weight` 0 returns the values unchanged; gaps stay gaps.
 */
export function smooth(
  values: ReadonlyArray<number | null>,
  weight: number
): Array<number | null> {
  if (!(weight > 0)) {
    return [...values];
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map(value => {
    if (value === null) {
      return null;
    }
    last = last * w + (1 - w) * value;
    n += 1;
    return last / (1 - Math.pow(w, n));
  });
}

/** Values a log axis can draw: zero and negative values become gaps. */
export function positiveOnly(
  values: ReadonlyArray<number | null>
): Array<number | null> {
  return values.map(value => (value !== null && value > 0 ? value : null));
}

/** Points drawn in all charts together. */
export function countPoints(charts: readonly IChart[]): number {
  return charts.reduce((sum, chart) => sum + chart.x.length * chart.lines.length, 0);
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) {
    return true;
  }
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

function isSorted(x: readonly number[]): boolean {
  for (let i = 1; i < x.length; i++) {
    if ((x[i] ?? 0) < (x[i - 1] ?? 0)) {
      return false;
    }
  }
  return true;
}
