import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpApp } from './http.js';
import type { ApiContext, Principal } from './context.js';
import { createLogger } from '../log.js';

const ctx = { logger: createLogger({ level: 'silent' }), clock: () => Date.parse('2026-03-02T09:00:00Z') } as unknown as ApiContext;
const viewer: Principal = { email: 'vera@example.com', role: 'viewer', via: 'token' };

describe('the HTTP app', () => {
  it('answers nobody without credentials, and names the principal with them', async () => {
    const app = await createHttpApp({ ctx, authenticate: async (req) => (req.headers.authorization === 'Bearer ok' ? viewer : undefined) });
    const anon = await app.inject({ method: 'GET', url: '/api/me' });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe('UNAUTHENTICATED');
    const me = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: 'Bearer ok' } });
    expect(me.json()).toEqual({ email: 'vera@example.com', role: 'viewer', via: 'token' });
    expect((await app.inject({ method: 'GET', url: '/api/openapi.json' })).statusCode).toBe(401);
    const doc = await app.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: 'Bearer ok' } });
    expect(doc.json().paths['/api/me'].get.summary).toMatch(/account/);
    expect((await app.inject({ method: 'GET', url: '/api/nope', headers: { authorization: 'Bearer ok' } })).statusCode).toBe(404);
    // Without credentials an unknown API route is as closed as a known one: no map of the API for strangers.
    expect((await app.inject({ method: 'GET', url: '/api/nope' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
    await app.close();
  });

  it('names the field of a bad input: query, params and nested body', async () => {
    const app = await createHttpApp({
      ctx,
      authenticate: async () => viewer,
      routes: [
        (a) => {
          a.post('/api/t/:id', {
            config: { role: 'viewer' },
            schema: { params: z.object({ id: z.string().regex(/^\d+$/) }), querystring: z.object({ limit: z.coerce.number().int().max(500).optional() }), body: z.object({ user: z.object({ email: z.string() }) }) },
            handler: async () => ({ ok: true }),
          });
        },
      ],
    });
    const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });
    const fieldOf = (r: { json: () => { error: { code: string; field?: string } } }) => r.json().error;
    expect(fieldOf(await post('/api/t/1?limit=900', { user: { email: 'a' } }))).toMatchObject({ code: 'INPUT_MALFORMED', field: 'query.limit' });
    expect(fieldOf(await post('/api/t/x', { user: { email: 'a' } }))).toMatchObject({ field: 'params.id' });
    expect(fieldOf(await post('/api/t/1', { user: { email: 7 } }))).toMatchObject({ field: 'body.user.email' });
    expect((await post('/api/t/1', { user: { email: 'a' } })).statusCode).toBe(200);
    await app.close();
  });

  it('refuses to start with a route that declares no role', async () => {
    await expect(createHttpApp({ ctx, authenticate: async () => viewer, routes: [(app) => void app.get('/api/open', async () => 'x')] })).rejects.toThrow(/declares no role/);
  });
});
