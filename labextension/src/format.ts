/**
 * Short, human-readable text for the values a record carries.
 */

/** Known run statuses; anything else is shown as `unknown` styling with its own text. */
export const STATUSES = ['running', 'ok', 'error', 'interrupted', 'killed'] as const;

/** Leading characters shown for ids, hashes and fingerprints (full value in the tooltip). */
export const SHORT_ID = 8;
export const SHORT_HASH = 12;

/** `1.23 s`, `340 ms`, `2 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 0) {
    return `${seconds} s`;
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  }
  const total = Math.round(seconds);
  if (total < 3600) {
    return `${Math.floor(total / 60)} min ${pad(total % 60)} s`;
  }
  return `${Math.floor(total / 3600)} h ${pad(Math.floor((total % 3600) / 60))} min`;
}

/** `512 B`, `2.7 kB`, `1.2 MB` (decimal units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

/** Integers as they are, other numbers to five significant digits. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) {
    return String(value);
  }
  return String(Number(value.toPrecision(5)));
}

/** Any JSON value as one line of text. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (value === null || value === undefined || typeof value === 'boolean') {
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return typeof value;
  }
}

/** `150 × 5`; `scalar` for an empty shape. */
export function formatShape(shape: number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

/** The first `length` characters, with an ellipsis when something was cut. */
export function shorten(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * The short form of a run id: its last characters, which are random (the first ones encode
 * the time, alike for runs made together). `%mlwork show` accepts it as it is.
 */
export function shortRunId(id: string): string {
  return id.length > SHORT_ID ? `…${id.slice(-SHORT_ID)}` : id;
}
