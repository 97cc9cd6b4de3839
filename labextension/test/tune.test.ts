// The tune section of a panel payload: parsing, and the pure logic of the view (sorting,
// chart data, summary text). The DOM and the charts are tested in a real JupyterLab by
// tests/browser/test_browser_tune.py, whose payloads (tests/browser/tune_payloads.py) this
// one follows.
import { describe, expect, test } from 'vitest';

import { PanelError, parsePanel } from '../src/panel';
import { parseTune } from '../src/tune';
import type { ITune } from '../src/tune';
import {
  bestSoFarCharts,
  logSplits,
  logTickText,
  paramAxis,
  paramCharts,
  stepPoints
} from '../src/tunecharts';
import {
  bestText,
  paramsText,
  searchFraction,
  trialName,
  trialsText,
  tunerText
} from '../src/tunesummary';
import { DEFAULT_SORT, sortTrials, trialColumns } from '../src/tunetable';

type Payload = Record<string, unknown> & { tune: Record<string, unknown> };

function trial(
  number: number,
  status: string,
  score: number | null,
  params: Record<string, unknown>,
  extra: Record<string, unknown> = {}
): Record<string, unknown> {
  return {
    id: String(number - 1).padStart(2, '0'),
    number,
    status,
    score,
    best_step: score === null ? null : 2,
    duration_s: status === 'running' ? null : number + 0.5,
    ended_s: status === 'running' ? null : number * 2,
    params,
    message: status === 'failed' ? 'ValueError: units must be positive' : null,
    ...extra
  };
}

/** A running search: trial 2 failed, trial 3 the best, trial 4 running. */
function payload(changes: Record<string, unknown> = {}): Payload {
  return {
    version: 1,
    kind: 'tune',
    status: 'running',
    title: 'mnist-search',
    progress: {
      epoch: 2,
      epochs: 3,
      step: 10,
      steps: 45,
      elapsed_s: 12.3,
      eta_s: 8,
      trials_done: 3,
      trials_max: 5
    },
    series: { loss: { x: [1, 2], y: [0.5, 0.4] } },
    final: {},
    tune: {
      library: 'keras-tuner',
      tuner: 'RandomSearch',
      objective: 'val_accuracy',
      direction: 'max',
      searches: 1,
      params: ['units', 'learning_rate', 'optimizer'],
      trials: [
        trial(1, 'ok', 0.91, { units: 64, learning_rate: 0.001, optimizer: 'adam' }),
        trial(2, 'failed', null, { units: 0, learning_rate: 0.1, optimizer: 'sgd' }),
        trial(3, 'ok', 0.95, { units: 256, learning_rate: 0.0001, optimizer: 'adam' }),
        trial(4, 'running', null, { units: 32, learning_rate: 0.01, optimizer: 'sgd' })
      ],
      total_trials: 4,
      best: '02',
      running: '03',
      counts: { ok: 2, failed: 1, invalid: 0, running: 1 },
      best_so_far: { number: [1, 3], ended_s: [2, 6], score: [0.91, 0.95] },
      error: null,
      ...changes
    }
  };
}

function parse(changes: Record<string, unknown> = {}): ITune {
  const tune = parseTune(payload(changes));
  if (tune === null) {
    throw new Error('expected a search');
  }
  return tune;
}

function withTrial(index: number, changes: Record<string, unknown>): Payload {
  const p = payload();
  const trials = p.tune.trials as Array<Record<string, unknown>>;
  trials[index] = { ...trials[index], ...changes };
  return p;
}

describe('parseTune', () => {
  test('reads the documented payload', () => {
    const tune = parse();
    expect(tune).toMatchObject({
      library: 'keras-tuner',
      tuner: 'RandomSearch',
      objective: 'val_accuracy',
      direction: 'max',
      searches: 1,
      params: ['units', 'learning_rate', 'optimizer'],
      totalTrials: 4,
      best: '02',
      running: '03',
      counts: { ok: 2, failed: 1, invalid: 0, running: 1 },
      error: null,
      trialsDone: 3,
      trialsMax: 5
    });
    expect(tune.trials.map(t => [t.id, t.number, t.status, t.score])).toEqual([
      ['00', 1, 'ok', 0.91],
      ['01', 2, 'failed', null],
      ['02', 3, 'ok', 0.95],
      ['03', 4, 'running', null]
    ]);
    expect(tune.trials[1]?.message).toBe('ValueError: units must be positive');
    expect(tune.trials[3]?.durationS).toBeNull();
    expect(Object.fromEntries(tune.trials[0]?.params ?? [])).toEqual({
      units: 64,
      learning_rate: 0.001,
      optimizer: 'adam'
    });
    expect(tune.bestSoFar).toEqual({
      number: [1, 3],
      endedS: [2, 6],
      score: [0.91, 0.95]
    });
    // The rest is a train panel's: the running trial's curves.
    expect(parsePanel(payload()).series.map(s => s.name)).toEqual(['loss']);
  });

  test('a cell that ran no search has no tune section', () => {
    expect(parseTune({ ...payload(), tune: null })).toBeNull();
    const missing: Record<string, unknown> = payload();
    delete missing.tune;
    expect(parseTune(missing)).toBeNull();
  });

  test('what the schema lets be null may be null or missing', () => {
    const tune = parse({
      objective: null,
      best: null,
      running: null,
      error: null,
      searches: undefined,
      total_trials: undefined,
      counts: undefined,
      best_so_far: { number: [1], ended_s: [null], score: [0.9] },
      trials: [
        trial(
          1,
          'ok',
          0.9,
          { units: null, flag: true, rate: Infinity },
          {
            best_step: null,
            ended_s: null
          }
        )
      ]
    });
    expect(tune.objective).toBeNull();
    expect(tune.searches).toBe(1);
    expect(tune.totalTrials).toBe(1);
    expect(tune.counts).toEqual({ ok: 1, failed: 0, invalid: 0, running: 0 });
    expect(tune.bestSoFar.endedS).toEqual([null]);
    expect(tune.trials[0]?.params.get('units')).toBeNull();
    expect(tune.trials[0]?.params.get('flag')).toBe(true);
    expect(tune.trials[0]?.params.get('rate')).toBeNull();
    const p = payload();
    p.progress = null;
    expect(parseTune(p)?.trialsMax).toBeNull();
  });

  test('hostile names and values are kept as data, verbatim', () => {
    const evil = '<img src=x onerror=alert(1)>';
    // As JSON.parse makes it: `__proto__` an own key, not the prototype.
    const params: unknown = JSON.parse(
      `{"__proto__": 1, ${JSON.stringify(evil)}: "x"}`
    );
    const tune = parseTune(withTrial(0, { id: evil, message: evil, params }));
    expect(tune?.trials[0]?.id).toBe(evil);
    expect(tune?.trials[0]?.params.get(evil)).toBe('x');
    expect(tune?.trials[0]?.params.get('__proto__')).toBe(1);
    expect(tune?.trials[0]?.message).toBe(evil);
  });

  test.each([
    ['a list', { ...payload(), tune: [] }, 'tune is a list, expected an object'],
    [
      'no library',
      payload({ library: undefined }),
      'tune.library is missing, expected a string'
    ],
    [
      'an unknown direction',
      payload({ direction: 'up' }),
      "tune.direction is 'up', expected 'max' or 'min'"
    ],
    [
      'params not text',
      payload({ params: ['units', 3] }),
      'tune.params[1] is a number, expected a string'
    ],
    [
      'trials not a list',
      payload({ trials: 4 }),
      'tune.trials is a number, expected a list'
    ],
    [
      'a trial without id',
      withTrial(1, { id: 7 }),
      'tune.trials[1].id is a number, expected a string'
    ],
    [
      'a trial number below zero',
      withTrial(2, { number: -1 }),
      'tune.trials[2].number is -1, expected a count'
    ],
    [
      'a score as text',
      withTrial(0, { score: 'high' }),
      'tune.trials[0].score is a string, expected a number'
    ],
    [
      'a parameter value as a list',
      withTrial(0, { params: { units: [64] } }),
      'tune.trials[0].params.units is a list, expected a number, a string or true/false'
    ],
    [
      'params as a list',
      withTrial(3, { params: [] }),
      'tune.trials[3].params is a list, expected an object'
    ],
    [
      'a message not text',
      withTrial(1, { message: 404 }),
      'tune.trials[1].message is a number, expected a string'
    ],
    [
      'counts as text',
      payload({ counts: { ok: 'two' } }),
      'tune.counts.ok is a string, expected a number'
    ],
    [
      'best so far of different lengths',
      payload({ best_so_far: { number: [1, 2], ended_s: [1, 2], score: [0.9] } }),
      'tune.best_so_far.score has 1 items, expected 2 (one per point)'
    ],
    [
      'an error not text',
      payload({ error: ['x'] }),
      'tune.error is a list, expected a string'
    ],
    [
      'trials done as text',
      { ...payload(), progress: { trials_done: '3' } },
      'progress.trials_done is a string, expected a number'
    ]
  ])('rejects %s with a message naming the field', (_, value, message) => {
    expect(() => parseTune(value)).toThrow(PanelError);
    expect(() => parseTune(value)).toThrow(message);
  });
});

describe('trial table order', () => {
  const numbers = (tune: ITune, key: string, descending: boolean) =>
    sortTrials(tune.trials, { key, descending }).map(t => t.number);

  test('by number first; trials without a value last either way', () => {
    const tune = parse();
    expect(numbers(tune, DEFAULT_SORT.key, false)).toEqual([1, 2, 3, 4]);
    expect(numbers(tune, 'score', false)).toEqual([1, 3, 2, 4]);
    expect(numbers(tune, 'score', true)).toEqual([3, 1, 2, 4]);
    expect(numbers(tune, 'duration', true)).toEqual([3, 2, 1, 4]);
    expect(numbers(tune, 'param:units', false)).toEqual([2, 4, 1, 3]);
    expect(numbers(tune, 'param:optimizer', true)).toEqual([2, 4, 1, 3]);
    expect(numbers(tune, 'status', false)).toEqual([2, 1, 3, 4]);
  });

  test('numbers before text, text in natural order', () => {
    const tune = parseTune({
      ...payload(),
      tune: {
        ...payload().tune,
        trials: [
          trial(1, 'ok', 1, { layers: 'conv10' }),
          trial(2, 'ok', 1, { layers: 'conv2' }),
          trial(3, 'ok', 1, { layers: 7 }),
          trial(4, 'ok', 1, {})
        ]
      }
    });
    expect(tune && numbers(tune, 'param:layers', false)).toEqual([3, 2, 1, 4]);
  });

  test('columns: trial, status, score (named by the objective), each parameter, duration', () => {
    expect(trialColumns(parse()).map(c => c.label)).toEqual([
      'trial',
      'status',
      'val_accuracy',
      'units',
      'learning_rate',
      'optimizer',
      'duration'
    ]);
    expect(trialColumns(parse({ objective: null }))[2]?.label).toBe('score');
  });
});

describe('tune charts', () => {
  test('the best so far holds until the next best, drawn up to the last trial', () => {
    expect(stepPoints([1, 3], [0.91, 0.95], 4)).toEqual({
      x: [1, 3, 3, 4],
      y: [0.91, 0.91, 0.95, 0.95]
    });
    expect(stepPoints([3, 1], [0.95, 0.91])).toEqual({
      x: [1, 3, 3],
      y: [0.91, 0.91, 0.95]
    });
    expect(stepPoints([], [])).toEqual({ x: [], y: [] });
  });

  test('against trial number and wall time, a dot per scored trial, the best marked', () => {
    const [byNumber, byTime] = bestSoFarCharts(parse());
    expect(byNumber?.key).toBe('best-number');
    expect(byNumber?.dots).toMatchObject({
      x: [1, 3],
      y: [0.91, 0.95],
      ids: ['00', '02']
    });
    expect(byNumber?.best).toEqual({ x: 3, y: 0.95 });
    expect(byNumber?.x).toEqual([0.5, 3.5]);
    expect(byNumber?.yLabel).toBe('val_accuracy');
    expect(byTime?.key).toBe('best-time');
    expect(byTime?.step).toEqual({ x: [2, 6, 6], y: [0.91, 0.91, 0.95] });
    expect(byTime?.best).toEqual({ x: 6, y: 0.95 });
  });

  test('no chart before a trial scores; no time chart without end times', () => {
    expect(
      bestSoFarCharts(
        parse({ trials: [], best: null, best_so_far: { number: [], score: [] } })
      )
    ).toEqual([]);
    const charts = bestSoFarCharts(
      parse({
        trials: [trial(1, 'ok', 0.5, {}, { ended_s: null })],
        best_so_far: { number: [1], ended_s: [null], score: [0.5] }
      })
    );
    expect(charts.map(c => c.key)).toEqual(['best-number']);
  });

  test('numeric parameters on a numeric axis, log when they span 100× or more', () => {
    expect(paramAxis([16, 64, 512]).scale).toBe('linear');
    expect(paramAxis([16, 64, 512]).integer).toBe(true);
    const log = paramAxis([0.0001, 0.001, 0.01]);
    expect(log.scale).toBe('log');
    expect(log.range[0]).toBeGreaterThan(0);
    expect(log.range[0]).toBeLessThan(0.0001);
    expect(paramAxis([0, 1, 1000]).scale).toBe('linear'); // zero has no logarithm
    expect(paramAxis([1, 99]).scale).toBe('linear');
    expect(paramAxis([1, 100]).scale).toBe('log');
  });

  test('text, true/false and mixed values are categories', () => {
    const axis = paramAxis(['sgd', 'adam', null, 'sgd', 'rmsprop']);
    expect(axis.scale).toBe('category');
    expect(axis.categories).toEqual(['adam', 'rmsprop', 'sgd']);
    expect(axis.position('sgd')).toBe(2);
    expect(axis.position(null)).toBeNull();
    expect(axis.range).toEqual([-0.5, 2.5]);
    expect(paramAxis([true, false]).categories).toEqual(['false', 'true']);
    expect(paramAxis([3, 'auto']).categories).toEqual(['3', 'auto']);
  });

  test('one scatter per parameter, scored trials only, the best marked, eight at most', () => {
    const charts = paramCharts(parse());
    expect(charts.map(c => [c.key, c.xScale])).toEqual([
      ['param:units', 'linear'],
      ['param:learning_rate', 'linear'],
      ['param:optimizer', 'category']
    ]);
    expect(charts[0]?.dots.x).toEqual([64, 256]);
    expect(charts[0]?.best).toEqual({ x: 256, y: 0.95 });
    expect(charts[2]?.categories).toEqual(['adam']);
    const many = Array.from({ length: 12 }, (_, i) => `p${i}`);
    const params = Object.fromEntries(many.map((name, i) => [name, i]));
    const wide = parse({ params: many, trials: [trial(1, 'ok', 0.5, params)] });
    expect(paramCharts(wide).map(c => c.title)).toEqual(many.slice(0, 8));
  });
});

describe('tune summary', () => {
  test('which trial of how many', () => {
    expect(trialsText(parse(), 'running')).toBe('trial 4 of 5 (1 failed)');
    const between = parse({ running: null, counts: { ok: 2, failed: 0, running: 0 } });
    expect(trialsText(between, 'running')).toBe('3 of 5 trials');
    expect(trialsText(between, 'ok')).toBe('3 trials');
    const p = payload({ running: null, counts: { ok: 1 } });
    p.progress = { trials_done: 1, trials_max: null };
    const one = parseTune(p);
    expect(one && trialsText(one, 'ok')).toBe('1 trial');
  });

  test('the best score with its trial, the tuner, the share done', () => {
    expect(bestText(parse())).toBe('best val_accuracy 0.95 · trial 3 (id 02)');
    expect(bestText(parse({ best: null, objective: null }))).toBe('no score yet');
    expect(tunerText(parse())).toBe('keras-tuner · RandomSearch · val_accuracy ↑');
    expect(tunerText(parse({ objective: null, direction: 'min', searches: 2 }))).toBe(
      'keras-tuner · RandomSearch · lower is better · 2 searches'
    );
    expect(searchFraction(parse(), 'running')).toBe(0.6);
    expect(searchFraction(parse(), 'ok')).toBe(1);
    const trials = parse().trials;
    expect(trials[3] && trialName(trials[3])).toBe('trial 4 (id 03)');
    expect(trials[3] && paramsText(trials[3], parse().params)).toBe(
      'units 32 · learning_rate 0.01 · optimizer sgd'
    );
  });
});

describe('log axis ticks', () => {
  test('powers of ten, with 2× and 5× inside a single decade', () => {
    expect(logSplits(0.00007, 0.04)).toEqual([0.0001, 0.001, 0.01]);
    expect(logSplits(15, 600)).toEqual([20, 50, 100, 200, 500]);
    expect(logSplits(1, 1e12)).toEqual([1, 1e3, 1e6, 1e9, 1e12]);
    expect(logSplits(0, 1)).toEqual([]);
  });

  test('short labels, exponents for the very small and large', () => {
    expect([0.0001, 0.0002, 0.001, 0.5, 500, 1e6].map(logTickText)).toEqual([
      '1e-4',
      '2e-4',
      '0.001',
      '0.5',
      '500',
      '1e6'
    ]);
  });
});
