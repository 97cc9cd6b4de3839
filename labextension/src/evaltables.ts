/**
 * The tables of an evaluation panel: metrics with their change against the previous run,
 * per-class scores, and metrics per slice with the worst slice marked.
 */
import { el } from './dom';
import type { ILabelledTable, IMetricRow, ISlices } from './evaluation';
import { deltaText, deltaTitle, deltaTone } from './evalformat';
import { formatNumber } from './format';
import { table } from './panelview';

/** metric · value · Δ previous run · best so far. */
export function metricsTable(rows: readonly IMetricRow[]): HTMLTableElement {
  const cell = (v: number | null) => (v === null ? null : formatNumber(v));
  const node = table({
    columns: ['metric', 'value', 'Δ previous', 'best'],
    rows: rows.map(row => [
      row.name,
      cell(row.value),
      deltaText(row.delta),
      cell(row.best)
    ])
  });
  node.classList.add('mlwork-metrics-table', 'mlwork-numeric-table');
  node.querySelectorAll('tbody tr').forEach((tr, i) => {
    const row = rows[i];
    if (row === undefined) {
      return;
    }
    tr.setAttribute('data-mlwork-metric', row.name);
    const tone = deltaTone(row.delta, row.higherIsBetter);
    const delta = tr.children[2];
    if (delta instanceof HTMLElement) {
      delta.classList.add('mlwork-delta', `mlwork-delta-${tone}`);
      delta.title = deltaTitle(tone, row.higherIsBetter);
    }
    if (row.best !== null && row.value === row.best && row.delta !== null) {
      tr.classList.add('mlwork-best');
      tr.children[3]?.setAttribute('title', 'this run is the best so far');
    }
  });
  return node;
}

/** A labelled table (per class); numbers to five significant digits. */
export function labelledTable(data: ILabelledTable): HTMLTableElement {
  const node = table(data);
  node.classList.add('mlwork-numeric-table');
  return node;
}

/** Metrics per slice; the worst slice's row is marked and says so. */
export function slicesTable(slices: ISlices): HTMLTableElement {
  const node = labelledTable(slices);
  node.classList.add('mlwork-slices-table');
  const rank = slices.metric === null ? -1 : slices.columns.indexOf(slices.metric);
  if (rank >= 0) {
    node.tHead?.rows[0]?.cells[rank]?.classList.add('mlwork-rank-column');
  }
  const worst = slices.worst === null ? null : node.tBodies[0]?.rows[slices.worst];
  if (worst) {
    worst.classList.add('mlwork-worst');
    const direction =
      slices.higherIsBetter === null
        ? ''
        : slices.higherIsBetter
          ? 'lowest'
          : 'highest';
    const badge = el('span', 'mlwork-worst-badge', 'worst');
    badge.title = `the ${direction || 'worst'} ${slices.metric ?? 'score'} of all slices`;
    worst.cells[0]?.append(' ', badge);
    if (rank >= 0) {
      worst.cells[rank]?.classList.add('mlwork-worst-value');
    }
  }
  return node;
}
