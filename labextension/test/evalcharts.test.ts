import { describe, expect, test } from 'vitest';

import {
  MAX_CURVES,
  curveCharts,
  finitePairs,
  paddedRange,
  regressionCharts
} from '../src/evalcharts';
import { parseEvaluation } from '../src/evaluation';
import type { ICurve, IEvaluation } from '../src/evaluation';
import fixtures from './fixtures/evaluate-payloads.json';

const parsed = (name: keyof typeof fixtures): IEvaluation =>
  parseEvaluation(structuredClone(fixtures[name]));

describe('curveCharts', () => {
  test('a binary classifier: ROC with chance line, PR, calibration with its diagonal', () => {
    const charts = curveCharts(parsed('binary'));
    expect(charts.map(c => c.key)).toEqual(['roc', 'pr', 'calibration']);
    const [roc, pr, calibration] = charts;
    expect(roc?.lines.map(l => [l.label, l.style])).toEqual([
      ['churn', 'line'],
      ['chance', 'reference']
    ]);
    expect(roc?.lines[0]?.note).toMatch(/^AUC 0\.\d{1,3}$/);
    expect(pr?.lines[0]?.note).toMatch(/^AP /);
    expect(roc?.x[0]).toBeLessThan(0);
    expect(roc?.x[1]).toBeGreaterThan(1);
    // Empty bins (null means) are left out, never drawn at 0.
    const model = calibration?.lines[0];
    expect(model?.x.every(v => Number.isFinite(v))).toBe(true);
    expect(model?.x.length).toBe(model?.y.length);
  });

  test('one line per class, at most ten', () => {
    expect(curveCharts(parsed('multiclass'))[0]?.lines.map(l => l.label)).toEqual([
      'setosa',
      'versicolor',
      'virginica',
      'chance'
    ]);
    const ev = parsed('multiclass');
    const curve: ICurve | undefined = ev.roc[0];
    expect(curve).toBeDefined();
    ev.roc = Array.from(
      { length: 14 },
      (_, i) => ({ ...ev.roc[0], label: `c${i}` }) as ICurve
    );
    expect(curveCharts(ev)[0]?.lines).toHaveLength(MAX_CURVES + 1);
  });

  test('no curves without probabilities', () => {
    expect(curveCharts(parsed('regression'))).toEqual([]);
  });
});

describe('regressionCharts', () => {
  test('points: predicted vs actual on one range with the identity, residuals with zero', () => {
    const [scatter, residuals] = regressionCharts(parsed('regression'));
    expect(scatter?.key).toBe('scatter');
    expect(scatter?.x).toEqual(scatter?.y);
    expect(scatter?.lines.map(l => l.style)).toEqual(['points', 'reference']);
    expect(scatter?.lines[0]?.x).toHaveLength(40);
    expect(scatter?.lines[1]?.x).toEqual(scatter?.x);
    expect(residuals?.lines[1]?.y).toEqual([0, 0]);
    const [y0, y1] = residuals?.y ?? [0, 0];
    expect(y0).toBeLessThan(0);
    expect(y1).toBeGreaterThan(0);
  });

  test('density grids are not x/y charts (they are drawn as SVG)', () => {
    expect(regressionCharts(parsed('density'))).toEqual([]);
    expect(regressionCharts(parsed('binary'))).toEqual([]);
  });
});

describe('finitePairs and paddedRange', () => {
  test('pairs with a missing value on either side are dropped', () => {
    expect(finitePairs([1, null, 3, 4], [5, 6, null, 8])).toEqual({
      x: [1, 4],
      y: [5, 8]
    });
  });

  test('ranges get a margin; a single value or nothing still gives a range', () => {
    expect(paddedRange([0, 10], 0.1)).toEqual([-1, 11]);
    expect(paddedRange([5, 5], 0.1)).toEqual([4.5, 5.5]);
    expect(paddedRange([])).toEqual([0, 1]);
  });
});
