import { Buffer } from 'node:buffer';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Recognizer, RecognizerResult } from '../types.js';
import {
  awsKeysRecognizer,
  base62Checksum,
  githubChecksumValid,
  githubRecognizer,
  googleApiKeyRecognizer,
  highEntropyRecognizer,
  jwtRecognizer,
  notASecret,
  placeholderPart,
  privateKeyRecognizer,
  SECRET_RECOGNIZERS,
  shannonEntropy,
  slackRecognizer,
  stripeRecognizer,
} from './secrets.js';

const ctx = { languages: ['en'] };
const run = (r: Recognizer, text: string): RecognizerResult[] => r.recognize(text, ctx);
const values = (r: Recognizer, text: string): string[] => run(r, text).map((f) => text.slice(f.start, f.end));

// A CRC32 written out here (table-driven, IEEE polynomial) and BigInt base62, so the GitHub checksum is not
// tested against itself.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32Ref = (s: string): number => {
  let c = 0xffffffff;
  for (const ch of s) c = CRC_TABLE[(c ^ ch.charCodeAt(0)) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const b62 = (n: number): string => {
  const a = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let v = BigInt(n);
  let s = '';
  while (v > 0n) {
    s = a[Number(v % 62n)]! + s;
    v /= 62n;
  }
  return s.padStart(6, '0');
};
const githubToken = (prefix: string, random30: string): string => `${prefix}_${random30}${b62(crc32Ref(random30))}`;

describe('AWS keys', () => {
  // A key id from awsteele.com's "AWS Access Key ID formats" and gitleaks' aws-secret-access-key sample (MIT): AWS's own
  // documented pair (…EXAMPLE / …EXAMPLEKEY) is a placeholder, tested below.
  const KEY_ID = 'AKIAY34FZKBOKMUTVV7A';
  const SECRET = 'lbqlNh3FW5/3AwnBoWsYIJam9w2Us4ZOH5Un8RyR';

  it('finds access key ids of each prefix and the secret in a credentials file', () => {
    const text = `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`;
    const found = run(awsKeysRecognizer, text);
    expect(found.map((f) => [f.type, text.slice(f.start, f.end)])).toEqual([
      ['SECRET_AWS_ACCESS_KEY', KEY_ID],
      ['SECRET_AWS_SECRET_KEY', SECRET],
    ]);
    expect(found[0]!.explanation).toMatchObject({ recognizer: 'aws-keys', pattern: 'access-key-id-akia' });
    expect(values(awsKeysRecognizer, 'session ASIAY34FZKBOKMUTVV7A expires')).toEqual(['ASIAY34FZKBOKMUTVV7A']);
  });

  it('takes a 40-character secret right after a key id, without naming context', () => {
    const text = `creds: ${KEY_ID} ${SECRET}`;
    expect(run(awsKeysRecognizer, text).map((f) => f.explanation.validator)).toEqual([undefined, 'after-key-id']);
  });

  it('leaves 40-character values without context, git SHA-1s and key ids of the wrong alphabet or length', () => {
    expect(values(awsKeysRecognizer, `blob ${SECRET} in a test fixture`)).toEqual([]);
    expect(values(awsKeysRecognizer, 'aws_secret_access_key = 9fceb02d0ae598e95dc970b74767f19372d61af8')).toEqual([]);
    expect(values(awsKeysRecognizer, 'AKIAY34FZKBOKMUTVV7 AKIAY34FZKBOKMUTVV7A1 AKIAY34FZKBOKMUTVV0A AKIAy34fzkbokmutvv7a')).toEqual([]);
  });

  it("leaves AWS's documented sample pair (…EXAMPLE, …EXAMPLEKEY) and placeholder key ids", () => {
    const text = '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n';
    expect(values(awsKeysRecognizer, text)).toEqual([]);
    expect(values(awsKeysRecognizer, 'key = AKIAXXXXXXXXXXXXXXXX or AKIAZZZZZZZZZZZZZZZZ')).toEqual([]);
  });
});

describe('Google API keys', () => {
  it('finds AIza keys of 39 characters only', () => {
    const key = 'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe';
    expect(key).toHaveLength(39);
    expect(values(googleApiKeyRecognizer, `<script src="https://maps.googleapis.com/maps/api/js?key=${key}&callback=init">`)).toEqual([key]);
    expect(values(googleApiKeyRecognizer, `key=${key}x and ${key.slice(0, 38)}`)).toEqual([]);
  });
});

describe('Slack', () => {
  it('finds bot, user and app tokens and incoming webhooks (formats from api.slack.com)', () => {
    const bot = 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy';
    const user = 'xoxp-23984754863-2348975623103-2348975623103-5f0f2b3ac5e3a72e0c2ea4c0d8c1ae1f';
    const app = 'xapp-1-A0123456789-1234567890123-0c1e3f7d2a7b4c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e';
    // gitleaks' slack-webhook-url sample (MIT).
    const hook = 'https://hooks.slack.com/services/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';
    const text = `SLACK_BOT_TOKEN=${bot}\nSLACK_USER_TOKEN=${user}\nSLACK_APP_TOKEN=${app}\nwebhook: ${hook}\n`;
    expect(values(slackRecognizer, text)).toEqual([bot, user, app, hook]);
  });

  it('leaves look-alikes: a doc placeholder, a short token, a webhook path without its secret', () => {
    expect(values(slackRecognizer, 'token = xoxb-your-token-here')).toEqual([]);
    expect(values(slackRecognizer, 'xoxb-1234-5678')).toEqual([]);
    expect(values(slackRecognizer, 'https://hooks.slack.com/services/T00000000/B00000000/')).toEqual([]);
    // The sample in Slack's own docs: its secret part is one repeated character.
    expect(values(slackRecognizer, 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX')).toEqual([]);
  });
});

describe('GitHub tokens', () => {
  const random30 = 'Hq3vN8xKpL2mZr7TbW9cYd4FgJs6Ae';

  it('validates the CRC32/base62 checksum in the last six characters', () => {
    const token = githubToken('ghp', random30);
    expect(githubChecksumValid(token.slice(4))).toBe(true);
    expect(base62Checksum(0)).toBe('000000');
    for (const prefix of ['ghp', 'gho', 'ghu', 'ghs', 'ghr']) {
      const t = githubToken(prefix, random30);
      const found = run(githubRecognizer, `export GITHUB_TOKEN=${t}`);
      expect(found).toHaveLength(1);
      expect(found[0]!.explanation).toMatchObject({ recognizer: 'github', pattern: prefix, validator: 'crc32-base62' });
    }
  });

  it('drops a token whose checksum fails (one character changed, or the example from the docs)', () => {
    const token = githubToken('ghp', random30);
    const flipped = `${token.slice(0, 10)}${token[10] === 'a' ? 'b' : 'a'}${token.slice(11)}`;
    expect(values(githubRecognizer, flipped)).toEqual([]);
    expect(values(githubRecognizer, 'gho_16C7e42F292c6912E7710c838347Ae178B4a')).toEqual([]);
  });

  it('finds fine-grained personal access tokens by shape', () => {
    const pat = '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';
    expect(values(githubRecognizer, `token: ${pat}\n`)).toEqual([pat]);
    // gitleaks' github-fine-grained-pat false positive (MIT): a placeholder of one repeated character.
    expect(values(githubRecognizer, 'github_pat_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')).toEqual([]);
  });
});

describe('Stripe keys', () => {
  it('scores live secret keys high, test keys lower and publishable keys below the default minimum', () => {
    const text = 'STRIPE_SECRET_KEY=sk_live_51H8vQ2eZvKYlo2C0aB3dE4fG\nSTRIPE_TEST=sk_test_4eC39HqLyjWDarjtT1zdp7dc\nSTRIPE_PK=pk_test_TYooMQauvdEDq54NiTphI7jx\nrk_live_51H8vQ2eZvKYlo2CxyzABC12\nwhsec_Wn8oC1pB2eJ3kD4mF5gH6iK7lN8q';
    expect(run(stripeRecognizer, text).map((f) => [f.explanation.pattern, f.score])).toEqual([
      ['sk-live', 0.9],
      ['sk-test', 0.6],
      ['pk-test', 0.1],
      ['rk-live', 0.9],
      ['whsec', 0.8],
    ]);
  });
});

describe('JWTs', () => {
  // jwt.io's example token (HS256).
  const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

  it('finds a signed token in an Authorization header', () => {
    const found = run(jwtRecognizer, `Authorization: Bearer ${JWT}\r\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ type: 'SECRET_JWT', score: 0.9, explanation: { pattern: 'jws', validator: 'json-header' } });
  });

  it('scores an unsigned (alg none) token lower and skips base64 that is not a JWT header', () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"42"}').toString('base64url')}.`;
    expect(run(jwtRecognizer, `t=${none} `).map((f) => f.score)).toEqual([0.5]);
    const notJwt = `${Buffer.from('{"typ":"JWT","kid":"x"}').toString('base64url')}.eyJzdWIiOiIxIn0.abc`;
    expect(values(jwtRecognizer, notJwt)).toEqual([]);
    expect(values(jwtRecognizer, 'eyJhbGciOiJIUzI1NiJ9 alone')).toEqual([]);
  });
});

describe('private keys', () => {
  it('spans a whole PEM block, PKCS#1 and PKCS#8 alike', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const text = `deploy key:\n${pkcs8}\nand\n${sec1}trailing`;
    const found = run(privateKeyRecognizer, text);
    expect(found.map((f) => text.slice(f.start, f.end))).toEqual([pkcs8.trimEnd(), sec1.trimEnd()]);
    expect(found.map((f) => f.explanation.pattern)).toEqual(['pkcs8', 'ec']);
  });

  it('scores an encrypted key lower and reports a truncated one by its header', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const enc = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' }).toString();
    expect(run(privateKeyRecognizer, enc).map((f) => [f.explanation.pattern, f.score])).toEqual([['encrypted', 0.8]]);
    const cut = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n';
    const found = run(privateKeyRecognizer, cut);
    expect(found.map((f) => [f.start, f.end, f.explanation.validator])).toEqual([[0, 35, 'begin-only']]);
    expect(values(privateKeyRecognizer, '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----')).toEqual([]);
  });

  it('ignores a header with no key material: a runbook naming the format leaks nothing', () => {
    const runbook = [
      'Rotate the deploy key: the file must start with -----BEGIN OPENSSH PRIVATE KEY----- and end with',
      '-----END OPENSSH PRIVATE KEY-----. Never paste it here.',
      'A PKCS#8 file begins "-----BEGIN PRIVATE KEY-----" followed by base64 lines.',
      '-----BEGIN RSA PRIVATE KEY-----\n<paste the key here>\n-----END RSA PRIVATE KEY-----',
    ].join('\n');
    expect(run(privateKeyRecognizer, runbook)).toEqual([]);
  });
});

describe('high-entropy values with context', () => {
  it('finds random values assigned to secret-sounding names in env, JSON, YAML and code', () => {
    const text = [
      'DB_PASSWORD=q8Z!vR2#mK9xLp4@tW7n',
      '"api_key": "b7Xk29QmZp4LrT8vNc3WyH6s"',
      'client_secret: 4fGh8JkL2mNp6QrS0tUv9wXy',
      "const passwort = 'Tr0ub4dor&3xYz!9Lq2Wm';",
    ].join('\n');
    expect(values(highEntropyRecognizer, text)).toEqual(['q8Z!vR2#mK9xLp4@tW7n', 'b7Xk29QmZp4LrT8vNc3WyH6s', '4fGh8JkL2mNp6QrS0tUv9wXy', 'Tr0ub4dor&3xYz!9Lq2Wm']);
  });

  it('needs the context: the same random value alone, or after an unrelated name, is not reported', () => {
    expect(values(highEntropyRecognizer, 'b7Xk29QmZp4LrT8vNc3WyH6s')).toEqual([]);
    expect(values(highEntropyRecognizer, 'build_id=b7Xk29QmZp4LrT8vNc3WyH6s')).toEqual([]);
  });

  // The near misses the issue names, each after a secret-sounding name so that only the value decides.
  const NEAR_MISSES: Array<[string, string]> = [
    ['uuid', 'session_token=3f2504e0-4f89-41d3-9a0c-0305e82c3301'],
    ['hash-shaped hex', 'token_sha=9fceb02d0ae598e95dc970b74767f19372d61af8'],
    ['hash-shaped hex', 'secret_digest: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['base64 of text', 'secret_label=VGhpcyBpcyBhIHBsYWluIHNlbnRlbmNlIG9mIHRleHQu'],
    ['path', 'password_file=/etc/saaswatch/secrets/db-password.txt'],
    ['path', 'token_path: ./config/credentials/production.json'],
    ['url', 'token_url=https://oauth2.googleapis.com/token/endpoint'],
    ['word compound', 'token_type=AccessTokenRefreshHandlerFactory'],
    ['word compound', 'secret_name=production_database_master_password'],
    ['number or timestamp', 'token_expiry: 2026-12-07T09:15:42.123Z'],
    ['placeholder', 'API_KEY=${STRIPE_SECRET_KEY_FROM_VAULT}'],
    ['placeholder', 'password = ********************'],
    ['word compound', 'CSRF_TOKEN_HEADER=X-CSRF-Token-Validation-Header'],
    ['vendor token', 'example token: ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
    ['vendor token', 'aws_access_key: AKIAIOSFODNN7EXAMPLE'],
  ];
  it.each(NEAR_MISSES)('does not fire on a %s', (why, line) => {
    expect(values(highEntropyRecognizer, line)).toEqual([]);
    const value = line.replace(/^[^:=]*[:=]\s*/, '');
    expect(notASecret(value)).toBe(why);
  });

  it('reads Go and Pascal `:=`, YAML values on an indented next line, and never the next entry of an empty one', () => {
    expect(values(highEntropyRecognizer, 'apiKey := "b7Xk29QmZp4LrT8vNc3WyH6s"')).toEqual(['b7Xk29QmZp4LrT8vNc3WyH6s']);
    expect(values(highEntropyRecognizer, 'db:\n  password:\n    q8Z!vR2#mK9xLp4@tW7n\n')).toEqual(['q8Z!vR2#mK9xLp4@tW7n']);
    expect(values(highEntropyRecognizer, 'API_TOKEN=\nBUILD_CACHE_DIRECTORY_42=x7\n')).toEqual([]);
    expect(values(highEntropyRecognizer, 'if (token == "b7Xk29QmZp4LrT8vNc3WyH6s")')).toEqual([]);
  });

  it('judges a value that only starts like a vendor token: the vendor defers it only by reporting it or rejecting it as made up', () => {
    // A Slack `d` session cookie: no xox[abceoprs] token, yet a credential (made-up value).
    const cookie = 'xoxd-Qm7%2FvT4pLx9bN2wK8rZ3hY6jC1fD5sA0eU4iO7tR2vM9bN3%3D';
    expect(values(highEntropyRecognizer, `slack_token: ${cookie}`)).toEqual([cookie]);
    // An id with 8 and 9, which AWS's base32 ids never hold, is not AWS's to judge; a base32 one is.
    expect(notASecret('AKIAQ7ZT4KGW3XJ2MN8E')).toBeUndefined();
    expect(notASecret('AKIAQ7ZT4KGW3XJ2MN6E')).toBe('vendor token');
    // Slack's shape with ids nobody was issued, and a JWT header that decodes, stay their vendors'.
    expect(notASecret('xoxp-1234-1234-1234-7c1e0b94d2af36e85b0c9d4f1a27e3b6')).toBe('vendor token');
  });

  it('reads code as code: a call, a composite literal or a qualified name after `:=` is no value', () => {
    const go = [
      'tokenSource := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})',
      'encodedToken := base64.StdEncoding.EncodeToString(raw)',
      'authKey := x509.MarshalPKCS1PrivateKey(priv)',
      'sessionToken := tokenstore.DefaultSessionHandler',
    ].join('\n');
    expect(values(highEntropyRecognizer, go)).toEqual([]);
    // A random value holding a dot is still one.
    expect(values(highEntropyRecognizer, 'secret: Xq7.vR2mK9xLp4tW7nB3zY6hJ1')).toEqual(['Xq7.vR2mK9xLp4tW7nB3zY6hJ1']);
  });

  it('reads a nested YAML key as a key: the next line is a value only when indented under its key and not itself `key:`', () => {
    expect(values(highEntropyRecognizer, 'secrets:\n    kubernetes_service_account_token_path: /var/run/x\n')).toEqual([]);
    expect(values(highEntropyRecognizer, '  password:\n  q8Z!vR2#mK9xLp4@tW7n\n')).toEqual([]);
    expect(values(highEntropyRecognizer, '  password:\n    q8Z!vR2#mK9xLp4@tW7n\n')).toEqual(['q8Z!vR2#mK9xLp4@tW7n']);
  });

  it('takes a digest name as a whole name part: SHARED is not sha, PREVIOUS is not rev', () => {
    const hex64 = '5b1e9c07d3a84f26e0b7c9a15d42f8e36a0c9b7d21e4f58a3c6b0d9e7f12a84c';
    expect(values(highEntropyRecognizer, `WEBHOOK_SHARED_SECRET=${hex64}`)).toEqual([hex64]);
    expect(values(highEntropyRecognizer, `PREVIOUS_TOKEN=${hex64}`)).toEqual([hex64]);
    expect(values(highEntropyRecognizer, `secret_sha256=${hex64}`)).toEqual([]);
    expect(values(highEntropyRecognizer, `tokenCommitSha: ${hex64.slice(0, 40)}`)).toEqual([]);
  });

  it('reads an HTTP scheme in any case, and a header name is no reason to skip its value', () => {
    expect(values(highEntropyRecognizer, 'authorization: bearer 9fK2mQ7xLp4vR8tB3nZ6wY1jH5cD0gS7')).toEqual(['9fK2mQ7xLp4vR8tB3nZ6wY1jH5cD0gS7']);
    expect(values(highEntropyRecognizer, 'API_TOKEN_HEADER="Bearer 9fK2mQ7xLp4vR8tB3nZ6wY1jH5cD0gS7"')).toEqual(['9fK2mQ7xLp4vR8tB3nZ6wY1jH5cD0gS7']);
  });

  it('takes `public` as a whole name part, and base64 of a URL as text', () => {
    expect(values(highEntropyRecognizer, 'PUBLICATION_API_KEY=b7Xk29QmZp4LrT8vNc3WyH6s')).toEqual(['b7Xk29QmZp4LrT8vNc3WyH6s']);
    expect(values(highEntropyRecognizer, 'NEXT_PUBLIC_API_KEY=b7Xk29QmZp4LrT8vNc3WyH6s')).toEqual([]);
    // base64 of `https://example.org/oauth/callback`
    expect(notASecret(Buffer.from('https://example.org/oauth/callback').toString('base64'))).toBe('base64 of text');
    expect(notASecret(Buffer.from('deploy:Wq8-vR2mK9x').toString('base64'))).not.toBe('base64 of text');
  });

  it('skips names of public values and of things about a secret (its id, name, location, type)', () => {
    for (const name of ['publicToken', 'csrf-token', 'credentialId', 'secret_name', 'token_url', 'TokenFile', 'api_key_version']) {
      expect(values(highEntropyRecognizer, `${name} = "b7Xk29QmZp4LrT8vNc3WyH6s"`), name).toEqual([]);
    }
    expect(values(highEntropyRecognizer, 'secret_identity = "b7Xk29QmZp4LrT8vNc3WyH6s"')).toEqual(['b7Xk29QmZp4LrT8vNc3WyH6s']);
  });

  it('tells placeholders from random parts: repeated characters and ascending runs', () => {
    expect(placeholderPart('XXXXXXXXXXXXXXXXXXXXXXXX')).toBe(true);
    expect(placeholderPart('abababababababab')).toBe(true);
    expect(placeholderPart('ababababab')).toBe(true);
    expect(placeholderPart('Syabcdefghijklmnopqrstuvwxyz1234567')).toBe(true);
    expect(placeholderPart('Y34FZKBOKMUTVV7A')).toBe(false);
    expect(placeholderPart('bJtrpFi1fO1JMCcwLx8uZyAg')).toBe(false);
  });

  it('keeps short random parts whose entropy happens to be low: a legacy Slack token with a 10-hex tail', () => {
    // A made-up tail as random ones often come out (3 of one digit, 3 of another): 2.17 bits, yet 5 distinct characters.
    const tail = '9c29c4f9c2';
    expect(shannonEntropy(tail)).toBeLessThan(2.5);
    expect(placeholderPart(tail)).toBe(false);
    const token = `xoxs-4417208391-4419023815-5520871634-${tail}`;
    expect(values(slackRecognizer, `SLACK_LEGACY_TOKEN=${token}`)).toEqual([token]);
  });

  it('measures entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    expect(shannonEntropy('')).toBe(0);
  });
});

describe('every secrets recognizer', () => {
  it('reports spans inside the text with a base score in its explanation', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        for (const r of SECRET_RECOGNIZERS) {
          for (const f of r.recognize(s, ctx)) {
            expect(f.start).toBeGreaterThanOrEqual(0);
            expect(f.end).toBeLessThanOrEqual(s.length);
            expect(f.explanation.baseScore).toBe(f.score);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  // Inputs built to make a backtracking pattern blow up: long runs of each pattern's own class, repeated
  // prefixes and separators without an end. A catastrophic pattern takes minutes on these; linear ones, milliseconds.
  const N = 200_000;
  const ADVERSARIAL: Array<[string, string]> = [
    ['base64 run', 'A'.repeat(N)],
    ['AKIA prefixes', 'AKIA'.repeat(N / 4)],
    ['jwt-like dots', `eyJ${'a.'.repeat(N / 2)}`],
    ['jwt starts', ' eyJaaaaaaaaaaaa.aaaa'.repeat(N / 21)],
    ['assignments', 'password='.repeat(N / 9)],
    ['assignment runs', `token=${'x'.repeat(N)}`],
    ['pem headers', '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(N / 32)],
    ['slack dashes', `xoxb-${'1-'.repeat(N / 2)}`],
    ['github underscores', 'ghp_'.repeat(N / 4)],
    ['slack versions', 'xoxe.xoxp-1-'.repeat(N / 12)],
    ['webhook hosts', 'hooks.slack.com/services/T'.repeat(N / 26)],
    ['walrus assignments', 'token := '.repeat(N / 9)],
    ['empty assignments before blank lines', `password=${' '.repeat(8)}\n`.repeat(N / 18)],
    ['pem label words', '-----BEGIN A B C D PRIVATE KEY'.repeat(N / 30)],
    ['putty headers before one long body', `${'PuTTY-User-Key-File-2: x\n'.repeat(150)}Private-Lines: 999\n${'a b\n'.repeat(N / 4)}`],
  ];
  // Crowded headers, each of which a quadratic search would make re-read the same body: cost is compared at two
  // sizes, since a quadratic pass doubles its cost per doubling of the input twice over (×4) and a linear one once.
  // The sizes stay under the 20 kB a body may run to: past it, a per-header re-read is capped and grows linearly again
  // (at 400 times the cost of one read; the reviewer's figure: 5.4 s/MB).
  const CROWDED: Array<[string, (n: number) => string]> = [
    ['PuTTY headers each with a Private-Lines field', (n) => 'PuTTY-User-Key-File-2: x\nPrivate-Lines: 999\n'.repeat(n / 44)],
    ['PEM BEGIN lines before one END', (n) => `${'-----BEGIN RSA PRIVATE KEY-----\n'.repeat(n / 32)}-----END RSA PRIVATE KEY-----\n`],
    ['PEM label-word BEGIN lines before one END', (n) => `${'-----BEGIN A B C PRIVATE KEY-----\n'.repeat(n / 34)}-----END A B C PRIVATE KEY-----\n`],
  ];
  const cost = (text: string): number => {
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      for (let r = 0; r < 20; r++) privateKeyRecognizer.recognize(text, ctx);
      times.push(performance.now() - t0);
    }
    // The fastest run: a busy machine only ever adds time, so the minimum is the steadiest figure.
    return Math.min(...times);
  };
  it.each(CROWDED)('reads %s once: twice the input costs about twice as much', (_name, make) => {
    cost(make(8_800));
    const small = cost(make(8_800));
    const large = cost(make(17_600));
    // Quadratic: ×4. The floor absorbs timer noise on runs of a few milliseconds.
    expect(large).toBeLessThan(3 * small + 5);
  });

  it.each(ADVERSARIAL)('stays linear on %s', (_name, text) => {
    const t0 = performance.now();
    for (const r of SECRET_RECOGNIZERS) r.recognize(text, ctx);
    // A generous bound: catastrophic backtracking on 200 kB would take far longer than this.
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
