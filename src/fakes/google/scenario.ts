/** A small deterministic generator of realistic Reports activities (logins, Drive, admin, OAuth) for tests and demos. */
import type { Activity, ActivityParameter } from './types.js';

/** Deterministic PRNG (LCG) so a failing scenario reproduces from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface ScenarioOptions {
  /** Activities to generate. */
  count: number;
  /** Time range, epoch ms: activities are spread uniformly over [from, to). */
  from: number;
  to: number;
  seed?: number;
  domain?: string;
  customerId?: string;
  applications?: Array<'login' | 'drive' | 'admin' | 'token'>;
  users?: number;
}

const str = (name: string, value: string): ActivityParameter => ({ name, value });

/**
 * Generates `count` activities. Drive activities carry one to three nested events (Google groups
 * an edit with its view, for instance), so tests see more events than activities.
 */
export function generateActivities(o: ScenarioOptions): Activity[] {
  const r = rng(o.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const domain = o.domain ?? 'example.com';
  const customerId = o.customerId ?? 'C03az79cb';
  const apps = o.applications ?? ['login', 'drive', 'admin', 'token'];
  const users = Array.from({ length: o.users ?? 40 }, (_, i) => `user${i}@${domain}`);
  const out: Activity[] = [];
  for (let i = 0; i < o.count; i++) {
    const app = pick(apps);
    const email = pick(users);
    const ms = o.from + Math.floor(r() * (o.to - o.from));
    const ip = `198.51.100.${1 + Math.floor(r() * 250)}`;
    const docId = `1${Math.floor(r() * 1e12).toString(36)}Xy${i}`;
    let events: Activity['events'];
    if (app === 'login') {
      const ok = r() < 0.85;
      events = [
        {
          type: 'login',
          name: ok ? 'login_success' : 'login_failure',
          parameters: [
            str('login_type', 'google_password'),
            { name: 'login_challenge_method', multiValue: ['password'] },
            { name: 'is_suspicious', boolValue: false },
            ...(ok ? [] : [str('login_failure_type', 'login_failure_invalid_password')]),
          ],
        },
      ];
    } else if (app === 'drive') {
      const base = [str('doc_id', docId), str('doc_title', `Report ${i}`), str('doc_type', 'document'), str('owner', email)];
      events = [{ type: 'access', name: pick(['view', 'download', 'edit']), parameters: [...base, str('visibility', 'private')] }];
      if (r() < 0.3) {
        events.push({
          type: 'acl_change',
          name: 'change_document_visibility',
          parameters: [...base, str('visibility', 'people_with_link'), { name: 'old_value', multiValue: ['private'] }, { name: 'new_value', multiValue: ['people_with_link'] }],
        });
      }
      if (r() < 0.2) {
        events.push({
          type: 'acl_change',
          name: 'change_user_access',
          parameters: [...base, str('target_user', `partner${i}@external.example.org`), { name: 'new_value', multiValue: ['can_view'] }, { name: 'old_value', multiValue: ['none'] }],
        });
      }
    } else if (app === 'admin') {
      events = [
        {
          type: 'DELEGATED_ADMIN_SETTINGS',
          name: 'ASSIGN_ROLE',
          parameters: [str('ROLE_NAME', pick(['_SEED_ADMIN_ROLE', 'Help Desk Admin'])), str('USER_EMAIL', pick(users))],
        },
      ];
    } else {
      events = [
        {
          type: 'auth',
          name: 'authorize',
          parameters: [
            str('client_id', `${100000 + i}.apps.googleusercontent.com`),
            str('app_name', pick(['Zoom', 'Slack', 'Unknown App'])),
            { name: 'scope', multiValue: ['https://www.googleapis.com/auth/drive.readonly', 'openid'] },
          ],
        },
      ];
    }
    out.push({
      kind: 'admin#reports#activity',
      id: {
        time: new Date(ms).toISOString(),
        // Deterministic, signed 64-bit decimal like Google's.
        uniqueQualifier: BigInt.asIntN(64, BigInt(Math.floor(r() * 2 ** 53)) * 2654435761n + BigInt(i)).toString(),
        applicationName: app,
        customerId,
      },
      actor: { email, profileId: String(110000000000000000000n + BigInt(users.indexOf(email))), callerType: 'USER' },
      ipAddress: ip,
      ...(app === 'drive' ? { ownerDomain: domain } : {}),
      events,
    });
  }
  return out;
}
