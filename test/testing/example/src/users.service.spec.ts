// src/users.service.spec.ts
import { meshContext } from 'nest-mesh/testing';
import { UsersService, UserStore } from './users.service';

describe('UsersService', () => {
  let users: UsersService;

  beforeEach(() => {
    users = new UsersService(new UserStore());
  });

  it('creates a user for the signed-in caller', async () => {
    const ctx = meshContext({ service: 'users', func: 'create', auth: { sub: 'ada' }, requestId: 'req-1' });
    await expect(users.create({ email: 'ada@example.com' }, ctx)).resolves.toEqual({ email: 'ada@example.com', by: 'ada', requestId: 'req-1' });
  });

  it('refuses an anonymous caller', async () => {
    await expect(users.create({ email: 'ada@example.com' }, meshContext())).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuses an email that is taken', async () => {
    const ctx = meshContext({ auth: { sub: 'ada' } });
    await users.create({ email: 'ada@example.com' }, ctx);
    await expect(users.create({ email: 'ada@example.com' }, ctx)).rejects.toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });
  });
});
