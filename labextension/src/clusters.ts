/**
 * Clusters as a table of bars: rows per cluster, and each cluster's mean silhouette on a
 * scale from −1 to 1 (bars left of the middle are negative). Plain DOM, labels as text.
 */
import { el } from './dom';
import type { IClustering } from './evaluation';
import { formatNumber } from './format';

/** Where a bar starts and how wide it is, in percent of its track. */
export interface IBarGeometry {
  left: number;
  width: number;
}

/** A bar for `value` on a track from 0 to `max`. */
export function sizeBar(value: number, max: number): IBarGeometry {
  return { left: 0, width: max > 0 ? (Math.max(value, 0) / max) * 100 : 0 };
}

/** A bar for `value` on a track from −1 to 1, drawn from the middle. */
export function divergingBar(value: number): IBarGeometry {
  const v = Math.min(Math.max(value, -1), 1);
  return v < 0 ? { left: 50 + v * 50, width: -v * 50 } : { left: 50, width: v * 50 };
}

function bar(
  geometry: IBarGeometry,
  className: string,
  diverging: boolean
): HTMLElement {
  const track = el(
    'span',
    `mlwork-bar-track${diverging ? ' mlwork-bar-diverging' : ''}`
  );
  const fill = el('span', `mlwork-bar ${className}`);
  fill.style.left = `${geometry.left.toFixed(2)}%`;
  fill.style.width = `${geometry.width.toFixed(2)}%`;
  track.append(fill);
  return track;
}

/** cluster · rows (bar) · silhouette (bar), one row per cluster. */
export function clustersTable(clustering: IClustering): HTMLTableElement {
  const node = el('table', 'mlwork-table mlwork-clusters-table');
  const head = el('tr');
  const columns = ['cluster', 'rows'];
  if (clustering.silhouette !== null) {
    columns.push('silhouette');
  }
  for (const column of columns) {
    const th = el('th', undefined, column);
    th.scope = 'col';
    head.append(th);
  }
  node.createTHead().append(head);
  const body = node.createTBody();
  const max = clustering.sizes.reduce((a, b) => Math.max(a, b), 0);
  const total = clustering.sizes.reduce((sum, n) => sum + n, 0);
  clustering.clusters.forEach((cluster, i) => {
    const tr = body.insertRow();
    tr.dataset.mlworkCluster = cluster;
    tr.insertCell().textContent = cluster;
    const size = clustering.sizes[i] ?? 0;
    const sizeCell = tr.insertCell();
    sizeCell.className = 'mlwork-bar-cell';
    sizeCell.title = `${size} of ${total} rows`;
    sizeCell.append(
      bar(sizeBar(size, max), 'mlwork-bar-size', false),
      el('span', 'mlwork-bar-value', String(size))
    );
    if (clustering.silhouette !== null) {
      const value = clustering.silhouette[i] ?? null;
      const cell = tr.insertCell();
      cell.className = 'mlwork-bar-cell';
      if (value === null) {
        cell.append(el('span', 'mlwork-bar-value', '–'));
      } else {
        const tone = value < 0 ? 'mlwork-bar-negative' : 'mlwork-bar-positive';
        cell.append(
          bar(divergingBar(value), tone, true),
          el('span', 'mlwork-bar-value', formatNumber(Number(value.toFixed(4))))
        );
      }
    }
  });
  return node;
}
