/** Builds the scenario's organisation: offices in several countries, people with their usual addresses and devices, and files. */
import { Rng } from '../../detection/random.js';
import { guid } from '../microsoft-graph/records.js';
import type { IpInfo, ScenarioFile, ScenarioUser } from './types.js';

export const DOMAIN = 'example.com';
export const CUSTOMER_ID = 'C03az79cb';

export interface Site {
  city: string;
  lat: number;
  lon: number;
  region: string;
  country: string;
  tz: string;
  asn: number;
  asnOrg: string;
  /** Share of the staff working from here. */
  weight: number;
}

export const SITES: readonly Site[] = [
  { city: 'New York', lat: 40.7128, lon: -74.006, region: 'New York', country: 'US', tz: 'America/New_York', asn: 7922, asnOrg: 'Comcast Cable Communications, LLC', weight: 0.22 },
  { city: 'San Francisco', lat: 37.7749, lon: -122.4194, region: 'California', country: 'US', tz: 'America/Los_Angeles', asn: 7018, asnOrg: 'AT&T Services, Inc.', weight: 0.16 },
  { city: 'London', lat: 51.5074, lon: -0.1278, region: 'England', country: 'GB', tz: 'Europe/London', asn: 2856, asnOrg: 'British Telecommunications PLC', weight: 0.16 },
  { city: 'Berlin', lat: 52.52, lon: 13.405, region: 'Land Berlin', country: 'DE', tz: 'Europe/Berlin', asn: 3320, asnOrg: 'Deutsche Telekom AG', weight: 0.12 },
  { city: 'Paris', lat: 48.8566, lon: 2.3522, region: 'Île-de-France', country: 'FR', tz: 'Europe/Paris', asn: 3215, asnOrg: 'Orange S.A.', weight: 0.1 },
  { city: 'Bengaluru', lat: 12.9716, lon: 77.5946, region: 'Karnataka', country: 'IN', tz: 'Asia/Kolkata', asn: 24560, asnOrg: 'Bharti Airtel Ltd.', weight: 0.1 },
  { city: 'Tokyo', lat: 35.6762, lon: 139.6503, region: 'Tokyo', country: 'JP', tz: 'Asia/Tokyo', asn: 2516, asnOrg: 'KDDI Corporation', weight: 0.08 },
  { city: 'Sydney', lat: -33.8688, lon: 151.2093, region: 'New South Wales', country: 'AU', tz: 'Australia/Sydney', asn: 1221, asnOrg: 'Telstra Limited', weight: 0.06 },
];

/** Places nobody in the organisation works from: where the attackers are. */
export const FOREIGN: readonly Site[] = [
  { city: 'Lagos', lat: 6.5244, lon: 3.3792, region: 'Lagos', country: 'NG', tz: 'Africa/Lagos', asn: 29465, asnOrg: 'MTN Nigeria Communication limited', weight: 1 },
  { city: 'Bucharest', lat: 44.4268, lon: 26.1025, region: 'Bucuresti', country: 'RO', tz: 'Europe/Bucharest', asn: 9009, asnOrg: 'M247 Europe SRL', weight: 1 },
  { city: 'Hanoi', lat: 21.0278, lon: 105.8342, region: 'Hanoi', country: 'VN', tz: 'Asia/Bangkok', asn: 7552, asnOrg: 'Viettel Group', weight: 1 },
];

/** Where the integrations' servers are. */
export const CLOUD: Site = { city: 'Ashburn', lat: 39.0438, lon: -77.4874, region: 'Virginia', country: 'US', tz: 'America/New_York', asn: 14618, asnOrg: 'Amazon.com, Inc.', weight: 0 };

export const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'HR', 'Legal', 'Operations', 'Support'] as const;

const FIRST = [
  'alice', 'bob', 'carol', 'david', 'emma', 'frank', 'grace', 'henry', 'isabel', 'jack', 'karen', 'liam',
  'maria', 'noah', 'olivia', 'peter', 'quinn', 'rachel', 'samuel', 'tara', 'umar', 'victoria', 'william',
  'yusuf', 'zoe', 'aisha', 'bruno', 'chen', 'diego', 'elena', 'farah', 'giulia', 'hiro', 'ines', 'jonas',
  'kenji', 'lena', 'mateo', 'nadia', 'oscar', 'priya', 'ravi', 'sofia', 'thomas', 'yuki', 'amelie', 'lukas',
];
const LAST = [
  'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez',
  'lopez', 'wilson', 'anderson', 'taylor', 'moore', 'jackson', 'martin', 'lee', 'thompson', 'white',
  'harris', 'clark', 'lewis', 'walker', 'young', 'king', 'wright', 'scott', 'nguyen', 'hill', 'mueller',
  'schmidt', 'rossi', 'tanaka', 'kowalski', 'novak', 'dubois', 'silva', 'sharma', 'patel', 'sato', 'bernard',
];

const DESKTOP_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];
const MOBILE_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
];
export const ATTACKER_AGENT = 'python-requests/2.32.3';

/** File name stems per department; `{q}`, `{y}`, `{n}` are filled in. Sensitive ones are marked. */
const FILE_STEMS: Record<string, ReadonlyArray<readonly [string, boolean]>> = {
  Engineering: [['Design doc - {n}', false], ['Architecture review {q}', false], ['Incident postmortem {n}', false], ['Oncall handbook', false], ['Service credentials {n}', true]],
  Sales: [['Pipeline {q} {y}', false], ['Customer list {y}', true], ['Pricing proposal {n}', false], ['Account plan {n}', false]],
  Marketing: [['Campaign brief {n}', false], ['Brand guidelines', false], ['Launch plan {q}', false], ['Webinar deck {n}', false]],
  Finance: [['Budget {q} {y}', false], ['Payroll {y}-{n}', true], ['Invoice {n}', false], ['Forecast {y}', false], ['Bank details {n}', true]],
  HR: [['Salaries {y}', true], ['Employee directory', true], ['Onboarding checklist', false], ['Performance review {n}', true], ['Payroll export {n}', true]],
  Legal: [['Contract {n}', true], ['NDA template', false], ['Board minutes {q} {y}', true], ['Policy {n}', false]],
  Operations: [['Vendor list {y}', false], ['Office seating {n}', false], ['Procurement {q}', false], ['Travel policy', false]],
  Support: [['Runbook {n}', false], ['Escalation matrix', false], ['Customer feedback {q}', false], ['Macros {n}', false]],
};

interface FileKind {
  mimeType: string;
  ext: string;
  weight: number;
  minKb: number;
  maxKb: number;
}
export const DRIVE_KINDS: readonly FileKind[] = [
  { mimeType: 'application/vnd.google-apps.document', ext: '', weight: 0.35, minKb: 4, maxKb: 400 },
  { mimeType: 'application/vnd.google-apps.spreadsheet', ext: '', weight: 0.25, minKb: 4, maxKb: 2_000 },
  { mimeType: 'application/vnd.google-apps.presentation', ext: '', weight: 0.12, minKb: 50, maxKb: 8_000 },
  { mimeType: 'application/pdf', ext: '.pdf', weight: 0.14, minKb: 40, maxKb: 6_000 },
  { mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ext: '.xlsx', weight: 0.07, minKb: 10, maxKb: 3_000 },
  { mimeType: 'image/png', ext: '.png', weight: 0.05, minKb: 20, maxKb: 4_000 },
  { mimeType: 'text/csv', ext: '.csv', weight: 0.02, minKb: 1, maxKb: 20_000 },
];
const DROPBOX_KINDS: readonly FileKind[] = [
  { mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', ext: '.docx', weight: 0.3, minKb: 10, maxKb: 900 },
  { mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ext: '.xlsx', weight: 0.25, minKb: 10, maxKb: 3_000 },
  { mimeType: 'application/pdf', ext: '.pdf', weight: 0.25, minKb: 40, maxKb: 6_000 },
  { mimeType: 'application/zip', ext: '.zip', weight: 0.1, minKb: 500, maxKb: 200_000 },
  { mimeType: 'image/jpeg', ext: '.jpg', weight: 0.1, minKb: 200, maxKb: 8_000 },
];

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64URL = `${B62}-_`;

export function randomString(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}
export function digits(rng: Rng, n: number): string {
  return randomString(rng, '0123456789', n);
}
/** Drive file ids are 33 or 44 url-safe base64 characters; new ones start with "1". */
export const driveFileId = (rng: Rng) => `1${randomString(rng, B64URL, 43)}`;
export const dropboxFileId = (rng: Rng) => `id:${randomString(rng, B62, 22)}`;

/**
 * Addresses: offices and homes come from 198.18.0.0/15 (RFC 2544 benchmarking, never routed), so
 * fake data never names a real subscriber; attackers come from 203.0.113.0/24 (TEST-NET-3).
 * The directory below tells an enricher where each one "is".
 */
export class IpAllocator {
  readonly directory: Record<string, IpInfo> = {};
  #nextHome = 0;
  #nextAttacker = 10;
  #nextCloud = 0;

  office(siteIndex: number, site: Site, n: number): string {
    return this.#register(`198.18.${siteIndex}.${10 + n}`, site);
  }

  home(site: Site): string {
    const i = this.#nextHome++;
    // 198.19.0.1 .. 198.19.255.254, wrapping for very large organisations.
    const third = Math.floor(i / 254) % 256;
    return this.#register(`198.19.${third}.${(i % 254) + 1}`, site);
  }

  attacker(site: Site): string {
    return this.#register(`203.0.113.${this.#nextAttacker++ % 250}`, site);
  }

  /** Integrations run in their vendor's cloud: 192.0.2.0/24 (TEST-NET-1), placed in Ashburn. */
  cloud(): string {
    return this.#register(`192.0.2.${10 + this.#nextCloud++ % 240}`, CLOUD);
  }

  #register(ip: string, site: Site): string {
    this.directory[ip] = { country: site.country, city: site.city, region: site.region, lat: site.lat, lon: site.lon, asn: site.asn, asnOrg: site.asnOrg };
    return ip;
  }
}

/** A phone's user agent: phones keep their sessions with refresh tokens and sign in through apps. */
export const isMobile = (ua: string) => /iPhone|Android|Mobile/.test(ua);

/** The person's desktop browser (their first agent when they have none). */
export const browserOf = (u: ScenarioUser): string => u.userAgents.find((ua) => !isMobile(ua)) ?? u.userAgents[0]!;

export function buildUsers(rng: Rng, count: number, ips: IpAllocator): ScenarioUser[] {
  const officeIps = SITES.map((site, i) => [ips.office(i, site, 0), ips.office(i, site, 1)] as const);
  const taken = new Set<string>();
  const users: ScenarioUser[] = [];
  for (let i = 0; i < count; i++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    let local = `${first}.${last}`;
    for (let n = 2; taken.has(local); n++) local = `${first}.${last}${n}`;
    taken.add(local);
    const siteIndex = rng.weighted(SITES.map((s, k) => [k, s.weight] as const));
    const site = SITES[siteIndex]!;
    const remote = rng.chance(0.3);
    const userIps: string[] = [];
    // Offices sit behind one of two NAT addresses; everyone also works from home now and then.
    if (!remote) userIps.push(officeIps[siteIndex]![rng.int(2)]!);
    userIps.push(ips.home(site));
    if (rng.chance(0.25)) userIps.push(ips.home(site));
    const agents = [rng.pick(DESKTOP_AGENTS)];
    if (rng.chance(0.6)) agents.push(rng.pick(MOBILE_AGENTS));
    users.push({
      email: `${local}@${DOMAIN}`,
      name: `${cap(first)} ${cap(last)}`,
      tz: site.tz,
      country: site.country,
      city: site.city,
      region: site.region,
      department: DEPARTMENTS[rng.int(DEPARTMENTS.length)]!,
      ips: userIps,
      asn: site.asn,
      asnOrg: site.asnOrg,
      userAgents: agents,
      isAdmin: false,
      usesDropbox: rng.chance(0.6),
      googleProfileId: `1${digits(rng, 20)}`,
      entraObjectId: entraObjectId(`${local}@${DOMAIN}`),
      dropboxAccountId: `dbid:AA${randomString(rng, B64URL, 38)}`,
      dropboxTeamMemberId: `dbmid:AA${randomString(rng, B64URL, 38)}`,
    });
  }
  // Dropbox-only attacks need at least one team member.
  if (count > 0 && !users.some((u) => u.usesDropbox)) users[count - 1]!.usesDropbox = true;
  // A few IT people administer the domain; with tiny organisations the first user does.
  const admins = Math.max(1, Math.round(count / 100));
  for (let i = 0; i < admins; i++) {
    const u = users[i]!;
    u.isAdmin = true;
    u.department = 'Operations';
  }
  return users;
}

export function buildFiles(rng: Rng, count: number, users: ScenarioUser[]): ScenarioFile[] {
  const byDept = new Map<string, ScenarioUser[]>();
  for (const u of users) byDept.set(u.department, [...(byDept.get(u.department) ?? []), u]);
  const files: ScenarioFile[] = [];
  const dropboxUsers = users.filter((u) => u.usesDropbox);
  const financeOwner = users.find((u) => u.department === 'Finance') ?? users[0]!;
  for (let i = 0; i < count; i++) {
    // Three files in ten live in Dropbox team folders, the rest in Drive.
    const onDropbox = dropboxUsers.length > 0 && i % 10 >= 7;
    // File 0 is a Drive payroll sheet, so the public-link attack has its target even in tiny organisations.
    const owner = i === 0 ? financeOwner : rng.pick(onDropbox ? dropboxUsers : users);
    const department = i === 0 ? 'Finance' : byDept.has(owner.department) && rng.chance(0.85) ? owner.department : rng.pick(DEPARTMENTS);
    const stems = FILE_STEMS[department]!;
    const [stem, sensitive] = i === 0 ? stems.find(([s]) => s.startsWith('Payroll'))! : rng.pick(stems);
    const kind = rng.weighted((onDropbox ? DROPBOX_KINDS : DRIVE_KINDS).map((k) => [k, k.weight] as const));
    const base = stem
      .replace('{q}', `Q${rng.intBetween(1, 4)}`)
      .replace('{y}', String(rng.intBetween(2022, 2025)))
      .replace('{n}', String(rng.intBetween(1, 999)).padStart(3, '0'));
    const name = `${base}${kind.ext}`;
    const size = Math.round(rng.uniform(kind.minKb, kind.maxKb) * 1024);
    if (onDropbox) {
      files.push({
        id: dropboxFileId(rng), platform: 'dropbox', name, mimeType: kind.mimeType, owner: owner.email,
        department, sensitive, size, path: `/${department}/${name}`,
      });
    } else {
      files.push({ id: driveFileId(rng), platform: 'google-workspace', name, mimeType: kind.mimeType, owner: owner.email, department, sensitive, size });
    }
  }
  return files;
}

/**
 * Entra object ids come from the address rather than the organisation's stream, so giving people a
 * Microsoft account reshuffles nothing else about them.
 */
export function entraObjectId(email: string): string {
  const rng = new Rng(`entra:${email}`);
  return guid(() => rng.next());
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
