/**
 * A private CA and a server certificate for 127.0.0.1/localhost, made in memory with node:crypto
 * (no openssl binary, no package): what the mail fakes serve STARTTLS and implicit TLS with, and
 * what a client under test trusts through its `ca` setting.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/** DER: a tag, its length, its content. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const bits = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const explicit = (n: number, b: Buffer) => tlv(0xa0 + n, b);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const v of rest) {
    const groups = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) groups.unshift((x & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

/** Positive and minimal as DER wants it: no leading zero byte, top bit clear. */
function serial(): Buffer {
  const b = randomBytes(12);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b;
}

function integer(b: Buffer): Buffer {
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
/** Fixed validity, 2020 to 2049 (the last UTCTime year): the certificates do not depend on the clock. */
const VALIDITY = seq(tlv(0x17, Buffer.from('200101000000Z')), tlv(0x17, Buffer.from('491231235959Z')));

function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

function certificate(o: { subject: string; issuer: string; publicKey: KeyObject; signer: KeyObject; issuerKey: KeyObject; ca: boolean; hosts?: string[] }): string {
  const extensions: Buffer[] = [
    seq(oid('2.5.29.19'), bool(true), octets(o.ca ? seq(bool(true)) : seq())),
    // keyCertSign + cRLSign for the CA; digitalSignature for the server (ECDHE signs the handshake).
    seq(oid('2.5.29.15'), bool(true), octets(bits(Buffer.from([o.ca ? 0x06 : 0x80])))),
    seq(oid('2.5.29.14'), octets(octets(keyId(o.publicKey)))),
    seq(oid('2.5.29.35'), octets(seq(tlv(0x80, keyId(o.issuerKey))))),
  ];
  if (o.hosts) {
    const names = o.hosts.map((h) => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? tlv(0x87, Buffer.from(h.split('.').map(Number))) : tlv(0x82, Buffer.from(h, 'ascii'))));
    extensions.push(seq(oid('2.5.29.17'), octets(seq(...names))));
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial()),
    ECDSA_SHA256,
    name(o.issuer),
    VALIDITY,
    name(o.subject),
    o.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, o.signer);
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

export interface TestTls {
  /** PEM of the private CA: what a client's `ca` setting trusts. */
  ca: string;
  /** PEM of the server's certificate (for 127.0.0.1, ::1 and localhost) and its key. */
  cert: string;
  key: string;
}

/** A fresh CA and a server certificate it signed, for `hosts` (default 127.0.0.1 and localhost). */
export function makeTestTls(hosts: string[] = ['127.0.0.1', 'localhost']): TestTls {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serverKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ca = certificate({ subject: 'saaswatch test CA', issuer: 'saaswatch test CA', publicKey: caKeys.publicKey, signer: caKeys.privateKey, issuerKey: caKeys.publicKey, ca: true });
  const cert = certificate({ subject: hosts[0] ?? 'localhost', issuer: 'saaswatch test CA', publicKey: serverKeys.publicKey, signer: caKeys.privateKey, issuerKey: caKeys.publicKey, ca: false, hosts });
  return { ca, cert, key: serverKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
