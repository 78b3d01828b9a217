/** Reads what an action name says about itself: whether it is a sign-in, and whether it failed or succeeded. */

/** A matched auth word anywhere in the action: vendors write login, user.login, LOGIN_SUCCESS, SignIn, oauth_grant. */
const AUTH_ACTION =
  /log[\s_.-]?(?:in|on|out|off)|sign[\s_.-]?(?:in|on|out|off)|auth(?!or)|(?:^|[^a-z])(?:sso|mfa|2fa|saml)(?:$|[^a-z])/i;

/**
 * Words that say the action failed. Deliberately missing: `locked`/`lockout` (the consequence of
 * failures, not an attempt), `reject`/`block` (admin verbs: `block_user` succeeded), `expired`.
 */
const FAILURE_WORDS = new Set([
  'fail', 'fails', 'failed', 'failing', 'failure', 'failures', 'unsuccessful', 'unsuccessfully',
  'invalid', 'bad', 'wrong', 'incorrect', 'mismatch', 'mismatched',
  'denied', 'refused', 'rejected', 'blocked', 'forbidden', 'unauthorized', 'unauthorised', 'unauthenticated',
  'error', 'errored',
]);

/**
 * Words that say the action succeeded. `pass` and `allow` are missing on purpose: `pass_reset` is a
 * password reset and `allow_list_update` an admin change, neither says how it ended.
 */
const SUCCESS_WORDS = new Set([
  'success', 'successful', 'successfully', 'succeeded', 'succeed', 'succeeds', 'ok',
  'allowed', 'granted', 'accepted', 'passed', 'approved', 'verified', 'authenticated',
]);

/** `not allowed`, `not authorized`: a negation turns the next word into a failure. */
const NEGATIONS = new Set(['not', 'non']);
const NEGATABLE = new Set([...SUCCESS_WORDS, 'authorized', 'authorised', 'permitted', 'found']);

/**
 * Failures of these are failed sign-ins even without a login word (`invalid_password`,
 * `bad_credentials`). `user`, `account` and `token` are not among them: `delete_user_failed` and
 * `token_create_error` are failed admin actions, not someone guessing a password.
 */
const CREDENTIAL_WORDS = new Set(['password', 'passwd', 'pwd', 'passcode', 'passphrase', 'credential', 'credentials', 'otp', 'totp']);
/** 401 words: the request was not authenticated, whatever it was for. */
const UNAUTHENTICATED_WORDS = new Set(['unauthorized', 'unauthorised', 'unauthenticated']);

/** Phrases that are a successful sign-in on their own (`user_logged_in`, `UserSignedIn`). */
const SIGNED_IN = /(?:^| )(?:logged|signed) ?(?:in|on)(?: |$)/;

export interface ActionInfo {
  /** The action is an authentication (sign-in, sign-out, MFA, credential check). */
  auth: boolean;
  /** What the action's own words say about how it ended, if anything. */
  outcome: 'success' | 'failure' | undefined;
  /** The rule that decided `outcome`, as recorded in labels.outcome_inferred_from: `action:<word>`. */
  rule: string | undefined;
}

/** Splits `LOGIN_FAILED`, `failedLogin`, `auth.fail`, `HTTPUnauthorized` into lower-case words. */
export function actionWords(action: string): string[] {
  return action
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/**
 * Classifies an action by its words. An action that names both a success and a failure word
 * (`failed_then_succeeded`) says nothing reliable and infers no outcome.
 */
export function classifyAction(action: string): ActionInfo {
  const words = actionWords(action);
  let failure: string | undefined;
  let success: string | undefined;
  let credential = false;
  let unauthenticated = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (NEGATIONS.has(w) && i + 1 < words.length && NEGATABLE.has(words[i + 1]!)) {
      failure ??= `${w} ${words[i + 1]}`;
      i++;
      continue;
    }
    if (FAILURE_WORDS.has(w)) failure ??= w;
    else if (SUCCESS_WORDS.has(w)) success ??= w;
    if (CREDENTIAL_WORDS.has(w)) credential = true;
    if (UNAUTHENTICATED_WORDS.has(w)) unauthenticated = true;
  }
  const joined = words.join(' ');
  const signedIn = SIGNED_IN.exec(joined);
  if (signedIn && failure === undefined) success ??= signedIn[0].trim();
  const outcome = failure !== undefined && success === undefined ? 'failure' : success !== undefined && failure === undefined ? 'success' : undefined;
  const auth = AUTH_ACTION.test(action) || unauthenticated || signedIn !== null || (credential && outcome === 'failure');
  return { auth, outcome, rule: outcome === undefined ? undefined : `action:${outcome === 'failure' ? failure : success}` };
}
