import { describe, expect, it } from 'vitest';
import { createUserAgentEnricher, parseUserAgent } from './user-agent.js';
import { makeEvent } from './testing.js';

const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('parseUserAgent', () => {
  it.each([
    [CHROME_WIN, { name: 'Chrome', os: 'Windows', device: 'desktop' }],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', { name: 'Edge', os: 'Windows', device: 'desktop' }],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', { name: 'Firefox', os: 'Linux', device: 'desktop' }],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', { name: 'Safari', os: 'Mac OS', device: 'desktop Apple Macintosh' }],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', { name: 'Mobile Safari', os: 'iOS', device: 'mobile Apple iPhone' }],
    ['Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1', { name: 'Mobile Safari', os: 'iOS', device: 'tablet Apple iPad' }],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36', { name: 'Chrome', os: 'Android', device: 'mobile Google Pixel 8' }],
    // Chrome's reduced agent hides the model behind "K".
    ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', { name: 'Chrome', os: 'Android', device: 'mobile' }],
    ['curl/8.4.0', { name: 'curl' }],
    ['python-requests/2.32.3', { name: 'python-requests' }],
    ['Go-http-client/1.1', { name: 'Go-http-client' }],
    ['Mozilla/5.0 (compatible; unknown)', {}],
  ])('%s', (ua, expected) => {
    expect(parseUserAgent(ua)).toEqual(expected);
  });
});

describe('createUserAgentEnricher', () => {
  it('fills name, os and device and keeps the original', () => {
    const enrich = createUserAgentEnricher();
    const e = makeEvent({ user_agent: { original: CHROME_WIN } });
    enrich(e);
    expect(e.user_agent).toEqual({ original: CHROME_WIN, name: 'Chrome', os: { name: 'Windows' }, device: { name: 'desktop' } });
  });

  it('gives cached answers in fresh objects and ignores events without an agent', () => {
    const enrich = createUserAgentEnricher();
    const a = makeEvent({ user_agent: { original: CHROME_WIN } });
    const b = makeEvent({ user_agent: { original: CHROME_WIN } });
    enrich(a);
    enrich(b);
    expect(b.user_agent?.os).not.toBe(a.user_agent?.os);
    const none = makeEvent();
    enrich(none);
    expect(none.user_agent).toBeUndefined();
  });
});
