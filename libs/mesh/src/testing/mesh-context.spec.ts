import { MeshHeaders } from '@nest-mesh/wire';
import { MeshContext } from '../service/mesh-context';
import { meshContext } from './mesh-context';

describe('meshContext', () => {
  it('is the MeshContext a handler gets for a call with these claims, request id, deadline and names', () => {
    const ctx = meshContext({ service: 'users', func: 'create', auth: { sub: 'ada', role: 'admin' }, requestId: 'req-1', deadline: 1_700_000_000_000 });
    expect(ctx).toBeInstanceOf(MeshContext);
    expect([ctx.service, ctx.func, ctx.getSubject()]).toEqual(['users', 'create', 'mesh.users.create']);
    expect(ctx.auth).toEqual({ sub: 'ada', role: 'admin' });
    expect(ctx.requestId).toBe('req-1');
    expect(ctx.deadline).toBe(1_700_000_000_000);
    expect(ctx.remainingMs(1_700_000_000_000 - 250)).toBe(250);
    // What the transport reads from the wire, so MeshClient passes it on as it would behind the gateway.
    expect(ctx.rawAuth).toBe('{"sub":"ada","role":"admin"}');
    expect(ctx.getHeaders()?.get(MeshHeaders.requestId)).toBe('req-1');
  });

  it('is an anonymous call with a new request id and no deadline when nothing is given', () => {
    const ctx = meshContext();
    expect([ctx.service, ctx.func, ctx.auth, ctx.deadline]).toEqual(['test', 'test', undefined, Infinity]);
    expect(ctx.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(meshContext().requestId).not.toBe(ctx.requestId);
  });

  it('carries any other request header', () => {
    const ctx = meshContext({ headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', [MeshHeaders.eventId]: 'ev-1' } });
    expect(ctx.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    ctx.bindParams({ type: 'user.signup', attempt: 2 });
    expect(ctx.event).toEqual({ id: 'ev-1', type: 'user.signup', attempt: 2 });
  });
});
