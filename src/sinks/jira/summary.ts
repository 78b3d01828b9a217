/**
 * How many saaswatch tickets are open, in progress and done, counted with JQL; when Jira cannot be
 * read the answer says so, and carries no numbers (a chart of invented counts is worse than none).
 */
import { SaaswatchError } from '../../core/index.js';
import { jiraApi, jiraError, jiraRedactor, jqlString } from './client.js';
import type { JiraConfig } from './config.js';

/** Issues read per page, and at most this many pages: a summary, not an export. */
const PAGE = 100;
const MAX_PAGES = 50;

export interface JiraStatusCounts {
  todo: number;
  in_progress: number;
  done: number;
}

export type JiraSummary =
  | {
      ok: true;
      project: string;
      /** The JQL counted, so a reader can run it in Jira. */
      jql: string;
      counts: JiraStatusCounts;
      total: number;
      /** More tickets matched than were read (MAX_PAGES × PAGE): the counts are a lower bound. */
      truncated: boolean;
      /** When Jira was read, ISO. */
      at: string;
    }
  | { ok: false; project: string; error: SaaswatchError; message: string; at: string };

/** Counts the issues in `project` carrying the sink's first configured label, by status category. */
export async function summarizeJira(config: JiraConfig, opts: { name?: string; now?: () => number } = {}): Promise<JiraSummary> {
  const now = opts.now ?? Date.now;
  const at = () => new Date(now()).toISOString();
  const label = config.labels[0];
  const api = jiraApi(opts.name ?? 'jira-summary', config);
  const jql = `project = ${jqlString(config.project)} AND labels = ${jqlString(label!)}`;
  try {
    const counts: JiraStatusCounts = { todo: 0, in_progress: 0, done: 0 };
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await api.search(jql, { fields: ['status'], maxResults: PAGE, ...(token ? { next: token } : {}) });
      for (const issue of res.issues) {
        const cat = issue.fields?.status?.statusCategory?.key;
        if (cat === 'done') counts.done++;
        else if (cat === 'indeterminate') counts.in_progress++;
        else counts.todo++;
      }
      token = res.next;
      pages++;
    } while (token && pages < MAX_PAGES);
    return { ok: true, project: config.project, jql, counts, total: counts.todo + counts.in_progress + counts.done, truncated: token !== undefined, at: at() };
  } catch (err) {
    const error = jiraError(err, { target: `jira ${new URL(config.base_url).host}`, what: 'count tickets', redactor: jiraRedactor(config), now: now(), timeoutMs: config.timeout });
    return { ok: false, project: config.project, error, message: `could not read Jira: ${error.message}`, at: at() };
  } finally {
    api.close();
  }
}
