/** Throughput of the office-365 source: records normalized per second, and a poll through the fake (token, listing, blobs) end to end; prints figures. */
import { timeRuns, percentile } from '../../../bench/stats.js';
import { cmdlet, fileOp, mailboxOp, signIn } from '../../fakes/office-365/records.js';
import { startFakeOffice365, type FakeBlob } from '../../fakes/office-365/server.js';
import { office365ConfigSchema } from './config.js';
import { normalizeRecord } from './normalize.js';
import { createOffice365Source } from './source.js';

const NOW = Date.parse('2026-11-03T10:00:00Z');
const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Qk8~bench-secret';

const N = 100_000;
const records = Array.from({ length: N }, (_, i) => {
  const at = NOW - 3_600_000 + i;
  switch (i % 4) {
    case 0:
      return fileOp({ operation: 'FileDownloaded', at, seed: i });
    case 1:
      return cmdlet('New-InboxRule', { Mailbox: 'megan@contoso.com', Name: 'r', ForwardTo: 'x@fabrikam.example' }, at, i);
    case 2:
      return mailboxOp('MailItemsAccessed', at, i);
    default:
      return signIn(i % 8 !== 3, at, i);
  }
});
const CT = ['Audit.SharePoint', 'Audit.Exchange', 'Audit.Exchange', 'Audit.AzureActiveDirectory'];

const norm = await timeRuns(5, async () => {
  for (let i = 0; i < N; i++) normalizeRecord(records[i], '2026-11-03T10:00:00.000Z', CT[i % 4]);
});
console.log(`office-365 normalize: ${Math.round(N / (percentile(norm, 50) / 1000)).toLocaleString('en')} records/s (median of 5 runs of ${N.toLocaleString('en')}, mixed SharePoint/Exchange/Entra)`);

// 200 blobs of 250 SharePoint records over 20 hours, listed 100 per page.
const blobs: FakeBlob[] = Array.from({ length: 200 }, (_, b) => ({
  contentType: 'Audit.SharePoint',
  contentCreated: new Date(NOW - 20 * 3_600_000 + b * 360_000).toISOString(),
  records: Array.from({ length: 250 }, (_, k) => fileOp({ operation: 'FileDownloaded', at: NOW - 20 * 3_600_000 + b * 360_000 - 60_000 + k, seed: b * 250 + k })),
}));
const fake = await startFakeOffice365({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, subscriptions: ['Audit.SharePoint'], blobs, now: () => NOW });
const config = office365ConfigSchema.parse({ tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, api_url: fake.url, login_url: fake.loginUrl, content_types: ['Audit.SharePoint'] });
let events = 0;
const poll = await timeRuns(3, async () => {
  events = 0;
  const src = createOffice365Source('bench', config, { now: () => NOW, once: true });
  for await (const batch of src.batches({ cursor: undefined, signal: new AbortController().signal })) events += batch.events.length;
});
const ms = percentile(poll, 50);
console.log(`office-365 poll through the fake: ${events.toLocaleString('en')} records in 200 blobs in ${Math.round(ms)} ms (${Math.round(events / (ms / 1000)).toLocaleString('en')} records/s, median of 3)`);
await fake.close();
