/**
 * The DOM of a live panel, outside the charts. Every payload string is set with `textContent`.
 */
import { STATUSES, formatDuration, formatNumber, formatValue } from './format';
import type { IPanel, IProgress, ITable } from './panel';
import { compareNames, splitName } from './series';
import type { IChart } from './series';
import { el } from './dom';

/** A panel's frame and header, shared by every panel kind. */
export interface IHeaderNodes {
  root: HTMLElement;
  kind: HTMLElement;
  title: HTMLElement;
  status: HTMLElement;
}

/** The parts of a panel that updates change in place. */
export interface IPanelNodes extends IHeaderNodes {
  bar: HTMLElement;
  fill: HTMLElement;
  progress: HTMLElement;
  log: HTMLInputElement;
  smoothing: HTMLInputElement;
  smoothingValue: HTMLOutputElement;
  batch: HTMLInputElement;
  resetZoom: HTMLButtonElement;
  charts: HTMLElement;
  message: HTMLElement;
  final: HTMLElement;
  table: HTMLElement;
}

/** One chart's figure: caption with legend and hover values, and the plot's host. */
export interface IChartNodes {
  figure: HTMLElement;
  title: HTMLElement;
  position: HTMLElement;
  host: HTMLElement;
  toggles: HTMLInputElement[];
  values: HTMLElement[];
}

/** Build an empty frame with its header; `header` is to be put in `root` by the caller. */
export function headerNodes(): IHeaderNodes & { header: HTMLElement } {
  const root = el('div', 'mlwork-panel');
  root.setAttribute('role', 'group');
  const header = el('div', 'mlwork-panel-header');
  const kind = el('span', 'mlwork-badge mlwork-stage');
  const title = el('span', 'mlwork-panel-title');
  const status = el('span', 'mlwork-badge mlwork-status');
  header.append(kind, title, status);
  return { root, header, kind, title, status };
}

/** Show a panel's kind, title and status; `extra` classes are kept on the frame. */
export function fillHeader(nodes: IHeaderNodes, panel: IPanel, extra = ''): void {
  const status = (STATUSES as readonly string[]).includes(panel.status)
    ? panel.status
    : 'unknown';
  nodes.root.className = `mlwork-panel mlwork-status-${status}${extra ? ` ${extra}` : ''}`;
  nodes.root.dataset.mlworkStatus = status;
  nodes.root.setAttribute(
    'aria-label',
    `mlwork ${panel.kind} panel ${panel.title}: ${panel.status}`
  );
  setText(nodes.kind, panel.kind);
  setText(nodes.title, panel.title);
  setText(nodes.status, panel.status);
  nodes.status.className = `mlwork-badge mlwork-status mlwork-status-${status}`;
}

/** Build an empty panel. */
export function panelNodes(): IPanelNodes {
  const { root, header, kind, title, status } = headerNodes();

  const line = el('div', 'mlwork-panel-progress');
  const bar = el('div', 'mlwork-progress');
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  bar.setAttribute('aria-label', 'Progress');
  const fill = el('div', 'mlwork-progress-fill');
  bar.append(fill);
  const progress = el('span', 'mlwork-progress-text');
  progress.setAttribute('aria-live', 'off');
  line.append(bar, progress);

  const controls = el('div', 'mlwork-panel-controls');
  controls.setAttribute('role', 'toolbar');
  controls.setAttribute('aria-label', 'Chart options');
  // Keys on these controls are theirs (arrows move the slider), not the notebook's shortcuts.
  controls.dataset.lmSuppressShortcuts = 'true';
  controls.addEventListener('keydown', event => {
    event.stopPropagation();
  });
  const log = input('checkbox');
  const smoothing = input('range');
  smoothing.min = '0';
  smoothing.max = '0.99';
  smoothing.step = '0.01';
  smoothing.value = '0';
  const smoothingValue = el('output', 'mlwork-smoothing-value', '0');
  const batch = input('checkbox');
  const resetZoom = el('button', 'mlwork-button', 'Reset zoom');
  resetZoom.type = 'button';
  resetZoom.title = 'Show the whole range (or double-click a chart)';
  controls.append(
    labelled(log, 'log scale'),
    labelled(smoothing, 'smoothing', smoothingValue),
    labelled(batch, 'per batch'),
    resetZoom
  );

  const charts = el('div', 'mlwork-panel-charts');
  const message = el('div', 'mlwork-panel-message');
  const final = el('div', 'mlwork-panel-final');
  const table = el('div', 'mlwork-panel-table');
  root.append(header, line, controls, message, charts, final, table);
  return {
    root,
    kind,
    title,
    status,
    bar,
    fill,
    progress,
    log,
    smoothing,
    smoothingValue,
    batch,
    resetZoom,
    charts,
    message,
    final,
    table
  };
}

/** Show a panel's header, progress and tables (the charts are the widget's). */
export function fillPanel(nodes: IPanelNodes, panel: IPanel): void {
  fillHeader(nodes, panel);

  const fraction = progressFraction(panel.progress, panel.status);
  if (fraction === null) {
    nodes.bar.removeAttribute('aria-valuenow');
    nodes.fill.style.width = '0%';
  } else {
    const percent = Math.round(fraction * 1000) / 10;
    nodes.bar.setAttribute('aria-valuenow', String(percent));
    nodes.fill.style.width = `${percent}%`;
  }
  setText(nodes.progress, progressText(panel.progress));

  const finalTable = finalValues(panel);
  nodes.final.replaceChildren(...(finalTable ? [finalTable] : []));
  const extra = panel.table ? table(panel.table) : null;
  nodes.table.replaceChildren(...(extra ? [extra] : []));
}

/** `epoch 3/20 · step 12/45 · 1.30 s elapsed · ETA 4.20 s` */
export function progressText(progress: IProgress): string {
  const parts: string[] = [];
  if (progress.epoch !== null) {
    parts.push(`epoch ${progress.epoch}${of(progress.epochs)}`);
  }
  if (progress.step !== null) {
    parts.push(`step ${progress.step}${of(progress.steps)}`);
  }
  parts.push(`${formatDuration(progress.elapsedS ?? 0)} elapsed`);
  if (progress.etaS !== null && progress.etaS > 0) {
    parts.push(`ETA ${formatDuration(progress.etaS)}`);
  }
  return parts.join(' · ');
}

/** Share of the work done in [0, 1], or `null` when unknown. */
export function progressFraction(progress: IProgress, status: string): number | null {
  if (status === 'ok') {
    return 1;
  }
  const { epoch, epochs, step, steps } = progress;
  const within = step !== null && steps !== null && steps > 0 ? step / steps : 0;
  let fraction: number | null = null;
  if (epoch !== null && epochs !== null && epochs > 0) {
    fraction = (epoch - 1 + within) / epochs;
  } else if (step !== null && steps !== null && steps > 0) {
    fraction = within;
  }
  return fraction === null ? null : Math.min(Math.max(fraction, 0), 1);
}

/** Build a chart's figure; `height` reserves the plot's room before the library loads. */
export function chartNodes(chart: IChart, height: number): IChartNodes {
  const figure = el('figure', 'mlwork-chart');
  figure.dataset.mlworkChart = chart.key;
  const caption = el('figcaption', 'mlwork-chart-caption');
  const title = el('span', 'mlwork-chart-title', chart.title);
  const position = el('span', 'mlwork-chart-position');
  const legend = el('span', 'mlwork-chart-legend');
  legend.dataset.lmSuppressShortcuts = 'true';
  legend.addEventListener('keydown', event => {
    event.stopPropagation();
  });
  const toggles: HTMLInputElement[] = [];
  const values: HTMLElement[] = [];
  for (const line of chart.lines) {
    const toggle = input('checkbox');
    toggle.checked = true;
    toggle.dataset.mlworkSeries = line.name;
    const swatch = el(
      'span',
      `mlwork-swatch${line.validation ? ' mlwork-swatch-validation' : ''}`
    );
    const name = el('span', 'mlwork-series-name', line.name);
    const value = el('span', 'mlwork-series-value');
    const label = el('label', 'mlwork-series');
    label.title = `Show or hide ${line.name}`;
    label.append(toggle, swatch, name, value);
    legend.append(label);
    toggles.push(toggle);
    values.push(value);
  }
  caption.append(title, position, legend);
  const host = el('div', 'mlwork-plot');
  host.style.height = `${height}px`;
  figure.append(caption, host);
  return { figure, title, position, host, toggles, values };
}

/** Show the values at `index` (the hovered point), or the last values when `null`. */
export function showValues(
  nodes: IChartNodes,
  chart: IChart,
  index: number | null
): void {
  const at = index ?? chart.x.length - 1;
  const x = chart.x[at];
  setText(
    nodes.position,
    index === null || x === undefined ? '' : `${chart.unit} ${formatNumber(x)}`
  );
  chart.lines.forEach((line, i) => {
    let value: number | null | undefined = line.y[at];
    if (index === null) {
      value = lastValue(line.y);
    }
    const node = nodes.values[i];
    if (node) {
      setText(node, value === null || value === undefined ? '–' : formatNumber(value));
    }
  });
}

function lastValue(values: ReadonlyArray<number | null>): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i];
    if (value !== null && value !== undefined) {
      return value;
    }
  }
  return null;
}

function finalValues(panel: IPanel): HTMLElement | null {
  if (panel.final.length === 0) {
    return null;
  }
  const byName = new Map(panel.series.map(s => [s.name, s]));
  const final = [...panel.final].sort(([a], [b]) => compareNames(a, b));
  const rows = final.map(([name, value]) => {
    const finite = (byName.get(name)?.y ?? []).filter((v): v is number => v !== null);
    const cell = (v: number | null) => (v === null ? '–' : formatNumber(v));
    return [
      name,
      cell(value),
      cell(finite.length ? Math.min(...finite) : null),
      cell(finite.length ? Math.max(...finite) : null)
    ];
  });
  const node = table({ columns: ['metric', 'final', 'min', 'max'], rows });
  node.classList.add('mlwork-final-table');
  node.querySelectorAll('tbody tr').forEach((tr, i) => {
    const name = final[i]?.[0] ?? '';
    tr.setAttribute('data-mlwork-metric', name);
    if (splitName(name).validation) {
      tr.classList.add('mlwork-validation');
    }
  });
  return node;
}

/** A table of JSON cells, each written as text (`–` for no value). */
export function table(data: ITable): HTMLTableElement {
  const node = el('table', 'mlwork-table');
  const head = el('tr');
  for (const column of data.columns) {
    const th = el('th', undefined, column);
    th.scope = 'col';
    head.append(th);
  }
  node.createTHead().append(head);
  const body = node.createTBody();
  for (const row of data.rows) {
    const tr = body.insertRow();
    for (const cell of row) {
      tr.insertCell().textContent = cell === null ? '–' : formatValue(cell);
    }
  }
  return node;
}

function of(total: number | null): string {
  return total === null ? '' : `/${total}`;
}

/** Set a node's text, leaving it alone when unchanged (no mutation for observers). */
export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

function input(type: string): HTMLInputElement {
  const node = document.createElement('input');
  node.type = type;
  return node;
}

function labelled(
  control: HTMLElement,
  text: string,
  after?: HTMLElement
): HTMLElement {
  const label = el('label', 'mlwork-control');
  label.append(control, el('span', undefined, text));
  if (after) {
    label.append(after);
  }
  return label;
}
