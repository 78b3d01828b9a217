import { describe, expect, it } from 'vitest';
import { actionWords, classifyAction } from './action-words.js';

describe('actionWords', () => {
  it.each([
    ['LOGIN_FAILED', ['login', 'failed']],
    ['failedLogin', ['failed', 'login']],
    ['auth.fail', ['auth', 'fail']],
    ['HTTPUnauthorized', ['http', 'unauthorized']],
    ['user-logged-in', ['user', 'logged', 'in']],
  ])('%s', (action, words) => {
    expect(actionWords(action)).toEqual(words);
  });
});

describe('classifyAction', () => {
  it.each([
    'failed_login', 'login_failure', 'LOGIN_FAILED', 'auth_fail', 'invalid_password', 'logon_failed', 'bad_password',
    'authentication_failure', 'unauthorized', 'LoginFailed', 'user.login.failed', 'SignInFailure', 'mfa_denied',
    'login_not_allowed', 'wrong_password', 'password_mismatch', 'invalid_credentials', 'login_unsuccessful',
  ])('%s is a failed sign-in', (action) => {
    const c = classifyAction(action);
    expect(c.outcome).toBe('failure');
    expect(c.auth).toBe(true);
    expect(c.rule).toMatch(/^action:/);
  });

  it.each(['login_success', 'LoginSucceeded', 'user_logged_in', 'signed_in', 'mfa_verified', 'sso_login_ok', 'authenticated'])(
    '%s is a successful sign-in',
    (action) => {
      const c = classifyAction(action);
      expect(c.outcome).toBe('success');
      expect(c.auth).toBe(true);
    },
  );

  it('names the word that decided, which is what labels.outcome_inferred_from records', () => {
    expect(classifyAction('failed_login').rule).toBe('action:failed');
    expect(classifyAction('login_success').rule).toBe('action:success');
    expect(classifyAction('access_not_allowed').rule).toBe('action:not allowed');
    expect(classifyAction('UserLoggedIn').rule).toBe('action:logged in');
  });

  it('infers a failure but no sign-in for access and admin failures', () => {
    for (const action of ['denied', 'access_denied', 'request_blocked', 'delete_user_failed', 'export_error']) {
      expect(classifyAction(action), action).toMatchObject({ auth: false, outcome: 'failure' });
    }
  });

  it('infers nothing from actions that do not say how they ended', () => {
    for (const action of ['login', 'logout', 'file_view', 'password_change', 'failover_started', 'user.session.start', 'block_user', 'pass_reset', 'account_locked']) {
      expect(classifyAction(action).outcome, action).toBeUndefined();
    }
    // Both a success and a failure word: neither is trusted.
    expect(classifyAction('login_success_after_failed').outcome).toBeUndefined();
  });

  it('keeps sign-outs authentications, which the detectors then leave out as attempts', () => {
    expect(classifyAction('logout')).toEqual({ auth: true, outcome: undefined, rule: undefined });
    expect(classifyAction('logout_failed')).toMatchObject({ auth: true, outcome: 'failure' });
  });
});
