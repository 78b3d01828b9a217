/** Accounts and API tokens (admin): create with a role, a token or generated password shown once, revoke. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, del, post } from '../api';
import type { Account, List, Role, Token } from '../types';
import { Card, Empty, Show, Table, Time, act, useApi } from '../ui';

const ROLES: Role[] = ['viewer', 'analyst', 'admin'];

/** A secret shown once, with a copy button; gone when dismissed. */
function Once({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  return (
    <div class="once" role="alert">
      <p>
        <strong>{label}</strong> — shown once; copy it now.
      </p>
      <code class="secret">{value}</code>
      <div class="row">
        <button class="btn" onClick={() => void navigator.clipboard?.writeText(value)}>Copy</button>
        <button class="btn" onClick={onDone}>Done</button>
      </div>
    </div>
  );
}

export default function Admin() {
  const accounts = useApi<List<Account>>('/api/accounts');
  const tokens = useApi<List<Token>>('/api/tokens');
  const [secret, setSecret] = useState<{ label: string; value: string }>();
  const createAccount = async (e: JSX.TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const v = new FormData(form);
    const password = String(v.get('password') ?? '');
    let made: { password?: string } | undefined;
    const ok = await act('Account created', async () => {
      made = await post<{ password?: string }>('/api/accounts', { email: String(v.get('email')), role: String(v.get('role')), ...(password ? { password } : {}) });
    });
    if (ok) {
      form.reset();
      if (made?.password) setSecret({ label: `Password for ${String(v.get('email'))}`, value: made.password });
      accounts.reload();
    }
  };
  const createToken = async (e: JSX.TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const v = new FormData(form);
    const email = String(v.get('email') ?? '');
    const days = String(v.get('expires_days') ?? '');
    let made: { token: string } | undefined;
    const ok = await act('Token created', async () => {
      made = await post<{ token: string }>('/api/tokens', { name: String(v.get('name')), ...(email ? { email } : {}), ...(days ? { expires_days: Number(days) } : {}) });
    });
    if (ok && made) {
      form.reset();
      setSecret({ label: `Token ${String(v.get('name'))}`, value: made.token });
      tokens.reload();
    }
  };
  const patch = (email: string, change: Record<string, unknown>) => act(`${email} updated`, () => api('PATCH', `/api/accounts/${encodeURIComponent(email)}`, change)).then((ok) => ok && accounts.reload());
  return (
    <>
      <h1>Accounts and tokens</h1>
      {secret && <Once label={secret.label} value={secret.value} onDone={() => setSecret(undefined)} />}
      <Card title="Accounts">
        <form class="filters" onSubmit={createAccount}>
          <label class="field grow"><span>Email</span><input name="email" type="email" required /></label>
          <label class="field"><span>Role</span><select name="role">{ROLES.map((r) => <option key={r}>{r}</option>)}</select></label>
          <label class="field"><span>Password</span><input name="password" type="password" autoComplete="new-password" placeholder="empty: generate one" /></label>
          <button class="btn primary" type="submit">Create account</button>
        </form>
        <Show r={accounts}>
          {(d) =>
            d.items.length === 0 ? <Empty>No accounts.</Empty> : (
              <Table label="Accounts">
                <thead><tr><th>Email</th><th>Role</th><th>Status</th><th>Created</th><th>Last login</th><th><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  {d.items.map((a) => (
                    <tr key={a.email}>
                      <td>{a.email}</td>
                      <td>
                        <select aria-label={`Role of ${a.email}`} value={a.role} onChange={(e) => void patch(a.email, { role: e.currentTarget.value })}>
                          {ROLES.map((r) => <option key={r}>{r}</option>)}
                        </select>
                      </td>
                      <td>{a.disabled ? <span class="badge sev-high">disabled</span> : 'active'}</td>
                      <td><Time iso={a.created_at} /></td>
                      <td><Time iso={a.last_login_at} /></td>
                      <td class="row">
                        <button class="btn" onClick={() => void patch(a.email, { disabled: !a.disabled })}>{a.disabled ? 'Enable' : 'Disable'}</button>
                        <button class="btn danger" onClick={() => void act(`${a.email} deleted`, () => del(`/api/accounts/${encodeURIComponent(a.email)}`)).then((ok) => ok && accounts.reload())}>Delete</button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )
          }
        </Show>
      </Card>
      <Card title="API tokens">
        <form class="filters" onSubmit={createToken}>
          <label class="field grow"><span>Name</span><input name="name" required placeholder="siem-export" /></label>
          <label class="field grow"><span>For account</span><input name="email" type="email" placeholder="empty: yourself" /></label>
          <label class="field"><span>Expires in days</span><input name="expires_days" type="number" min={1} placeholder="never" /></label>
          <button class="btn primary" type="submit">Create token</button>
        </form>
        <Show r={tokens}>
          {(d) =>
            d.items.length === 0 ? <Empty>No tokens.</Empty> : (
              <Table label="API tokens">
                <thead><tr><th>Name</th><th>Account</th><th>Created</th><th>Last used</th><th>Expires</th><th><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  {d.items.map((t) => (
                    <tr key={t.id}>
                      <td>{t.name}</td>
                      <td>{t.email}</td>
                      <td><Time iso={t.created_at} /></td>
                      <td><Time iso={t.last_used_at} /></td>
                      <td>{t.expires_at ? <Time iso={t.expires_at} /> : <span class="muted">never</span>}</td>
                      <td><button class="btn danger" onClick={() => void act(`Token ${t.name} revoked`, () => del(`/api/tokens/${encodeURIComponent(t.id)}`)).then((ok) => ok && tokens.reload())}>Revoke</button></td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )
          }
        </Show>
      </Card>
    </>
  );
}
