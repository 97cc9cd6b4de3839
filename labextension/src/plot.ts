/**
 * What the panel asks of a chart, so the chart library stays in its own lazily loaded chunk,
 * and the one loader of that chunk.
 */
import type { IChart } from './series';
import type { XYPlotFactory } from './xyplot';

/** Height of a chart's plot area in CSS pixels: fixed, so updates never move the layout. */
export const PLOT_HEIGHT = 170;

/** How the user wants the charts drawn. */
export interface IPlotSettings {
  log: boolean;
  /** Smoothing weight in [0, 1). */
  smoothing: number;
  /** Series names the user switched off. */
  hidden: ReadonlySet<string>;
}

/** Callbacks from a plot to the panel. */
export interface IPlotHooks {
  /** The hovered point's index into the chart's x values, or `null` when the cursor left. */
  onCursor(index: number | null): void;
}

/** One drawn chart. */
export interface IPlot {
  /** Show new data in place, keeping the user's zoom. */
  update(chart: IChart, settings: IPlotSettings): void;
  /** Follow the host's width (CSS pixels); 0 (a collapsed output) is ignored. */
  resize(width: number): void;
  /** Re-read the theme's colours and draw again. */
  restyle(): void;
  /** Show the whole x range again. */
  resetZoom(): void;
  /** How many times the chart library built this plot (an update should not). */
  readonly builds: number;
  /** Whether the user has zoomed in. */
  readonly zoomed: boolean;
  dispose(): void;
}

/** Draws `chart` into `host`. */
export type PlotFactory = (
  host: HTMLElement,
  chart: IChart,
  settings: IPlotSettings,
  hooks: IPlotHooks
) => IPlot;

/** What the chart chunk exports. */
export interface IChartModule {
  createPlot: PlotFactory;
  createXYPlot: XYPlotFactory;
}

let charts: Promise<IChartModule> | null = null;

/** The chart module (uPlot and our plots), fetched once as its own chunk. */
export function loadCharts(): Promise<IChartModule> {
  charts ??= import('./chart');
  charts.catch(() => {
    charts = null; // let a later render try again
  });
  return charts;
}
