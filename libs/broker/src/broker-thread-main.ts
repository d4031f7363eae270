/**
 * The worker side of BrokerThread: runs one EmbeddedBroker with the options it was given and
 * speaks to the main thread in ThreadMessages (started, failed, log lines, closed).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EmbeddedBroker } from './broker';
import { BrokerAddressInUseError, BrokerConfigError } from './errors';
import type { EmbeddedBrokerOptions } from './options';
import type { FromBrokerThread, ToBrokerThread } from './thread-messages';

function post(message: FromBrokerThread): void {
  parentPort!.postMessage(message);
}

/** The broker, or undefined (and 'failed' posted) when the options are malformed. */
function create(): EmbeddedBroker | undefined {
  const options = workerData as Omit<EmbeddedBrokerOptions, 'logger'>;
  try {
    return new EmbeddedBroker({
      ...options,
      logger: {
        log: (text) => post({ kind: 'log', level: 'log', text }),
        warn: (text) => post({ kind: 'log', level: 'warn', text }),
        error: (text) => post({ kind: 'log', level: 'error', text }),
      },
    });
  } catch (error) {
    // A malformed user, permission or TLS option: the main thread rejects with a BrokerConfigError.
    post({ kind: 'failed', message: (error as Error).message, config: error instanceof BrokerConfigError });
    parentPort!.close();
    return undefined;
  }
}

function run(broker: EmbeddedBroker): void {
  parentPort!.on('message', (message: ToBrokerThread) => {
    if (message.kind !== 'close') return;
    broker.close().then(
      () => {
        post({ kind: 'closed' });
        parentPort!.close();
      },
      (error: Error) => post({ kind: 'log', level: 'error', text: `embedded broker: closing failed: ${error.message}` }),
    );
  });

  broker.start().then(
    () => post({ kind: 'started', port: broker.port }),
    (error: Error) => {
      post(
        error instanceof BrokerAddressInUseError
          ? { kind: 'failed', message: error.message, addressInUse: { host: error.host, port: error.port } }
          : { kind: 'failed', message: error.message },
      );
      parentPort!.close();
    },
  );
}

const broker = create();
if (broker) run(broker);
