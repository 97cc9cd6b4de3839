/**
 * What a tune panel asks of its small charts (best score so far, hyper-parameter against
 * score), and the one loader of their lazily fetched chunk (uPlot and `tuneplot.ts`).
 */

/** Height of a tune chart's plot area in CSS pixels: fixed, so updates never move the layout. */
export const TUNE_PLOT_HEIGHT = 150;

/** How the x axis maps values: as they are, by powers of ten, or one slot per category. */
export type TuneScale = 'linear' | 'log' | 'category';

/** Points of one kind; `x[i]`, `y[i]` are one point, all finite. */
export interface ITunePoints {
  x: number[];
  y: number[];
}

/** One tune chart: a dot per trial, the best one marked, and optionally a best-so-far line. */
export interface ITuneChart {
  /** Stable identity across updates (`best-number`, `best-time`, `param:NAME`). */
  key: string;
  title: string;
  xLabel: string;
  yLabel: string;
  xScale: TuneScale;
  /** Labels of the category slots 0, 1, …; empty unless `xScale` is `category`. */
  categories: string[];
  /** Whether x values are whole numbers (trial numbers): ticks only on them. */
  integer: boolean;
  x: [number, number];
  y: [number, number];
  /** The best-so-far staircase, or `null`. */
  step: ITunePoints | null;
  /** One dot per scored trial; `ids[i]` names the trial of point `i`. */
  dots: ITunePoints & { ids: string[]; labels: string[] };
  /** The best trial's point, drawn on top. */
  best: { x: number; y: number } | null;
}

/** Callbacks from a tune plot to the view. */
export interface ITunePlotHooks {
  /** The dot nearest to the cursor (its index into `dots`), or `null` when it left. */
  onCursor(index: number | null): void;
}

/** One drawn tune chart. */
export interface ITunePlot {
  /** Show new data in place (rebuilds only when the axis kind or categories changed). */
  update(chart: ITuneChart): void;
  /** Follow the host's width (CSS pixels); 0 is ignored. */
  resize(width: number): void;
  /** Re-read the theme's colours and draw again. */
  restyle(): void;
  /** How many times the chart library built this plot (an update should not). */
  readonly builds: number;
  dispose(): void;
}

/** Draws `chart` into `host`. */
export type TunePlotFactory = (
  host: HTMLElement,
  chart: ITuneChart,
  hooks: ITunePlotHooks
) => ITunePlot;

/** What the tune chart chunk exports. */
export interface ITuneChartModule {
  createTunePlot: TunePlotFactory;
}

let module: Promise<ITuneChartModule> | null = null;

/** The tune chart module, fetched once as its own chunk (it shares uPlot with the others). */
export function loadTunePlots(): Promise<ITuneChartModule> {
  module ??= import('./tuneplot');
  module.catch(() => {
    module = null; // let a later render try again
  });
  return module;
}
