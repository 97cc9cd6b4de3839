/**
 * Axis ticks for the charts drawn as SVG (histograms, density grids): round values such as
 * 0, 0.5, 1 or 20, 40, 60 inside a range.
 */

/**
 * About `count` round values within `[min, max]`, ascending; `[]` for an empty or
 * non-finite range, `[min]` when `min === max`.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max || count < 1) {
    return [];
  }
  if (min === max) {
    return [min];
  }
  const raw = (max - min) / count;
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  // The round step whose number of intervals is nearest to `count`.
  const span = max - min;
  let step = magnitude;
  for (const factor of [1, 2, 2.5, 5, 10]) {
    const candidate = factor * magnitude;
    if (Math.abs(span / candidate - count) < Math.abs(span / step - count)) {
      step = candidate;
    }
  }
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let i = first; i <= last; i++) {
    // Rounded to the step's decimals, so 0.1 + 0.2 reads 0.3.
    ticks.push(
      Number((i * step).toFixed(Math.max(0, -Math.floor(Math.log10(step)) + 1)))
    );
  }
  return ticks;
}

/** A tick value as short text: `0.25`, `1.5k`, `-3`. */
export function tickText(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) {
    return `${Number((value / 1e6).toPrecision(3))}M`;
  }
  if (abs >= 1e4) {
    return `${Number((value / 1e3).toPrecision(3))}k`;
  }
  return String(Number(value.toPrecision(4)));
}
