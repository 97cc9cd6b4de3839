/**
 * How evaluation values read: a metric's change against the previous run, and shares.
 */
import { formatNumber } from './format';

/** Whether a change is an improvement, given which way the metric improves. */
export type Tone = 'better' | 'worse' | 'same' | 'unknown';

export function deltaTone(delta: number | null, higherIsBetter: boolean | null): Tone {
  if (delta === null) {
    return 'unknown';
  }
  if (delta === 0) {
    return 'same';
  }
  if (higherIsBetter === null) {
    return 'unknown';
  }
  return delta > 0 === higherIsBetter ? 'better' : 'worse';
}

/** `+0.012 ▲`, `−0.3 ▼`, `±0`, or `–` when there is no previous run. */
export function deltaText(delta: number | null): string {
  if (delta === null) {
    return '–';
  }
  if (delta === 0) {
    return '±0';
  }
  const size = formatNumber(Math.abs(delta));
  return delta > 0 ? `+${size} ▲` : `−${size} ▼`;
}

/** What a delta's tone means, for its tooltip. */
export function deltaTitle(tone: Tone, higherIsBetter: boolean | null): string {
  const direction =
    higherIsBetter === null
      ? ''
      : higherIsBetter
        ? ' (higher is better)'
        : ' (lower is better)';
  switch (tone) {
    case 'better':
      return `better than the previous run${direction}`;
    case 'worse':
      return `worse than the previous run${direction}`;
    case 'same':
      return 'as in the previous run';
    default:
      return 'change against the previous run of this name';
  }
}

/** A share in [0, 1] as a percentage: `93%`, `<1%` for a small non-zero share, `–`. */
export function shareText(share: number | null): string {
  if (share === null) {
    return '–';
  }
  if (share > 0 && share < 0.005) {
    return '<1%';
  }
  if (share < 1 && share > 0.995) {
    return '>99%';
  }
  return `${Math.round(share * 100)}%`;
}
