import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { freePort } from './free-port';
import { NatsServerProcess } from './nats-server';

/**
 * A cluster of real nats-server processes on free ports of 127.0.0.1: every node routes to every
 * other (full mesh), JetStream on, each node with its own store folder. stop() stops all of them.
 * The recipe is the one of docs/operations.md ("A NATS cluster"). restart() brings a stopped node back.
 */
export class NatsCluster {
  readonly nodes: NatsServerProcess[] = [];
  private readonly args: string[][] = [];
  private readonly storeRoot = mkdtempSync(join(tmpdir(), 'nest-mesh-cluster-'));

  constructor(private readonly size = 3) {}

  /** The client URL of node `i`. */
  url(i: number): string {
    return this.nodes[i].url;
  }

  /** The server name of node `i` (`n1`, `n2`, ...): JetStream names stream leaders and peers by it. */
  name(i: number): string {
    return `n${i + 1}`;
  }

  async start(): Promise<this> {
    const clusterPorts = await Promise.all(Array.from({ length: this.size }, () => freePort()));
    const routes = clusterPorts.map((port) => `nats://127.0.0.1:${port}`).join(',');
    try {
      for (let i = 0; i < this.size; i++) {
        this.args.push([
          '--server_name', this.name(i),
          '--cluster_name', 'mesh',
          '--cluster', `nats://127.0.0.1:${clusterPorts[i]}`,
          '--routes', routes,
          '-js', '-sd', join(this.storeRoot, this.name(i)),
        ]);
        const node = new NatsServerProcess({ args: this.args[i] });
        this.nodes.push(node);
        await node.start();
      }
      await this.waitForRoutes();
      await this.waitForJetStream();
    } catch (error) {
      await this.stop();
      throw error;
    }
    return this;
  }

  /**
   * Starts node `i` again after it stopped (or was killed): the same client and cluster ports, the
   * same JetStream folder, so it rejoins the cluster and catches up. Resolves once routes and JetStream work again.
   */
  async restart(i: number): Promise<void> {
    const old = this.nodes[i];
    await old.stop('SIGKILL');
    this.nodes[i] = new NatsServerProcess({ port: old.port, args: this.args[i] });
    await this.nodes[i].start();
    await this.waitForRoutes();
    await this.waitForJetStream();
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

  /** Resolves once JetStream answers on the cluster (its meta leader is elected): streams can be made. */
  private async waitForJetStream(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const nc = await connect({ servers: this.url(0) });
    try {
      for (;;) {
        try {
          const info = (await nc.request('$JS.API.INFO', undefined, { timeout: 1000 })).json<{ error?: unknown }>();
          if (!info.error) return;
        } catch {
          // no answer yet: the cluster is still electing its JetStream leader
        }
        if (Date.now() > deadline) throw new Error(`JetStream was not ready on the cluster within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await nc.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    rmSync(this.storeRoot, { recursive: true, force: true });
  }
}
