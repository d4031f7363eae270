import { INestMicroservice, Module, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsEmail, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { connect, NatsConnection, RequestStrategy, ServiceInfo } from 'nats';
import { PARAMS_METADATA_KEY } from '@nest-mesh/wire';
import { MeshClient, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { startBroker } from '../support/broker';
import { BROKERS } from '../support/mesh';
import { describeWithNatsServer } from '../support/nats-server';

/**
 * What discovery publishes as a function's params schema is enforced (docs/getting-started.md#validation):
 * a DTO is validated by default, with the app's global ValidationPipe when there is one (its options,
 * once), and not at all (nor published) for a function or service that opts out.
 */

let checks = 0;
@ValidatorConstraint({ name: 'counted' })
class Counted implements ValidatorConstraintInterface {
  validate(): boolean {
    checks++;
    return true;
  }
}

class Signup {
  @IsEmail()
  @Validate(Counted)
  email!: string;
}

@MeshService('checked')
class CheckedService {
  @MeshFunction('signup')
  signup(params: Signup) {
    return { isDto: params instanceof Signup, keys: Object.keys(params) };
  }

  @MeshFunction('raw', { validate: false })
  raw(params: Signup) {
    return { isDto: params instanceof Signup };
  }
}

@MeshService('unchecked', { validate: false })
class UncheckedService {
  @MeshFunction('signup')
  signup(params: Signup) {
    return { isDto: params instanceof Signup };
  }

  @MeshFunction('strict', { validate: true })
  strict(params: Signup) {
    return { isDto: params instanceof Signup };
  }
}

function appModule(servers: string) {
  @Module({ imports: [MeshModule.forRoot({ servers })], controllers: [CheckedService, UncheckedService] })
  class AppModule {}
  return AppModule;
}

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`validation of params DTOs (${kind})`, () => {
    let broker: { url: string; stop(): Promise<void> };
    let nc: NatsConnection;

    beforeAll(async () => {
      broker = await startBroker(kind);
      nc = await connect({ servers: broker.url });
    });
    afterAll(async () => {
      await nc?.close();
      await broker?.stop();
    });

    async function withApp(globalPipe: ValidationPipe | undefined, test: (client: MeshClient) => Promise<void>): Promise<void> {
      const app: INestMicroservice = await NestFactory.createMicroservice(appModule(broker.url), { ...meshMicroservice({ servers: broker.url }), logger: false });
      if (globalPipe) app.useGlobalPipes(globalPipe);
      await app.listen();
      try {
        await test(app.get(MeshClient));
      } finally {
        await app.close();
      }
    }

    const bad = { status: 400, code: 'BAD_REQUEST', message: 'email must be an email' };

    it('validates a DTO without any pipe in the app, and hands the handler an instance of it', async () => {
      await withApp(undefined, async (client) => {
        await expect(client.call('checked', 'signup', { email: 'nope' })).rejects.toMatchObject(bad);
        await expect(client.call('checked', 'signup', null)).rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST' });
        checks = 0;
        await expect(client.call('checked', 'signup', { email: 'ada@example.com' })).resolves.toEqual({ isDto: true, keys: ['email'] });
        expect(checks).toBe(1);
      });
    });

    it("lets the app's transforming global ValidationPipe validate, with its options, once", async () => {
      await withApp(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }), async (client) => {
        await expect(client.call('checked', 'signup', { email: 'ada@example.com', admin: true })).rejects.toMatchObject({
          status: 400,
          code: 'BAD_REQUEST',
          message: 'property admin should not exist',
        });
        checks = 0;
        await expect(client.call('checked', 'signup', { email: 'ada@example.com' })).resolves.toEqual({ isDto: true, keys: ['email'] });
        expect(checks).toBe(1);
      });
    });

    it('does not validate a function or service that opts out, except a function that opts back in', async () => {
      await withApp(undefined, async (client) => {
        await expect(client.call('checked', 'raw', { email: 'nope' })).resolves.toEqual({ isDto: false });
        await expect(client.call('unchecked', 'signup', { email: 'nope' })).resolves.toEqual({ isDto: false });
        await expect(client.call('unchecked', 'strict', { email: 'nope' })).rejects.toMatchObject(bad);
      });
    });

    it('publishes the params schema of exactly the functions it enforces', async () => {
      await withApp(undefined, async () => {
        const announced = new Map<string, boolean>();
        for await (const info of await nc.services.client({ strategy: RequestStrategy.Timer, maxWait: 2000 }).info()) {
          for (const endpoint of (info as ServiceInfo).endpoints) announced.set(`${info.name}.${endpoint.name}`, endpoint.metadata?.[PARAMS_METADATA_KEY] !== undefined);
        }
        expect(Object.fromEntries(announced)).toEqual({ 'checked.signup': true, 'checked.raw': false, 'unchecked.signup': false, 'unchecked.strict': true });
      });
    });
  });
}
