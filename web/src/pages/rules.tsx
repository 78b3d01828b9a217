/** Detection rules with their hits, and a form to test a rule (by id or Sigma YAML) on sample events. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { post } from '../api';
import { useSession } from '../session';
import type { List, Rule, Severity } from '../types';
import { Card, ErrorBox, Json, Sev, Show, Table, Time, errorText, num, roleAllows, useApi } from '../ui';

// Records as a rule's examples (rules/**/*.tests.yml) write them: a partial normalized event, repeated.
const SAMPLE = JSON.stringify([{ repeat: 25, every: '10s', event: { event: { category: ['authentication'], action: 'login', outcome: 'failure' }, user: { email: 'bob@example.com' }, source: { ip: '203.0.113.77' } } }], null, 2);

interface TestResult {
  rules?: string[];
  events?: number;
  matches: Array<{ rule: string }>;
  findings?: Array<{ rule: string; title: string; severity: Severity; window_start: string; evidence: number }>;
}

export default function Rules() {
  const r = useApi<List<Rule>>('/api/rules');
  const session = useSession();
  const [result, setResult] = useState<TestResult>();
  const [error, setError] = useState<string>();
  const test = async (e: JSX.TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(undefined);
    setResult(undefined);
    let events: unknown;
    try {
      events = JSON.parse(String(f.get('events')));
    } catch (err) {
      return setError(`Events are not JSON: ${errorText(err)}`);
    }
    try {
      setResult(await post<TestResult>('/api/rules/test', { rule: String(f.get('rule')), events }));
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <>
      <h1>Rules</h1>
      <Show r={r}>
        {(d) => (
          <Table label="Rules">
            <thead>
              <tr><th>Rule</th><th>Kind</th><th>Severity</th><th>Enabled</th><th class="num">Hits</th><th>Last hit</th></tr>
            </thead>
            <tbody>
              {d.items.map((x) => (
                <tr key={x.id}>
                  <td>{x.title}<div class="mono muted small">{x.id}</div></td>
                  <td>{x.kind}</td>
                  <td><Sev s={x.severity} /></td>
                  <td>{x.enabled ? 'yes' : <span class="muted">no</span>}</td>
                  <td class="num"><a href={`/alerts?rule=${encodeURIComponent(x.id)}`}>{num(x.hits)}</a></td>
                  <td><Time iso={x.last_hit} /></td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Show>
      {roleAllows(session?.user.role, 'analyst') && (
        <Card title="Test a rule">
          <form onSubmit={test} class="stack">
            <label class="field">
              <span>Rule id, or a Sigma rule in YAML</span>
              <textarea name="rule" rows={4} required class="mono" placeholder="rules/auth/brute-force-ip" />
            </label>
            <label class="field">
              <span>Events (a JSON array of records)</span>
              <textarea name="events" rows={8} required class="mono">{SAMPLE}</textarea>
            </label>
            <div class="row end">
              <button class="btn primary" type="submit">Test</button>
            </div>
          </form>
          {error && <ErrorBox error={error} />}
          {result !== undefined && (
            <div aria-live="polite">
              <p>
                <strong>{result.matches.length}</strong> matching event{result.matches.length === 1 ? '' : 's'}
                {result.findings && <>, <strong>{result.findings.length}</strong> finding{result.findings.length === 1 ? '' : 's'}</>}
                {result.events !== undefined && <span class="muted"> out of {result.events} events</span>}.
              </p>
              {result.findings?.map((f, i) => (
                <p key={i}>
                  <Sev s={f.severity} /> {f.title} <span class="muted">({f.evidence} events from {f.window_start})</span>
                </p>
              ))}
              <details>
                <summary>Full answer</summary>
                <Json value={result} />
              </details>
            </div>
          )}
        </Card>
      )}
    </>
  );
}
