/** Block and unblock through the API (the responder audits both), shared by the user page and the blocked list. */
import { del, post, qs } from '../api';
import { act, type DialogField } from '../ui';

export const SCOPES = ['all', 'login', 'download', 'upload', 'share', 'delete'];

export const blockFields = (reason = ''): DialogField[] => [
  { name: 'reason', label: 'Reason', required: true, value: reason, placeholder: 'why (goes to the audit log)' },
  { name: 'scope', label: 'Scope', type: 'select', options: SCOPES },
  { name: 'hours', label: 'Hours (empty: until unblocked)', type: 'number' },
];

export const block = (user: string, v: Record<string, string>) =>
  act(`${user} blocked`, () => post('/api/blocked', { user, reason: v['reason'], ...(v['scope'] ? { scope: v['scope'] } : {}), ...(v['hours'] ? { hours: Number(v['hours']) } : {}) }));

export const unblock = (user: string, reason: string) => act(`${user} unblocked`, () => del(`/api/blocked/${encodeURIComponent(user)}${qs({ reason })}`));
