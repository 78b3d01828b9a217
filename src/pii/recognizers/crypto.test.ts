import { describe, expect, it } from 'vitest';
import { base58Address, cryptoRecognizer, eip55Valid, keccak256Hex, segwitAddress } from './crypto.js';

const ctx = { languages: ['en'] };
const found = (text: string) => cryptoRecognizer.recognize(text, ctx).map((f) => ({ value: text.slice(f.start, f.end), pattern: f.explanation.pattern, validator: f.explanation.validator, score: f.score }));

describe('Base58Check addresses', () => {
  it('accepts Bitcoin P2PKH/P2SH and Litecoin addresses whose double-SHA256 checksum holds', () => {
    // The genesis block's coinbase address, BIP-16's example P2SH address, a Litecoin P2PKH address.
    expect(base58Address('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa')).toBe('btc-p2pkh');
    expect(base58Address('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy')).toBe('btc-p2sh');
    expect(base58Address('LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9')).toBe('ltc-p2pkh');
  });

  it('rejects a changed character, and valid Base58Check of another version or length', () => {
    expect(base58Address('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb')).toBeUndefined();
    expect(base58Address('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN')).toBeUndefined();
    // A WIF private key (version 0x80, 33+ bytes) is Base58Check too, but not an address.
    expect(base58Address('5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ')).toBeUndefined();
  });
});

describe('segwit addresses', () => {
  it('accepts BIP-173 (bech32, v0) and BIP-350 (bech32m, v1 taproot) test vectors, upper or lower case', () => {
    expect(segwitAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toBe('btc-segwit-v0');
    expect(segwitAddress('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4')).toBe('btc-segwit-v0');
    expect(segwitAddress('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0')).toBe('btc-segwit-v1');
  });

  it("rejects BIP-350's invalid vectors: a v0 program under bech32m, a v1 under bech32, mixed case, a bad checksum", () => {
    expect(segwitAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh')).toBeUndefined();
    expect(segwitAddress('bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4')).toBeUndefined();
    expect(segwitAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kV8f3t4')).toBeUndefined();
    expect(segwitAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5')).toBeUndefined();
    expect(segwitAddress('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx')).toBeUndefined();
  });
});

describe('Ethereum addresses', () => {
  it('computes Keccak-256 (not SHA3-256)', () => {
    expect(keccak256Hex(new Uint8Array())).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(keccak256Hex(new TextEncoder().encode('abc'))).toBe('4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
    // Longer than one 136-byte block.
    expect(keccak256Hex(new Uint8Array(200))).toHaveLength(64);
  });

  it("validates EIP-55's examples and rejects a changed case", () => {
    for (const a of ['5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', 'dbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', 'D1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb']) {
      expect(eip55Valid(a)).toBe(true);
    }
    expect(eip55Valid('5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD')).toBe(false);
  });
});

describe('the crypto recognizer', () => {
  it('finds each kind in a payment note with its validator and score', () => {
    const text = [
      'Please send 0.05 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa or bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4.',
      'Taproot: bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0',
      'ETH: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed, unchecksummed 0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae',
    ].join('\n');
    expect(found(text)).toEqual([
      { value: '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', pattern: 'btc-p2pkh', validator: 'base58check', score: 0.9 },
      { value: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', pattern: 'btc-segwit-v0', validator: 'bech32', score: 0.9 },
      { value: 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', pattern: 'btc-segwit-v1', validator: 'bech32m', score: 0.9 },
      { value: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', pattern: 'eth', validator: 'eip55', score: 0.9 },
      { value: '0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae', pattern: 'eth', validator: undefined, score: 0.5 },
    ]);
  });

  it('skips near misses: bad checksums, hashes, longer hex, Base58 text inside words', () => {
    const text = [
      'order 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb',
      'commit 9fceb02d0ae598e95dc970b74767f19372d61af8',
      'tx 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD',
      'hash 0x88df016429689c079f3b2f6ad39fa052532c56795b733da78a91ebe6a713944b',
      'x1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
    ].join('\n');
    expect(found(text)).toEqual([]);
  });
});

describe('the crypto recognizer on adversarial input', () => {
  // Long runs of each pattern's own alphabet: a backtracking pattern would take minutes, a linear one milliseconds.
  it.each([
    ['base58 run', '1'.repeat(200_000)],
    ['bech32 prefixes', 'bc1'.repeat(70_000)],
    ['hex run', `0x${'a'.repeat(200_000)}`],
    ['many candidates', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb '.repeat(6_000)],
  ])('stays linear on %s', (_name, text) => {
    const t0 = performance.now();
    cryptoRecognizer.recognize(text, ctx);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
