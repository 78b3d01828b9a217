import { describe, expect, it } from 'vitest';
import { createIdentityEnricher } from './identity.js';
import { makeEvent } from './testing.js';

const identities = {
  'web-auth': { user_domain: 'Example.com' },
  'google-workspace': { user_map: { 'Alice.Smith@Example.org': 'alice@example.com' } },
  dropbox: { user_map: { 'dbmid:AAbc': 'alice@example.com' } },
  slack: { user_domain: 'example.com', user_map: { U024BE7LH: 'alice' } },
  'microsoft-graph.signin': { user_map: { 'asmith@contoso.onmicrosoft.com': 'alice@example.com' } },
};
const enrich = createIdentityEnricher(identities);

describe('identity enricher', () => {
  it('appends user_domain to a bare user name (json-logs dataset = source name)', () => {
    const e = makeEvent({ user: { name: 'JDoe' }, related: { user: ['JDoe'] } }, 'web-auth');
    enrich(e);
    expect(e.user).toEqual({ name: 'JDoe', email: 'jdoe@example.com' });
    expect(e.related?.user).toEqual(['JDoe', 'jdoe@example.com']);
  });

  it('does not turn a display name into an email', () => {
    const e = makeEvent({ user: { name: 'John Doe' } });
    enrich(e);
    expect(e.user?.email).toBeUndefined();
  });

  it('maps a source identity to the canonical one, matched case-insensitively, keyed by provider', () => {
    const e = makeEvent({ user: { email: 'alice.smith@example.org', id: '1234' } }, 'google-workspace.login', 'google-workspace');
    enrich(e);
    expect(e.user).toEqual({ email: 'alice@example.com', id: '1234' });
    expect(e.related?.user).toEqual(['alice@example.com', 'alice.smith@example.org', '1234']);
  });

  it('maps by user.id when that is what the source has (Dropbox member id)', () => {
    const e = makeEvent({ user: { email: 'Alice@Personal.example', id: 'dbmid:AAbc', name: 'Alice Smith' } }, 'dropbox.logins', 'dropbox');
    enrich(e);
    expect(e.user).toEqual({ email: 'alice@example.com', id: 'dbmid:AAbc', name: 'Alice Smith' });
    expect(e.related?.user).toEqual(['alice@example.com', 'alice@personal.example', 'dbmid:AAbc']);
  });

  it('completes a bare canonical value with the source domain', () => {
    const e = makeEvent({ user: { id: 'U024BE7LH' } }, 'slack.access', 'slack');
    enrich(e);
    expect(e.user?.email).toBe('alice@example.com');
  });

  it('prefers an exact dataset key over the provider', () => {
    const signin = makeEvent({ user: { email: 'asmith@contoso.onmicrosoft.com' } }, 'microsoft-graph.signin', 'microsoft-graph');
    const audit = makeEvent({ user: { email: 'asmith@contoso.onmicrosoft.com' } }, 'microsoft-graph.audit', 'microsoft-graph');
    enrich(signin);
    enrich(audit);
    expect(signin.user?.email).toBe('alice@example.com');
    expect(audit.user?.email).toBe('asmith@contoso.onmicrosoft.com');
  });

  it('lowercases emails of every source, target included, and maps the target too', () => {
    const e = makeEvent({ user: { email: 'Bob@Example.COM' }, target: { user: { email: 'Alice.Smith@example.org' } } }, 'google-workspace.drive', 'google-workspace');
    enrich(e);
    expect(e.user?.email).toBe('bob@example.com');
    expect(e.target?.user?.email).toBe('alice@example.com');
    const other = makeEvent({ user: { email: 'Carol@Example.com' } }, 'unconfigured', 'json-logs');
    createIdentityEnricher()(other);
    expect(other.user?.email).toBe('carol@example.com');
    expect(other.related?.user).toEqual(['carol@example.com']);
  });

  it('does not touch events of sources without rules beyond lowercasing', () => {
    const e = makeEvent({ user: { name: 'jdoe' } }, 'other-logs', 'json-logs');
    enrich(e);
    expect(e.user).toEqual({ name: 'jdoe' });
    expect(e.related).toBeUndefined();
  });

  it('never mutates a related.user array another event may share', () => {
    const shared = ['jdoe'];
    const a = makeEvent({ user: { name: 'jdoe' }, related: { user: shared } }, 'web-auth');
    enrich(a);
    expect(shared).toEqual(['jdoe']);
    expect(a.related?.user).toEqual(['jdoe', 'jdoe@example.com']);
  });

  it('rejects a canonical identity that is not an email, naming the entry', () => {
    expect(() => createIdentityEnricher({ slack: { user_map: { U1: 'alice' } } })).toThrow(/identities\.slack\.user_map\.U1/);
  });
});
