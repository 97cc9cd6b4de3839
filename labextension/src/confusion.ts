/**
 * The confusion matrix as a heatmap table (rows: true class, columns: predicted class) with
 * a counts / normalised toggle. Labels are payload text: set with `textContent` only.
 */
import { el } from './dom';
import type { IConfusion } from './evaluation';
import { shareText } from './evalformat';
import { formatNumber } from './format';

/** What the cells show: counts, or each row divided by its true class's total. */
export type HeatMode = 'counts' | 'normalized';

/** Labels longer than this, or more classes than `UPRIGHT_CLASSES`, turn column heads. */
const UPRIGHT_LABEL = 10;
const UPRIGHT_CLASSES = 8;

/**
 * The shade of each cell in [0, 1]: counts against the largest count, shares as they are.
 */
export function heatShares(
  matrix: IConfusion,
  mode: HeatMode
): Array<Array<number | null>> {
  if (mode === 'normalized') {
    return matrix.normalized.map(row =>
      row.map(v => (v === null ? null : Math.min(Math.max(v, 0), 1)))
    );
  }
  let max = 0;
  for (const row of matrix.counts) {
    for (const v of row) {
      if (v !== null && v > max) {
        max = v;
      }
    }
  }
  return matrix.counts.map(row =>
    row.map(v => (v === null ? null : max > 0 ? Math.max(v, 0) / max : 0))
  );
}

/** A heatmap whose cells switch between counts and shares in place. */
export class ConfusionView {
  constructor(matrix: IConfusion, mode: HeatMode, group: string) {
    this._matrix = matrix;
    this.node = el('div', 'mlwork-confusion');
    this.node.append(this._toggle(mode, group), this._table());
    this.setMode(mode);
  }

  /** The heatmap and its toggle. */
  readonly node: HTMLElement;

  /** Called when the user switches the mode. */
  onModeChange: ((mode: HeatMode) => void) | null = null;

  setMode(mode: HeatMode): void {
    const matrix = this._matrix;
    const shares = heatShares(matrix, mode);
    this.node.dataset.mlworkMode = mode;
    this._cells.forEach((row, i) => {
      row.forEach((cell, j) => {
        const count = matrix.counts[i]?.[j] ?? null;
        const share = matrix.normalized[i]?.[j] ?? null;
        const shade = shares[i]?.[j] ?? null;
        cell.textContent =
          mode === 'counts'
            ? count === null
              ? '–'
              : formatNumber(count)
            : shareText(share);
        cell.style.setProperty('--mlwork-heat', String(shade ?? 0));
        cell.classList.toggle('mlwork-heat-strong', (shade ?? 0) > 0.5);
        const truth = matrix.labels[i] ?? '';
        const predicted = matrix.labels[j] ?? '';
        cell.title =
          `true ${truth}, predicted ${predicted}: ` +
          `${count === null ? '–' : formatNumber(count)} (${shareText(share)} of ${truth})`;
      });
    });
    for (const [value, radio] of this._radios) {
      radio.checked = value === mode;
    }
  }

  private _toggle(mode: HeatMode, group: string): HTMLElement {
    const toggle = el('div', 'mlwork-panel-controls mlwork-heat-toggle');
    toggle.setAttribute('role', 'radiogroup');
    toggle.setAttribute('aria-label', 'Confusion matrix values');
    // Arrow keys move between the choices here, not between notebook cells.
    toggle.dataset.lmSuppressShortcuts = 'true';
    toggle.addEventListener('keydown', event => {
      event.stopPropagation();
    });
    const choices: Array<[HeatMode, string]> = [
      ['counts', 'counts'],
      ['normalized', 'normalised by true class']
    ];
    for (const [value, text] of choices) {
      const radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = group;
      radio.value = value;
      radio.checked = value === mode;
      radio.addEventListener('change', () => {
        if (radio.checked) {
          this.setMode(value);
          this.onModeChange?.(value);
        }
      });
      const label = el('label', 'mlwork-control');
      label.append(radio, el('span', undefined, text));
      toggle.append(label);
      this._radios.set(value, radio);
    }
    return toggle;
  }

  private _table(): HTMLElement {
    const labels = this._matrix.labels;
    const upright =
      labels.length > UPRIGHT_CLASSES || labels.some(l => l.length > UPRIGHT_LABEL);
    const table = el('table', 'mlwork-heatmap');
    if (upright) {
      table.classList.add('mlwork-heatmap-upright');
    }
    const head = el('tr');
    const corner = el('th', 'mlwork-heatmap-corner', 'true ╲ predicted');
    corner.scope = 'col';
    head.append(corner);
    for (const label of labels) {
      const th = el('th', 'mlwork-heatmap-label');
      th.scope = 'col';
      th.title = `predicted ${label}`;
      th.append(el('span', undefined, label));
      head.append(th);
    }
    table.createTHead().append(head);
    const body = table.createTBody();
    labels.forEach((label, i) => {
      const tr = body.insertRow();
      const th = el('th', 'mlwork-heatmap-label', label);
      th.scope = 'row';
      th.title = `true ${label}`;
      tr.append(th);
      const row: HTMLElement[] = [];
      labels.forEach((_, j) => {
        const td = tr.insertCell();
        td.className =
          i === j ? 'mlwork-heat-cell mlwork-heat-diagonal' : 'mlwork-heat-cell';
        row.push(td);
      });
      this._cells.push(row);
    });
    const wrap = el('div', 'mlwork-heatmap-wrap');
    wrap.append(table);
    return wrap;
  }

  private readonly _matrix: IConfusion;
  private readonly _cells: HTMLElement[][] = [];
  private readonly _radios = new Map<HeatMode, HTMLInputElement>();
}
