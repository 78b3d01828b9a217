/** The "Response" card of the alert and file pages: what each configured service can do to the user or file, run with a reason (a dry run unless the action is enabled), and what came of it. */
import { useState } from 'preact/hooks';
import { post, qs } from '../api';
import { useSession } from '../session';
import type { ActionRecord, Offer } from '../types';
import { Card, Empty, FormDialog, Status, errorText, roleAllows, toast, useApi } from '../ui';

/** `remove-public-link` → `Remove public link`. */
export const actionTitle = (action: string): string => {
  const words = action.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** A service's state before or after an action, as short `key=value` pairs (as the CLI prints them). */
export function describeState(s: Record<string, unknown> | undefined): string {
  if (!s) return '—';
  const parts = Object.entries(s).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : 'no state';
}

/** One action's record: its outcome, what it planned or why it failed, and the state it changed. */
export function ActionRecordView({ rec }: { rec: ActionRecord }) {
  const why = rec.status === 'failed' || rec.status === 'refused' ? rec.error : rec.plan;
  return (
    <div class="action-record">
      <strong>{actionTitle(rec.action)}</strong> <span class="mono">{rec.target.id}</span> via {rec.source} <Status s={rec.status} />
      {why && <div class="muted small">{why}</div>}
      {(rec.before || rec.after) && (
        <div class="mono small state">
          {describeState(rec.before)} → {describeState(rec.after)}
        </div>
      )}
      <div class="muted small">
        {rec.mode} by {rec.actor}
        {rec.reason ? ` — ${rec.reason}` : ''}
      </div>
    </div>
  );
}

/** A user or file the card offers actions for, with a label saying which. */
export interface ResponseTarget {
  id: string;
  label: string;
}

function TargetOffers({ target, canAct, onPick }: { target: ResponseTarget; canAct: boolean; onPick: (o: Offer) => void }) {
  const r = useApi<{ items: Offer[] }>(`/api/actions/offers${qs({ target: target.id })}`);
  if (r.error) return <p class="muted small">{r.error}</p>;
  if (!r.data) return <p class="muted small">Loading what can be done to {target.label}…</p>;
  const offers = r.data.items;
  return (
    <div class="response-target">
      <h3>{target.label}</h3>
      {offers.length === 0 ? (
        <Empty>No configured service offers actions here.</Empty>
      ) : canAct ? (
        <div class="actions" role="group" aria-label={`Response actions for ${target.label}`}>
          {offers.map((o) => (
            <button key={`${o.source}/${o.action}`} class={`btn ${o.executes && o.disruptive ? 'danger' : ''}`} title={o.summary} onClick={() => onPick(o)}>
              {actionTitle(o.action)} via {o.source} — {o.executes ? 'executes' : 'dry run'}
            </button>
          ))}
        </div>
      ) : (
        <ul class="plain small">
          {offers.map((o) => (
            <li key={`${o.source}/${o.action}`}>
              {actionTitle(o.action)} via {o.source} <span class="muted">({o.executes ? 'executes' : 'dry run only'})</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * Response actions for `targets`. Viewers see what could be done, never a button. An action taken
 * here is recorded against `alertId` when given, so the alert's responses list it; `onDone` reloads them.
 */
export function ResponseCard({ targets, alertId, onDone, class: cls }: { targets: ResponseTarget[]; alertId?: string; onDone?: () => void; class?: string }) {
  const session = useSession();
  const canAct = roleAllows(session?.user.role, 'analyst');
  const [picked, setPicked] = useState<Offer>();
  const [results, setResults] = useState<ActionRecord[]>([]);
  return (
    <Card title="Response" {...(cls ? { class: cls } : {})}>
      {targets.length === 0 ? (
        <Empty>Nothing here names a user or a file to act on.</Empty>
      ) : (
        targets.map((t) => <TargetOffers key={t.id} target={t} canAct={canAct} onPick={setPicked} />)
      )}
      {results.length > 0 && (
        <div class="response-results" aria-live="polite">
          <h3>Result</h3>
          {results.map((rec) => (
            <ActionRecordView key={rec.id} rec={rec} />
          ))}
        </div>
      )}
      {picked && (
        <FormDialog
          title={`${actionTitle(picked.action)} via ${picked.source} — ${picked.executes ? 'executes' : 'dry run'}`}
          fields={[{ name: 'reason', label: picked.executes ? `Reason (this changes ${picked.service})` : 'Reason (a dry run: nothing changes)', required: true, placeholder: 'why (goes to the audit log)' }]}
          submit={picked.executes ? 'Run' : 'Dry run'}
          onClose={() => setPicked(undefined)}
          onSubmit={async (v) => {
            try {
              const res = await post<{ items: ActionRecord[] }>('/api/actions', {
                action: picked.action,
                target: picked.target.id,
                source: picked.source,
                ...(picked.target.member ? { member: picked.target.member } : {}),
                reason: v['reason'] ?? '',
                execute: picked.executes,
                ...(alertId ? { alert_id: alertId } : {}),
              });
              setResults(res.items);
              const failed = res.items.some((x) => x.status === 'failed' || x.status === 'refused');
              toast(`${actionTitle(picked.action)}: ${res.items.map((x) => x.status).join(', ')}`, failed ? 'error' : 'ok');
              onDone?.();
              return true;
            } catch (err) {
              toast(errorText(err), 'error');
              return false;
            }
          }}
        />
      )}
    </Card>
  );
}
