// The evaluate section of real payloads, as the Python side writes them. The fixtures were
// made with tests/browser/evaluation_payloads.py:
//   .venv/bin/python -c "from tests.browser import evaluation_payloads as e; ..."
// (binary rows=60, multiclass rows=90 leak=2, regression rows=40 and rows=2100, clustering).
import { describe, expect, test } from 'vitest';

import { parseEvaluation } from '../src/evaluation';
import { PanelError } from '../src/panel';
import fixtures from './fixtures/evaluate-payloads.json';

type Payload = Record<string, unknown> & { evaluate: Record<string, unknown> };

/** A deep copy of a fixture, so a test may break it. */
function fixture(name: keyof typeof fixtures): Payload {
  const copy: unknown = structuredClone(fixtures[name]);
  return copy as Payload;
}

function section(
  name: keyof typeof fixtures,
  changes: Record<string, unknown>
): Payload {
  const payload = fixture(name);
  Object.assign(payload.evaluate, changes);
  return payload;
}

describe('parseEvaluation of real payloads', () => {
  test('binary classification: metrics, matrix, curves, calibration', () => {
    const ev = parseEvaluation(fixture('binary'));
    expect(ev.task).toBe('classification');
    expect(ev.rows).toBe(60);
    const accuracy = ev.metrics.find(m => m.name === 'accuracy');
    expect(accuracy?.higherIsBetter).toBe(true);
    expect(accuracy?.delta).toBeCloseTo(0.01);
    expect(ev.metrics.find(m => m.name === 'log_loss')?.higherIsBetter).toBe(false);
    expect(ev.confusion?.labels).toEqual(['stay', 'churn']);
    expect(ev.confusion?.counts.flat().reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(
      60
    );
    expect(ev.perClass?.columns.slice(0, 5)).toEqual([
      'class',
      'precision',
      'recall',
      'f1',
      'support'
    ]);
    expect(ev.roc.map(c => c.label)).toEqual(['churn']);
    expect(ev.pr).toHaveLength(1);
    expect(ev.calibration?.count).toHaveLength(10);
    expect(ev.regression).toBeNull();
    expect(ev.leakage.status).toBe('not checked');
    expect(ev.notes[0]).toContain('positive');
  });

  test('three classes: one curve per class, slices with the worst marked, leakage', () => {
    const ev = parseEvaluation(fixture('multiclass'));
    expect(ev.confusion?.shown).toBe(3);
    expect(ev.roc.map(c => c.label)).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(ev.calibration).toBeNull();
    expect(ev.slices?.by).toBe('slice');
    expect(ev.slices?.metric).toBe('accuracy');
    expect(ev.slices?.rows[ev.slices.worst ?? -1]?.[0]).toBe('east');
    expect(ev.leakage).toMatchObject({ status: 'checked', rows: 2, examples: [3, 17] });
    expect(ev.leakage.warning).toContain('2 of 90 evaluated rows');
  });

  test('regression: points below 2,000 rows, density grids above', () => {
    const small = parseEvaluation(fixture('regression')).regression;
    expect(small?.scatter.kind).toBe('points');
    const bins = small?.residualHist.counts.length ?? 0;
    expect(bins).toBe(50);
    expect(small?.residualHist.edges).toHaveLength(bins + 1);
    const big = parseEvaluation(fixture('density')).regression;
    if (big?.scatter.kind !== 'density') {
      throw new Error('expected a density grid');
    }
    expect(big.scatter.xEdges).toHaveLength(65);
    expect(big.scatter.counts).toHaveLength(64);
    expect(big.scatter.counts.flat().reduce((a, b) => a + b, 0)).toBe(2100);
  });

  test('clustering: sizes and silhouette per cluster', () => {
    const ev = parseEvaluation(fixture('clustering'));
    expect(ev.task).toBe('clustering');
    expect(ev.clustering?.clusters).toEqual(['0', '1', '2', '3']);
    expect(ev.clustering?.sizes.reduce((a, b) => a + b, 0)).toBe(400);
    expect(ev.clustering?.silhouette).toHaveLength(4);
    expect(ev.metrics.every(m => m.delta === null)).toBe(true);
  });
});

describe('parseEvaluation of other payloads', () => {
  test('optional parts may be missing', () => {
    const ev = parseEvaluation({
      evaluate: { task: 'regression', rows: 3, metrics: [] }
    });
    expect(ev).toMatchObject({
      taskReason: '',
      notes: [],
      confusion: null,
      roc: [],
      calibration: null,
      slices: null,
      leakage: { status: 'not checked', rows: 0 }
    });
  });

  test('hostile labels are kept as data, verbatim', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const payload = fixture('multiclass');
    const confusion = payload.evaluate.confusion as { labels: string[] };
    confusion.labels[0] = evil;
    const ev = parseEvaluation(payload);
    expect(ev.confusion?.labels[0]).toBe(evil);
  });

  test.each([
    ['no section', { version: 1 }, 'evaluate is missing, expected an object'],
    ['a list', { evaluate: [] }, 'evaluate is a list, expected an object'],
    [
      'no task',
      section('binary', { task: 3 }),
      'evaluate.task is a number, expected a string'
    ],
    [
      'negative rows',
      section('binary', { rows: -1 }),
      'evaluate.rows is -1, expected a count'
    ],
    [
      'a metric value as text',
      section('binary', { metrics: [{ name: 'accuracy', value: 'high' }] }),
      'evaluate.metrics[0].value is a string, expected a number'
    ],
    [
      'a direction as text',
      section('binary', { metrics: [{ name: 'a', higher_is_better: 'yes' }] }),
      'evaluate.metrics[0].higher_is_better is a string, expected true or false'
    ],
    [
      'a confusion cell as text',
      section('binary', {
        confusion: {
          labels: ['a', 'b'],
          counts: [
            [1, 2],
            [3, 'x']
          ],
          normalized: []
        }
      }),
      'evaluate.confusion.counts[1][1] is a string, expected a number'
    ],
    [
      'a ragged matrix',
      section('binary', {
        confusion: { labels: ['a', 'b'], counts: [[1, 2], [3]], normalized: [] }
      }),
      'evaluate.confusion.counts[1] has 1 items, expected 2'
    ],
    [
      'a curve with fewer y than x',
      section('binary', { curves: { roc: [{ label: 'a', x: [0, 1], y: [0] }] } }),
      'evaluate.curves.roc[0].y has 1 items, expected 2'
    ],
    [
      'an unknown scatter kind',
      section('regression', {
        regression: {
          scatter: { kind: 'hexbin' },
          residuals: { kind: 'points', x: [], y: [] },
          residual_hist: { edges: [0], counts: [] }
        }
      }),
      "evaluate.regression.scatter.kind is 'hexbin', expected 'points' or 'density'"
    ],
    [
      'edges out of order',
      section('regression', {
        regression: {
          scatter: { kind: 'points', x: [], y: [] },
          residuals: { kind: 'points', x: [], y: [] },
          residual_hist: { edges: [0, 2, 1], counts: [1, 1] }
        }
      }),
      'evaluate.regression.residual_hist.edges[2] is smaller than the edge before it'
    ],
    [
      'a worst slice past the rows',
      section('multiclass', {
        slices: { by: 'r', columns: ['r', 'n'], rows: [['a', 1]], worst: 4 }
      }),
      'evaluate.slices.worst is 4, expected a row number below 1'
    ],
    [
      'a slice row with a missing cell',
      section('multiclass', { slices: { columns: ['r', 'n'], rows: [['a']] } }),
      'evaluate.slices.rows[0] has 1 items, expected 2'
    ],
    [
      'cluster sizes not matching the clusters',
      section('clustering', { clustering: { clusters: ['a'], sizes: [1, 2] } }),
      'evaluate.clustering.sizes has 2 items, expected 1'
    ],
    [
      'leakage rows as text',
      section('multiclass', { leakage: { status: 'checked', rows: 'some' } }),
      'evaluate.leakage.rows is a string, expected a number'
    ]
  ])('rejects %s with a message naming the field', (_, value, message) => {
    expect(() => parseEvaluation(value)).toThrow(PanelError);
    expect(() => parseEvaluation(value)).toThrow(message);
  });
});
