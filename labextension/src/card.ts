/**
 * The DOM of a run-record card. Every payload string is set with `textContent`.
 */
import {
  SHORT_HASH,
  shortRunId,
  STATUSES,
  formatBytes,
  formatDuration,
  formatNumber,
  formatShape,
  formatValue,
  shorten
} from './format';
import type { IArtifact, IDataRef, IRunRecord } from './record';
import { el as makeElement } from './dom';

/** Attribute naming a card section, so its open state survives a display update. */
export const SECTION_ATTRIBUTE = 'data-mlwork-section';

/** Build the card for a checked record. */
export function renderCard(record: IRunRecord): HTMLElement {
  const status = (STATUSES as readonly string[]).includes(record.status)
    ? record.status
    : 'unknown';
  const card = Private.el('div', `mlwork-record mlwork-status-${status}`);
  card.setAttribute('role', 'group');
  card.setAttribute(
    'aria-label',
    `mlwork ${record.stage} run ${record.name}: ${record.status}`
  );
  card.append(Private.header(record, status));
  for (const section of Private.sections(record)) {
    card.append(section);
  }
  return card;
}

/** The one-line message shown instead of a card when a payload cannot be read. */
export function renderProblem(reason: unknown): HTMLElement {
  const detail = reason instanceof Error ? reason.message : String(reason);
  const box = Private.el('div', 'mlwork-record-problem');
  box.setAttribute('role', 'note');
  box.textContent = `mlwork: cannot show this record (${detail})`;
  return box;
}

namespace Private {
  export const el = makeElement;

  /** A shortened value whose full text is in its tooltip. */
  function short(
    tag: 'code' | 'span',
    className: string,
    text: string,
    length: number
  ) {
    const node = el(tag, className, shorten(text, length));
    if (text.length > length) {
      node.title = text;
    }
    return node;
  }

  export function header(record: IRunRecord, status: string): HTMLElement {
    const line = el('div', 'mlwork-record-header');
    line.append(
      el('span', 'mlwork-badge mlwork-stage', record.stage),
      el('span', 'mlwork-record-name', record.name),
      el('span', `mlwork-badge mlwork-status mlwork-status-${status}`, record.status)
    );
    if (record.durationS !== null) {
      line.append(
        el('span', 'mlwork-record-duration', formatDuration(record.durationS))
      );
    }
    const id = el('code', 'mlwork-record-id', shortRunId(record.id));
    id.title = record.id;
    id.title = `run ${record.id}`;
    line.append(id);
    return line;
  }

  function section(key: string, title: string, body: HTMLElement, open = false) {
    const details = el('details', `mlwork-section mlwork-section-${key}`);
    details.setAttribute(SECTION_ATTRIBUTE, key);
    details.open = open;
    details.append(el('summary', 'mlwork-section-summary', title), body);
    return details;
  }

  function table(headings: string[], rows: Array<Array<string | HTMLElement>>) {
    const node = el('table', 'mlwork-table');
    if (headings.some(heading => heading !== '')) {
      const head = el('tr');
      for (const heading of headings) {
        const th = el('th', undefined, heading);
        th.scope = 'col';
        head.append(th);
      }
      node.createTHead().append(head);
    }
    const body = node.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const cell of row) {
        const td = tr.insertCell();
        td.append(cell);
      }
    }
    return node;
  }

  function keyValues(entries: Array<[string, unknown]>, headings: string[]) {
    return table(
      headings,
      entries.map(([key, value]) => [
        el('span', 'mlwork-key', key),
        el('span', 'mlwork-value', formatValue(value))
      ])
    );
  }

  function dataRows(direction: string, refs: IDataRef[]) {
    return refs.map(ref => [
      direction,
      ref.kind,
      el('span', 'mlwork-key', ref.name),
      ref.shape === null ? '' : formatShape(ref.shape),
      ref.fingerprint === null
        ? ''
        : short('code', 'mlwork-hash', ref.fingerprint, SHORT_HASH),
      ref.method ?? ''
    ]);
  }

  function artifactRows(artifacts: IArtifact[]) {
    return artifacts.map(artifact => [
      el('span', 'mlwork-key', artifact.name),
      artifact.size === null ? '' : formatBytes(artifact.size),
      artifact.digest === null
        ? ''
        : short('code', 'mlwork-hash', artifact.digest, SHORT_HASH),
      artifact.path ?? ''
    ]);
  }

  function plural(n: number, word: string) {
    return `${n} ${word}${n === 1 ? '' : 's'}`;
  }

  export function sections(record: IRunRecord): HTMLElement[] {
    const out: HTMLElement[] = [];
    if (record.error !== null) {
      out.push(
        section('error', 'Error', el('pre', 'mlwork-error', record.error), true)
      );
    }
    if (record.warnings.length > 0) {
      const list = el('ul', 'mlwork-warnings');
      for (const warning of record.warnings) {
        list.append(el('li', undefined, warning));
      }
      out.push(section('warnings', `Warnings (${record.warnings.length})`, list, true));
    }
    if (record.inputs.length + record.outputs.length > 0) {
      out.push(
        section(
          'data',
          `Data · ${record.inputs.length} read, ${record.outputs.length} written`,
          table(
            ['', 'kind', 'name', 'shape', 'fingerprint', 'method'],
            [...dataRows('read', record.inputs), ...dataRows('written', record.outputs)]
          )
        )
      );
    }
    if (record.params.length > 0) {
      out.push(
        section(
          'params',
          `Params (${record.params.length})`,
          keyValues(record.params, ['param', 'value'])
        )
      );
    }
    if (record.metrics.length > 0) {
      const preview = record.metrics
        .slice(0, 3)
        .map(
          ([key, value]) =>
            `${shorten(key, 24)} ${typeof value === 'number' ? formatNumber(value) : shorten(formatValue(value), 16)}`
        )
        .join(', ');
      const more = record.metrics.length > 3 ? ', …' : '';
      out.push(
        section(
          'metrics',
          `Metrics · ${preview}${more}`,
          keyValues(record.metrics, ['metric', 'value'])
        )
      );
    }
    if (record.artifacts.length > 0) {
      out.push(
        section(
          'artifacts',
          `Artifacts (${record.artifacts.length})`,
          table(['name', 'size', 'digest', 'path'], artifactRows(record.artifacts))
        )
      );
    }
    const env = record.environment;
    if (env !== null) {
      const rows: Array<[string, unknown]> = [];
      if (env.python !== null) {
        rows.push(['python', env.python]);
      }
      if (env.platform !== null) {
        rows.push(['platform', env.platform]);
      }
      if (env.hash !== null) {
        rows.push(['environment hash', shorten(env.hash, SHORT_HASH)]);
      }
      if (env.allPackagesCount !== null) {
        rows.push(['installed distributions', plural(env.allPackagesCount, 'package')]);
      }
      const body = el('div', 'mlwork-environment');
      body.append(keyValues(rows, ['', '']));
      if (env.packages.length > 0) {
        body.append(keyValues(env.packages, ['package', 'version']));
      }
      const title =
        env.python === null ? 'Environment' : `Environment · Python ${env.python}`;
      out.push(section('environment', title, body));
    }
    const run: Array<[string, unknown]> = [['id', record.id]];
    if (record.parent !== null) {
      run.push(['parent', record.parent]);
    }
    if (record.started !== null) {
      run.push(['started', record.started]);
    }
    if (record.notebook !== null) {
      run.push(['notebook', record.notebook]);
    }
    if (record.cellId !== null) {
      run.push(['cell id', record.cellId]);
    }
    if (record.codeHash !== null) {
      run.push(['code hash', record.codeHash]);
    }
    if (record.device !== null) {
      run.push(['device', record.device]);
    }
    out.push(section('run', 'Run', keyValues(run, ['', ''])));
    if (record.tensorflowMessages !== null) {
      out.push(
        section(
          'tensorflow',
          'TensorFlow messages',
          el('pre', 'mlwork-tensorflow-messages', record.tensorflowMessages)
        )
      );
    }
    return out;
  }
}
