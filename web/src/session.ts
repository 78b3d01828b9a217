/** Who is signed in, shared by every page (a tiny store: no context provider needed). */
import { useEffect, useState } from 'preact/hooks';
import type { Session } from './types';

let session: Session | undefined;
const listeners = new Set<() => void>();

export function setSession(s: Session | undefined): void {
  session = s;
  for (const l of listeners) l();
}

export const currentSession = (): Session | undefined => session;

export function useSession(): Session | undefined {
  const [, bump] = useState(0);
  useEffect(() => {
    const l = () => bump((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return session;
}
