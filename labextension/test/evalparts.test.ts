import { describe, expect, test } from 'vitest';

import { divergingBar, sizeBar } from '../src/clusters';
import { heatShares } from '../src/confusion';
import { deltaText, deltaTitle, deltaTone, shareText } from '../src/evalformat';
import type { IConfusion } from '../src/evaluation';
import { densityShade } from '../src/svgplots';
import { niceTicks, tickText } from '../src/ticks';

describe('metric deltas', () => {
  test.each([
    [0.02, true, 'better'],
    [0.02, false, 'worse'],
    [-0.02, false, 'better'],
    [-0.02, true, 'worse'],
    [0, true, 'same'],
    [null, true, 'unknown'],
    [0.02, null, 'unknown']
  ] as const)('delta %s with higher_is_better %s is %s', (delta, higher, tone) => {
    expect(deltaTone(delta, higher)).toBe(tone);
  });

  test('deltas read with a sign and an arrow; no previous run reads as a dash', () => {
    expect(deltaText(0.0123456)).toBe('+0.012346 ▲');
    expect(deltaText(-0.5)).toBe('−0.5 ▼');
    expect(deltaText(0)).toBe('±0');
    expect(deltaText(null)).toBe('–');
    expect(deltaTitle('worse', false)).toBe(
      'worse than the previous run (lower is better)'
    );
  });

  test('shares as percentages', () => {
    expect([0, 0.001, 0.5, 0.999, 1, null].map(shareText)).toEqual([
      '0%',
      '<1%',
      '50%',
      '>99%',
      '100%',
      '–'
    ]);
  });
});

describe('heatShares', () => {
  const matrix: IConfusion = {
    labels: ['a', 'b'],
    counts: [
      [8, 2],
      [0, 4]
    ],
    normalized: [
      [0.8, 0.2],
      [null, 1]
    ],
    classes: 2,
    shown: 2
  };

  test('counts shade against the largest count', () => {
    expect(heatShares(matrix, 'counts')).toEqual([
      [1, 0.25],
      [0, 0.5]
    ]);
  });

  test('normalised shades are the row shares; a class without rows stays empty', () => {
    expect(heatShares(matrix, 'normalized')).toEqual([
      [0.8, 0.2],
      [null, 1]
    ]);
  });
});

describe('bars and shades', () => {
  test('size bars fill their share of the largest', () => {
    expect(sizeBar(50, 200)).toEqual({ left: 0, width: 25 });
    expect(sizeBar(3, 0)).toEqual({ left: 0, width: 0 });
  });

  test('silhouette bars grow from the middle, either way, clamped to [-1, 1]', () => {
    expect(divergingBar(0.5)).toEqual({ left: 50, width: 25 });
    expect(divergingBar(-0.2)).toEqual({ left: 40, width: 10 });
    expect(divergingBar(-3)).toEqual({ left: 0, width: 50 });
  });

  test('density shades: empty bins are blank, one row is visible, the fullest is solid', () => {
    expect(densityShade(0, 100)).toBe(0);
    expect(densityShade(1, 1000)).toBeGreaterThan(0.12);
    expect(densityShade(1000, 1000)).toBeCloseTo(1);
  });
});

describe('niceTicks', () => {
  test.each([
    [0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [-1.28, 1.3, 5, [-1, -0.5, 0, 0.5, 1]],
    [3, 487, 4, [100, 200, 300, 400]],
    [0.1, 0.35, 5, [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]]
  ])('from %s to %s', (min, max, count, expected) => {
    expect(niceTicks(min, max, count)).toEqual(expected);
  });

  test('an empty or broken range has no ticks; one value has one', () => {
    expect(niceTicks(1, 0)).toEqual([]);
    expect(niceTicks(NaN, 1)).toEqual([]);
    expect(niceTicks(2, 2)).toEqual([2]);
  });

  test('tick text stays short', () => {
    expect([0.25, 1500, 25000, 3200000, -3].map(tickText)).toEqual([
      '0.25',
      '1500',
      '25k',
      '3.2M',
      '-3'
    ]);
  });
});
