/** Detection rules with their hits, and a form to test a rule (by id or Sigma YAML) on sample events. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { post } from '../api';
import { useSession } from '../session';
import type { List, Rule } from '../types';
import { Card, ErrorBox, Json, Sev, Show, Table, Time, errorText, num, roleAllows, useApi } from '../ui';

const SAMPLE = JSON.stringify([{ '@timestamp': '2026-03-02T09:00:00.000Z', event: { action: 'login', outcome: 'failure', provider: 'json-logs' }, user: { email: 'alice@example.com' }, source: { ip: '203.0.113.7' } }], null, 2);

export default function Rules() {
  const r = useApi<List<Rule>>('/api/rules');
  const session = useSession();
  const [result, setResult] = useState<unknown>();
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
      setResult(await post('/api/rules/test', { rule: String(f.get('rule')), events }));
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
              <textarea name="rule" rows={4} required class="mono" placeholder="rules/google-workspace/public-link" />
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
          {result !== undefined && <Json value={result} />}
        </Card>
      )}
    </>
  );
}
