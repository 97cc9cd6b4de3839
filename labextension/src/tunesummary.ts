/**
 * How a search reads in one line: which trial of how many, the best score and its trial, the
 * tuner, and the share of the search done.
 */
import { formatNumber } from './format';
import { findTrial } from './tune';
import type { ITrial, ITune } from './tune';

/** `trial 4 of 5`, `trial 4`, `3 of 5 trials`, `5 trials (1 failed)`. */
export function trialsText(tune: ITune, status: string): string {
  const running = findTrial(tune, tune.running);
  const max = tune.trialsMax;
  const done = tune.trialsDone ?? tune.totalTrials - tune.counts.running;
  let text: string;
  if (tune.running !== null) {
    const n = running?.number ?? done + 1;
    text = max === null ? `trial ${n}` : `trial ${n} of ${max}`;
  } else if (status === 'running' && max !== null) {
    text = `${done} of ${max} trials`;
  } else {
    text = `${done} trial${done === 1 ? '' : 's'}`;
  }
  const failed = [
    [tune.counts.failed, 'failed'],
    [tune.counts.invalid, 'invalid']
  ]
    .filter(([n]) => Number(n) > 0)
    .map(([n, what]) => `${n} ${what}`);
  return failed.length > 0 ? `${text} (${failed.join(', ')})` : text;
}

/** The best score so far and its trial: `best val_accuracy 0.95 · trial 3 (id 02)`. */
export function bestText(tune: ITune): string {
  const name = tune.objective ?? 'score';
  const score = bestScore(tune);
  if (score === null) {
    return `no ${name} yet`;
  }
  const best = findTrial(tune, tune.best);
  const trial =
    best !== null
      ? ` · ${trialName(best)}`
      : tune.best === null
        ? ''
        : ` · id ${tune.best}`;
  return `best ${name} ${formatNumber(score)}${trial}`;
}

/** `trial 3 (id 02)`, or `trial 3` when the id is the number. */
export function trialName(trial: ITrial): string {
  const id = trial.id === String(trial.number) ? '' : ` (id ${trial.id})`;
  return `trial ${trial.number}${id}`;
}

/** The best trial's score, or the last best-so-far value when the trial is not listed. */
export function bestScore(tune: ITune): number | null {
  const best: ITrial | null = findTrial(tune, tune.best);
  if (best?.score !== null && best?.score !== undefined) {
    return best.score;
  }
  const scores = tune.bestSoFar.score.filter((s): s is number => s !== null);
  return tune.best === null ? null : (scores[scores.length - 1] ?? null);
}

/** `keras-tuner · RandomSearch · val_accuracy ↑ · 2 searches`. */
export function tunerText(tune: ITune): string {
  const parts = [tune.library, tune.tuner];
  if (tune.objective !== null) {
    parts.push(`${tune.objective} ${tune.direction === 'max' ? '↑' : '↓'}`);
  } else {
    parts.push(tune.direction === 'max' ? 'higher is better' : 'lower is better');
  }
  if (tune.searches > 1) {
    parts.push(`${tune.searches} searches`);
  }
  return parts.filter(part => part !== '').join(' · ');
}

/** Share of the search done in [0, 1], or `null` when its size is unknown. */
export function searchFraction(tune: ITune, status: string): number | null {
  if (status === 'ok') {
    return 1;
  }
  const max = tune.trialsMax;
  if (max === null || max <= 0) {
    return null;
  }
  const done = tune.trialsDone ?? tune.totalTrials - tune.counts.running;
  return Math.min(Math.max(done / max, 0), 1);
}

/** `units 64 · learning_rate 0.001 · optimizer adam`: a trial's hyper-parameters. */
export function paramsText(trial: ITrial, params: readonly string[]): string {
  const parts: string[] = [];
  for (const name of params) {
    const value = trial.params.get(name);
    if (value !== undefined && value !== null) {
      parts.push(
        `${name} ${typeof value === 'number' ? formatNumber(value) : String(value)}`
      );
    }
  }
  return parts.join(' · ');
}
