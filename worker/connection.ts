import { Client, Connection } from '@temporalio/client';
import path from 'node:path';
import { LocalServer, PortInUseError, waitForPort } from './temporal-server';

const LOCAL_PORT = 7233;

export interface Target {
  address: string;
  namespace: string;
  /** The Web UI, when we run the server ourselves. */
  uiUrl: string | null;
  /** Whether the project's search attributes are registered there. */
  searchAttributes: boolean;
}

/**
 * The Temporal server to use: TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) when
 * set, which is how users scale out; otherwise the local dev server, started
 * in the background if it is not running.
 */
export async function resolveTarget(artifactsDir: string, opts: { start: boolean }): Promise<Target> {
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  if (process.env.TEMPORAL_ADDRESS) {
    return { address: process.env.TEMPORAL_ADDRESS, namespace, uiUrl: process.env.TEMPORAL_UI_URL ?? null, searchAttributes: false };
  }
  const local = new LocalServer(path.resolve(artifactsDir));
  // Another local server (of another artifacts folder, or the user's own) may hold the port: then use it.
  const other = { address: `127.0.0.1:${LOCAL_PORT}`, namespace, uiUrl: `http://127.0.0.1:${LOCAL_PORT + 1000}`, searchAttributes: false };
  let server;
  try {
    server = opts.start ? await local.start(LOCAL_PORT, LOCAL_PORT + 1000) : await local.status();
  } catch (err) {
    if (!(err instanceof PortInUseError)) throw err;
    console.error(`note: a server already listens on ${other.address}; using it (its state is not in ${artifactsDir})`);
    return other;
  }
  if (!server && (await waitForPort('127.0.0.1', LOCAL_PORT, 0))) return other;
  if (!server) throw new Error(`no local Temporal server runs for ${artifactsDir}: start one with \`cifar101 server start\` or set TEMPORAL_ADDRESS`);
  return { address: server.address, namespace, uiUrl: server.uiUrl, searchAttributes: true };
}

/** Connects, retrying while a just-started server finishes booting. */
export async function connect(target: Target, timeoutMs = 60_000): Promise<{ connection: Connection; client: Client }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address: target.address });
      const client = new Client({ connection, namespace: target.namespace });
      await connection.workflowService.describeNamespace({ namespace: target.namespace });
      return { connection, client };
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`cannot reach Temporal at ${target.address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Link to a workflow in the Web UI. */
export function workflowUrl(target: Target, workflowId: string): string | null {
  const base = workflowsUrl(target);
  return base ? `${base}/${encodeURIComponent(workflowId)}` : null;
}

/** The Web UI's page of the namespace's workflows, when there is a UI. */
export function workflowsUrl(target: Target): string | null {
  return target.uiUrl ? `${target.uiUrl}/namespaces/${target.namespace}/workflows` : null;
}
