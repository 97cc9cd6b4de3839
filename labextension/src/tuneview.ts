/**
 * The tune panel (`kind: "tune"`): a train panel's frame, progress, controls and epoch charts
 * (drawn by `RenderedPanel` as for a train panel, here the running trial's), with the search
 * around them: a summary line, the error, the best score so far, the trial table and one
 * scatter per hyper-parameter. Every payload string is set with `textContent`.
 */
import { el } from './dom';
import { formatDuration } from './format';
import type { IPanel } from './panel';
import { setText } from './panelview';
import type { IPanelNodes } from './panelview';
import { findTrial } from './tune';
import type { ITune } from './tune';
import { MAX_PARAM_CHARTS, bestSoFarCharts, paramCharts } from './tunecharts';
import {
  bestText,
  paramsText,
  searchFraction,
  trialName,
  trialsText,
  tunerText
} from './tunesummary';
import { TuneFigures } from './tunefigures';
import { TrialTable } from './tunetable';

/** Adds a search's views to a panel's nodes; `dispose` gives the nodes back as they were. */
export class TuneView {
  constructor(nodes: IPanelNodes) {
    this._nodes = nodes;
    this._figures = new TuneFigures(nodes.root);
    const part = (key: string) => {
      const node = el('span', 'mlwork-tune-part');
      node.dataset.mlworkPart = key;
      return node;
    };
    this._parts = {
      trials: part('trials'),
      elapsed: part('elapsed'),
      eta: part('eta'),
      best: part('best')
    };
    this._bar = el('div', 'mlwork-progress');
    this._bar.setAttribute('role', 'progressbar');
    this._bar.setAttribute('aria-valuemin', '0');
    this._bar.setAttribute('aria-valuemax', '100');
    this._bar.setAttribute('aria-label', 'Trials done');
    this._fill = el('div', 'mlwork-progress-fill');
    this._bar.append(this._fill);
    const text = el('span', 'mlwork-tune-text');
    text.append(...Object.values(this._parts));
    this._summary.append(this._bar, text);
    this._error.setAttribute('role', 'alert');

    this._best = Private.section('best score so far', 'best');
    const legend = el('span', 'mlwork-tune-legend');
    legend.append(
      Private.key('mlwork-tune-key-line', 'best so far'),
      Private.key('mlwork-tune-key-dot', 'trial'),
      Private.key('mlwork-tune-key-best', 'best trial')
    );
    this._best.heading.append(legend);
    this._best.body.append(this._bestGrid);
    this._params.body.append(this._paramGrid);
    this._trials.body.append(this._table.node);
    this._curves.append(this._curvesTitle, this._curvesDetail);

    const root = nodes.root;
    const line = nodes.bar.parentElement;
    const before = line?.parentElement === root ? line : null;
    nodes.title.parentElement?.append(this._tuner);
    for (const node of [this._summary, this._error, this._best.node, this._curves]) {
      root.insertBefore(node, before);
    }
    const table = nodes.table.parentElement === root ? nodes.table : null;
    root.insertBefore(this._trials.node, table);
    root.insertBefore(this._params.node, table);
    this._added = [
      this._tuner,
      this._summary,
      this._error,
      this._best.node,
      this._curves,
      this._trials.node,
      this._params.node
    ];
  }

  /** Show `tune` (after `fillPanel` showed `panel`); the charts draw once their chunk loaded. */
  async render(panel: IPanel, tune: ITune): Promise<void> {
    const nodes = this._nodes;
    const root = nodes.root;
    root.classList.add('mlwork-tune');
    setText(this._tuner, tunerText(tune));

    const fraction = searchFraction(tune, panel.status);
    if (fraction === null) {
      this._bar.removeAttribute('aria-valuenow');
      this._fill.style.width = '0%';
    } else {
      const percent = Math.round(fraction * 1000) / 10;
      this._bar.setAttribute('aria-valuenow', String(percent));
      this._fill.style.width = `${percent}%`;
    }
    const { elapsedS, etaS } = panel.progress;
    setText(this._parts.trials, trialsText(tune, panel.status));
    setText(this._parts.elapsed, `${formatDuration(elapsedS ?? 0)} elapsed`);
    const eta = panel.status === 'running' && etaS !== null && etaS > 0;
    this._parts.eta.hidden = !eta;
    setText(this._parts.eta, eta ? `ETA ${formatDuration(etaS)}` : '');
    setText(this._parts.best, bestText(tune));
    this._error.hidden = tune.error === null;
    setText(this._error, tune.error ?? '');
    this._error.title = tune.error ?? '';

    this._showCurves(panel, tune);
    this._table.update(tune);
    this._trials.node.hidden = tune.trials.length === 0;
    const counts = tune.counts;
    setText(
      this._trials.detail,
      (
        [
          [counts.ok, 'ok'],
          [counts.failed, 'failed'],
          [counts.invalid, 'invalid'],
          [counts.running, 'running']
        ] as const
      )
        .filter(([n]) => n > 0)
        .map(([n, what]) => `${n} ${what}`)
        .join(' · ')
    );

    const best = bestSoFarCharts(tune);
    this._best.node.hidden = best.length === 0;
    const params = paramCharts(tune);
    this._params.node.hidden = params.length === 0;
    const omitted = tune.params.length - MAX_PARAM_CHARTS;
    setText(
      this._params.detail,
      omitted > 0 ? `first ${MAX_PARAM_CHARTS} of ${tune.params.length}` : ''
    );
    await this._figures.show([
      [this._bestGrid, best],
      [this._paramGrid, params]
    ]);
  }

  /** Re-read the theme's colours in every chart. */
  restyle(): void {
    this._figures.restyle();
  }

  dispose(): void {
    this._figures.dispose();
    for (const node of this._added) {
      node.remove();
    }
    this._curvesHidden(false);
    const root = this._nodes.root;
    root.classList.remove('mlwork-tune');
    delete root.dataset.mlworkCurves;
    delete root.dataset.mlworkTuneCharts;
    delete root.dataset.mlworkTuneBuilds;
  }

  /** The epoch curves are the running trial's, or a final fit's; hidden once nothing runs. */
  private _showCurves(panel: IPanel, tune: ITune): void {
    const running = findTrial(tune, tune.running);
    const curves =
      panel.series.length > 0 || tune.running !== null || panel.status === 'running';
    this._curvesHidden(!curves);
    this._nodes.root.dataset.mlworkCurves = curves ? 'shown' : 'none';
    let title = 'epoch curves';
    let detail = '';
    if (running !== null) {
      title = trialName(running);
      detail = paramsText(running, tune.params);
    } else if (tune.running !== null) {
      title = `trial id ${tune.running}`;
    } else if (panel.series.length > 0) {
      title = 'final fit';
    }
    setText(this._curvesTitle, title);
    setText(this._curvesDetail, detail);
    // The search's elapsed time and ETA are in the summary: this line is the trial's fit.
    const { epoch, epochs, step, steps } = panel.progress;
    const parts: string[] = [];
    if (epoch !== null) {
      parts.push(`epoch ${epoch}${epochs === null ? '' : `/${epochs}`}`);
    }
    if (step !== null) {
      parts.push(`step ${step}${steps === null ? '' : `/${steps}`}`);
    }
    setText(this._nodes.progress, parts.join(' · '));
  }

  private _curvesHidden(hidden: boolean): void {
    const nodes = this._nodes;
    const line = nodes.bar.parentElement;
    const controls = nodes.log.closest('.mlwork-panel-controls');
    for (const node of [this._curves, line, controls, nodes.charts]) {
      if (node instanceof HTMLElement) {
        node.hidden = hidden;
      }
    }
  }

  private readonly _nodes: IPanelNodes;
  private readonly _tuner = el('span', 'mlwork-tune-tuner');
  private readonly _summary = el('div', 'mlwork-tune-summary');
  private readonly _parts: Record<'trials' | 'elapsed' | 'eta' | 'best', HTMLElement>;
  private readonly _bar: HTMLElement;
  private readonly _fill: HTMLElement;
  private readonly _error = el('div', 'mlwork-tune-error');
  private readonly _best: Private.ISection;
  private readonly _bestGrid = el('div', 'mlwork-panel-charts mlwork-tune-charts');
  private readonly _curves = el('div', 'mlwork-tune-heading mlwork-tune-curves');
  private readonly _curvesTitle = el('span', 'mlwork-tune-heading-title');
  private readonly _curvesDetail = el('span', 'mlwork-tune-heading-detail');
  private readonly _trials = Private.section('trials', 'trials');
  private readonly _table = new TrialTable();
  private readonly _params = Private.section('hyper-parameters vs score', 'params');
  private readonly _paramGrid = el('div', 'mlwork-panel-charts mlwork-tune-charts');
  private readonly _added: HTMLElement[];
  private readonly _figures: TuneFigures;
}

namespace Private {
  /** A titled part of the panel: its heading (title and a muted detail) and its body. */
  export interface ISection {
    node: HTMLElement;
    heading: HTMLElement;
    detail: HTMLElement;
    body: HTMLElement;
  }

  export function section(title: string, key: string): ISection {
    const node = el('section', 'mlwork-tune-section');
    node.dataset.mlworkSection = key;
    node.setAttribute('aria-label', title);
    const heading = el('div', 'mlwork-tune-heading');
    const detail = el('span', 'mlwork-tune-heading-detail');
    heading.append(el('span', 'mlwork-tune-heading-title', title), detail);
    const body = el('div', 'mlwork-tune-body');
    node.append(heading, body);
    return { node, heading, detail, body };
  }

  export function key(className: string, text: string): HTMLElement {
    const item = el('span', 'mlwork-tune-key');
    item.append(el('span', `mlwork-tune-swatch ${className}`), text);
    return item;
  }
}
