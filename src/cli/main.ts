/**
 * The saaswatch command line: run, serve, ingest, demo, alerts, block, unblock, blocked, audit, actions, act,
 * deliveries, dead-letters, purge, user (accounts and API tokens), scan (PII in local files), config check/schema, rules test, version. Each action imports its implementation when it runs, so `--help` and
 * `version` load only commander.
 */
import { Command, CommanderError, Option } from 'commander';
import { clockFrom, systemClock, type Clock } from '../core/clock.js';
import { errorMessage, errors, SaaswatchError } from '../core/errors.js';
import { BLOCK_SCOPES } from '../core/store.js';
import { VERSION } from '../version.js';
import { durationOption, entityOption, EXIT, EXPLAIN_RECORDS, intOption, isoTimeOption, scoreOption } from './options.js';
import { errText, safeLines } from './terminal.js';

export { EXIT } from './options.js';

const num = (n: number) => n.toLocaleString('en-US');

/**
 * The clock a run reads "now" from: SAASWATCH_NOW (an ISO time) pins where the run starts in time,
 * for reproducible runs and tests; otherwise the system clock.
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const at = env.SAASWATCH_NOW;
  if (at === undefined || at === '') return systemClock;
  const t = Date.parse(at);
  if (!Number.isFinite(t) || !/\d{4}-\d{2}-\d{2}T/.test(at)) {
    throw errors.configInvalid({ path: 'SAASWATCH_NOW', problem: `expected an ISO time such as 2026-03-02T09:00:00Z, got "${at}"`, fix: 'unset it to use the system clock' });
  }
  return clockFrom(t);
}

/** Limits of `-n/--limit`: a listing beyond this belongs in an export, not a terminal. */
const MAX_LIST = 100_000;

export function buildProgram(opts: { now?: Clock } = {}): Command {
  const now = opts.now ?? systemClock;
  const commands = () => import('./commands.js');
  const program = new Command('saaswatch')
    .description('Watch SaaS audit logs, detect attacks, and raise deduplicated alerts.')
    .version(VERSION, '-V, --version')
    // A global option: accepted before or after the subcommand (`saaswatch -c x.yml run` or `saaswatch run -c x.yml`).
    .option('-c, --config <file>', 'config file (default ./saaswatch.yml, then ~/.config/saaswatch/config.yml)')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    // Usage errors quote the arguments given, which may be a file name from a hostile folder.
    .configureOutput({ writeErr: (text) => process.stderr.write(safeLines(text)) })
    .exitOverride();
  /** The command's own options merged with the global ones (`--config`). */
  const optsOf = <T>(cmd: Command) => cmd.optsWithGlobals() as T;

  program
    .command('run')
    .description('ingest every configured source, detect, and deliver alerts')
    .option('--once', 'poll each source up to now, then exit (for cron jobs and backfills)')
    .option('--no-progress', 'never draw a progress bar')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await commands()).run(optsOf(cmd), now);
    });

  program
    .command('serve')
    .description('serve the API and the dashboard on server: {host, port} from the store, without running sources, until Ctrl-C or SIGTERM')
    .option('--demo', "serve the demo's database (running `saaswatch demo` first when there is none), print a login, and answer the relay from the demo's fake Graph (printing a ready curl)")
    .option('-d, --data-dir <dir>', 'with --demo: where the demo database is', '.saaswatch')
    .option('--host <address>', 'listen on this address instead of server.host')
    .option('--port <n>', 'listen on this port instead of server.port (0: a free one)', intOption(0, 65_535))
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await commands()).serve(optsOf(cmd), now);
    });

  program
    .command('ingest')
    .description('ingest a JSON, JSONL or CSV log file (or - for stdin) through the json-logs source')
    .argument('<file>', 'log file, or - to read standard input')
    .option('-s, --source <name>', 'json-logs source in the config whose field mapping to use')
    .addOption(new Option('-f, --format <format>', 'input format').choices(['auto', 'json', 'jsonl', 'csv']))
    .option('--no-progress', 'never draw a progress bar')
    .option('--explain', `read the first ${num(EXPLAIN_RECORDS)} records, show which input key feeds each field and how the outcome was decided, and store nothing`)
    .action(async (file: string, _opts, cmd: Command) => {
      process.exitCode = await (await commands()).ingest(file, optsOf(cmd), now);
    });

  program
    .command('scan')
    .description('find PII and secrets in local files (pdf, docx, xlsx, pptx, odt, csv, json, html, txt; folders recursed) or - for stdin; prints masked values only; exits 4 when something is found')
    .argument('<path...>', 'files or folders to scan, or - to read standard input')
    .option('--json', 'one JSON object per finding per line: file, type, start, end (code point offsets into the extracted text), score, masked, reason')
    .option('--min-score <n>', 'report findings scored at least this, 0 to 1', scoreOption, 0.5)
    .option('--entities <types>', 'only these entity types, comma-separated (e.g. CREDIT_CARD,US_SSN)')
    .action(async (paths: string[], _opts, cmd: Command) => {
      process.exitCode = await (await import('./scan.js')).scan(paths, optsOf(cmd));
    });

  program
    .command('demo')
    .description('generate an organisation, serve it from local fakes of the SaaS APIs, and watch it')
    .option('-d, --data-dir <dir>', 'where the demo database and alerts go', '.saaswatch')
    .option('--users <n>', 'users in the generated organisation (1 to 100,000)', intOption(1, 100_000), 300)
    .option('--days <n>', 'days of history to backfill (1 to 365)', intOption(1, 365), 7)
    .option('--seed <n>', 'seed of the generated organisation and its attacks (0 to 4,294,967,295)', intOption(0, 2 ** 32 - 1), 7)
    .option('--end <time>', 'when the generated history ends, ISO (default now): the same seed and end give the same run any day')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await commands()).demo(optsOf(cmd), now);
    });

  const triage = () => import('./alerts.js');
  const alerts = program
    .command('alerts')
    .description('list stored alerts, newest first, muted ones marked; triage them (show, ack, close, mute, unmute, mutes)');
  alerts
    .command('list', { isDefault: true })
    .description('list stored alerts, newest first (the default: `saaswatch alerts`); those a mute held back are marked')
    .option('-n, --limit <n>', `how many (1 to ${num(MAX_LIST)})`, intOption(1, MAX_LIST), 50)
    .option('--json', 'one JSON object per line (a muted one has `muted`)')
    .addOption(new Option('--status <status>', 'only alerts in this state').choices(['open', 'acknowledged', 'closed']))
    .option('--rule <rule>', 'only alerts of this rule (e.g. brute-force)')
    .option('--entity <type:value>', 'only alerts on this entity; the value may be a glob (user:*@contractor.example)', entityOption)
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await triage()).listAlerts(optsOf(cmd), now);
    });
  alerts
    .command('show')
    .description('one alert in full: evidence, details, deliveries and the mute that held it back')
    .argument('<id>', 'alert id (the last column of `saaswatch alerts`)')
    .option('--json', 'as one JSON object, with its deliveries')
    .action(async (id: string, _opts, cmd: Command) => {
      process.exitCode = await (await triage()).showAlert(id, optsOf(cmd), now);
    });
  alerts
    .command('ack')
    .description('acknowledge an alert: someone is on it (recorded in the audit log)')
    .argument('<id>', 'alert id')
    .option('--reason <text>', 'why, for the audit log')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (id: string, _opts, cmd: Command) => {
      process.exitCode = await (await triage()).ackAlert(id, optsOf(cmd), now);
    });
  alerts
    .command('close')
    .description('close an alert; --false-positive also mutes its rule for its entity (30 days unless --for), so the same pattern reaches no sink')
    .argument('<id>', 'alert id')
    .option('--false-positive', 'it was not an attack: mute the same rule and entity')
    .option('--for <period>', 'how long a false positive mutes the pattern (30m, 12h, 7d, 2w, or forever; default 30d)', durationOption({ forever: true }))
    .option('--reason <text>', 'why, for the audit log (and the mute)')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (id: string, _opts, cmd: Command) => {
      const o = optsOf<{ falsePositive?: boolean; for?: number }>(cmd);
      if (o.for !== undefined && !o.falsePositive) cmd.error('error: alerts close: --for is how long a false positive mutes the pattern; add --false-positive, or drop --for', { exitCode: EXIT.usage });
      process.exitCode = await (await triage()).closeAlert(id, optsOf(cmd), now);
    });
  alerts
    .command('mute')
    .description('stop delivering alerts of a rule, an entity, or a rule for an entity, for a while (still stored and listed, marked muted)')
    .option('--rule <rule>', 'rule id to mute (e.g. brute-force)')
    .option('--entity <type:value>', 'entity to mute; the value may be a glob (user:*@contractor.example)', entityOption)
    .option('--for <period>', 'how long: 30m, 12h, 7d, 2w, or forever', durationOption({ forever: true }))
    .option('--until <time>', 'until when, ISO (2026-12-31T00:00:00Z)', isoTimeOption)
    .option('--reason <text>', 'why (required): the audit log and every alert it holds back show it')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (_opts, cmd: Command) => {
      const t = await triage();
      const o = optsOf<import('./alerts.js').MuteOptions>(cmd);
      const problem = t.muteUsageProblem(o, now());
      if (problem) cmd.error(`error: ${problem}`, { exitCode: EXIT.usage });
      process.exitCode = await t.muteAlerts(o, now);
    });
  alerts
    .command('unmute')
    .description('remove a mute: what it held back is delivered again from now on (recorded in the audit log)')
    .argument('<mute-id>', 'mute id (the # of `saaswatch alerts mutes`)', intOption(1, Number.MAX_SAFE_INTEGER))
    .option('--reason <text>', 'why, for the audit log')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (id: number, _opts, cmd: Command) => {
      process.exitCode = await (await triage()).unmute(id, optsOf(cmd), now);
    });
  alerts
    .command('mutes')
    .description('list the mutes in force (config and CLI), newest first')
    .option('--all', 'also the removed and expired ones')
    .option('--json', 'one JSON object per line')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await triage()).listMutes(optsOf(cmd), now);
    });

  const respond = () => import('./respond.js');
  const scopeOption = new Option('--scope <scope>', 'what the block stops: all activity, or one class').choices(BLOCK_SCOPES);
  program
    .command('block')
    .description('block a user across every service (their canonical identity), recorded with who and why; enforced by the proxy, shown everywhere')
    .argument('<user>', 'the user (email; mapped to the canonical identity)')
    .option('--reason <text>', 'why (required): the audit log and the block show it')
    .option('--for <period>', 'the block ends on its own after this long (30m, 12h, 7d, 2w)', durationOption())
    .addOption(scopeOption)
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .option('--json', 'the block as one JSON object')
    .action(async (user: string, _opts, cmd: Command) => {
      process.exitCode = await (await respond()).block(user, optsOf(cmd), now);
    });
  program
    .command('unblock')
    .description('lift a block, recorded with who and why (exit 1 when the user was not blocked)')
    .argument('<user>', 'the user')
    .option('--reason <text>', 'why (required), for the audit log')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .option('--json', 'the lifted block as one JSON object')
    .action(async (user: string, _opts, cmd: Command) => {
      process.exitCode = await (await respond()).unblock(user, optsOf(cmd), now);
    });
  program
    .command('blocked')
    .description('list the blocked users, newest first')
    .option('--all', 'also blocks whose expiry has passed but that no run has lifted yet')
    .option('--json', 'one JSON object per line')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await respond()).blocked(optsOf(cmd), now);
    });
  program
    .command('audit')
    .description('the audit log, newest first: blocks, response actions (with before and after), triage, mutes')
    .option('-n, --limit <n>', `how many (1 to ${num(MAX_LIST)})`, intOption(1, MAX_LIST), 50)
    .option('--action <name>', 'only this kind of entry (block, unblock, suspend-user, remove-public-link, alert-close, mute, ...)')
    .option('--actor <name>', 'only entries by this actor (a person, or rule:<id> for a policy)')
    .option('--since <period>', 'only the last period (30m, 12h, 7d, 2w)', durationOption())
    .option('--subject <text>', 'only entries whose details mention this (a user, a file id, an alert id)')
    .option('--json', 'one JSON object per line')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await respond()).audit(optsOf(cmd), now);
    });
  program
    .command('actions')
    .description('list what can be done to a user or a file on each configured service, and whether it would execute or dry-run')
    .argument('<target>', 'a user (email) or a file (id, or service:id)')
    .option('--member <email>', 'for remove-file-member: the member to remove')
    .option('--json', 'one JSON object per line')
    .action(async (target: string, _opts, cmd: Command) => {
      process.exitCode = await (await respond()).actions(target, optsOf(cmd), now);
    });
  program
    .command('act')
    .description('run one response action by hand on every service that offers it for the target: a dry run unless --execute (which the action must be enabled for in response.execute); recorded in the audit log')
    .argument('<action>', 'the action (see `saaswatch actions TARGET`): suspend-user, unsuspend-user, sign-out-user, remove-public-link, remove-file-member, block-user, unblock-user')
    .argument('<target>', 'a user (email) or a file (id, or service:id)')
    .option('--dry-run', 'read and plan only, change nothing (the default)')
    .option('--execute', 'really do it')
    .option('--reason <text>', 'why (required): the audit log shows it')
    .option('--source <name>', 'only the configured source of this name')
    .option('--member <email>', 'for remove-file-member: the member to remove')
    .addOption(new Option('--scope <scope>', 'for block-user: what the block stops').choices(BLOCK_SCOPES))
    .option('--for <period>', 'for block-user: the block ends on its own after this long', durationOption())
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .option('--json', 'one JSON object per service')
    .action(async (action: string, target: string, _opts, cmd: Command) => {
      const o = optsOf<{ execute?: boolean; dryRun?: boolean }>(cmd);
      if (o.execute && o.dryRun) cmd.error('error: act: --execute and --dry-run contradict each other; pick one', { exitCode: EXIT.usage });
      process.exitCode = await (await respond()).act(action, target, optsOf(cmd), now);
    });

  program
    .command('deliveries')
    .description('list alert deliveries to sinks, newest first (exit 3 when any is not delivered); --retry queues failed ones again')
    .option('-n, --limit <n>', `how many (1 to ${num(MAX_LIST)})`, intOption(1, MAX_LIST), 50)
    .addOption(new Option('--status <status>', 'only deliveries in this state').choices(['pending', 'delivering', 'delivered', 'failed']))
    .option('--retry', 'queue every failed delivery again (after fixing its cause); the next run sends them')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await commands()).deliveries(optsOf(cmd), now);
    });

  program
    .command('dead-letters')
    .description('list records that were rejected, with the reason and where they came from')
    .option('-n, --limit <n>', `how many (1 to ${num(MAX_LIST)})`, intOption(1, MAX_LIST), 50)
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await commands()).deadLetters(optsOf(cmd), now);
    });

  program
    .command('purge')
    .description('delete stored rows older than their retention period (storage.retention), table by table, and print how many went')
    .option('--dry-run', 'count what would be deleted, and delete nothing')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await commands()).purge(optsOf(cmd), now);
    });

  const users = () => import('./users.js');
  const roleChoice = () => new Option('--role <role>', 'what the account may do: viewer reads; analyst triages and blocks; admin also manages accounts and tokens').choices(['viewer', 'analyst', 'admin']);
  const user = program.command('user').description('accounts of the API and dashboard, and API tokens for scripts');
  user
    .command('add')
    .description('add an account; without --password-stdin a generated password is printed once')
    .argument('<email>', 'the account\'s email (lowercased)')
    .addOption(roleChoice().makeOptionMandatory())
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--oidc-only', 'no password: the account logs in only through OIDC (server.auth.oidc)')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .option('--json', 'the account (and a generated password) as one JSON object')
    .action(async (email: string, _opts, cmd: Command) => {
      process.exitCode = await (await users()).add(email, optsOf(cmd), now);
    });
  user
    .command('token')
    .description('create an API token for the account and print it once (send it as Authorization: Bearer <token>)')
    .argument('<email>', 'the account the token acts as')
    .option('--name <name>', 'what the token is for (shown in lists)', 'cli')
    .option('--expires <days>', 'the token stops working after this many days (default: until revoked)', intOption(1, 3650))
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .option('--json', 'id, token, account and expiry as one JSON object')
    .action(async (email: string, _opts, cmd: Command) => {
      process.exitCode = await (await users()).token(email, optsOf(cmd), now);
    });
  user
    .command('tokens')
    .description('list the API tokens not revoked (never the tokens themselves), newest first')
    .argument('[email]', 'only this account\'s')
    .option('--json', 'one JSON object per line')
    .action(async (email: string | undefined, _opts, cmd: Command) => {
      process.exitCode = await (await users()).tokens(email, optsOf(cmd), now);
    });
  user
    .command('revoke')
    .description('revoke an API token by its id (from `user tokens`)')
    .argument('<id>', 'the token\'s id (tok_...)')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (id: string, _opts, cmd: Command) => {
      process.exitCode = await (await users()).revoke(id, optsOf(cmd), now);
    });
  user
    .command('list')
    .description('list the accounts: role, disabled, last login, tokens')
    .option('--json', 'one JSON object per line')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await (await users()).list(optsOf(cmd), now);
    });
  user
    .command('unlock')
    .description('lift the lockout of an account locked after repeated wrong passwords (audited)')
    .argument('<email>', 'the account')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (email: string, _opts, cmd: Command) => {
      process.exitCode = await (await users()).unlock(email, optsOf(cmd), now);
    });
  user
    .command('remove')
    .description('remove an account with its tokens and sessions')
    .argument('<email>', 'the account')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (email: string, _opts, cmd: Command) => {
      process.exitCode = await (await users()).remove(email, optsOf(cmd), now);
    });
  user
    .command('set-role')
    .description('change an account\'s role (its sessions end)')
    .argument('<email>', 'the account')
    .argument('<role>', 'viewer, analyst or admin')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (email: string, role: string, _opts, cmd: Command) => {
      if (role !== 'viewer' && role !== 'analyst' && role !== 'admin') throw errors.inputMalformed({ where: 'role', problem: `expected viewer, analyst or admin, got ${JSON.stringify(role)}` });
      process.exitCode = await (await users()).setRole(email, role, optsOf(cmd), now);
    });
  user
    .command('passwd')
    .description('set a new password (its sessions end); without --password-stdin a generated one is printed once')
    .argument('<email>', 'the account')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--by <name>', 'who, for the audit log (default $USER, else cli)')
    .action(async (email: string, _opts, cmd: Command) => {
      process.exitCode = await (await users()).passwd(email, optsOf(cmd), now);
    });

  const rules = program.command('rules').description('work with Sigma rules');
  rules
    .command('test')
    .description(
      "run every rule's positive and negative examples (<rule>.tests.yml) through the real normalizers, with the config's sigma rules_dirs, disabled and placeholders",
    )
    .argument('[dir]', "rules folder (default: the sigma detector's rules_dirs in the config, else the built-in rules)")
    .action(async (dir: string | undefined, _opts, cmd: Command) => {
      process.exitCode = await (await commands()).rulesTest(dir, optsOf(cmd));
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the config file, listing every problem at once, and print what it sets up')
    .action(async (_opts, cmd: Command) => {
      process.exitCode = (await commands()).configCheck(optsOf(cmd));
    });

  config
    .command('schema')
    .description('print the JSON Schema of the config file (every source, detector and sink), for editors and CI; docs/config.md is made from it')
    .action(async () => {
      const [{ configJsonSchema }, { registry }] = await Promise.all([import('../config/json-schema.js'), import('../registry.js')]);
      process.stdout.write(`${JSON.stringify(configJsonSchema(registry), null, 2)}\n`);
    });

  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`${VERSION}\n`);
    });

  return program;
}

export async function main(argv: string[], opts: { now?: Clock } = {}): Promise<number> {
  try {
    const program = buildProgram({ now: opts.now ?? clockFromEnv() });
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are "errors" to commander; they are successes to a script.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof SaaswatchError) {
      // The catalogue decides the exit code: 2 when the user must change something before retrying.
      errText(`error: ${err.message}\nfix: ${err.fix}`);
      return err.exitCode;
    }
    errText(`error: ${errorMessage(err)}`);
    return EXIT.error;
  }
}
