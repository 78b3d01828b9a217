/** Sign in with an account's email and password, or through the configured OIDC issuer. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { login } from '../api';
import { navigate, type Loc } from '../router';
import { currentSession, setSession } from '../session';
import { ErrorBox, errorText, useApi } from '../ui';

interface Methods {
  password: boolean;
  oidc: { name: string } | null;
}

function nextPath(loc: Loc): string {
  const n = loc.query.get('next');
  // Only a path on this site: never an open redirect.
  return n && n.startsWith('/') && !n.startsWith('//') && !n.startsWith('/login') ? n : '/';
}

export default function Login({ loc }: { loc: Loc }) {
  const methods = useApi<Methods>('/api/auth/methods');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (currentSession()) navigate(nextPath(loc), { replace: true });
  }, []);
  const submit = async (e: JSX.TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      const s = await login(String(f.get('email')), String(f.get('password')));
      setSession(s);
      navigate(nextPath(loc), { replace: true });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  const oidc = methods.data?.oidc;
  return (
    <main class="login" id="main">
      <form class="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">
          <span class="brand">saaswatch</span>
          <span class="muted"> · sign in</span>
        </h1>
        {error && <ErrorBox error={error} />}
        {methods.data?.password !== false && (
          <>
            <label class="field">
              <span>Email</span>
              <input name="email" type="email" autoComplete="username" required autoFocus />
            </label>
            <label class="field">
              <span>Password</span>
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
            <button class="btn primary wide" type="submit" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </>
        )}
        {oidc && (
          <a class="btn wide" href="/api/auth/oidc">
            Sign in with {oidc.name}
          </a>
        )}
        <p class="muted small">
          No account yet? An administrator creates one with <code>saaswatch user add EMAIL --role analyst</code>.
        </p>
      </form>
    </main>
  );
}
