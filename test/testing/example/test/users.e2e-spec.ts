// test/users.e2e-spec.ts
import { INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SignJWT } from 'jose';
import { meshMicroservice } from 'nest-mesh';
import { createTestingMesh, TestingMesh } from 'nest-mesh/testing';
import { AppModule } from '../src/app.module';
import { UserStore } from '../src/users.service';

const SECRET = 'a-secret-for-tests-of-at-least-32-bytes';

/** A token the gateway accepts: HS256, signed with its `secret`. */
const tokenFor = (sub: string) =>
  new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

describe('users (e2e)', () => {
  let mesh: TestingMesh;
  let app: INestMicroservice;
  const store = { add: jest.fn(async (email: string) => email !== 'taken@example.com') };

  beforeAll(async () => {
    // The gateway with your mesh.yaml's rules (without `rules`, every function is allowed).
    mesh = await createTestingMesh({
      secret: SECRET,
      modules: { functions: { rules: { users: { create: { rule: 'authenticated' } } } } },
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(UserStore)
      .useValue(store)
      .compile();
    app = moduleRef.createNestMicroservice(meshMicroservice({ servers: mesh.servers }));
    await app.listen();
  });

  afterAll(async () => {
    await app?.close();
    await mesh?.close();
  });

  it('creates a user for a signed-in caller', async () => {
    const token = await tokenFor('ada');
    await expect(mesh.call('users', 'create', { email: 'ada@example.com' }, { token })).resolves.toMatchObject({ email: 'ada@example.com', by: 'ada' });
    expect(store.add).toHaveBeenCalledWith('ada@example.com');
  });

  it("answers with the gateway's and the function's status and code", async () => {
    const token = await tokenFor('ada');
    await expect(mesh.call('users', 'create', { email: 'ada@example.com' })).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    await expect(mesh.call('users', 'create', { email: 'not an email' }, { token })).rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    await expect(mesh.call('users', 'create', { email: 'taken@example.com' }, { token })).rejects.toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });
  });
});
