/**
 * One line of alerts.jsonl: the shared alert payload plus the delivery id, so a redelivery after a
 * crash can be recognised and skipped.
 *
 * `{"version":1,"alert":{...same as the webhook payload's alert...},"delivery_id":"..."}`
 */
import type { Alert } from '../../core/index.js';
import { PAYLOAD_VERSION, formatAlert, type AlertPayload } from '../payload.js';

export interface JsonlAlertLine {
  version: typeof PAYLOAD_VERSION;
  alert: AlertPayload;
  delivery_id: string;
}

export function formatJsonlLine(alert: Alert, deliveryId: string): string {
  const line: JsonlAlertLine = { version: PAYLOAD_VERSION, alert: formatAlert(alert), delivery_id: deliveryId };
  // JSON.stringify escapes newlines inside strings, so one alert is always exactly one line.
  return `${JSON.stringify(line)}\n`;
}

/** The delivery id of a stored line, or undefined for a torn or foreign line. */
export function parseDeliveryId(line: string): string | undefined {
  if (!line.includes('"delivery_id"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { delivery_id?: unknown };
    return typeof parsed.delivery_id === 'string' ? parsed.delivery_id : undefined;
  } catch {
    return undefined;
  }
}
