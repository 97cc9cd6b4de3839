/**
 * From an evaluation to its x/y charts: ROC, precision-recall and calibration curves for a
 * classifier, predicted-against-actual and residual scatters for a regressor.
 */
import type { ICurve, IEvaluation, Scatter } from './evaluation';
import { formatNumber } from './format';
import type { IXYChart, IXYLine } from './xyplot';

/** Curve lines drawn per chart at most (the payload keeps no more either). */
export const MAX_CURVES = 10;

/** Room around [0, 1] so lines on the border stay visible. */
const UNIT: [number, number] = [-0.02, 1.02];

/** The pairs of `x` and `y` where both are numbers, in order. */
export function finitePairs(
  x: ReadonlyArray<number | null>,
  y: ReadonlyArray<number | null>
): { x: number[]; y: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const yi = y[i];
    if (typeof xi === 'number' && typeof yi === 'number') {
      xs.push(xi);
      ys.push(yi);
    }
  }
  return { x: xs, y: ys };
}

/** `[min, max]` of the values with a margin of `pad` of the span on each side. */
export function paddedRange(values: Iterable<number>, pad = 0.04): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) {
      min = value;
    }
    if (value > max) {
      max = value;
    }
  }
  if (min > max) {
    return [0, 1];
  }
  const span = max - min || Math.abs(max) || 1;
  return [min - span * pad, max + span * pad];
}

/** The curves of a classifier, one line per class (up to `MAX_CURVES`). */
export function curveCharts(ev: IEvaluation): IXYChart[] {
  const charts: IXYChart[] = [];
  if (ev.roc.length > 0) {
    charts.push({
      key: 'roc',
      title: 'ROC curve',
      xLabel: 'false positive rate',
      yLabel: 'true positive rate',
      lines: [...curveLines(ev.roc, 'AUC'), diagonal('chance')],
      x: UNIT,
      y: UNIT
    });
  }
  if (ev.pr.length > 0) {
    charts.push({
      key: 'pr',
      title: 'precision–recall curve',
      xLabel: 'recall',
      yLabel: 'precision',
      lines: curveLines(ev.pr, 'AP'),
      x: UNIT,
      y: UNIT
    });
  }
  const calibration = ev.calibration;
  if (calibration !== null) {
    const points = finitePairs(calibration.meanPredicted, calibration.fractionPositive);
    charts.push({
      key: 'calibration',
      title: 'calibration',
      xLabel: 'mean predicted probability',
      yLabel: 'fraction positive',
      lines: [
        { label: 'model', style: 'line', note: '', ...points },
        diagonal('perfectly calibrated')
      ],
      x: UNIT,
      y: UNIT
    });
  }
  return charts;
}

/** The scatters of a regressor that the payload sends as points (not density grids). */
export function regressionCharts(ev: IEvaluation): IXYChart[] {
  const regression = ev.regression;
  if (regression === null) {
    return [];
  }
  const charts: IXYChart[] = [];
  const scatter = points(regression.scatter);
  if (scatter !== null) {
    const both = paddedRange([...scatter.x, ...scatter.y]);
    charts.push({
      key: 'scatter',
      title: 'predicted vs actual',
      xLabel: 'actual',
      yLabel: 'predicted',
      lines: [
        { label: 'rows', style: 'points', note: `${scatter.x.length}`, ...scatter },
        { label: 'predicted = actual', style: 'reference', note: '', x: both, y: both }
      ],
      x: both,
      y: both
    });
  }
  const residuals = points(regression.residuals);
  if (residuals !== null) {
    const x = paddedRange(residuals.x);
    charts.push({
      key: 'residuals',
      title: 'residuals vs predicted',
      xLabel: 'predicted',
      yLabel: 'actual − predicted',
      lines: [
        { label: 'rows', style: 'points', note: `${residuals.x.length}`, ...residuals },
        { label: 'zero', style: 'reference', note: '', x, y: [0, 0] }
      ],
      x,
      y: paddedRange([...residuals.y, 0])
    });
  }
  return charts;
}

function points(scatter: Scatter): { x: number[]; y: number[] } | null {
  return scatter.kind === 'points' ? finitePairs(scatter.x, scatter.y) : null;
}

function curveLines(curves: readonly ICurve[], area: string): IXYLine[] {
  return curves.slice(0, MAX_CURVES).map(curve => ({
    label: curve.label,
    style: 'line',
    note: curve.value === null ? '' : `${area} ${formatNumber(round(curve.value))}`,
    ...finitePairs(curve.x, curve.y)
  }));
}

function diagonal(label: string): IXYLine {
  return { label, style: 'reference', note: '', x: [0, 1], y: [0, 1] };
}

/** Three decimals: enough to compare areas, short enough for a legend. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
