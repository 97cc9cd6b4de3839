/**
 * The trial table of a tune panel: one row per trial, sortable by any column (the header's
 * buttons, `aria-sort`), the best trial marked. The user's sort survives updates.
 */
import { el } from './dom';
import { formatDuration, formatNumber, formatValue } from './format';
import { TRIAL_STATUSES } from './tune';
import type { ITrial, ITune, ParamValue } from './tune';

/** A column to sort by and its direction. */
export interface ISort {
  /** `number`, `status`, `score`, `duration` or `param:NAME`. */
  key: string;
  descending: boolean;
}

/** Trials read in the order they began until the user picks another column. */
export const DEFAULT_SORT: ISort = { key: 'number', descending: false };

/** The mark of the best trial's row. */
export const BEST_MARK = '★';

/** One column of the table. */
export interface IColumn {
  key: string;
  label: string;
  numeric: boolean;
}

/** The columns of a search: trial, status, score, each hyper-parameter, duration. */
export function trialColumns(tune: ITune): IColumn[] {
  return [
    { key: 'number', label: 'trial', numeric: true },
    { key: 'status', label: 'status', numeric: false },
    { key: 'score', label: tune.objective ?? 'score', numeric: true },
    ...tune.params.map(name => ({ key: `param:${name}`, label: name, numeric: false })),
    { key: 'duration', label: 'duration', numeric: true }
  ];
}

/** The value a trial is sorted by in the column `key`. */
export function sortValue(trial: ITrial, key: string): ParamValue {
  switch (key) {
    case 'number':
      return trial.number;
    case 'status':
      return trial.status;
    case 'score':
      return trial.score;
    case 'duration':
      return trial.durationS;
    default:
      return key.startsWith('param:') ? (trial.params.get(key.slice(6)) ?? null) : null;
  }
}

/**
 * The trials in `sort`'s order; trials without a value come last either way, ties keep the
 * order of trial numbers. Numbers sort before text, text in natural order (`2` before `10`).
 */
export function sortTrials(trials: readonly ITrial[], sort: ISort): ITrial[] {
  const sign = sort.descending ? -1 : 1;
  return [...trials].sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    if (x === null || y === null) {
      return (x === null ? 1 : 0) - (y === null ? 1 : 0) || a.number - b.number;
    }
    return sign * compareValues(x, y) || a.number - b.number;
  });
}

function compareValues(
  x: Exclude<ParamValue, null>,
  y: Exclude<ParamValue, null>
): number {
  if (typeof x === 'number' && typeof y === 'number') {
    return x - y;
  }
  if (typeof x === 'number' || typeof y === 'number') {
    return typeof x === 'number' ? -1 : 1;
  }
  return String(x).localeCompare(String(y), 'en', { numeric: true });
}

/** The table and its note; `update` redraws rows only when the trials or the sort changed. */
export class TrialTable {
  constructor() {
    this.node = el('div', 'mlwork-tune-table');
    const scroll = el('div', 'mlwork-tune-table-scroll');
    this._table = el('table', 'mlwork-table mlwork-trials-table');
    this._head = this._table.createTHead();
    this._body = this._table.createTBody();
    this._note = el('div', 'mlwork-tune-note');
    this._note.hidden = true;
    scroll.append(this._table);
    this.node.append(scroll, this._note);
    // Keys on the sort buttons are theirs (Enter, Space), not the notebook's shortcuts.
    this._head.dataset.lmSuppressShortcuts = 'true';
    this._head.addEventListener('keydown', event => {
      event.stopPropagation();
    });
  }

  readonly node: HTMLElement;

  /** The user's sort. */
  get sort(): ISort {
    return this._sort;
  }

  /** Show `tune`'s trials in the current sort. */
  update(tune: ITune): void {
    this._tune = tune;
    const columns = trialColumns(tune);
    const head = JSON.stringify(columns.map(c => [c.key, c.label]));
    if (!columns.some(c => c.key === this._sort.key)) {
      this._sort = DEFAULT_SORT;
    }
    if (head !== this._headKey) {
      this._headKey = head;
      this._head.replaceChildren(this._headRow(columns));
    }
    this._showSort();
    const body = JSON.stringify([
      this._sort,
      tune.best,
      tune.running,
      tune.trials.map(t => [
        t.id,
        t.number,
        t.status,
        t.score,
        t.durationS,
        t.message,
        tune.params.map(name => t.params.get(name) ?? null)
      ])
    ]);
    if (body !== this._bodyKey) {
      this._bodyKey = body;
      this._fillBody(tune, columns);
    }
    const shown = tune.trials.length;
    this._note.hidden = tune.totalTrials <= shown;
    this._note.textContent = this._note.hidden
      ? ''
      : `showing ${shown} of ${tune.totalTrials} trials: the best and the latest`;
  }

  private _headRow(columns: readonly IColumn[]): HTMLTableRowElement {
    const row = el('tr');
    for (const column of columns) {
      const th = el('th');
      th.scope = 'col';
      th.dataset.mlworkColumn = column.key;
      if (column.numeric) {
        th.classList.add('mlwork-numeric');
      }
      const button = el('button', 'mlwork-sort');
      button.type = 'button';
      button.title = `Sort by ${column.label} (again: the other way)`;
      button.append(
        el('span', 'mlwork-sort-label', column.label),
        el('span', 'mlwork-sort-arrow')
      );
      button.addEventListener('click', () => {
        this._sortBy(column.key);
      });
      th.append(button);
      row.append(th);
    }
    return row;
  }

  private _sortBy(key: string): void {
    this._sort =
      this._sort.key === key
        ? { key, descending: !this._sort.descending }
        : { key, descending: false };
    if (this._tune !== null) {
      this.update(this._tune);
    }
  }

  private _showSort(): void {
    const sort = this._sort;
    this._table.dataset.mlworkSort = `${sort.key}:${sort.descending ? 'desc' : 'asc'}`;
    for (const th of Array.from(this._head.querySelectorAll('th'))) {
      const active = th.dataset.mlworkColumn === sort.key;
      const arrow = th.querySelector('.mlwork-sort-arrow');
      if (active) {
        th.setAttribute('aria-sort', sort.descending ? 'descending' : 'ascending');
      } else {
        th.removeAttribute('aria-sort');
      }
      if (arrow) {
        arrow.textContent = active ? (sort.descending ? '▼' : '▲') : '';
      }
    }
  }

  private _fillBody(tune: ITune, columns: readonly IColumn[]): void {
    const rows = sortTrials(tune.trials, this._sort).map(trial => {
      const tr = el('tr');
      tr.dataset.mlworkTrial = trial.id;
      const status = (TRIAL_STATUSES as readonly string[]).includes(trial.status)
        ? trial.status
        : 'unknown';
      tr.classList.add(`mlwork-trial-${status}`);
      if (trial.id === tune.best) {
        tr.classList.add('mlwork-best');
      }
      if (trial.message !== null) {
        tr.title = trial.message;
      }
      for (const column of columns) {
        tr.append(this._cell(trial, column, tune.best, status));
      }
      return tr;
    });
    this._body.replaceChildren(...rows);
  }

  private _cell(
    trial: ITrial,
    column: IColumn,
    best: string | null,
    status: string
  ): HTMLTableCellElement {
    const td = el('td');
    if (column.numeric) {
      td.classList.add('mlwork-numeric');
    }
    switch (column.key) {
      case 'number': {
        if (trial.id === best) {
          const star = el('span', 'mlwork-best-mark', BEST_MARK);
          star.title = 'best trial';
          td.append(star, ' ');
        }
        td.append(String(trial.number));
        if (trial.id !== String(trial.number)) {
          td.append(' ', el('span', 'mlwork-trial-id', trial.id));
        }
        break;
      }
      case 'status':
        td.append(
          el('span', `mlwork-trial-status mlwork-trial-${status}`, trial.status)
        );
        break;
      case 'score':
        td.textContent = trial.score === null ? '–' : formatNumber(trial.score);
        break;
      case 'duration':
        td.textContent =
          trial.durationS === null
            ? trial.status === 'running'
              ? '…'
              : '–'
            : formatDuration(trial.durationS);
        break;
      default: {
        const value = sortValue(trial, column.key);
        td.textContent = value === null ? '–' : formatValue(value);
        if (typeof value === 'number') {
          td.classList.add('mlwork-numeric');
        }
      }
    }
    return td;
  }

  private readonly _table: HTMLTableElement;
  private readonly _head: HTMLTableSectionElement;
  private readonly _body: HTMLTableSectionElement;
  private readonly _note: HTMLElement;
  private _tune: ITune | null = null;
  private _sort: ISort = DEFAULT_SORT;
  private _headKey = '';
  private _bodyKey = '';
}
