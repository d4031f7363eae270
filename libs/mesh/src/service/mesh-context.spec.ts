import { headers as natsHeaders } from 'nats';
import { MeshContext } from './mesh-context';
import { MeshHeaders } from '@nest-mesh/wire';

describe('MeshContext.event', () => {
  it('is the event of a triggered call: id from Mesh-Event-Id, type and attempt from the params', () => {
    const headers = natsHeaders();
    headers.set(MeshHeaders.eventId, 'ev-1');
    const ctx = new MeshContext('mesh.mail.welcome', headers, 'mail', 'welcome');
    ctx.bindParams({ id: 'ev-1', type: 'user.signup', attempt: 3, payload: null });
    expect(ctx.event).toEqual({ id: 'ev-1', type: 'user.signup', attempt: 3 });
  });

  it('is undefined for a call no trigger made', () => {
    const ctx = new MeshContext('mesh.mail.welcome', natsHeaders(), 'mail', 'welcome');
    ctx.bindParams({ id: 'x', type: 'y', attempt: 1 });
    expect(ctx.event).toBeUndefined();
  });
});
