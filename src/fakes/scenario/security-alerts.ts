/** Microsoft Graph security alerts (alerts_v2 and the legacy API) that Microsoft's own detections would raise for the scenario's sign-in attacks, so a relay query for an attacker's address finds them. */
import { Rng } from '../../detection/random.js';
import { legacyAlert, type LegacyGraphAlert } from '../microsoft-graph/legacy-alerts.js';
import { graphTime, guid, type GraphAlert } from '../microsoft-graph/records.js';
import type { IpInfo, ScenarioUser, TruthEntry } from './types.js';

const MINUTE = 60_000;

/** What Identity Protection names each attack, and how it rates it. */
const DETECTIONS = {
  'brute-force': { title: 'Password spray', category: 'CredentialAccess', mitre: ['T1110.003'], severity: 'high', riskEvent: 'passwordSpray', confidence: 85 },
  'new-country-login': { title: 'Unfamiliar sign-in properties', category: 'InitialAccess', mitre: ['T1078.004'], severity: 'medium', riskEvent: 'unfamiliarFeatures', confidence: 60 },
} as const;

export interface ScenarioSecurityAlerts {
  /** alerts_v2 records, oldest first. */
  alerts: GraphAlert[];
  /** The same detections as the legacy /security/alerts API serves them (v1 schema), oldest first. */
  legacyAlerts: LegacyGraphAlert[];
}

/**
 * One alerts_v2 record and one legacy alert per sign-in attack in `truth` (brute force, sign-in
 * from a new country): Entra ID Protection's offline detection, raised some minutes after the
 * attack's last attempt, naming the attacker's address and the accounts it tried. Its own random
 * stream, so nothing else in the scenario moves.
 */
export function securityAlerts(seed: number, args: { truth: readonly TruthEntry[]; users: readonly ScenarioUser[]; tenantId: string; geo: (ip: string) => IpInfo | undefined }): ScenarioSecurityAlerts {
  const rng = new Rng(`scenario:${seed}:security-alerts`);
  const r = () => rng.next();
  const byEmail = new Map(args.users.map((u) => [u.email, u]));
  const alerts: GraphAlert[] = [];
  const legacyAlerts: LegacyGraphAlert[] = [];
  for (const t of args.truth) {
    if (t.kind !== 'brute-force' && t.kind !== 'new-country-login') continue;
    if (!t.ip) continue;
    const d = DETECTIONS[t.kind];
    const accounts = (t.kind === 'brute-force' ? t.targets : [t.actor]).map((e) => byEmail.get(e)).filter((u): u is ScenarioUser => !!u);
    if (accounts.length === 0) continue;
    const first = Date.parse(t.start);
    const last = Date.parse(t.end);
    const raised = last + Math.floor(rng.uniform(4 * MINUTE, 25 * MINUTE));
    const country = args.geo(t.ip)?.country ?? null;
    const where = args.geo(t.ip);
    const who = accounts.length === 1 ? accounts[0]!.email : `${accounts.length} accounts`;
    const description = `${d.title}: sign-in attempts for ${who} from ${t.ip}${where ? ` (${where.city}, ${where.country})` : ''}.`;
    const detectionId = guid(r).replace(/-/g, '');
    const id = `ad${detectionId}`;
    const incidentId = String(rng.intBetween(10_000, 99_999));
    const evidenceTime = graphTime(raised, true);
    const common = { createdDateTime: evidenceTime, verdict: 'suspicious', remediationStatus: 'none', remediationStatusDetails: null, detailedRoles: [], tags: [] };
    alerts.push({
      '@odata.type': '#microsoft.graph.security.alert',
      id,
      providerAlertId: detectionId,
      incidentId,
      status: 'new',
      severity: d.severity,
      classification: null,
      determination: null,
      serviceSource: 'azureAdIdentityProtection',
      detectionSource: 'azureAdIdentityProtection',
      productName: 'Azure Active Directory Identity Protection',
      detectorId: d.riskEvent,
      tenantId: args.tenantId,
      title: d.title,
      description,
      recommendedActions: 'Confirm whether the sign-ins were the users\' own; if not, reset their passwords, revoke their sessions and block the address.',
      category: d.category,
      assignedTo: null,
      alertWebUrl: `https://security.microsoft.com/alerts/${id}?tid=${args.tenantId}`,
      incidentWebUrl: `https://security.microsoft.com/incidents/${incidentId}?tid=${args.tenantId}`,
      actorDisplayName: null,
      threatDisplayName: null,
      threatFamilyName: null,
      mitreTechniques: [...d.mitre],
      createdDateTime: graphTime(raised, true),
      lastUpdateDateTime: graphTime(raised + Math.floor(rng.uniform(MINUTE, 10 * MINUTE)), true),
      resolvedDateTime: null,
      firstActivityDateTime: graphTime(first, true),
      lastActivityDateTime: graphTime(last, true),
      comments: [],
      evidence: [
        { '@odata.type': '#microsoft.graph.security.ipEvidence', ...common, roles: ['attacker'], ipAddress: t.ip, countryLetterCode: country },
        ...accounts.map((u) => ({
          '@odata.type': '#microsoft.graph.security.userEvidence',
          ...common,
          roles: ['compromised'],
          userAccount: { accountName: u.email.split('@')[0]!, domainName: u.email.split('@')[1]!, userSid: null, azureAdUserId: u.entraObjectId, userPrincipalName: u.email, displayName: u.name },
        })),
      ],
      systemTags: [],
    } as unknown as GraphAlert);
    legacyAlerts.push(
      legacyAlert({
        id: guid(r).toUpperCase(),
        tenantId: args.tenantId,
        title: d.title,
        description,
        category: d.riskEvent,
        severity: d.severity,
        confidence: d.confidence,
        eventMs: last,
        vendor: { provider: 'IPC', vendor: 'Microsoft', providerVersion: null, subProvider: null },
        users: accounts.map((u) => ({ userPrincipalName: u.email, accountName: u.email.split('@')[0]!, domainName: u.email.split('@')[1]!, aadUserId: u.entraObjectId, logonIp: t.ip! })),
        connections: [{ sourceAddress: t.ip, destinationDomain: 'login.microsoftonline.com', destinationPort: '443', direction: 'inbound' }],
        sourceMaterials: [`https://portal.azure.com/#blade/Microsoft_AAD_IAM/RiskySignInsBlade/riskEventId/${detectionId}`],
      }),
    );
  }
  const by = (t: string | null | undefined) => Date.parse(t ?? '');
  alerts.sort((a, b) => by(a.createdDateTime) - by(b.createdDateTime));
  legacyAlerts.sort((a, b) => by(a.eventDateTime) - by(b.eventDateTime));
  return { alerts, legacyAlerts };
}
