describe('freePort', () => {
  it('hands out each port of its slice once, and never one that fetch refuses (10080)', async () => {
    const saved = { worker: process.env.JEST_WORKER_ID, slice: process.env.MESH_TEST_PORT_SLICE };
    let freePort!: () => Promise<number>;
    let isFetchBlocked!: (port: number) => boolean;
    // The first slice (10000-11249) holds 10080.
    process.env.JEST_WORKER_ID = '1';
    process.env.MESH_TEST_PORT_SLICE = '0';
    jest.isolateModules(() => ({ freePort, isFetchBlocked } = require('./free-port')));
    process.env.JEST_WORKER_ID = saved.worker;
    if (saved.slice === undefined) delete process.env.MESH_TEST_PORT_SLICE;
    else process.env.MESH_TEST_PORT_SLICE = saved.slice;

    const seen = new Set<number>();
    for (let i = 0; i < 1_000; i++) seen.add(await freePort());
    expect(seen.size).toBe(1_000);
    expect(seen.has(10080)).toBe(false);
    expect(isFetchBlocked(10080)).toBe(true);
    await expect(fetch('http://127.0.0.1:10080/')).rejects.toThrow(); // why: undici answers "bad port"
  });
});
