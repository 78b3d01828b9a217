/**
 * The action contract (docs/contracts/action.md) as checks that run against any source plugin with
 * `actions` and its harness: each returns the violations it found, every one opening with the clause.
 */
import { isDeepStrictEqual } from 'node:util';
import pino from 'pino';
import type { ActionFixture, ActionContractHarness } from '../../src/actions/testing.js';
import { SaaswatchError, type ActionConnector, type ConnectorAction, type SourcePlugin } from '../../src/core/index.js';

export const ACTION_CLAUSES = {
  A1: 'says what it offers',
  A2: 'a dry run changes nothing',
  A3: 'apply changes the service, and read shows it',
  A4: 'repeats are harmless',
  A5: 'an unknown target is named',
  A6: 'a missing permission is named',
  A7: 'throttling is retryable',
} as const;
export type ActionClause = keyof typeof ACTION_CLAUSES;

const violation = (clause: ActionClause, text: string) => `${clause} (${ACTION_CLAUSES[clause]}): ${text}`;

export interface ActionSubject {
  type: string;
  harness: ActionContractHarness;
  plugin: SourcePlugin<any>;
}

const signal = () => new AbortController().signal;

async function withConnector(s: ActionSubject, fn: (c: ActionConnector, f: ActionFixture) => Promise<string[]>): Promise<string[]> {
  const f = await s.harness.start();
  const c = s.plugin.actions!(`contract-${s.type}`, s.plugin.configSchema.parse(f.config), {
    logger: pino({ level: 'silent' }),
    dataDir: '.',
    now: () => Date.parse('2026-12-01T00:00:00.000Z'),
  });
  try {
    return await fn(c, f);
  } finally {
    await c.close?.();
    await f.close();
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err;
  }
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const LOCKS_OUT = new Set(['suspend-user', 'sign-out-user']);

function a1(s: ActionSubject): Promise<string[]> {
  return withConnector(s, async (c, f) => {
    const out: string[] = [];
    if (c.service !== s.type) out.push(violation('A1', `service is ${JSON.stringify(c.service)}, not the source type ${s.type}`));
    if (c.actions.length === 0) out.push(violation('A1', 'offers no action'));
    const names = new Set<string>();
    for (const a of c.actions) {
      if (!KEBAB.test(a.name)) out.push(violation('A1', `${a.name}: not kebab-case`));
      if (names.has(a.name)) out.push(violation('A1', `${a.name}: offered twice`));
      names.add(a.name);
      if (a.target !== 'user' && a.target !== 'file') out.push(violation('A1', `${a.name}: target ${String(a.target)}`));
      if (!a.summary?.trim() || a.summary.includes('\n')) out.push(violation('A1', `${a.name}: summary must be one non-empty line`));
      if (LOCKS_OUT.has(a.name) && !a.disruptive) out.push(violation('A1', `${a.name} locks a person out but is not disruptive`));
      if (!f.targets[a.name]) out.push(violation('A1', `${a.name}: the harness gives no target for it`));
    }
    for (const a of c.actions) if (a.undo !== undefined && !names.has(a.undo)) out.push(violation('A1', `${a.name}: undo ${a.undo} is not offered`));
    return out;
  });
}

/** Each action against its own fresh fixture, so one action's change does not spoil another's target. */
async function eachAction(s: ActionSubject, fn: (a: ConnectorAction, c: ActionConnector, f: ActionFixture) => Promise<string[]>): Promise<string[]> {
  const names = await withConnector(s, async (c) => c.actions.map((a) => a.name));
  const out: string[] = [];
  for (const name of names) out.push(...(await withConnector(s, async (c, f) => fn(c.actions.find((a) => a.name === name)!, c, f))));
  return out;
}

const SECRETISH = /(bearer\s+\S{8,}|ya29\.|sl\.[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{10,}\.|https?:\/\/\S*\/s\/)/i;

function a2(s: ActionSubject): Promise<string[]> {
  return eachAction(s, async (a, _c, f) => {
    const t = f.targets[a.name]!;
    const out: string[] = [];
    const writes = f.writes();
    const snapshot = structuredClone(f.inspect(t));
    const before = await a.read(t, signal());
    const plan = a.plan(t, before);
    if (f.writes() !== writes) out.push(violation('A2', `${a.name}: read or plan sent ${f.writes() - writes} state-changing request(s)`));
    if (!isDeepStrictEqual(f.inspect(t), snapshot)) out.push(violation('A2', `${a.name}: the service changed on a dry run`));
    if (typeof plan !== 'string' || !plan.trim() || plan.includes('\n')) out.push(violation('A2', `${a.name}: plan is not one sentence: ${JSON.stringify(plan)}`));
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(before)), before)) out.push(violation('A2', `${a.name}: state is not plain JSON`));
    if (SECRETISH.test(JSON.stringify(before))) out.push(violation('A2', `${a.name}: state looks like it holds a credential or link: ${JSON.stringify(before)}`));
    if (a.done?.(before)) out.push(violation('A2', `${a.name}: the harness target is already done, so nothing can be checked`));
    return out;
  });
}

function a3(s: ActionSubject): Promise<string[]> {
  return eachAction(s, async (a, _c, f) => {
    const t = f.targets[a.name]!;
    const out: string[] = [];
    const snapshot = structuredClone(f.inspect(t));
    const writes = f.writes();
    const before = await a.read(t, signal());
    await a.apply(t, before, signal());
    if (f.writes() === writes) out.push(violation('A3', `${a.name}: apply sent no state-changing request`));
    if (a.done) {
      if (isDeepStrictEqual(f.inspect(t), snapshot)) out.push(violation('A3', `${a.name}: the service's record did not change`));
      const after = await a.read(t, signal());
      if (!a.done(after)) out.push(violation('A3', `${a.name}: read after apply is not done: ${JSON.stringify(after)}`));
    }
    return out;
  });
}

function a4(s: ActionSubject): Promise<string[]> {
  return eachAction(s, async (a, _c, f) => {
    if (!a.done) return [];
    const t = f.targets[a.name]!;
    const out: string[] = [];
    await a.apply(t, await a.read(t, signal()), signal());
    const done = await a.read(t, signal());
    if (!a.done(done)) out.push(violation('A4', `${a.name}: not done after apply`));
    const err = await rejection(a.apply(t, done, signal()));
    if (err !== undefined) out.push(violation('A4', `${a.name}: a repeated apply failed: ${String(err)}`));
    if (!a.done(await a.read(t, signal()))) out.push(violation('A4', `${a.name}: a repeated apply undid the action`));
    return out;
  });
}

function a5(s: ActionSubject): Promise<string[]> {
  return eachAction(s, async (a, _c, f) => {
    const t = a.target === 'user' ? f.unknown.user : f.unknown.file;
    if (!t) return [violation('A5', `${a.name}: the harness gives no unknown ${a.target}`)];
    const err = await rejection(a.read(a.needsMember ? { ...t, member: f.targets[a.name]!.member! } : t, signal()));
    if (!(err instanceof SaaswatchError)) return [violation('A5', `${a.name}: read of an unknown ${a.target} gave ${err === undefined ? 'no error' : String(err)}`)];
    const out: string[] = [];
    if (err.code !== 'HTTP_REJECTED' || err.retryable) out.push(violation('A5', `${a.name}: ${err.code} (retryable ${err.retryable}), expected HTTP_REJECTED`));
    if (!err.message.includes(t.id)) out.push(violation('A5', `${a.name}: the message does not name ${t.id}: ${err.message}`));
    if (err.details?.notFound !== true) out.push(violation('A5', `${a.name}: details.notFound is not true, so a policy cannot tell "not there" from a failure`));
    return out;
  });
}

function a6(s: ActionSubject): Promise<string[]> {
  return eachAction(s, async (a, _c, f) => {
    const t = f.targets[a.name]!;
    f.denyScopes();
    const err = (await rejection(a.read(t, signal()))) ?? (await rejection(a.apply(t, {}, signal())));
    if (!(err instanceof SaaswatchError)) return [violation('A6', `${a.name}: without its scopes it gave ${err === undefined ? 'no error' : String(err)}`)];
    const out: string[] = [];
    if (err.code !== 'HTTP_REJECTED') out.push(violation('A6', `${a.name}: ${err.code}, expected HTTP_REJECTED`));
    if (!/scope|permission|\.All\b|grant|consent/i.test(err.message)) out.push(violation('A6', `${a.name}: the message does not say what to grant: ${err.message}`));
    return out;
  });
}

function a7(s: ActionSubject): Promise<string[]> {
  return eachAction(s, async (a, _c, f) => {
    const t = f.targets[a.name]!;
    f.rateLimitNext(1, 7);
    const started = performance.now();
    const err = await rejection(a.read(t, signal()));
    const out: string[] = [];
    if (!(err instanceof SaaswatchError)) return [violation('A7', `${a.name}: a 429 gave ${err === undefined ? 'no error' : String(err)}`)];
    if (!err.retryable) out.push(violation('A7', `${a.name}: a 429 is not retryable (${err.code})`));
    if (err.retryAfterMs !== 7000) out.push(violation('A7', `${a.name}: retryAfterMs ${String(err.retryAfterMs)}, expected 7000 from Retry-After: 7`));
    if (performance.now() - started > 5000) out.push(violation('A7', `${a.name}: the connector waited itself`));
    return out;
  });
}

export const ACTION_CHECKS: ReadonlyArray<readonly [ActionClause, (s: ActionSubject) => Promise<string[]>]> = [
  ['A1', a1], ['A2', a2], ['A3', a3], ['A4', a4], ['A5', a5], ['A6', a6], ['A7', a7],
];
