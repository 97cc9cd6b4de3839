/**
 * The `evaluate` section of an evaluation panel payload (`kind: "evaluate"`), checked at the
 * boundary. The format is documented in `mlwork_jupyter/display/evaluation_panel.py`.
 *
 * `parseEvaluation` accepts only that shape and throws a `PanelError` naming the first field
 * that does not fit (`evaluate.confusion.counts[1][0] is a string, expected a number`).
 */
import { PanelError } from './panel';
import { Checker } from './validate';

/** A table cell as shown: text, a number, or `null` (no value). */
export type Cell = string | number | null;

/** One metric: its value, change against the previous run and best value so far. */
export interface IMetricRow {
  name: string;
  value: number | null;
  delta: number | null;
  best: number | null;
  /** `null` when the payload does not say. */
  higherIsBetter: boolean | null;
}

/** The confusion matrix: rows are true classes, columns predicted ones. */
export interface IConfusion {
  labels: string[];
  counts: Array<Array<number | null>>;
  /** Each row divided by its true class's total (`null` for a class with no rows). */
  normalized: Array<Array<number | null>>;
  classes: number;
  shown: number;
}

/** A table with a label column first (per class, per slice). */
export interface ILabelledTable {
  columns: string[];
  rows: Cell[][];
}

/** One class's one-vs-rest curve. */
export interface ICurve {
  label: string;
  /** The area the curve stands for (ROC AUC, average precision). */
  value: number | null;
  support: number | null;
  x: Array<number | null>;
  y: Array<number | null>;
  /** Points of the full curve (the payload holds a downsampled copy). */
  points: number;
}

/** Reliability curve of a binary classifier, one entry per bin. */
export interface ICalibration {
  meanPredicted: Array<number | null>;
  fractionPositive: Array<number | null>;
  count: number[];
}

/** Up to ~2,000 points, or the counts of a 2-D histogram over many more. */
export type Scatter =
  | { kind: 'points'; x: Array<number | null>; y: Array<number | null> }
  | {
      kind: 'density';
      xEdges: number[];
      yEdges: number[];
      /** `counts[i][j]`: rows with x in bin `i` and y in bin `j`. */
      counts: number[][];
    };

/** Counts of values in bins: `counts[i]` in `[edges[i], edges[i + 1])`. */
export interface IHistogram {
  edges: number[];
  counts: number[];
}

export interface IRegression {
  /** x: true value, y: predicted value. */
  scatter: Scatter;
  /** x: predicted value, y: residual (true − predicted). */
  residuals: Scatter;
  residualHist: IHistogram;
}

export interface IClustering {
  clusters: string[];
  sizes: number[];
  silhouette: Array<number | null> | null;
}

/** Metrics per slice value; `worst` is the row the ranking metric puts last. */
export interface ISlices extends ILabelledTable {
  by: string;
  metric: string | null;
  higherIsBetter: boolean | null;
  worst: number | null;
}

/** The training-overlap check. */
export interface ILeakage {
  /** `not checked`, `checked` or `unavailable`. */
  status: string;
  rows: number;
  examples: number[];
  detail: string;
  warning: string | null;
}

/** The `evaluate` section, normalised: optional parts are `null` or empty, never absent. */
export interface IEvaluation {
  task: string;
  taskReason: string;
  rows: number;
  notes: string[];
  metrics: IMetricRow[];
  confusion: IConfusion | null;
  perClass: ILabelledTable | null;
  roc: ICurve[];
  pr: ICurve[];
  calibration: ICalibration | null;
  regression: IRegression | null;
  clustering: IClustering | null;
  slices: ISlices | null;
  leakage: ILeakage;
}

/**
 * Check the `evaluate` section of a panel payload.
 *
 * @throws PanelError naming the first field that does not fit.
 */
export function parseEvaluation(payload: unknown): IEvaluation {
  const root = new Checker(payload, '', message => new PanelError(message));
  const ev = root.at('evaluate').object();
  const curves = ev.at('curves');
  return {
    task: ev.at('task').string(),
    taskReason: ev.at('task_reason').optString() ?? '',
    rows: ev.at('rows').count(),
    notes: ev.at('notes').absent ? [] : ev.at('notes').strings(),
    metrics: ev.at('metrics').items().map(Private.metric),
    confusion: Private.optional(ev.at('confusion'), Private.confusion),
    perClass: Private.optional(ev.at('per_class'), Private.labelled),
    roc: curves.absent ? [] : Private.curves(curves.at('roc')),
    pr: curves.absent ? [] : Private.curves(curves.at('pr')),
    calibration: curves.absent
      ? null
      : Private.optional(curves.at('calibration'), Private.calibration),
    regression: Private.optional(ev.at('regression'), Private.regression),
    clustering: Private.optional(ev.at('clustering'), Private.clustering),
    slices: Private.optional(ev.at('slices'), Private.slices),
    leakage: Private.leakage(ev.at('leakage'))
  };
}

namespace Private {
  export function optional<T>(field: Checker, read: (field: Checker) => T): T | null {
    return field.absent ? null : read(field);
  }

  export function metric(row: Checker): IMetricRow {
    return {
      name: row.at('name').string(),
      value: row.at('value').number(),
      delta: row.at('delta').number(),
      best: row.at('best').number(),
      higherIsBetter: row.at('higher_is_better').optBoolean()
    };
  }

  /** A `size` × `size` matrix of numbers (or `null`). */
  function matrix(field: Checker, size: number): Array<Array<number | null>> {
    return field
      .sized(size, 'one row per label')
      .items()
      .map(row => row.sized(size, 'one column per label').numbers());
  }

  export function confusion(field: Checker): IConfusion {
    const labels = field.at('labels').strings();
    return {
      labels,
      counts: matrix(field.at('counts'), labels.length),
      normalized: matrix(field.at('normalized'), labels.length),
      classes: field.at('classes').count(),
      shown: field.at('shown').count()
    };
  }

  function cell(field: Checker): Cell {
    return typeof field.value === 'string' ? field.value : field.number();
  }

  export function labelled(field: Checker): ILabelledTable {
    const columns = field.at('columns').strings();
    const rows = field
      .at('rows')
      .items()
      .map(row => row.sized(columns.length, 'one cell per column').items().map(cell));
    return { columns, rows };
  }

  /** Two lists of one length: `x` and `y` of a curve or scatter. */
  function pairs(
    field: Checker,
    xKey: string,
    yKey: string
  ): [Array<number | null>, Array<number | null>] {
    const x = field.at(xKey).numbers();
    const y = field.at(yKey).sized(x.length, `as many as ${xKey}`).numbers();
    return [x, y];
  }

  export function curves(field: Checker): ICurve[] {
    if (field.absent) {
      return [];
    }
    return field.items().map(curve => {
      const [x, y] = pairs(curve, 'x', 'y');
      return {
        label: curve.at('label').string(),
        value: curve.at('value').number(),
        support: curve.at('support').number(),
        x,
        y,
        points: curve.at('points').absent ? x.length : curve.at('points').count()
      };
    });
  }

  export function calibration(field: Checker): ICalibration {
    const [meanPredicted, fractionPositive] = pairs(
      field,
      'mean_predicted',
      'fraction_positive'
    );
    const count = field.at('count').sized(meanPredicted.length, 'one per bin');
    return {
      meanPredicted,
      fractionPositive,
      count: count.items().map(c => c.count())
    };
  }

  /** Bin edges: one more than the bins, finite and ascending. */
  function edges(field: Checker, bins: number): number[] {
    const values = field
      .sized(bins + 1, 'one more than the bins')
      .items()
      .map(item => item.finite());
    values.forEach((value, i) => {
      const before = values[i - 1];
      if (before !== undefined && value < before) {
        throw field.fail(`${field.where}[${i}] is smaller than the edge before it`);
      }
    });
    return values;
  }

  export function scatter(field: Checker): Scatter {
    const kind = field.at('kind').string();
    if (kind === 'points') {
      const [x, y] = pairs(field, 'x', 'y');
      return { kind, x, y };
    }
    if (kind === 'density') {
      const rows = field.at('counts').items();
      const columns = rows[0]?.items().length ?? 0;
      const counts = rows.map(row =>
        row
          .sized(columns, 'as many as the first row')
          .items()
          .map(c => c.count())
      );
      return {
        kind,
        xEdges: edges(field.at('x_edges'), rows.length),
        yEdges: edges(field.at('y_edges'), columns),
        counts
      };
    }
    throw field.fail(
      `${field.where}.kind is '${kind}', expected 'points' or 'density'`
    );
  }

  export function regression(field: Checker): IRegression {
    const hist = field.at('residual_hist');
    const counts = hist
      .at('counts')
      .items()
      .map(c => c.count());
    return {
      scatter: scatter(field.at('scatter')),
      residuals: scatter(field.at('residuals')),
      residualHist: { edges: edges(hist.at('edges'), counts.length), counts }
    };
  }

  export function clustering(field: Checker): IClustering {
    const clusters = field.at('clusters').strings();
    const sizes = field
      .at('sizes')
      .sized(clusters.length, 'one per cluster')
      .items()
      .map(c => c.count());
    const silhouette = field.at('silhouette');
    return {
      clusters,
      sizes,
      silhouette: silhouette.absent
        ? null
        : silhouette.sized(clusters.length, 'one per cluster').numbers()
    };
  }

  export function slices(field: Checker): ISlices {
    const table = labelled(field);
    const worst = field.at('worst').absent ? null : field.at('worst').count();
    if (worst !== null && worst >= table.rows.length) {
      throw field.fail(
        `${field.where}.worst is ${worst}, expected a row number below ${table.rows.length}`
      );
    }
    return {
      ...table,
      by: field.at('by').optString() ?? table.columns[0] ?? 'slice',
      metric: field.at('metric').optString(),
      higherIsBetter: field.at('higher_is_better').optBoolean(),
      worst
    };
  }

  export function leakage(field: Checker): ILeakage {
    if (field.absent) {
      return {
        status: 'not checked',
        rows: 0,
        examples: [],
        detail: '',
        warning: null
      };
    }
    return {
      status: field.at('status').string(),
      rows: field.at('rows').absent ? 0 : field.at('rows').count(),
      examples: field.at('examples').absent
        ? []
        : field
            .at('examples')
            .items()
            .map(c => c.count()),
      detail: field.at('detail').optString() ?? '',
      warning: field.at('warning').optString()
    };
  }
}
