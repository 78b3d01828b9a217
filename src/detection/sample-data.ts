/** Generates the seeded sample web-app authentication log (examples/sample-auth.jsonl) with one injected password spray. */
import { Rng } from './random.js';

/** One line of the sample log, in the shape the json-logs source maps. */
export interface SampleAuthRecord {
  time: string;
  user: string;
  src_ip: string;
  action: 'login' | 'logout' | 'view_report' | 'download_file' | 'update_profile' | 'list_users';
  result: 'success' | 'failure';
  user_agent: string;
}

export interface SampleOptions {
  seed?: number;
  /** First day (UTC midnight) of the log. */
  start?: string;
  days?: number;
  users?: number;
  /** Users working from behind the shared office NAT. */
  officeUsers?: number;
}

/** Ground truth of the sample, so tests assert against what was injected rather than repeating literals. */
export const SAMPLE_TRUTH = {
  attackerIp: '203.0.113.77',
  officeNatIp: '198.51.100.10',
  /** The legitimate user who mistypes three times in a row on day 1. */
  clumsyUser: 'olivia.brown@example.com',
} as const;

const FIRST = [
  'alice', 'bob', 'carol', 'david', 'emma', 'frank', 'grace', 'henry', 'isabel', 'jack', 'karen', 'liam',
  'maria', 'noah', 'olivia', 'peter', 'quinn', 'rachel', 'samuel', 'tara', 'umar', 'victoria', 'william',
  'xena', 'yusuf', 'zoe', 'aisha', 'bruno', 'chen', 'diego', 'elena', 'farah', 'giulia', 'hiro', 'ines',
  'jonas', 'kenji', 'lena', 'mateo', 'nadia', 'oscar', 'priya',
];
const LAST = [
  'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez',
  'hernandez', 'lopez', 'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore', 'jackson', 'martin',
  'lee', 'perez', 'thompson', 'white', 'harris', 'sanchez', 'clark', 'ramirez', 'lewis', 'robinson',
  'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres', 'nguyen', 'hill', 'flores', 'mueller',
  'schmidt', 'rossi', 'tanaka', 'kowalski', 'novak', 'dubois', 'silva',
];

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.86 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
];
const ATTACK_UA = 'python-requests/2.31.0';

/** Home/ISP prefixes: the RFC 5737 documentation ranges plus public /24s commonly used in GeoIP test data. */
const IP_PREFIXES: ReadonlyArray<readonly [string, number]> = [
  ['198.51.100', 3],
  ['192.0.2', 3],
  ['81.2.69', 1],
  ['89.160.20', 1],
  ['216.160.83', 1],
  ['2.125.160', 1],
  ['175.16.199', 1],
  ['67.43.156', 1],
];

/** UTC offsets (hours) of where people work, with how many of them work there. */
const TIMEZONES: ReadonlyArray<readonly [number, number]> = [
  [-8, 0.15],
  [-5, 0.25],
  [0, 0.15],
  [1, 0.3],
  [5.5, 0.05],
  [9, 0.1],
];
const OFFICE_TZ = 1;

interface User {
  email: string;
  tz: number;
  ips: string[];
  uas: string[];
  admin: boolean;
  /** Sessions a working day, roughly. */
  activity: number;
}

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Builds the whole log in time order; pure function of the options. */
export function generateSampleAuthLog(opts: SampleOptions = {}): SampleAuthRecord[] {
  const rng = new Rng(opts.seed ?? 20261102);
  const start = Date.parse(opts.start ?? '2026-11-02T00:00:00.000Z');
  const days = opts.days ?? 3;
  const end = start + days * DAY;
  const userCount = opts.users ?? 250;
  const officeCount = opts.officeUsers ?? 40;

  const usedIps = new Set<string>([SAMPLE_TRUTH.attackerIp, SAMPLE_TRUTH.officeNatIp]);
  const freshIp = (): string => {
    for (let attempt = 0; ; attempt++) {
      // The /24 pools hold about 2,000 addresses; large generated populations spill into the /16s.
      const ip =
        attempt < 50
          ? `${rng.weighted(IP_PREFIXES)}.${rng.intBetween(1, 254)}`
          : `${rng.weighted(IP_PREFIXES.slice(2)).split('.').slice(0, 2).join('.')}.${rng.int(256)}.${rng.intBetween(1, 254)}`;
      // Home connections are rarely shared; keeping them unique makes "shared IP" mean the office NAT.
      if (!usedIps.has(ip)) {
        usedIps.add(ip);
        return ip;
      }
    }
  };

  const names = new Set<string>([SAMPLE_TRUTH.clumsyUser]);
  // Beyond half the name combinations, numbered addresses (as big directories have) keep the loop short.
  const numbered = userCount > (FIRST.length * LAST.length) / 2;
  while (names.size < userCount) {
    const suffix = numbered ? String(names.size) : '';
    names.add(`${rng.pick(FIRST)}.${rng.pick(LAST)}${suffix}@example.com`);
  }
  const emails = [...names].sort();

  const users: User[] = emails.map((email, i) => {
    // The office users are a deterministic slice so the clumsy user (first by chance or not) stays remote.
    const office = i >= 10 && i < 10 + officeCount && email !== SAMPLE_TRUTH.clumsyUser;
    const ips: string[] = office ? [SAMPLE_TRUTH.officeNatIp] : [];
    const own = office ? rng.intBetween(0, 1) : rng.weighted([[1, 0.45], [2, 0.4], [3, 0.15]] as const);
    for (let k = 0; k < own; k++) ips.push(freshIp());
    const ua = rng.pick(USER_AGENTS);
    const uas = rng.chance(0.4) ? [ua, rng.pick(USER_AGENTS)] : [ua];
    return {
      email,
      tz: office ? OFFICE_TZ : rng.weighted(TIMEZONES),
      ips,
      uas,
      admin: rng.chance(0.06),
      activity: office ? rng.uniform(2.5, 4.5) : rng.uniform(1, 3.5),
    };
  });

  const out: Array<{ t: number; seq: number; r: SampleAuthRecord }> = [];
  let seq = 0;
  const emit = (t: number, user: string, ip: string, action: SampleAuthRecord['action'], result: SampleAuthRecord['result'], ua: string): void => {
    if (t < start || t >= end) return;
    out.push({ t, seq: seq++, r: { time: new Date(t).toISOString(), user, src_ip: ip, action, result, user_agent: ua } });
  };

  for (const u of users) {
    for (let d = -1; d <= days; d++) {
      // Local working day d, expressed in UTC; days outside the log are generated and then clipped so
      // the first and last hours look like any other.
      const localMidnight = start + d * DAY - u.tz * HOUR;
      const clumsyDay = u.email === SAMPLE_TRUTH.clumsyUser && d === 0;
      if (!rng.chance(0.92) && !clumsyDay) continue;
      const sessions = Math.max(1, Math.round(rng.gaussian(u.activity, 0.8)));
      for (let s = 0; s < sessions; s++) {
        const t0 = localMidnight + rng.uniform(8, 17.75) * HOUR;
        session(u, t0, clumsyDay && s === 0);
      }
    }
  }

  function session(u: User, t0: number, clumsy: boolean): void {
    const ip = u.ips.length === 1 || rng.chance(0.7) ? u.ips[0]! : rng.pick(u.ips.slice(1));
    const ua = u.uas.length === 1 || rng.chance(0.85) ? u.uas[0]! : u.uas[1]!;
    let t = t0 + rng.int(1000);
    const typos = clumsy ? 3 : rng.chance(0.06) ? (rng.chance(0.8) ? 1 : 2) : 0;
    for (let k = 0; k < typos; k++) {
      emit(t, u.email, ip, 'login', 'failure', ua);
      t += rng.uniform(4, 25) * 1000;
    }
    // Three misses usually mean a trip to the password manager before the success.
    if (clumsy) t += rng.uniform(2, 5) * MIN;
    emit(t, u.email, ip, 'login', 'success', ua);
    const actions = rng.intBetween(2, 10);
    for (let k = 0; k < actions; k++) {
      t += Math.max(3000, rng.exponential(100_000));
      const action = rng.weighted<SampleAuthRecord['action']>([
        ['view_report', 0.5],
        ['download_file', 0.28],
        ['update_profile', 0.07],
        ['list_users', u.admin ? 0.3 : 0.01],
      ]);
      const failed = action === 'download_file' && rng.chance(0.02);
      emit(t, u.email, ip, action, failed ? 'failure' : 'success', ua);
    }
    if (rng.chance(0.6)) emit(t + Math.max(2000, rng.exponential(40_000)), u.email, ip, 'logout', 'success', ua);
  }

  // The spray: five passwords tried against the same 80 accounts, round-robin, from one host, at night
  // on day 2, then one account falls and the attacker looks around.
  const targets = rng.sample(emails.filter((e) => e !== SAMPLE_TRUTH.clumsyUser), 80);
  const attackStart = start + DAY + 2 * HOUR + 14 * MIN + 7_000;
  const step = (25 * MIN) / 400;
  let t = attackStart;
  for (let round = 0; round < 5; round++) {
    for (const target of targets) {
      emit(t, target, SAMPLE_TRUTH.attackerIp, 'login', 'failure', ATTACK_UA);
      t += step * rng.uniform(0.6, 1.4);
    }
  }
  const victim = targets[37]!;
  emit(t, victim, SAMPLE_TRUTH.attackerIp, 'login', 'success', ATTACK_UA);
  for (const action of ['list_users', 'view_report', 'download_file', 'download_file'] as const) {
    t += rng.uniform(20, 70) * 1000;
    emit(t, victim, SAMPLE_TRUTH.attackerIp, action, 'success', ATTACK_UA);
  }

  out.sort((a, b) => a.t - b.t || a.seq - b.seq);
  return out.map((o) => o.r);
}
