/**
 * Preloaded (`node -r`) into the measured process by `npm run bench -- --alloc-profile <system>`:
 * V8's sampling heap profiler, counting every allocation (also the objects that garbage collection
 * has already freed), from start-up to exit. At exit it writes
 * `$NEST_MESH_ALLOC_PROFILE_DIR/Alloc.<pid>.heapprofile`, for `bench/profile-summary.ts`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.NEST_MESH_ALLOC_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as object);
  // The in-process inspector answers synchronously, so this works in an 'exit' listener.
  process.on('exit', () => {
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (!error) writeFileSync(join(dir, `Alloc.${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  });
}
