import { TestProcess } from '../support/child';
import { BROKERS, Mesh, startMesh, startTestService } from '../support/mesh';
import { describeWithNatsServer } from '../support/nats-server';

/**
 * A stopping service waits for its calls in flight only while their callers wait (their
 * Mesh-Deadline), not its whole grace period, and says how many it abandoned.
 */
const GRACE_PERIOD = 60_000;
const CALL_TIMEOUT = 3000;

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`a stopping service (${kind})`, () => {
    let mesh: Mesh;
    let service: TestProcess | undefined;

    beforeAll(async () => {
      mesh = await startMesh(kind, { services: 0, rules: { test: { default: { rule: 'allow' } } } });
    });
    afterAll(async () => {
      await service?.stop('SIGKILL');
      await mesh?.stop();
    });

    it('waits for a call only until its deadline, then exits and logs the call as abandoned', async () => {
      service = await startTestService(mesh.brokerUrl, 'stopping', { GRACE_PERIOD: String(GRACE_PERIOD) });
      const call = mesh.call('/v1/api/demo/functions/test/sleep', { params: { ms: 120_000 }, timeout: CALL_TIMEOUT });
      // The call reaches the service well within this (it logs nothing per call to wait for).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const signalled = Date.now();
      service.child.kill('SIGTERM');
      await service.exitCode(GRACE_PERIOD / 2);
      const tookMs = Date.now() - signalled;
      expect((await call).body).toMatchObject({ code: 'TIMEOUT' });
      expect(service.running).toBe(false);
      // Nest's shutdown hooks end by raising the signal again.
      expect(service.child.exitCode === 0 || service.child.signalCode === 'SIGTERM').toBe(true);
      // The deadline was at most CALL_TIMEOUT after signalling; draining the connection takes at most 5 s more.
      expect(tookMs).toBeLessThan(CALL_TIMEOUT + 10_000);
      expect(service.output).toMatch(/abandoned 1 call\(s\) still running after \d+ ms: their callers stopped waiting \(Mesh-Deadline\)/);
    });
  });
}
