import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { freePort } from './free-port';
import { NatsServerProcess } from './nats-server';

/**
 * A cluster of real nats-server processes on free ports of 127.0.0.1: every node routes to every
 * other (full mesh), JetStream on, each node with its own store folder. stop() stops all of them.
 * The recipe is the one of docs/operations.md ("A NATS cluster").
 */
export class NatsCluster {
  readonly nodes: NatsServerProcess[] = [];
  private readonly storeRoot = mkdtempSync(join(tmpdir(), 'nest-mesh-cluster-'));

  constructor(private readonly size = 3) {}

  /** The client URL of node `i`. */
  url(i: number): string {
    return this.nodes[i].url;
  }

  async start(): Promise<this> {
    const clusterPorts = await Promise.all(Array.from({ length: this.size }, () => freePort()));
    const routes = clusterPorts.map((port) => `nats://127.0.0.1:${port}`).join(',');
    try {
      for (let i = 0; i < this.size; i++) {
        const node = new NatsServerProcess({
          args: [
            '--server_name', `n${i + 1}`,
            '--cluster_name', 'mesh',
            '--cluster', `nats://127.0.0.1:${clusterPorts[i]}`,
            '--routes', routes,
            '-js', '-sd', join(this.storeRoot, `n${i + 1}`),
          ],
        });
        this.nodes.push(node);
        await node.start();
      }
      await this.waitForRoutes();
    } catch (error) {
      await this.stop();
      throw error;
    }
    return this;
  }

  /** Resolves once a message published on the first node reaches a subscriber on every other node. */
  private async waitForRoutes(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const first = await connect({ servers: this.url(0) });
    const others = await Promise.all(this.nodes.slice(1).map((node) => connect({ servers: node.url })));
    try {
      const subject = `cluster.ready.${Date.now()}`;
      const seen = others.map((nc) => {
        let got = false;
        nc.subscribe(subject, { callback: () => (got = true) });
        return () => got;
      });
      await Promise.all(others.map((nc) => nc.flush()));
      while (!seen.every((got) => got())) {
        if (Date.now() > deadline) throw new Error(`the nats-server cluster did not form within ${timeoutMs} ms`);
        first.publish(subject);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await Promise.all([first, ...others].map((nc) => nc.close()));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    rmSync(this.storeRoot, { recursive: true, force: true });
  }
}
