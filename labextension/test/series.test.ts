import { describe, expect, test } from 'vitest';

import type { ISeries } from '../src/panel';
import { progressFraction, progressText } from '../src/panelview';
import {
  align,
  buildCharts,
  compareNames,
  countPoints,
  hasEpochCurve,
  positiveOnly,
  smooth,
  splitName
} from '../src/series';

function series(name: string, x: number[], y: Array<number | null>): ISeries {
  const unit = name.startsWith('batch/') ? 'batch' : 'epoch';
  return { name, unit, x, y, points: x.length };
}

describe('splitName', () => {
  test.each([
    ['loss', { batch: false, fit: '', validation: false, metric: 'loss' }],
    ['val_loss', { batch: false, fit: '', validation: true, metric: 'loss' }],
    [
      'fit2/val_accuracy',
      { batch: false, fit: 'fit2', validation: true, metric: 'accuracy' }
    ],
    [
      'batch/fit3/loss',
      { batch: true, fit: 'fit3', validation: false, metric: 'loss' }
    ],
    ['val_', { batch: false, fit: '', validation: false, metric: 'val_' }],
    [
      'fitness/loss',
      { batch: false, fit: '', validation: false, metric: 'fitness/loss' }
    ]
  ])('%s', (name, parts) => {
    expect(splitName(name)).toEqual(parts);
  });
});

describe('buildCharts', () => {
  const epochs = [
    series('val_accuracy', [1, 2], [0.5, 0.6]),
    series('accuracy', [1, 2], [0.6, 0.7]),
    series('val_loss', [1, 2], [1.1, 0.9]),
    series('loss', [1, 2], [1, 0.8]),
    series('fit2/loss', [1, 2, 3], [0.7, 0.6, 0.5]),
    series('batch/loss', [10, 20, 30], [1.3, 1.2, 1.1]),
    series('batch/fit2/loss', [5, 15], [0.8, 0.75])
  ];

  test('one chart per metric family and fit, loss first, validation over training', () => {
    const charts = buildCharts(epochs, false);
    expect(charts.map(c => [c.key, c.title])).toEqual([
      ['epoch||loss', 'loss'],
      ['epoch||accuracy', 'accuracy'],
      ['epoch|fit2|loss', 'fit2 · loss']
    ]);
    expect(charts[0]?.lines.map(l => [l.name, l.validation])).toEqual([
      ['loss', false],
      ['val_loss', true]
    ]);
    expect(charts[0]?.x).toEqual([1, 2]);
    expect(charts[0]?.lines[1]?.y).toEqual([1.1, 0.9]);
  });

  test('batch series make their own charts, only when asked for', () => {
    const charts = buildCharts(epochs, true);
    expect(charts.map(c => [c.title, c.unit])).toEqual([
      ['loss · per batch', 'batch'],
      ['fit2 · loss · per batch', 'batch']
    ]);
    expect(countPoints(charts)).toBe(5);
  });

  test('the order does not depend on the order of the payload keys', () => {
    const reversed = buildCharts([...epochs].reverse(), false);
    expect(reversed.map(c => c.key)).toEqual(
      buildCharts(epochs, false).map(c => c.key)
    );
  });

  test('epoch curves exist from the second epoch on', () => {
    expect(
      hasEpochCurve([series('loss', [1], [1]), series('batch/loss', [1, 2], [1, 1])])
    ).toBe(false);
    expect(hasEpochCurve([series('loss', [1, 2], [1, 0.5])])).toBe(true);
  });

  test('compareNames puts training before validation within a metric', () => {
    expect(['val_loss', 'loss', 'accuracy'].sort(compareNames)).toEqual([
      'loss',
      'val_loss',
      'accuracy'
    ]);
  });
});

describe('align', () => {
  test('shared x values pass through without copies', () => {
    const x = [1, 2, 3];
    const merged = align([
      { x, y: [1, 2, 3] },
      { x: [1, 2, 3], y: [4, 5, 6] }
    ]);
    expect(merged.x).toBe(x);
    expect(merged.ys).toEqual([
      [1, 2, 3],
      [4, 5, 6]
    ]);
  });

  test('different x values merge into one sorted axis with gaps', () => {
    const merged = align([
      { x: [1, 3], y: [10, 30] },
      { x: [2, 3, 4], y: [20, 31, 40] }
    ]);
    expect(merged.x).toEqual([1, 2, 3, 4]);
    expect(merged.ys).toEqual([
      [10, null, 30, null],
      [null, 20, 31, 40]
    ]);
  });

  test('an empty chart has no axis', () => {
    expect(align([])).toEqual({ x: [], ys: [] });
  });

  test('100,000 shared points merge in a few milliseconds', () => {
    const x = Array.from({ length: 100_000 }, (_, i) => i);
    const y = x.map(v => Math.sin(v / 1000));
    const start = performance.now();
    const merged = align([
      { x, y },
      { x: [...x], y }
    ]);
    expect(merged.x).toBe(x);
    expect(performance.now() - start).toBeLessThan(50);
  });
});

describe('smooth', () => {
  test('weight 0 keeps the values', () => {
    expect(smooth([1, null, 3], 0)).toEqual([1, null, 3]);
  });

  test('a debiased moving average: a constant stays constant, gaps stay gaps', () => {
    const out = smooth([2, 2, null, 2], 0.9);
    expect(out[0]).toBeCloseTo(2);
    expect(out[1]).toBeCloseTo(2);
    expect(out[2]).toBeNull();
    expect(out[3]).toBeCloseTo(2);
  });

  test('it follows a step slowly', () => {
    const out = smooth([0, 0, 10, 10], 0.5);
    expect(out[2]).toBeGreaterThan(0);
    expect(out[2]).toBeLessThan(10);
  });
});

test('positiveOnly leaves what a log axis can draw', () => {
  expect(positiveOnly([1, 0, -1, null, 0.5])).toEqual([1, null, null, null, 0.5]);
});

describe('progress', () => {
  const progress = {
    epoch: 3,
    epochs: 20,
    step: 12,
    steps: 48,
    etaS: 4.2,
    elapsedS: 1.3
  };

  test('text with epoch, step, elapsed time and ETA', () => {
    expect(progressText(progress)).toBe(
      'epoch 3/20 · step 12/48 · 1.30 s elapsed · ETA 4.20 s'
    );
    expect(
      progressText({ ...progress, epoch: null, steps: null, etaS: 0, elapsedS: null })
    ).toBe('step 12 · 0 ms elapsed');
  });

  test('fraction from epochs and steps; done when ok; unknown without totals', () => {
    expect(progressFraction(progress, 'running')).toBeCloseTo((2 + 0.25) / 20);
    expect(progressFraction(progress, 'ok')).toBe(1);
    expect(
      progressFraction({ ...progress, epochs: null, steps: null }, 'running')
    ).toBeNull();
  });
});
