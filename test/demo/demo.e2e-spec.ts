import { TestProcess } from '../support/child';
import { startDemo } from '../support/demo';
import { post } from '../support/mesh';

/** What `npm start` runs: the gateway with its embedded broker, and the demo services. */
describe('the demo', () => {
  let demo: TestProcess;
  let url: string;

  beforeAll(async () => {
    const started = await startDemo();
    demo = started.process;
    url = `${started.url}/v1/api/demo/functions`;
  });
  afterAll(() => demo?.stop());

  it('greets', async () => {
    const res = await post(`${url}/greeter/hello`, { params: { name: 'Ada' } });
    expect(res).toMatchObject({ status: 200, body: { result: { greeting: 'Hello, Ada!' } } });
  });

  it('adds, and refuses to divide by zero with a 400', async () => {
    expect((await post(`${url}/math/add`, { params: { a: 2, b: 3 } })).body).toEqual({ result: 5 });
    expect(await post(`${url}/math/divide`, { params: { a: 1, b: 0 } })).toMatchObject({
      status: 400,
      body: { error: 'cannot divide by zero', code: 'DIVISION_BY_ZERO' },
    });
    expect(await post(`${url}/math/add`, { params: { a: 'x', b: 3 } })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  });

  it('denies what its rules do not name', async () => {
    expect(await post(`${url}/secret/stuff`, {})).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
  });

  it('delivers a queued user.signup event to mail.welcome', async () => {
    const res = await post(`${url.replace('/functions', '/eventing')}/queue`, { type: 'user.signup', payload: { email: 'ada@example.com' } });
    expect(res.status).toBe(202);
    await demo.waitFor(new RegExp(`welcome mail to ada@example.com \\(event ${res.body.id}, attempt 1\\)`), 20_000);
  });

  it('stops the gateway with itself on SIGTERM', async () => {
    const gatewayPid = Number(/\[Nest\] (\d+).*\[Gateway\]/.exec(demo.output)?.[1]);
    expect(gatewayPid).toBeGreaterThan(0);
    await demo.stop('SIGTERM');
    expect(demo.child.exitCode).toBe(0);
    expect(() => process.kill(gatewayPid, 0)).toThrow();
  });
});
