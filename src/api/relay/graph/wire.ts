/** Graph's security alert records as the relay reads them: legacy /security/alerts (microsoft.graph.alert) and alerts_v2 (microsoft.graph.security.alert). */
import type { Alert, SecurityNamespace } from '@microsoft/microsoft-graph-types';

/** A legacy alert (v1 schema: hostStates, networkConnections, fileStates, userStates, vendorInformation, sourceMaterials). */
export type LegacyAlert = Alert;
/** An alerts_v2 record, with its `evidence`. */
export type V2Alert = SecurityNamespace.Alert;
