import { describe, expect, it } from 'vitest';
import type { Alert, SinkRoute } from '../core/index.js';
import { sampleAlert } from '../sinks/testing.js';
import { alertRouter, routeAlert, routeTakes } from './routing.js';

const alertOf = (over: Partial<Alert> = {}): Alert =>
  sampleAlert({ rule: 'brute-force', severity: 'medium', entity: { type: 'user', value: 'bob@contractor.example' }, source: 'google', tags: ['attack.t1110', 'auth'], ...over });

const route = (r: Partial<SinkRoute> = {}): SinkRoute => ({ min_severity: 'low', ...r });

describe('routeTakes', () => {
  it('keeps alerts below the severity floor out', () => {
    expect(routeTakes(alertOf({ severity: 'medium' }), route({ min_severity: 'high' }))).toBe(false);
    expect(routeTakes(alertOf({ severity: 'high' }), route({ min_severity: 'high' }))).toBe(true);
    expect(routeTakes(alertOf({ severity: 'critical' }), route({ min_severity: 'high' }))).toBe(true);
    expect(routeTakes(alertOf({ severity: 'low' }), route())).toBe(true);
  });

  it('includes by rule, source, entity and tag, exactly or by glob', () => {
    const a = alertOf();
    expect(routeTakes(a, route({ include: { rules: ['brute-force'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { rules: ['brute'] } }))).toBe(false);
    expect(routeTakes(a, route({ include: { rules: ['brute-*'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { rules: ['sigma-*', 'brute-force'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { sources: ['google'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { sources: ['goo*'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { sources: ['okta'] } }))).toBe(false);
    // No source known: a source filter cannot match it.
    expect(routeTakes(alertOf({ source: undefined }), route({ include: { sources: ['*'] } }))).toBe(false);
    expect(routeTakes(a, route({ include: { tags: ['attack.t1110'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { tags: ['attack.*'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { tags: ['attack.t1078'] } }))).toBe(false);
    expect(routeTakes(alertOf({ tags: undefined }), route({ include: { tags: ['*'] } }))).toBe(false);
  });

  it('matches entities as type:value or as a bare value, globs allowed, case-insensitively', () => {
    const a = alertOf();
    expect(routeTakes(a, route({ include: { entities: ['user:*@contractor.example'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { entities: ['ip:*@contractor.example'] } }))).toBe(false);
    expect(routeTakes(a, route({ include: { entities: ['*@CONTRACTOR.example'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { entities: ['bob@contractor.example'] } }))).toBe(true);
    expect(routeTakes(a, route({ include: { entities: ['bob@'] } }))).toBe(false);
    // Regex characters in a pattern are literal; only * is a wildcard.
    expect(routeTakes(alertOf({ entity: { type: 'ip', value: '10.0.0.1' } }), route({ include: { entities: ['ip:10.0.0.*'] } }))).toBe(true);
    expect(routeTakes(alertOf({ entity: { type: 'ip', value: '10x0x0x1' } }), route({ include: { entities: ['ip:10.0.0.*'] } }))).toBe(false);
    // An IPv6 value has colons of its own: the bare form still matches.
    expect(routeTakes(alertOf({ entity: { type: 'ip', value: '2001:db8::1' } }), route({ include: { entities: ['2001:db8::*'] } }))).toBe(true);
  });

  it('needs every include dimension given to match, and drops an alert matching any exclude dimension', () => {
    const a = alertOf();
    expect(routeTakes(a, route({ include: { rules: ['brute-force'], sources: ['okta'] } }))).toBe(false);
    expect(routeTakes(a, route({ include: { rules: ['brute-force'], sources: ['google'] } }))).toBe(true);
    expect(routeTakes(a, route({ exclude: { rules: ['other'], tags: ['auth'] } }))).toBe(false);
    expect(routeTakes(a, route({ exclude: { rules: ['other'], tags: ['noise'] } }))).toBe(true);
    expect(routeTakes(a, route({ exclude: { entities: ['user:*@contractor.example'] } }))).toBe(false);
    expect(routeTakes(a, route({ exclude: { sources: ['goo*'] } }))).toBe(false);
    expect(routeTakes(a, route({ exclude: { rules: ['brute-*'] } }))).toBe(false);
    // Exclude wins over include.
    expect(routeTakes(a, route({ include: { rules: ['brute-force'] }, exclude: { rules: ['brute-force'] } }))).toBe(false);
    // The floor applies before the filters.
    expect(routeTakes(a, route({ min_severity: 'critical', include: { rules: ['brute-force'] } }))).toBe(false);
  });
});

describe('routeAlert', () => {
  it('names the sinks whose routes take the alert, in config order', () => {
    const routes = [
      { sink: 'file', route: route() },
      { sink: 'pager', route: route({ min_severity: 'critical' }) },
      { sink: 'contractors', route: route({ include: { entities: ['user:*@contractor.example'] } }) },
      { sink: 'no-brute', route: route({ exclude: { rules: ['brute-force'] } }) },
    ];
    expect(routeAlert(alertOf(), routes)).toEqual(['file', 'contractors']);
    expect(routeAlert(alertOf({ severity: 'critical', rule: 'sigma-x', entity: { type: 'ip', value: '192.0.2.1' } }), routes)).toEqual(['file', 'pager', 'no-brute']);
    expect(alertRouter(routes)(alertOf())).toEqual(['file', 'contractors']);
    expect(routeAlert(alertOf(), [])).toEqual([]);
  });
});
