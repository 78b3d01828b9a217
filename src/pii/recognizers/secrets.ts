/** Recognizers for credentials in text: cloud and SaaS API keys, tokens, JWTs, private key blocks, and high-entropy values assigned to secret-sounding names. */
import { Buffer } from 'node:buffer';
import { crc32 } from 'node:zlib';
import type { EntityType, Recognizer, RecognizerResult } from '../types.js';

// Every pattern below is a run of one character class bounded by lookarounds of single characters, or
// such runs separated by a literal outside the class: the engine never has two ways to split a run,
// so matching is linear in the text. Shapes that need more than that are checked in code.

const hit = (type: EntityType, start: number, end: number, score: number, recognizer: string, pattern: string, validator?: string): RecognizerResult => ({
  type,
  start,
  end,
  score,
  explanation: validator ? { recognizer, pattern, validator, baseScore: score } : { recognizer, pattern, baseScore: score },
});

/** Whether none of `needles` occurs in `text`: a literal every match of a pattern holds, looked for by indexOf before the pattern runs. */
const absent = (text: string, ...needles: string[]): boolean => needles.every((n) => text.indexOf(n) === -1);

/** Shannon entropy of a string in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = [...s].length;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Bits per character below which a long random part is a placeholder (`XXXX…`, `aaaa…`, `0000…`); random parts reach 3.5+. */
const PLACEHOLDER_ENTROPY = 2.5;
/**
 * Below this length entropy says little: 10 random hex characters come out under 2.5 bits in about 12% of cases. A
 * shorter part is a placeholder only when it holds fewer than PLACEHOLDER_DISTINCT distinct characters (`XXXXXXXXXX`,
 * `ababababab`), which 10 random hex characters do about 3 times in 100,000.
 */
const PLACEHOLDER_ENTROPY_LENGTH = 20;
const PLACEHOLDER_DISTINCT = 4;
/** Consecutive ascending characters (`abcdefgh`, `12345678`) that no random part holds but sample keys often do. */
const PLACEHOLDER_RUN = 8;

/**
 * Whether the random part of a token is a placeholder a human typed: too few distinct characters, or a long ascending
 * run. Issued tokens are random: the chance of either in a real one is negligible.
 */
export function placeholderPart(s: string): boolean {
  if (s.length >= PLACEHOLDER_ENTROPY_LENGTH ? shannonEntropy(s) < PLACEHOLDER_ENTROPY : new Set(s).size < PLACEHOLDER_DISTINCT) return true;
  let run = 1;
  for (let i = 1; i < s.length; i++) {
    run = s.charCodeAt(i) === s.charCodeAt(i - 1) + 1 ? run + 1 : 1;
    if (run >= PLACEHOLDER_RUN) return true;
  }
  return false;
}

/**
 * AWS marks every sample credential in its documentation with this suffix (`…EXAMPLE` key ids, `…EXAMPLEKEY` secret
 * keys): a documented placeholder convention, as gitleaks and trufflehog also read it.
 */
const AWS_DOC_PLACEHOLDER = /EXAMPLE(?:KEY)?$/;

// ---------------------------------------------------------------------------------------------------------------
// AWS

const AWS_KEY_ID = /(?<![A-Za-z0-9])(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g;
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
/** Names a secret access key goes by in config files, CLI profiles and prose. */
const AWS_SECRET_CONTEXT = /aws_?secret|secret_?access_?key|secretaccesskey|secret[ _-]key|aws[ _-]secret/i;
const AWS_SECRET_CONTEXT_G = new RegExp(AWS_SECRET_CONTEXT.source, 'gi');
const SECRET_LITERAL = /secret/i;
const B64_CHAR = /[A-Za-z0-9/+]/;
/** How far before a 40-character candidate its context (or an access key id) may be. */
const AWS_SECRET_WINDOW = 120;

/** AWS access key ids (long-term AKIA, temporary ASIA, and the ABIA/ACCA service forms) and secret access keys beside their context. */
export const awsKeysRecognizer: Recognizer = {
  id: 'aws-keys',
  examples: ['[default]\naws_access_key_id = AKIAY34FZKBOKMUTVV7A\naws_secret_access_key = lbqlNh3FW5/3AwnBoWsYIJam9w2Us4ZOH5Un8RyR\n'],
  entities: ['SECRET_AWS_ACCESS_KEY', 'SECRET_AWS_SECRET_KEY'],
  context: { en: ['aws', 'access key', 'secret', 'credentials', 'iam'] },
  recognize(text) {
    const out: RecognizerResult[] = [];
    const keyEnds: number[] = [];
    for (const m of absent(text, 'AKIA', 'ASIA', 'ABIA', 'ACCA') ? [] : text.matchAll(AWS_KEY_ID)) {
      const body = m[0].slice(4);
      if (AWS_DOC_PLACEHOLDER.test(body) || placeholderPart(body)) continue;
      // Long-lived keys (AKIA) are the ones that leak and stay valid; temporary ASIA keys expire within hours.
      const score = m[1] === 'AKIA' ? 0.9 : 0.8;
      out.push(hit('SECRET_AWS_ACCESS_KEY', m.index, m.index + m[0].length, score, 'aws-keys', `access-key-id-${m[1]!.toLowerCase()}`));
      keyEnds.push(m.index + m[0].length);
    }
    // A secret key is only looked for after its context or a key id: anchors, each opening a short window, so
    // ordinary text is not scanned for 40-character runs at all.
    const anchors = [...keyEnds];
    // Every name holds `secret`: one literal search (a quarter of the alternation's cost) rules most texts out.
    if (SECRET_LITERAL.test(text)) for (const m of text.matchAll(AWS_SECRET_CONTEXT_G)) anchors.push(m.index + m[0].length);
    anchors.sort((a, b) => a - b);
    const keyEndSet = new Set(keyEnds);
    const seen = new Set<number>();
    let scanned = 0;
    for (const anchor of anchors) {
      const from = Math.max(anchor, scanned);
      const to = Math.min(text.length, anchor + AWS_SECRET_WINDOW + 40);
      if (from >= to) continue;
      scanned = to;
      // The window alone is searched; its edges are checked against the whole text below.
      for (const m of text.slice(from, to).matchAll(AWS_SECRET)) {
        const at = from + m.index;
        if (seen.has(at) || (at > 0 && B64_CHAR.test(text[at - 1]!)) || (at + 40 < text.length && /[A-Za-z0-9/+=]/.test(text[at + 40]!))) continue;
        seen.add(at);
        const v = m[0];
        // A secret key is random base64: it mixes cases and digits; a git SHA-1 (hex) or a word run does not.
        if (!/[a-z]/.test(v) || !/[A-Z]/.test(v) || !/[0-9]/.test(v) || shannonEntropy(v) < 4 || AWS_DOC_PLACEHOLDER.test(v)) continue;
        const before = text.slice(Math.max(0, at - AWS_SECRET_WINDOW), at);
        if (AWS_SECRET_CONTEXT.test(before)) out.push(hit('SECRET_AWS_SECRET_KEY', at, at + 40, 0.85, 'aws-keys', 'secret-access-key', 'context'));
        else if (keyEndSet.has(anchor)) out.push(hit('SECRET_AWS_SECRET_KEY', at, at + 40, 0.8, 'aws-keys', 'secret-access-key', 'after-key-id'));
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Google, Slack, Stripe

const GOOGLE_API_KEY = /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g;

/** Google API keys (Maps, Firebase, Cloud): `AIza` and 35 URL-safe characters. */
export const googleApiKeyRecognizer: Recognizer = {
  id: 'google-api-key',
  examples: ['<script src="https://maps.googleapis.com/maps/api/js?key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe&callback=init">'],
  entities: ['SECRET_GOOGLE_API_KEY'],
  context: { en: ['google', 'api key', 'firebase', 'maps', 'gcp'] },
  recognize(text) {
    if (absent(text, 'AIza')) return [];
    const out: RecognizerResult[] = [];
    for (const m of text.matchAll(GOOGLE_API_KEY)) if (!placeholderPart(m[0].slice(4))) out.push(hit('SECRET_GOOGLE_API_KEY', m.index, m.index + m[0].length, 0.85, 'google-api-key', 'aiza-39'));
    return out;
  },
};

// Slack tokens (api.slack.com/authentication/token-types): bot xoxb-<team>-<bot>-<secret> (legacy bots
// xoxb-<bot>-<secret>), user xoxp-<team>-<user>-<team>-<32 hex>, workspace xoxa-2-…, legacy xoxs-/xoxo-, client xoxc-,
// app xapp-1-<app>-<n>-<64 hex>, rotating refresh xoxe-1-<long> and configuration tokens xoxe.xoxp-1-<long>; the run is
// matched whole and its dash-separated parts checked in code, which keeps the pattern a single class.
const SLACK_TOKEN = /(?<![A-Za-z0-9-])(xox[abceoprs]|xapp)-[0-9A-Za-z-]{10,250}(?![A-Za-z0-9-])/g;
const SLACK_WEBHOOK = /(?<![A-Za-z0-9.-])(?:https?:\/\/)?hooks\.slack\.com\/(services|workflows|triggers)\/[A-Za-z0-9/_-]{20,200}/g;
/** A versioned token's single random part (refresh and configuration tokens run to 146–166 characters). */
const SLACK_LONG_PART = 40;

function slackTokenShape(kind: string, body: string): boolean {
  const parts = body.split('-');
  if (parts.some((p) => p.length === 0)) return false;
  // App ids start with A in Slack's docs, but the version, numeric id and 64-hex secret around them are the shape.
  if (kind === 'xapp') return parts.length === 4 && /^\d$/.test(parts[0]!) && /^[A-Z0-9]{7,}$/.test(parts[1]!) && /^\d+$/.test(parts[2]!) && /^[0-9a-f]{32,}$/i.test(parts[3]!) && !placeholderPart(parts[3]!);
  let ids = parts;
  // A one-digit first part is a format version (xoxa-2-…, xoxe-1-…): one long random part, or the usual ids after it.
  if (/^\d$/.test(parts[0]!)) {
    if (parts.length === 2) return parts[1]!.length >= SLACK_LONG_PART && /^[0-9A-Za-z]+$/.test(parts[1]!) && !placeholderPart(parts[1]!);
    ids = parts.slice(1);
  }
  // Numeric workspace/user ids, then a random part: three ids (user, legacy, client tokens) are structure enough for
  // a 10-character legacy tail; one or two ids (bot tokens) need the 16+ characters bot secrets have.
  const numeric = ids.slice(0, -1);
  const tail = ids[ids.length - 1]!;
  if (numeric.length === 0 || !numeric.every((p) => /^\d{6,}$/.test(p))) return false;
  return tail.length >= (numeric.length >= 3 ? 10 : 16) && /^[0-9A-Za-z]+$/.test(tail) && !placeholderPart(tail);
}

/** Slack bot/user/app/refresh tokens and incoming-webhook URLs (a webhook URL is itself the credential). */
export const slackRecognizer: Recognizer = {
  id: 'slack',
  examples: ['SLACK_BOT_TOKEN=xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy'],
  entities: ['SECRET_SLACK_TOKEN'],
  context: { en: ['slack', 'token', 'webhook', 'bot'] },
  recognize(text) {
    const out: RecognizerResult[] = [];
    for (const m of absent(text, 'xox', 'xapp') ? [] : text.matchAll(SLACK_TOKEN)) {
      const kind = m[1]!;
      if (!slackTokenShape(kind, m[0].slice(kind.length + 1))) continue;
      // A configuration token is `xoxe.` before a versioned xoxp/xoxb token: the span takes the prefix in.
      const start = m.index >= 5 && text.startsWith('xoxe.', m.index - 5) ? m.index - 5 : m.index;
      out.push(hit('SECRET_SLACK_TOKEN', start, m.index + m[0].length, 0.9, 'slack', start < m.index ? 'xoxe-config' : kind, 'shape'));
    }
    for (const m of absent(text, 'hooks.slack.com/') ? [] : text.matchAll(SLACK_WEBHOOK)) {
      const path = m[0].slice(m[0].indexOf(m[1]!) + m[1]!.length + 1).split('/');
      // services/T…/B…/<24 alnum>: a workspace, a channel hook and the secret part.
      if (m[1] === 'services' && !(path.length >= 3 && /^T[A-Z0-9]{6,}$/.test(path[0]!) && /^B[A-Z0-9]{6,}$/.test(path[1]!) && /^[A-Za-z0-9]{20,}$/.test(path[2]!))) continue;
      // The secret part (the last one) of the docs' `XXXXXXXX…` sample is no credential.
      if (placeholderPart(m[1] === 'services' ? path[2]! : path.filter((p) => p.length > 0).pop()!)) continue;
      out.push(hit('SECRET_SLACK_TOKEN', m.index, m.index + m[0].length, 0.9, 'slack', `webhook-${m[1]}`, 'shape'));
    }
    return out;
  },
};

const STRIPE_KEY = /(?<![A-Za-z0-9_])(sk|rk|pk)_(live|test)_[0-9A-Za-z]{16,247}(?![A-Za-z0-9_])/g;
const STRIPE_WEBHOOK_SECRET = /(?<![A-Za-z0-9_])whsec_[0-9A-Za-z]{24,64}(?![A-Za-z0-9_])/g;

/**
 * Stripe keys. Secret (`sk_`) and restricted (`rk_`) keys are credentials: live ones score 0.9, test-mode ones
 * 0.6 (they reach only test data but are still secrets). Publishable `pk_` keys are meant to ship in web pages:
 * they score 0.1, which stays below the default minimum of 0.5 even after a context boost (+0.35), so they show
 * only when asked for. Webhook signing secrets
 * (`whsec_`) forge events: 0.8.
 */
export const stripeRecognizer: Recognizer = {
  id: 'stripe',
  examples: ['STRIPE_SECRET_KEY=sk_live_51H8vQ2eZvKYlo2C0aB3dE4fG'],
  entities: ['SECRET_STRIPE_KEY'],
  context: { en: ['stripe', 'secret key', 'api key', 'webhook'] },
  recognize(text) {
    const out: RecognizerResult[] = [];
    for (const m of absent(text, '_live_', '_test_') ? [] : text.matchAll(STRIPE_KEY)) {
      const [, kind, mode] = m;
      const score = kind === 'pk' ? 0.1 : mode === 'live' ? 0.9 : 0.6;
      out.push(hit('SECRET_STRIPE_KEY', m.index, m.index + m[0].length, score, 'stripe', `${kind}-${mode}`));
    }
    for (const m of absent(text, 'whsec_') ? [] : text.matchAll(STRIPE_WEBHOOK_SECRET)) out.push(hit('SECRET_STRIPE_KEY', m.index, m.index + m[0].length, 0.8, 'stripe', 'whsec'));
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// GitHub

const GITHUB_TOKEN = /(?<![A-Za-z0-9_])(gh[pousr])_([A-Za-z0-9]{36})(?![A-Za-z0-9_])/g;
const GITHUB_PAT = /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}(?![A-Za-z0-9_])/g;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 of a 32-bit number, left-padded with '0' to 6 characters (GitHub's token checksum encoding). */
export function base62Checksum(n: number): string {
  let s = '';
  let v = n >>> 0;
  do {
    s = BASE62[v % 62]! + s;
    v = Math.floor(v / 62);
  } while (v > 0);
  return s.padStart(6, '0');
}

/**
 * GitHub's token checksum: the last 6 characters are the CRC32 of the 30 random ones, in base62
 * (github.blog, "Behind GitHub's new authentication token formats", 2021).
 */
export function githubChecksumValid(body36: string): boolean {
  return body36.length === 36 && base62Checksum(crc32(body36.slice(0, 30))) === body36.slice(30);
}

/** GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens (checksum validated) and fine-grained PATs. */
export const githubRecognizer: Recognizer = {
  id: 'github',
  examples: ['export GITHUB_TOKEN=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'],
  entities: ['SECRET_GITHUB_TOKEN'],
  context: { en: ['github', 'token', 'pat', 'gh'] },
  recognize(text) {
    const out: RecognizerResult[] = [];
    // Every GitHub token has an underscore after its prefix.
    if (absent(text, '_')) return out;
    for (const m of text.matchAll(GITHUB_TOKEN)) {
      // A wrong checksum is a made-up or mistyped token GitHub itself would reject: not reported.
      if (!githubChecksumValid(m[2]!)) continue;
      out.push(hit('SECRET_GITHUB_TOKEN', m.index, m.index + m[0].length, 0.95, 'github', m[1]!, 'crc32-base62'));
    }
    // Fine-grained tokens carry no documented checksum: the fixed shape alone.
    for (const m of text.matchAll(GITHUB_PAT)) {
      if (placeholderPart(m[0].slice('github_pat_'.length))) continue;
      out.push(hit('SECRET_GITHUB_TOKEN', m.index, m.index + m[0].length, 0.85, 'github', 'github-pat'));
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// JWT

const JWT = /(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{2,16000}\.[A-Za-z0-9_-]{0,2000}(?![A-Za-z0-9_.-])/g;

function decodeJsonObject(b64url: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(b64url, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** JSON Web Tokens (RFC 7519): a header that decodes to JSON with `alg`; unsigned (`alg: none`) tokens score lower. */
export const jwtRecognizer: Recognizer = {
  id: 'jwt',
  examples: ['Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'],
  entities: ['SECRET_JWT'],
  context: { en: ['jwt', 'bearer', 'token', 'authorization', 'id_token', 'access_token'] },
  recognize(text) {
    const out: RecognizerResult[] = [];
    // Every token starts with `eyJ` (a JSON header's `{"`): one indexOf spares most texts the pattern's pass.
    if (absent(text, 'eyJ')) return out;
    for (const m of text.matchAll(JWT)) {
      const [header, payload, signature] = m[0].split('.') as [string, string, string];
      const h = decodeJsonObject(header);
      if (!h || typeof h.alg !== 'string') continue;
      const signed = h.alg.toLowerCase() !== 'none' && signature.length > 0;
      const claims = decodeJsonObject(payload) !== undefined;
      // A bearer token that verifies is a live session; an unsigned one grants nothing by itself.
      const score = signed ? (claims ? 0.9 : 0.7) : 0.5;
      out.push(hit('SECRET_JWT', m.index, m.index + m[0].length, score, 'jwt', signed ? 'jws' : 'unsigned', 'json-header'));
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Private keys

// Up to three label words before PRIVATE KEY (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP, SSH2 ENCRYPTED, …): each word is a
// bounded run ended by a space, so a run can be split one way only.
const PRIVATE_KEY_BEGIN = /-----BEGIN ((?:[A-Z0-9]{1,20} ){1,3})?PRIVATE KEY( BLOCK)?-----/g;
/** A PEM body longer than this (a 16384-bit RSA key is ~13 kB) is not one key: only the header line is reported. */
const PRIVATE_KEY_MAX = 20_000;

/** How far past a BEGIN line without its END the key material must start. */
const KEY_MATERIAL_LOOKAHEAD = 400;
/** Base64 characters in one run that make key material: the shortest real body (an Ed25519 OpenSSH key) has hundreds. */
const KEY_MATERIAL_RUN = 40;

const isBase64Char = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61;

/** Whether [from, to) holds a run of KEY_MATERIAL_RUN base64 characters (line breaks end a run; PEM lines are 64 wide). */
function hasKeyMaterial(text: string, from: number, to: number): boolean {
  let run = 0;
  for (let i = from; i < to; i++) {
    if (isBase64Char(text.charCodeAt(i))) {
      if (++run >= KEY_MATERIAL_RUN) return true;
    } else run = 0;
  }
  return false;
}

/**
 * hasKeyMaterial for queries whose `from` never decreases (BEGIN lines in text order): the text is read once, up to
 * the furthest `to` asked, and the first run found is remembered, so 600 BEGIN lines before one END cost one pass
 * over the body rather than 600.
 */
function keyMaterialScanner(text: string): (from: number, to: number) => boolean {
  let scanned = 0;
  let run = 0;
  let found = -1;
  return (from, to) => {
    if (found !== -1 && found - KEY_MATERIAL_RUN >= from) return found <= to;
    found = -1;
    if (from >= scanned) {
      scanned = from;
      run = 0;
    } else run = Math.min(run, scanned - from);
    for (; scanned < to; scanned++) {
      if (!isBase64Char(text.charCodeAt(scanned))) run = 0;
      else if (++run >= KEY_MATERIAL_RUN) {
        found = ++scanned;
        return true;
      }
    }
    return false;
  };
}

const PUTTY_HEADER = 'PuTTY-User-Key-File-';
const PUTTY_PRIVATE = 'Private-Lines: ';
/** How far past its header a PuTTY file's Private-Lines field may be (the public lines of a 4096-bit key run ~750 characters). */
const PUTTY_WINDOW = 4000;

/** Whether text[from, to) is one non-empty line of base64 (a trailing `\r` allowed). */
function base64Line(text: string, from: number, to: number): boolean {
  if (to > from && text.charCodeAt(to - 1) === 13) to--;
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (!isBase64Char(text.charCodeAt(i))) return false;
  return true;
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

/**
 * PuTTY private key files (.ppk, detect-secrets lists them): the header through the `Private-Lines: N` lines and the
 * Private-MAC line after them; encrypted unless the file says `Encryption: none`.
 */
function puttyKeys(text: string): RecognizerResult[] {
  const out: RecognizerResult[] = [];
  // The next Private-Lines field, remembered so many headers without one do not rescan the text.
  let priv = -2;
  let judged = -2;
  let after = 0;
  for (let at = text.indexOf(PUTTY_HEADER); at !== -1; at = text.indexOf(PUTTY_HEADER, Math.max(at + 1, after))) {
    if (priv !== -1 && priv < at) priv = text.indexOf(PUTTY_PRIVATE, at);
    if (priv === -1) break;
    if (priv - at > PUTTY_WINDOW) continue;
    const count = /^\d{1,3}/.exec(text.slice(priv + PUTTY_PRIVATE.length, priv + PUTTY_PRIVATE.length + 3));
    if (!count) continue;
    // Every header before one field would judge the same body: it is read once.
    if (priv === judged) continue;
    judged = priv;
    const bodyStart = lineEnd(text, priv) + 1;
    let end = bodyStart;
    // Bounded like a PEM body, and ended by the first line that is not base64 (the Private-MAC line, a next header):
    // bodies of different fields never overlap, so the text is read once however the headers are crowded.
    const bodyMax = Math.min(text.length, bodyStart + PRIVATE_KEY_MAX);
    for (let k = 0; k < Number(count[0]) && end < bodyMax; k++) {
      const le = lineEnd(text, end);
      if (!base64Line(text, end, le)) break;
      end = le + 1;
    }
    end = Math.min(end, bodyMax);
    if (!hasKeyMaterial(text, bodyStart, end)) continue;
    if (text.startsWith('Private-MAC: ', end)) end = lineEnd(text, end) + 1;
    while (end > at && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
    const encrypted = !text.slice(at, priv).includes('Encryption: none');
    out.push(hit('SECRET_PRIVATE_KEY', at, end, encrypted ? 0.8 : 0.95, 'private-key', 'putty', 'private-lines'));
    after = end;
  }
  return out;
}

/** PEM/OpenSSH/PGP private key blocks with key material, spanning BEGIN through END; encrypted ones score a little lower. */
export const privateKeyRecognizer: Recognizer = {
  id: 'private-key',
  examples: ['deploy key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n'],
  entities: ['SECRET_PRIVATE_KEY'],
  context: { en: ['private key', 'ssh', 'pem', 'rsa'] },
  recognize(text) {
    const out: RecognizerResult[] = [];
    let after = 0;
    // The next END line of each kind, remembered so many BEGIN lines without an END do not rescan the text.
    const nextEnd = new Map<string, number>();
    const materialIn = keyMaterialScanner(text);
    for (const m of text.matchAll(PRIVATE_KEY_BEGIN)) {
      if (m.index < after) continue;
      const kind = (m[1] ?? '').trim().toLowerCase() || 'pkcs8';
      const endLine = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
      let endAt = nextEnd.get(endLine);
      if (endAt === undefined || (endAt >= 0 && endAt < m.index)) {
        endAt = text.indexOf(endLine, m.index + m[0].length);
        nextEnd.set(endLine, endAt);
      }
      const bodyStart = m.index + m[0].length;
      const whole = endAt >= 0 && endAt - m.index <= PRIVATE_KEY_MAX;
      // A header with no key material after it is a runbook or a code sample naming the format, not a leaked key.
      if (!materialIn(bodyStart, whole ? endAt : Math.min(text.length, bodyStart + KEY_MATERIAL_LOOKAHEAD))) continue;
      // Legacy PEM marks encryption in a header ("Proc-Type: 4,ENCRYPTED") rather than in the BEGIN line.
      const encrypted = kind.includes('encrypted') || (endAt > 0 && text.slice(m.index, Math.min(endAt, m.index + 200)).includes('Proc-Type: 4,ENCRYPTED'));
      const score = encrypted ? 0.8 : 0.95;
      if (whole) {
        after = endAt + endLine.length;
        out.push(hit('SECRET_PRIVATE_KEY', m.index, after, score, 'private-key', kind, 'begin-end'));
      } else {
        // A truncated paste still exposes the key's start.
        out.push(hit('SECRET_PRIVATE_KEY', m.index, bodyStart, score - 0.1, 'private-key', kind, 'begin-only'));
      }
    }
    if (text.includes(PUTTY_HEADER)) out.push(...puttyKeys(text));
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// High-entropy values with context

/** Names (any language in the default set) that make the value assigned to them a secret. */
const SECRET_NAMES =
  'password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|auth$|authorization|credential|creds|private[_-]?key|client[_-]?secret|signing[_-]?key|encryption[_-]?key|session[_-]?key|passwort|kennwort|wachtwoord|senha|contrase(?:ñ|n)a|mot[_-]?de[_-]?passe|motdepasse';
// Found from the assignment operator, which is rare in text, rather than from the names, which a regex would try
// at every position: the name must end within the 50 characters before the operator, the value follow it.
const SECRET_NAME = new RegExp(SECRET_NAMES, 'i');

/** Stems of SECRET_NAMES: a cheap `includes` test that rules out almost every identifier before the regex runs. */
const NAME_STEMS = ['pass', 'pwd', 'secret', 'token', 'key', 'auth', 'cred', 'kennwort', 'wachtwoord', 'senha', 'contrase', 'mot'];

/**
 * Names that hold a secret-sounding word but name something public or something about the secret: a public or
 * publishable token, an anti-forgery (CSRF) token, or a secret's id, name, location, type, size or lifetime
 * (`credentialsId`, `token_url`, `secret_name`, `TokenFile`, `SESSION_TOKEN_TTL`).
 */
const NOT_SECRET_NAME = /csrf|xsrf|(?:^|[_.-])(?:id|ids|name|url|uri|endpoint|file|path|type|length|len|size|ttl|expiry|expires|version)$/i;
const NOT_SECRET_NAME_CAMEL = /[a-z0-9](?:Id|Ids|Name|Url|URL|Uri|Endpoint|File|Path|Type|Length|Size|Ttl|Version)$/;
/** Names under which a 40- or 64-digit hex value is a digest (a commit, a checksum), not a hex-encoded secret. */
const HASH_NAME_PART = /^(?:sha\d*|hash|hashes|digest|checksum|sum|md5|commit|rev|revision|fingerprint|etag)$/i;
/** Whether one of a name's parts (split at `_`, `.`, `-` and camelCase humps) is a digest's name: `SHARED` is not `sha`. */
const nameParts = (name: string): string[] => name.split(/[_.-]|(?<=[a-z0-9])(?=[A-Z])/);
const hashName = (name: string): boolean => nameParts(name).some((part) => HASH_NAME_PART.test(part));
/** A public or publishable value's name, by whole name part (`NEXT_PUBLIC_API_KEY`, `publicToken`, not `PUBLICATION_API_KEY`). */
const publicName = (name: string): boolean => nameParts(name).some((part) => /^(?:public|publishable)$/i.test(part));

const STEMS_BY_FIRST: (string[] | undefined)[] = [];
for (const st of NAME_STEMS) (STEMS_BY_FIRST[st.charCodeAt(0)] ??= []).push(st);

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
const isIdent = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45 || c === 0xf1;

/** Width of the spaces and tabs that open the line holding `p`. */
function lineIndent(text: string, p: number): number {
  const start = text.lastIndexOf('\n', p) + 1;
  let i = start;
  while (i < p && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i - start;
}

/** Where the identifier right before an operator starts (past up to 3 spaces and a closing quote, at most 50 characters); its end is `nameEnd`. */
let nameEnd = 0;
function nameStart(text: string, p: number): number {
  let i = p - 1;
  for (let sp = 0; sp < 3 && i >= 0 && isSpace(text.charCodeAt(i)); sp++) i--;
  if (i >= 0 && (text.charCodeAt(i) === 34 || text.charCodeAt(i) === 39)) i--;
  nameEnd = i + 1;
  while (i >= 0 && nameEnd - i <= 50 && isIdent(text.charCodeAt(i))) i--;
  return i + 1;
}

/** Whether text[s, e) holds one of NAME_STEMS, ignoring ASCII case: the `includes` test without slicing the name. */
function hasNameStem(text: string, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    let c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    const stems = STEMS_BY_FIRST[c];
    if (!stems) continue;
    for (const st of stems) {
      if (i + st.length > e) continue;
      let k = 1;
      while (k < st.length) {
        let d = text.charCodeAt(i + k);
        if (d >= 65 && d <= 90) d += 32;
        if (d !== st.charCodeAt(k)) break;
        k++;
      }
      if (k === st.length) return true;
    }
  }
  return false;
}

// `=>` (Ruby, PHP), then the value on the same line, or on the next line when that line is indented (a YAML value
// under its key): an unindented next line is the next entry of a file whose value was left empty (`API_KEY=`).
// An HTTP authorization scheme (`Authorization: Basic …`) comes before the credential.
// The scheme is case-insensitive (RFC 7235), hence the `i` flag; no other part of the pattern holds a letter.
const VALUE_AFTER = /(?:>)?(?:[ \t]{0,3}|[ \t]{0,8}\r?\n([ \t]{1,8}))["']?(?:(?:Basic|Bearer|Token) )?([^\s"'`,;<>(){}[\]]{20,256})/iy;
const VALUE_CHAR = /[^\s"'`,;<>(){}[\]]/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]+$/i;
/** Bits per character a value must reach; hex's alphabet caps it at 4, hence a lower bar for it. */
const ENTROPY_MIN = 3.5;
const ENTROPY_MIN_HEX = 3.0;

/** Whether base64 decodes to ordinary text (a label, a sentence), which is encoding, not a secret. */
function base64OfText(v: string): boolean {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(v) || v.length % 4 === 1) return false;
  const bytes = Buffer.from(v, /[-_]/.test(v) ? 'base64url' : 'base64');
  if (bytes.length < 12) return false;
  // `user:password` is HTTP Basic credentials, encoded text that is itself the secret.
  // A URL (`https://…`) has the same shape but is text.
  const decoded = bytes.toString('latin1');
  if (/^[\x21-\x39\x3b-\x7e]+:[\x21-\x7e]+$/.test(decoded) && !decoded.includes('://')) return false;
  let printable = 0;
  let letters = 0;
  for (const b of bytes) {
    if (b === 0x20 || b === 0x0a || (b >= 0x21 && b <= 0x7e)) printable++;
    if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x20) letters++;
  }
  return printable === bytes.length && letters / bytes.length > 0.7;
}

/** An identifier made of dictionary-like words (`AccessTokenRefreshHandler`, `user_account_settings_page`). */
function wordCompound(v: string): boolean {
  const parts = v.split(/[_.\-/]|(?<=[a-z])(?=[A-Z])/);
  // Short all-capital parts are acronyms (`X-CSRF-Token-Header`).
  return parts.every((p) => /^[A-Z]{1,5}$/.test(p) || (/^[A-Za-z]{2,}$/.test(p) && /[aeiouy]/i.test(p)));
}

/**
 * A Slack-shaped value someone typed: a placeholder random part, or a numeric id too short to be one Slack issued
 * (`xoxp-1234-1234-1234-…`; workspace and user ids run to 9 digits and more, the format version is one digit).
 */
function slackMadeUp(v: string): boolean {
  const parts = v.split('-').slice(1);
  return placeholderPart(parts[parts.length - 1] ?? '') || parts.some((p, i) => /^\d+$/.test(p) && p.length < 6 && !(i === 0 && p.length === 1));
}

const whole = (re: RegExp): RegExp => new RegExp(`^(?:${re.source})$`);
const NO_CONTEXT = { languages: [] as string[] };
/**
 * Vendor token shapes, each with its recognizer and whether that recognizer's rejection of a value of the shape means a
 * placeholder or a failed checksum (AWS, Google, GitHub reject on nothing else; Slack also on structure, so only a
 * placeholder random part counts; a JWT whose header is not JSON is no JWT at all).
 */
const VENDOR_SHAPES: Array<[RegExp, Recognizer, (v: string) => boolean]> = [
  [whole(AWS_KEY_ID), awsKeysRecognizer, () => true],
  [whole(GOOGLE_API_KEY), googleApiKeyRecognizer, () => true],
  [whole(SLACK_TOKEN), slackRecognizer, slackMadeUp],
  [whole(STRIPE_KEY), stripeRecognizer, () => true],
  [whole(STRIPE_WEBHOOK_SECRET), stripeRecognizer, () => true],
  [whole(GITHUB_TOKEN), githubRecognizer, () => true],
  [whole(GITHUB_PAT), githubRecognizer, () => true],
  [whole(JWT), jwtRecognizer, () => false],
];

/**
 * Whether a vendor recognizer owns the value: it reports it (under the vendor's type), or the value has the vendor's
 * exact shape and is rejected as a placeholder or on its checksum. A value that only starts like a vendor token
 * (`xoxd-…` session cookies, an AWS-like id with a 9 in it) is not the vendor's to judge.
 */
function vendorOwned(v: string): boolean {
  const bare = v.startsWith('xoxe.') ? v.slice(5) : v;
  for (const [shape, r, rejectsAsPlaceholder] of VENDOR_SHAPES) {
    if (!shape.test(bare)) continue;
    if (r.recognize(v, NO_CONTEXT).some((f) => f.start === 0 && f.end === v.length)) return true;
    if (rejectsAsPlaceholder(bare)) return true;
  }
  return false;
}

/** A relative path's segments are names (`config/prod/db`, `Users/Alice/Documents`), not random base64 runs that hold slashes. */
const pathSegment = (seg: string): boolean => /^[a-z0-9_.-]+$/.test(seg) || wordCompound(seg);

/**
 * Why a value after a secret-sounding name is NOT a secret, or undefined when it looks like one. `name` is the
 * identifier it was assigned to, when known. Exported so the near misses are tested one by one.
 */
export function notASecret(v: string, name?: string): string | undefined {
  if (UUID.test(v)) return 'uuid';
  // A vendor's token shape is its own recognizer's to judge (a GitHub token whose checksum fails, a placeholder), and to
  // report under the vendor's type.
  if (vendorOwned(v)) return 'vendor token';
  // AWS's documented sample secret key (see AWS_DOC_PLACEHOLDER).
  if (v.length === 40 && AWS_DOC_PLACEHOLDER.test(v)) return 'placeholder';
  // Hex of a digest's length is a digest under a digest's name (or none known); under `client_secret` it is the secret
  // (GitHub OAuth app secrets are 40 hex digits, many API secrets 64).
  if (HEX.test(v) && (v.length === 40 || v.length === 64) && (name === undefined || hashName(name))) return 'hash-shaped hex';
  if (v.includes('://')) return 'url';
  if (/^(?:[~.]{0,2}\/|[A-Za-z]:\\)/.test(v) || (/^[\w.-]+(?:\/[\w.-]+){2,}$/.test(v) && v.split('/').every(pathSegment)) || /\.[a-z]{2,4}$/.test(v)) return 'path';
  if (/^[\d\s:./+TZ-]+$/.test(v)) return 'number or timestamp';
  if (/^\$\{?[A-Z_]+\}?$|^%[A-Z_]+%$|^<.*>$|^x{6,}$|^\*{6,}$/i.test(v)) return 'placeholder';
  // `oauth2.StaticTokenSource`, `base64.StdEncoding.EncodeToString`: a qualified name in code, ending in a member
  // named in words, not a value (a random value with a dot in it ends in a random run).
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(v) && wordCompound(v.slice(v.lastIndexOf('.') + 1))) return 'dotted identifier';
  if (wordCompound(v)) return 'word compound';
  if (base64OfText(v)) return 'base64 of text';
  const h = shannonEntropy(v);
  if (h < (HEX.test(v) ? ENTROPY_MIN_HEX : ENTROPY_MIN)) return 'low entropy';
  // Random strings mix classes; one class only (all lower letters) is far more often a word run or a slug.
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(v)).length;
  if (classes < 2) return 'one character class';
  return undefined;
}

/**
 * Long random-looking values assigned to a secret-sounding name (`password=`, `"api_key": "…"`, `token: …`).
 * Context is part of the pattern, so a bare random string never fires; UUIDs, hashes, paths, URLs, base64 of
 * text and word compounds are excluded (see notASecret).
 */
export const highEntropyRecognizer: Recognizer = {
  id: 'high-entropy',
  examples: ['DB_PASSWORD=q8Z!vR2#mK9xLp4@tW7n', '"api_key": "b7Xk29QmZp4LrT8vNc3WyH6s"'],
  entities: ['SECRET_HIGH_ENTROPY'],
  context: {
    en: ['password', 'secret', 'token', 'api_key', 'credential', 'passwd'],
    de: ['passwort', 'kennwort', 'geheim', 'zugangsdaten'],
    fr: ['mot de passe', 'secret', 'jeton'],
    es: ['contraseña', 'secreto', 'clave'],
    it: ['password', 'segreto', 'chiave'],
    nl: ['wachtwoord', 'geheim', 'sleutel'],
    pt: ['senha', 'segredo', 'chave'],
  },
  recognize(text) {
    const out: RecognizerResult[] = [];
    // Each `:` and `=` in turn, from two indexOf cursors (a regex match object per operator cost more than the rest).
    let colon = text.indexOf(':');
    let equals = text.indexOf('=');
    while (colon !== -1 || equals !== -1) {
      let p: number;
      if (equals === -1 || (colon !== -1 && colon < equals)) {
        p = colon;
        colon = text.indexOf(':', p + 1);
      } else {
        p = equals;
        equals = text.indexOf('=', p + 1);
      }
      // `==`, `!=`, `<=`, `>=` and `::` are comparisons or scopes, not a value being set; `:=` (Go, Pascal) is an
      // assignment, read from its `=` with the name before its `:`.
      const next = text.charCodeAt(p + 1);
      const prev = p > 0 ? text.charCodeAt(p - 1) : 0;
      const walrus = prev === 58 && text.charCodeAt(p) === 61;
      if (next === 61 || next === 58 || prev === 61 || (prev === 58 && !walrus) || prev === 33 || prev === 60 || prev === 62) continue;
      const ns = nameStart(text, walrus ? p - 1 : p);
      if (nameEnd - ns < 3 || !hasNameStem(text, ns, nameEnd)) continue;
      const name = text.slice(ns, nameEnd);
      if (!SECRET_NAME.test(name) || NOT_SECRET_NAME.test(name) || NOT_SECRET_NAME_CAMEL.test(name) || publicName(name)) continue;
      VALUE_AFTER.lastIndex = p + 1;
      const m = VALUE_AFTER.exec(text);
      if (!m) continue;
      const v = m[2]!;
      const end = p + 1 + m[0].length;
      // A value running past the bound is a blob (certificate, data URL), not one credential.
      if (end < text.length && VALUE_CHAR.test(text[end]!)) continue;
      // A value the code calls or builds (`x509.MarshalPKCS1PrivateKey(priv)`, `Token{…}`) is an expression.
      if (text[end] === '(' || text[end] === '{') continue;
      // On the next line, a value is one indented under its key; a `key:` there is a nested key (YAML), not the value.
      if (m[1] !== undefined && (v.endsWith(':') || m[1].length <= lineIndent(text, p))) continue;
      if (notASecret(v, name) !== undefined) continue;
      out.push(hit('SECRET_HIGH_ENTROPY', end - v.length, end, 0.6, 'high-entropy', 'assignment', 'entropy'));
    }
    return out;
  },
};

/** Every secrets recognizer, in registry order. */
export const SECRET_RECOGNIZERS: readonly Recognizer[] = [
  awsKeysRecognizer,
  googleApiKeyRecognizer,
  slackRecognizer,
  stripeRecognizer,
  githubRecognizer,
  jwtRecognizer,
  privateKeyRecognizer,
  highEntropyRecognizer,
];
