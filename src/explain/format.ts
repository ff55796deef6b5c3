/** An explanation as text for people (`junction explain`) and as stable-keyed JSON (`--json`). */
import { canonicalJson } from '../util/canonical-json.ts';
import type { Explanation } from './evaluate.ts';

/** JSON with keys sorted at every level and undefined values as null, so tools and tests can diff it. */
export function explanationJson(explanation: Explanation): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(withNulls(explanation))), null, 2)}\n`;
}

function withNulls(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(withNulls);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withNulls(v)]));
  return value;
}

/** An explanation read back from its JSON (the admin API's answer): nulls are absent values again. */
export function explanationFromJson(json: unknown): Explanation {
  const strip = (value: unknown): unknown => {
    if (value === null) return undefined;
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)]));
    return value;
  };
  return strip(json) as Explanation;
}

function outcomeLine(e: Explanation): string {
  const o = e.outcome;
  if (o.kind === 'proxy') {
    const pick = e.cluster?.pick;
    const to =
      pick?.backend !== undefined
        ? ` backend ${pick.backend}`
        : pick !== undefined && pick.candidates.length > 0
          ? ` one of ${pick.candidates.map((c) => c.id).join(', ')}`
          : '';
    return `proxy to cluster ${e.cluster?.name ?? '?'}${to}`;
  }
  const code = o.code === undefined ? '' : ` ${o.code}`;
  const location = o.location === undefined ? '' : ` -> ${o.location}`;
  return `answer ${o.status ?? '?'}${code}${location} (${o.why})`;
}

export function explanationText(e: Explanation): string {
  const lines: string[] = [];
  const add = (line = '') => lines.push(line);
  add(`${e.request.method} ${e.request.url}`);
  add(`  outcome:   ${outcomeLine(e)}`);
  const l = e.listener;
  add(
    l === undefined
      ? '  listener:  none (no HTTP listener)'
      : `  listener:  ${l.name} (${l.scheme}://${l.address}:${l.port})${l.note === undefined ? '' : `, ${l.note}`}`,
  );
  add(`  client:    ${e.request.client}${e.request.sni === '' ? '' : `, SNI ${e.request.sni}`}`);
  if (e.rules.length > 0) {
    add();
    add('Rules that fired:');
    for (const rule of e.rules) {
      add(`  ${rule.hook.padEnd(10)} ${rule.rule}`);
      for (const change of rule.changes) add(`               ${change}`);
      if (rule.error !== undefined) add(`               FAILED: ${rule.error} (500)`);
    }
  }
  const r = e.routing;
  if (r.considered.length > 0 || r.chosenBy !== undefined) {
    add();
    add('Routes, in the order Junction tries them:');
    if (r.chosenBy === 'rule') add(`  ${e.route ?? '?'}  chosen by a rule (the matcher did not run)`);
    for (const step of r.considered) {
      const by =
        step.hostBy === 'any' ? 'any host' : step.hostBy === 'exact' ? 'exact host' : `host ${step.hostBy}`;
      add(
        `  ${step.failed === undefined ? 'MATCH' : 'no   '} ${step.route} (${by})${step.failed === undefined ? '' : `: ${step.failed}`}`,
      );
    }
    if (r.considered.length === 0 && r.chosenBy === undefined) add('  no route was considered');
  }
  if (r.closest.length > 0) {
    add();
    add('No route matches. Closest routes:');
    for (const c of r.closest) add(`  ${c.route}: ${c.missed.join('; ')}`);
  }
  const c = e.cluster;
  if (c !== undefined) {
    add();
    add(`Cluster ${c.name} (${c.chosenBy === 'rule' ? 'chosen by a rule' : `the route's`})`);
    add(`  strategy:  ${c.strategy.name} (${c.strategy.kind}, from the ${c.strategy.chosenBy})`);
    for (const b of c.backends)
      add(
        `  backend    ${b.id}${b.id === b.address ? '' : ` (${b.address})`} weight ${b.weight}${b.up ? '' : `, skipped: ${b.skippedBecause ?? 'down'}`}`,
      );
    const p = c.pick;
    if (p.none) add('  pick:      none: no backend is up (503)');
    else if (p.deterministic) add(`  pick:      ${p.backend ?? '?'} (deterministic for this request)`);
    else
      add(
        `  pick:      one of ${p.candidates.map((x) => `${x.id} (weight ${x.weight})`).join(', ')} (depends on the strategy's state)`,
      );
  }
  const u = e.upstreamRequest;
  if (u !== undefined) {
    add();
    add('Request sent upstream (before X-Forwarded-* and hop-by-hop fields):');
    add(`  ${u.method} ${u.path}${u.query}`);
    for (const [name, value] of u.headers) add(`  ${name}: ${value}`);
  }
  const r2 = e.response;
  if (r2 !== undefined) {
    add();
    if (r2.assumed === null) {
      add('Response rules (not run: they depend on the response; --status N assumes one):');
    } else {
      add(`Response assumed from the backend: ${r2.assumed.status}`);
      for (const [name, value] of r2.assumed.headers) add(`  ${name}: ${value}`);
      add('Response rules:');
    }
    for (const rule of r2.rules) {
      add(
        `  ${rule.hook.padEnd(12)} ${rule.rule}${rule.evaluated && rule.changes.length === 0 && rule.error === undefined ? ': no change' : ''}`,
      );
      if (rule.source !== null && !rule.evaluated)
        for (const line of rule.source.split('\n')) add(`               ${line}`);
      for (const change of rule.changes) add(`               ${change}`);
      if (rule.error !== undefined) add(`               FAILED: ${rule.error} (500)`);
    }
    if (r2.rules.length === 0) add('  none');
    if (r2.final !== null) {
      add(`Response to the client: ${r2.final.status}`);
      for (const [name, value] of r2.final.headers) add(`  ${name}: ${value}`);
    }
  }
  if (e.retries !== undefined) {
    const t = e.retries;
    add();
    add(`Retries:     up to ${t.attempts} attempts: ${t.note}`);
    if (t.idempotent)
      add(
        `             reset ${t.onReset ? 'yes' : 'no'}, timeout ${t.onTimeout ? 'yes' : 'no'}, statuses ${t.onStatuses.length === 0 ? 'none' : t.onStatuses.join(' ')}`,
      );
  }
  const to = e.timeouts;
  add(
    `Timeouts:    connect ${to.connectMs} ms, backend response ${to.backendResponseMs} ms, backend body ${to.backendBodyMs} ms`,
  );
  const plugins = Object.entries(e.plugins);
  if (plugins.length > 0) {
    add();
    add('Plugin hooks (not run):');
    for (const [hook, owners] of plugins) add(`  ${hook.padEnd(13)} ${owners.join(', ')}`);
  }
  if (e.notRun.length > 0) add(`Not evaluated here: ${e.notRun.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
