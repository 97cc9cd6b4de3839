import { describe, expect, test } from 'vitest';

import { PanelError, parsePanel } from '../src/panel';

function payload(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    kind: 'train',
    status: 'running',
    title: 'digits-mlp',
    progress: {
      epoch: 3,
      epochs: 20,
      step: 12,
      steps: 45,
      eta_s: 4.2,
      elapsed_s: 1.3
    },
    series: {
      loss: { unit: 'epoch', x: [1, 2, 3], y: [0.9, 0.5, null], points: 3 },
      'batch/loss': { unit: 'batch', x: [10, 20], y: [1.2, 1.1], points: 4500 }
    },
    final: { loss: 0.5 },
    table: { columns: ['param', 'value'], rows: [['epochs', 20]] },
    ...changes
  };
}

describe('parsePanel', () => {
  test('reads the documented payload', () => {
    const panel = parsePanel(payload());
    expect(panel.title).toBe('digits-mlp');
    expect(panel.progress).toEqual({
      epoch: 3,
      epochs: 20,
      step: 12,
      steps: 45,
      etaS: 4.2,
      elapsedS: 1.3
    });
    expect(panel.series.map(s => [s.name, s.unit, s.points])).toEqual([
      ['loss', 'epoch', 3],
      ['batch/loss', 'batch', 4500]
    ]);
    expect(panel.series[0]?.y).toEqual([0.9, 0.5, null]);
    expect(panel.final).toEqual([['loss', 0.5]]);
    expect(panel.table).toEqual({
      columns: ['param', 'value'],
      rows: [['epochs', 20]]
    });
  });

  test('optional parts may be missing', () => {
    const panel = parsePanel({ version: 1, kind: 'train', status: 'ok' });
    expect(panel.title).toBe('');
    expect(panel.series).toEqual([]);
    expect(panel.final).toEqual([]);
    expect(panel.table).toBeNull();
    expect(panel.progress.epoch).toBeNull();
  });

  test('a series without unit or points takes them from its name and length', () => {
    const panel = parsePanel(
      payload({
        series: { 'batch/acc': { x: [1], y: [0.5] }, acc: { x: [1], y: [1] } }
      })
    );
    expect(panel.series.map(s => [s.unit, s.points])).toEqual([
      ['batch', 1],
      ['epoch', 1]
    ]);
  });

  test.each([
    ['a string', 'oops', 'panel is a string, expected an object'],
    ['a list', [1], 'panel is a list, expected an object'],
    ['null', null, 'panel is null, expected an object'],
    ['version 2', payload({ version: 2 }), 'version is a number, this renderer reads'],
    [
      'no status',
      payload({ status: undefined }),
      'status is missing, expected a string'
    ],
    [
      'series as a list',
      payload({ series: [] }),
      'series is a list, expected an object'
    ],
    [
      'x and y of different lengths',
      payload({ series: { loss: { x: [1, 2], y: [1] } } }),
      'series.loss has 2 x and 1 y values'
    ],
    [
      'a text value',
      payload({ series: { loss: { x: [1], y: ['1'] } } }),
      'series.loss.y[0] is a string, expected a number'
    ],
    [
      'a missing x',
      payload({ series: { loss: { x: [null], y: [1] } } }),
      'series.loss.x[0] is null, expected a number'
    ],
    [
      'progress text',
      payload({ progress: { epoch: '3' } }),
      'progress.epoch is a string, expected a number'
    ],
    ['final text', payload({ final: { loss: 'low' } }), 'final.loss is a string'],
    [
      'table rows not a list',
      payload({ table: { columns: ['a'], rows: 5 } }),
      'table.rows is a number, expected a list'
    ],
    [
      'a table column not text',
      payload({ table: { columns: [1], rows: [] } }),
      'table.columns[0] is a number, expected a string'
    ]
  ])('rejects %s with a message naming the field', (_, value, message) => {
    expect(() => parsePanel(value)).toThrow(PanelError);
    expect(() => parsePanel(value)).toThrow(message);
  });

  test('non-finite numbers become gaps, never drawn values', () => {
    const panel = parsePanel(
      payload({
        series: { loss: { x: [1, 2], y: [Infinity, NaN] } },
        final: { loss: NaN }
      })
    );
    expect(panel.series[0]?.y).toEqual([null, null]);
    expect(panel.final).toEqual([['loss', null]]);
  });

  test('hostile names are kept as data, verbatim', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const panel = parsePanel(
      payload({ title: evil, series: { [evil]: { x: [1], y: [1] } } })
    );
    expect(panel.title).toBe(evil);
    expect(panel.series[0]?.name).toBe(evil);
  });
});
