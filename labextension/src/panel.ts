/**
 * The live panel payload (`application/vnd.mlwork.panel.v1+json`), checked at the boundary.
 *
 * Payloads are untrusted: `parsePanel` accepts only the documented shape (see the module
 * docstring of `mlwork_jupyter/display/panel.py`) and throws a `PanelError` naming the first
 * field that does not fit, so the renderer can say why instead of drawing something wrong.
 */

import * as Validate from './validate';

/** MIME type of a live panel, version 1. */
export const PANEL_MIME_TYPE = 'application/vnd.mlwork.panel.v1+json';

/** Prefix of per-batch series names (`batch/loss`). */
export const BATCH_PREFIX = 'batch/';

/** Where the work stands; every field may be unknown. */
export interface IProgress {
  epoch: number | null;
  epochs: number | null;
  step: number | null;
  steps: number | null;
  etaS: number | null;
  elapsedS: number | null;
}

/** One metric's points as drawn (downsampled); `null` is a missing or non-finite value. */
export interface ISeries {
  name: string;
  unit: string;
  x: number[];
  y: Array<number | null>;
  /** Length of the full series the kernel holds. */
  points: number;
}

/** A table of JSON cells, shown as text. */
export interface ITable {
  columns: string[];
  rows: unknown[][];
}

/** A panel payload, normalised: optional fields are `null` or empty, never absent. */
export interface IPanel {
  kind: string;
  status: string;
  title: string;
  progress: IProgress;
  series: ISeries[];
  final: Array<[string, number | null]>;
  table: ITable | null;
}

/** Raised when a payload does not have the shape of a version 1 panel. */
export class PanelError extends Error {
  override name = 'PanelError';
}

/**
 * Check a payload and return it as a normalised panel.
 *
 * @throws PanelError naming the first field that does not fit.
 */
export function parsePanel(payload: unknown): IPanel {
  const obj = Private.object(payload, 'panel');
  if (obj.version !== 1) {
    throw new PanelError(
      `version is ${Private.describe(obj.version)}, this renderer reads version 1`
    );
  }
  const series = Private.object(obj.series ?? {}, 'series');
  const final = Private.object(obj.final ?? {}, 'final');
  return {
    kind: Private.str(obj, 'kind'),
    status: Private.str(obj, 'status'),
    title: Private.optStr(obj, 'title') ?? '',
    progress: Private.progress(obj.progress),
    series: Object.entries(series).map(([name, value]) => Private.series(name, value)),
    final: Object.entries(final).map(([name, value]): [string, number | null] => [
      name,
      Private.num(value, `final.${name}`)
    ]),
    table: Private.table(obj.table)
  };
}

namespace Private {
  type Obj = Validate.Obj;
  const fail = (message: string): Error => new PanelError(message);

  export const describe = Validate.describe;

  export function object(value: unknown, where: string): Obj {
    return Validate.expectObject(value, where, fail);
  }

  export function str(obj: Obj, key: string, where = key): string {
    return Validate.expectString(obj, key, where, fail);
  }

  export function optStr(obj: Obj, key: string): string | null {
    const value = obj[key];
    return value === undefined || value === null ? null : str(obj, key);
  }

  /** A finite number, or `null` for a missing or non-finite one. */
  export function num(value: unknown, where: string): number | null {
    return Validate.expectNumber(value, where, fail);
  }

  export function progress(value: unknown): IProgress {
    const obj = value === undefined || value === null ? {} : object(value, 'progress');
    const field = (key: string) => num(obj[key], `progress.${key}`);
    return {
      epoch: field('epoch'),
      epochs: field('epochs'),
      step: field('step'),
      steps: field('steps'),
      etaS: field('eta_s'),
      elapsedS: field('elapsed_s')
    };
  }

  function list(value: unknown, where: string): unknown[] {
    return Validate.expectList(value, where, fail);
  }

  export function series(name: string, value: unknown): ISeries {
    const where = `series.${name}`;
    const obj = object(value, where);
    const xs = list(obj.x, `${where}.x`);
    const ys = list(obj.y, `${where}.y`);
    if (xs.length !== ys.length) {
      throw new PanelError(
        `${where} has ${xs.length} x and ${ys.length} y values, expected as many`
      );
    }
    const x = new Array<number>(xs.length);
    const y = new Array<number | null>(ys.length);
    for (let i = 0; i < xs.length; i++) {
      const xi = xs[i];
      if (typeof xi !== 'number' || !Number.isFinite(xi)) {
        throw new PanelError(`${where}.x[${i}] is ${describe(xi)}, expected a number`);
      }
      x[i] = xi;
      const yi = ys[i];
      if (yi === null || (typeof yi === 'number' && Number.isFinite(yi))) {
        y[i] = yi;
      } else if (typeof yi === 'number') {
        y[i] = null;
      } else {
        throw new PanelError(`${where}.y[${i}] is ${describe(yi)}, expected a number`);
      }
    }
    const points = num(obj.points, `${where}.points`);
    return {
      name,
      unit: optStr(obj, 'unit') ?? (name.startsWith(BATCH_PREFIX) ? 'batch' : 'epoch'),
      x,
      y,
      points: points ?? x.length
    };
  }

  export function table(value: unknown): ITable | null {
    if (value === undefined || value === null) {
      return null;
    }
    const obj = object(value, 'table');
    const columns = list(obj.columns, 'table.columns').map((c, i) => {
      if (typeof c !== 'string') {
        throw new PanelError(
          `table.columns[${i}] is ${describe(c)}, expected a string`
        );
      }
      return c;
    });
    const rows = list(obj.rows, 'table.rows').map((row, i) =>
      list(row, `table.rows[${i}]`)
    );
    return { columns, rows };
  }
}
