/**
 * The `tune` section of a tune panel payload (`kind: "tune"`), checked at the boundary.
 *
 * The rest of the payload is a train panel's (`parsePanel`): its series are the epoch curves of
 * the trial running now, or of a final fit outside any trial. `parseTune` accepts only the
 * documented shape and throws a `PanelError` naming the first field that does not fit
 * (`tune.trials[2].params.units is a list, expected a number, a string or true/false`).
 */
import { PanelError } from './panel';
import { Checker, describe } from './validate';

/** A hyper-parameter's value in one trial; `null` when unset or non-finite. */
export type ParamValue = number | string | boolean | null;

/** Trial statuses the view knows; others are shown as they are, with neutral styling. */
export const TRIAL_STATUSES = ['running', 'ok', 'failed', 'invalid'] as const;

/** One trial, as the payload keeps it. */
export interface ITrial {
  id: string;
  /** 1-based, in the cell (across searches). */
  number: number;
  status: string;
  score: number | null;
  bestStep: number | null;
  durationS: number | null;
  /** Seconds from the panel's start to the trial's end. */
  endedS: number | null;
  /** Values by hyper-parameter name (a `Map`: the names are untrusted). */
  params: ReadonlyMap<string, ParamValue>;
  /** A failed or invalid trial's one-line reason. */
  message: string | null;
}

/** Trials by status, over all trials (also those the payload no longer lists). */
export interface ITrialCounts {
  ok: number;
  failed: number;
  invalid: number;
  running: number;
}

/** The best score up to each ended trial with a finite score: three lists of one length. */
export interface IBestSoFar {
  number: Array<number | null>;
  endedS: Array<number | null>;
  score: Array<number | null>;
}

/** The `tune` section, normalised: optional parts are `null` or empty, never absent. */
export interface ITune {
  library: string;
  tuner: string;
  objective: string | null;
  direction: 'max' | 'min';
  searches: number;
  /** Hyper-parameter names, in first-seen order. */
  params: string[];
  /** In the order they began; at most 1,000 (the best and the latest). */
  trials: ITrial[];
  totalTrials: number;
  /** Id of the best ok trial with a finite score. */
  best: string | null;
  /** Id of the trial running now. */
  running: string | null;
  counts: ITrialCounts;
  bestSoFar: IBestSoFar;
  /** One-line reason the search failed. */
  error: string | null;
  /** `progress.trials_done`: ended trials. */
  trialsDone: number | null;
  /** `progress.trials_max`: the most trials the search runs, when known. */
  trialsMax: number | null;
}

/**
 * Check the `tune` section of a panel payload; `null` when the cell ran no search
 * (`tune` is `null` or absent: the panel is then shown as a train panel).
 *
 * @throws PanelError naming the first field that does not fit.
 */
export function parseTune(payload: unknown): ITune | null {
  const root = new Checker(payload, '', message => new PanelError(message));
  const tune = root.at('tune');
  if (tune.absent) {
    return null;
  }
  tune.object();
  const progress = root.at('progress');
  const direction = tune.at('direction').string();
  if (direction !== 'max' && direction !== 'min') {
    throw tune.fail(`tune.direction is '${direction}', expected 'max' or 'min'`);
  }
  const trials = tune.at('trials').items().map(Private.trial);
  const total = tune.at('total_trials');
  const searches = tune.at('searches');
  return {
    library: tune.at('library').string(),
    tuner: tune.at('tuner').string(),
    objective: tune.at('objective').optString(),
    direction,
    searches: searches.absent ? 1 : searches.count(),
    params: tune.at('params').strings(),
    trials,
    totalTrials: total.absent ? trials.length : total.count(),
    best: tune.at('best').optString(),
    running: tune.at('running').optString(),
    counts: Private.counts(tune.at('counts'), trials),
    bestSoFar: Private.bestSoFar(tune.at('best_so_far')),
    error: tune.at('error').optString(),
    trialsDone: progress.absent ? null : progress.at('trials_done').number(),
    trialsMax: progress.absent ? null : progress.at('trials_max').number()
  };
}

/** The trial of `id`, if the payload lists it. */
export function findTrial(tune: ITune, id: string | null): ITrial | null {
  return id === null ? null : (tune.trials.find(trial => trial.id === id) ?? null);
}

namespace Private {
  export function trial(field: Checker): ITrial {
    const params = new Map<string, ParamValue>();
    const values = field.at('params');
    if (!values.absent) {
      for (const name of Object.keys(values.object().value as object)) {
        params.set(name, param(values.at(name)));
      }
    }
    return {
      id: field.at('id').string(),
      number: field.at('number').count(),
      status: field.at('status').string(),
      score: field.at('score').number(),
      bestStep: field.at('best_step').number(),
      durationS: field.at('duration_s').number(),
      endedS: field.at('ended_s').number(),
      params,
      message: field.at('message').optString()
    };
  }

  function param(field: Checker): ParamValue {
    const value = field.value;
    if (typeof value === 'string' || typeof value === 'boolean') {
      return value;
    }
    if (value === null || typeof value === 'number') {
      return field.number();
    }
    throw field.fail(
      `${field.where} is ${describe(value)}, expected a number, a string or true/false`
    );
  }

  export function counts(field: Checker, trials: readonly ITrial[]): ITrialCounts {
    const count = (key: keyof ITrialCounts): number => {
      if (field.absent) {
        return trials.filter(trial => trial.status === key).length;
      }
      const value = field.object().at(key);
      return value.absent ? 0 : value.count();
    };
    return {
      ok: count('ok'),
      failed: count('failed'),
      invalid: count('invalid'),
      running: count('running')
    };
  }

  export function bestSoFar(field: Checker): IBestSoFar {
    if (field.absent) {
      return { number: [], endedS: [], score: [] };
    }
    const number = field.object().at('number').numbers();
    const length = number.length;
    const endedS = field.at('ended_s');
    return {
      number,
      endedS: endedS.absent
        ? number.map(() => null)
        : endedS.sized(length, 'one per point').numbers(),
      score: field.at('score').sized(length, 'one per point').numbers()
    };
  }
}
