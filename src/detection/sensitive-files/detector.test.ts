import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Finding, SecurityEvent } from '../../core/index.js';
import { FileSensitivityMap } from '../../enrich/file-sensitivity.js';
import { MeasuredState } from '../../../test/contracts/detector-checks.js';
import { PERSONAL_EMAIL_DOMAINS, sensitiveFilesConfigSchema } from './config.js';
import { entitySummary, SensitiveFilesDetector } from './detector.js';
import { access, classifiedEvent, makePublic, shareWith, type DriveDoc } from './testing.js';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const MIN = 60_000;
const OWNER = 'dana.kim@example.com';
const CARDS: DriveDoc = { id: '1Xq7bM3kT9vLpR2sWcY8nHdF0aEzGuJiK', title: 'Q1 card settlements', owner: OWNER };
const HIGH = { sensitivity: 'high' as const, counts: { CREDIT_CARD: 120, US_SSN: 3 }, samples: { CREDIT_CARD: ['************0366', '************4242'], US_SSN: ['***-**-6789'] } };

const detector = (config: Record<string, unknown> = {}, state?: MeasuredState) => new SensitiveFilesDetector(sensitiveFilesConfigSchema.parse(config), state ? { state } : {});

/** Everything observed, then a final flush: the order events arrive in does not matter to the result. */
function all(d: SensitiveFilesDetector, events: SecurityEvent[]): Finding[] {
  const out: Finding[] = [];
  for (const e of events) out.push(...d.observe(e));
  return [...out, ...d.flush({ final: true })];
}

describe('sensitive-files', () => {
  it('a public link on a spreadsheet of card numbers is one high alert naming what it holds, masked samples only', () => {
    const found = all(detector(), [classifiedEvent(T0, CARDS, HIGH), ...makePublic(T0 + 30 * MIN, OWNER, CARDS)]);
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f).toMatchObject({ rule: 'sensitive-files/public-link', severity: 'high', entity: { type: 'file', value: `google-drive:${CARDS.id}` }, windowStart: T0 + 30 * MIN });
    expect(f.title).toBe('Sensitive file made public: "Q1 card settlements" (CREDIT_CARD ×120, US_SSN ×3)');
    expect(f.description).toContain('dana.kim@example.com made it readable by anyone with the link');
    expect(f.details).toMatchObject({ 'file.sensitivity': 'high', 'file.pii': 'CREDIT_CARD ×120, US_SSN ×3', 'file.pii.samples': ['CREDIT_CARD ************0366', 'CREDIT_CARD ************4242', 'US_SSN ***-**-6789'], 'user.email': OWNER });
    expect(f.observed).toEqual({ CREDIT_CARD: 120, US_SSN: 3 });
    // The share's event and the scan's event.
    expect(f.evidence).toHaveLength(2);
  });

  it('the same alert when the scan finishes after the share, whichever arrives first', () => {
    const share = makePublic(T0, OWNER, CARDS);
    const scan = classifiedEvent(T0 + 45 * MIN, CARDS, HIGH);
    const a = all(detector(), [...share, scan]);
    const b = all(detector(), [scan, ...share]);
    expect(a.map((f) => [f.rule, f.windowStart])).toEqual([['sensitive-files/public-link', T0]]);
    expect(b).toEqual(a);
    expect(a[0]!.description).toContain('before its scan found this');
  });

  it('a scan that finds the file already exposed (the inventory visibility) alerts without a share event', () => {
    const found = all(detector(), [classifiedEvent(T0, CARDS, { ...HIGH, visibility: 'anyone_with_link' })]);
    expect(found.map((f) => f.rule)).toEqual(['sensitive-files/public-link']);
    expect(found[0]!.description).toContain('someone made it readable by anyone with the link');
  });

  it('names who shared once the share event arrives after the scan, on the same alert', () => {
    const d = detector();
    const first = d.observe(classifiedEvent(T0, CARDS, { ...HIGH, visibility: 'anyone_with_link' }));
    for (const e of makePublic(T0 - 60 * MIN, OWNER, CARDS)) d.observe(e);
    const later = d.flush({ final: true });
    expect(first.map((f) => f.details?.['user.email'])).toEqual([undefined]);
    expect(later.map((f) => [f.rule, f.windowStart, f.details?.['user.email']])).toEqual([['sensitive-files/public-link', first[0]!.windowStart, OWNER]]);
    expect(later[0]!.evidence.length).toBeGreaterThan(first[0]!.evidence.length);
  });

  it('a scan finding the file exposed is dated and named by the share already observed but not yet judged', () => {
    const d = detector();
    for (const e of [...makePublic(T0 - 60 * MIN, OWNER, CARDS), ...shareWith(T0 - 30 * MIN, OWNER, CARDS, 'dana.kim.private@gmail.com')]) d.observe(e);
    // The watermark has not passed the shares when the scan lands (the inventory says public and outside).
    const first = [
      ...d.observe(classifiedEvent(T0, CARDS, { ...HIGH, visibility: 'anyone_with_link' })),
      ...d.observe(classifiedEvent(T0 + MIN, CARDS, { ...HIGH, visibility: 'external', contentHash: 'md5:same-level' })),
    ];
    const later = d.flush({ final: true });
    // The alerts the shares alone would raise, at their times, naming the owner; no "shared outside"
    // alert besides the personal share that explains it, and nothing again when the shares are judged.
    expect(first.map((f) => [f.rule, f.windowStart, f.details?.['user.email'], f.details?.['target.user.email']])).toEqual([
      ['sensitive-files/public-link', T0 - 60 * MIN, OWNER, undefined],
      ['sensitive-files/personal-email-share', T0 - 30 * MIN, OWNER, 'dana.kim.private@gmail.com'],
    ]);
    expect(later).toEqual([]);
  });

  it('once per file and exposure: re-shares and rescans do not repeat it, a new kind of exposure does', () => {
    const d = detector();
    const first = all(d, [classifiedEvent(T0, CARDS, HIGH), ...makePublic(T0 + MIN, OWNER, CARDS)]);
    const later = all(d, [...makePublic(T0 + 2 * MIN, 'li.wei@example.com', CARDS, 'public_on_the_web'), classifiedEvent(T0 + 3 * MIN, CARDS, { ...HIGH, contentHash: 'md5:other' }), ...shareWith(T0 + 4 * MIN, OWNER, CARDS, 'dana.kim.private@gmail.com')]);
    expect(first).toHaveLength(1);
    expect(later.map((f) => [f.rule, f.entity.value, f.details?.['target.user.email']])).toEqual([['sensitive-files/personal-email-share', `google-drive:${CARDS.id}`, 'dana.kim.private@gmail.com']]);
  });

  it('stays quiet below medium, for internal shares, removals and views of an already public file', () => {
    const low: DriveDoc = { ...CARDS, id: '1LowlowT9vLpR2sWcY8nHdF0aEzGuJiK' };
    const found = all(detector(), [
      classifiedEvent(T0, low, { sensitivity: 'low', counts: { EMAIL_ADDRESS: 2 } }),
      ...makePublic(T0 + MIN, OWNER, low),
      classifiedEvent(T0, CARDS, HIGH),
      ...shareWith(T0 + 2 * MIN, OWNER, CARDS, 'li.wei@example.com'),
      ...shareWith(T0 + 3 * MIN, OWNER, CARDS, 'j.doe@contoso.com', 'none'),
      ...access(T0 + 4 * MIN, 'li.wei@example.com', { ...CARDS, visibility: 'people_with_link' }, 'view'),
    ]);
    expect(found).toEqual([]);
  });

  it('min_sensitivity and exposures narrow what is watched', () => {
    const events = [classifiedEvent(T0, CARDS, HIGH), ...makePublic(T0 + MIN, OWNER, CARDS), ...shareWith(T0 + 2 * MIN, OWNER, CARDS, 'eve@partner.example.org')];
    expect(all(detector({ min_sensitivity: 'critical' }), events)).toEqual([]);
    expect(all(detector({ exposures: ['external-share'] }), events).map((f) => f.rule)).toEqual(['sensitive-files/external-share']);
  });

  it('a sensitive file among N downloads by one user within the window is a mass download; fewer are not', () => {
    const others = (n: number, t: number) => Array.from({ length: n }, (_, k) => access(t + k * 20_000, 'omar.haddad@example.com', { id: `1Inv${k}T9vLpR2sWcY8nHdF0aEzGuJ`, title: `Invoice ${k}`, owner: OWNER, type: 'document' }, 'download')).flat();
    const scan = classifiedEvent(T0, CARDS, HIGH);
    const config = { mass_download: { threshold: 10, window: '10m' } };
    const few = all(detector(config), [scan, ...access(T0 + MIN, 'omar.haddad@example.com', CARDS, 'download'), ...others(8, T0 + 2 * MIN)]);
    expect(few).toEqual([]);
    const many = all(detector(config), [scan, ...access(T0 + MIN, 'omar.haddad@example.com', CARDS, 'download'), ...others(9, T0 + 2 * MIN)]);
    expect(many.map((f) => [f.rule, f.details?.['user.email']])).toEqual([['sensitive-files/mass-download', 'omar.haddad@example.com']]);
    expect(many[0]!.evidence.length).toBe(2);
    // Spread beyond the window: no burst.
    const slow = all(detector(config), [scan, ...access(T0 + MIN, 'omar.haddad@example.com', CARDS, 'download'), ...Array.from({ length: 12 }, (_, k) => others(1, T0 + (k + 2) * 5 * MIN)).flat()]);
    expect(slow).toEqual([]);
  });

  it('takes the level the enricher stamped when it never saw the scan (counts, no samples)', () => {
    const map = new FileSensitivityMap();
    map.set(`google-drive:${CARDS.id}`, 'high', { CREDIT_CARD: 7 });
    const share = makePublic(T0, OWNER, CARDS);
    for (const e of share) map.enrich(e);
    const found = all(detector(), share);
    expect(found.map((f) => f.title)).toEqual(['Sensitive file made public: "Q1 card settlements" (CREDIT_CARD ×7)']);
    expect(found[0]!.details?.['file.pii.samples']).toBeUndefined();
  });

  it('a newer level the enricher stamped replaces an older scan the detector holds (a revert whose scan event was a duplicate)', () => {
    const d = detector();
    // High, then edited clean: the detector holds none.
    expect(all(d, [classifiedEvent(T0, CARDS, HIGH), classifiedEvent(T0 + 10 * MIN, CARDS, { sensitivity: 'none', counts: {}, contentHash: 'md5:cleaned' })])).toEqual([]);
    // Reverted: only the enricher learnt it was high again; then the file is made public.
    const map = new FileSensitivityMap();
    map.set(`google-drive:${CARDS.id}`, 'high', { CREDIT_CARD: 120, US_SSN: 3 });
    const share = makePublic(T0 + 30 * MIN, OWNER, CARDS);
    for (const e of share) map.enrich(e);
    expect(all(d, share).map((f) => f.rule)).toEqual(['sensitive-files/public-link']);
    // A scan newer than the enrichment still wins, down as well as up.
    const e2 = detector();
    all(e2, [classifiedEvent(T0 + 40 * MIN, CARDS, { sensitivity: 'none', counts: {}, contentHash: 'md5:cleaned' })]);
    expect(all(e2, share)).toEqual([]);
  });

  it('drops a sample that was not masked rather than pass it on', () => {
    const leaky = { ...HIGH, samples: { CREDIT_CARD: ['4111 1111 1111 1111', '************1111'], US_SSN: ['078-05-1120'] } };
    const [f] = all(detector(), [classifiedEvent(T0, CARDS, leaky), ...makePublic(T0 + MIN, OWNER, CARDS)]);
    expect(f!.details?.['file.pii.samples']).toEqual(['CREDIT_CARD ************1111']);
    expect(JSON.stringify(f)).not.toMatch(/4111|078-05/);
  });

  it('a scan counts at once, whatever the watermark: the newer of two scans wins, however they arrive', () => {
    const older = classifiedEvent(T0, CARDS, { sensitivity: 'none', counts: {} });
    const newer = classifiedEvent(T0 + 5 * MIN, CARDS, HIGH);
    const share = makePublic(T0 - 60 * MIN, OWNER, CARDS);
    for (const scans of [[older, newer], [newer, older]]) {
      const d = detector();
      for (const e of share) d.observe(e);
      // The share passes the watermark; the scans come later than any watermark the sources promise.
      expect(d.flush({ final: false, watermark: T0 - 30 * MIN })).toEqual([]);
      const found = scans.flatMap((e) => d.observe(e));
      expect(found.map((f) => [f.rule, f.windowStart, f.windowEnd])).toEqual([['sensitive-files/public-link', T0 - 60 * MIN, T0 + 5 * MIN]]);
    }
  });

  it('remembers the scan across a restart', async () => {
    const state = new MeasuredState();
    const before = detector({}, state);
    await before.restore();
    expect(all(before, [classifiedEvent(T0, CARDS, HIGH)])).toEqual([]);
    await before.persist();
    const after = detector({}, state);
    await after.restore();
    expect(all(after, makePublic(T0 + MIN, OWNER, CARDS)).map((f) => f.rule)).toEqual(['sensitive-files/public-link']);
    const cold = detector();
    expect(all(cold, makePublic(T0 + MIN, OWNER, CARDS))).toEqual([]);
  });

  it('summarizes most frequent first and bounds the list', () => {
    expect(entitySummary({ US_SSN: 3, CREDIT_CARD: 120 })).toBe('CREDIT_CARD ×120, US_SSN ×3');
    expect(entitySummary({ A: 1, B: 1, C: 1, D: 1, E: 1, F: 1, G: 2 }, 3)).toBe('G ×2, A ×1, B ×1, 4 more types');
  });

  it('knows the consumer domains the personal-email-share rule knows', () => {
    const docs = parseAllDocuments(readFileSync(new URL('../../../rules/google-workspace/personal-email-share.yml', import.meta.url), 'utf8')).map((d) => d.toJSON());
    const listed = (docs[0].detection.selection['target_user|endswith'] as string[]).map((d) => d.replace(/^@/, ''));
    expect([...PERSONAL_EMAIL_DOMAINS].sort()).toEqual(listed.sort());
  });
});
