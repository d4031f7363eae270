import { runStreamsBench } from '../../bench/streams';

/**
 * `npm run bench:streams`, briefly: both systems stream a few items end to end (the bench checks
 * every item came and the stream ended). Only correctness is asserted, never speed.
 */
describe('streams bench (smoke)', () => {
  it('streams through the gateway and through Nest Transport.NATS, every item', async () => {
    const figures = await runStreamsBench({ items: 500, runs: 1, firstRuns: 2, write: false });
    expect(figures.map((f) => f.system)).toEqual([expect.stringMatching(/^nest-mesh/), expect.stringMatching(/^Nest Transport.NATS/)]);
    for (const f of figures) {
      expect(f.itemsPerSecond).toBeGreaterThan(0);
      expect(f.firstItemMs).toBeGreaterThan(0);
    }
  }, 60_000);
});
