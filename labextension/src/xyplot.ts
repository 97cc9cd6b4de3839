/**
 * What an evaluation panel asks of an x/y chart (curves and scatters, each line with its own
 * x values), so the chart library stays in its own lazily loaded chunk.
 */

/** Height of an x/y chart's plot area in CSS pixels. */
export const XY_PLOT_HEIGHT = 220;

/** How a line is drawn. */
export type XYStyle =
  /** Points joined in order (ROC, precision-recall, calibration). */
  | 'line'
  /** Dots only (predicted against actual). */
  | 'points'
  /** A dashed guide that carries no data (chance diagonal, identity, zero). */
  | 'reference';

/** One line of an x/y chart; `x[i]` and `y[i]` are one point, all finite. */
export interface IXYLine {
  label: string;
  style: XYStyle;
  x: number[];
  y: number[];
  /** Shown beside the label in the legend, e.g. `AUC 0.981`; may be empty. */
  note: string;
}

/** One x/y chart, with fixed axis ranges (double-click returns to them). */
export interface IXYChart {
  /** Stable identity across updates (`roc`, `pr`, `calibration`, `scatter`, `residuals`). */
  key: string;
  title: string;
  xLabel: string;
  yLabel: string;
  lines: IXYLine[];
  x: [number, number];
  y: [number, number];
}

/** Callbacks from an x/y plot to the panel. */
export interface IXYPlotHooks {
  /** The point of each line nearest to the cursor (its index), or `null` when it left. */
  onCursor(nearest: Array<number | null> | null): void;
}

/** One drawn x/y chart. */
export interface IXYPlot {
  /** Follow the host's width (CSS pixels); 0 is ignored. */
  resize(width: number): void;
  /** Re-read the theme's colours and draw again. */
  restyle(): void;
  dispose(): void;
}

/** Draws `chart` into `host`. */
export type XYPlotFactory = (
  host: HTMLElement,
  chart: IXYChart,
  hooks: IXYPlotHooks
) => IXYPlot;
