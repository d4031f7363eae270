/** What BrokerThread and its worker (broker-thread-main) say to each other. */
export type FromBrokerThread =
  | { kind: 'started'; port: number }
  | { kind: 'failed'; message: string; addressInUse?: { host: string; port: number }; config?: boolean }
  | { kind: 'log'; level: 'log' | 'warn' | 'error'; text: string }
  | { kind: 'closed' };

export type ToBrokerThread = { kind: 'close' };
