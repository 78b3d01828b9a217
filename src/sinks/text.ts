/** Text helpers every sink shares: a quoted error cut to a length, HTML made inert, the dashboard link of an alert. */

/** Whitespace folded and the text cut to `maxChars` with an ellipsis: what an error quotes of a remote answer. */
export function truncate(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made inert as HTML, element content and attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** `<dashboard_url>/alerts/<id>`: where an alert opens in the dashboard. */
export function alertUrl(dashboardUrl: string, alertId: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/alerts/${encodeURIComponent(alertId)}`;
}
