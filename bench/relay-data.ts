/** The benchmark data of the relay's benches: BENCH_RELAY_ALERTS alerts_v2 records and as many legacy alerts (fixed seed), and one 10-observable request over them. */
import type { Observable } from '../src/api/relay/types.js';
import { generateAlerts, legacyAlert } from '../src/fakes/microsoft-graph/server.js';

export const ALERTS = Number(process.env.BENCH_RELAY_ALERTS ?? 2_000);
export const RUNS = Number(process.env.BENCH_RELAY_RUNS ?? 40);
export const LIMIT = 100;
export const NOW = Date.parse('2026-03-02T09:00:00.000Z');
export const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
export const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
export const SECRET = 'bench-secret-value';

export const v2 = generateAlerts({ count: ALERTS, start: NOW - 20 * 86_400_000, spanMs: 19 * 86_400_000, seed: 5, tenantId: TENANT });
export const legacy = Array.from({ length: ALERTS }, (_, i) =>
  legacyAlert({
    id: `L-${i}`,
    tenantId: TENANT,
    title: 'Port scan',
    description: 'A port scan was detected.',
    category: 'network',
    severity: ['low', 'medium', 'high'][i % 3]!,
    confidence: i % 101,
    eventMs: NOW - (i + 1) * 60_000,
    vendor: { provider: 'Palo Alto Networks', subProvider: 'NGFW', vendor: 'Palo Alto Networks' },
    hosts: [{ netBiosName: `host-${i % 50}`, fqdn: `host-${i % 50}.contoso.com`, privateIpAddress: `10.0.${i % 50}.1` }],
    connections: [{ sourceAddress: `203.0.113.${i % 250}`, destinationDomain: `c2-${i % 20}.example`, destinationUrl: `http://c2-${i % 20}.example/x` }],
    files: [{ name: `tool-${i % 30}.exe`, path: `C:\\Temp\\tool-${i % 30}.exe`, sha256: (i % 30).toString(16).padStart(64, 'a') }],
    users: [{ userPrincipalName: `user${i % 40}@contoso.com`, accountName: `user${i % 40}` }],
  }),
);
const firstV2 = v2[0]!.evidence!.map((e) => e as { ipAddress?: string; userAccount?: { userPrincipalName?: string } });
export const observables: Observable[] = [
  { type: 'ip', value: firstV2.find((e) => e.ipAddress)!.ipAddress! },
  { type: 'ip', value: '198.51.100.99' },
  { type: 'email', value: firstV2.find((e) => e.userAccount)!.userAccount!.userPrincipalName! },
  { type: 'user', value: 'user7' },
  { type: 'domain', value: 'c2-3.example' },
  { type: 'url', value: 'http://c2-4.example/x' },
  { type: 'hostname', value: 'host-9' },
  { type: 'file_name', value: 'tool-2.exe' },
  { type: 'file_path', value: 'C:\\Temp\\tool-5.exe' },
  { type: 'sha256', value: (6).toString(16).padStart(64, 'a') },
];

