import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../lib/errors';
import { LabelerRegistry } from '../lib/labelers';
import { startLabelServer } from '../web/server';
import { connect, resolveTarget } from './connection';
import { DEFAULT_LABEL_PORT } from './defaults';

export interface LabelArgs {
  outDir: string;
  port?: number;
  release?: string;
  /** Where to listen (default 127.0.0.1). Beyond loopback only with someone on the team; with a warning over plain HTTP. */
  host?: string;
  /** PEM files: serve HTTPS. */
  tlsCert?: string;
  tlsKey?: string;
  /** How long opening a task keeps it the person's without activity (default 5). */
  claimMinutes?: number;
}

/**
 * `cifar101 label [<release>]`: serves the labeling page for the pending tasks
 * of the running builds (of `release` when given) until SIGINT/SIGTERM. People
 * sign in with the login links `cifar101 labelers add` prints.
 */
export async function labelCommand(args: LabelArgs): Promise<void> {
  const port = args.port ?? DEFAULT_LABEL_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`expected a port number from 0 to 65535, got ${args.port}`, '--port');
  if (Boolean(args.tlsCert) !== Boolean(args.tlsKey)) throw new InputError('--tls-cert and --tls-key go together', args.tlsCert ? '--tls-key' : '--tls-cert');
  const tls = args.tlsCert && args.tlsKey ? { cert: await readPem(args.tlsCert, '--tls-cert'), key: await readPem(args.tlsKey, '--tls-key') } : undefined;
  const outDir = path.resolve(args.outDir);
  const target = await resolveTarget(outDir, { start: false });
  const { connection, client } = await connect(target, 10_000);
  try {
    const server = await startLabelServer({
      client,
      storeRoot: outDir,
      release: args.release,
      uiUrl: target.uiUrl,
      namespace: target.namespace,
      host: args.host ?? '127.0.0.1',
      port,
      tls,
      claimMs: (args.claimMinutes ?? 5) * 60_000,
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new InputError(`port ${port} is in use: pick another with --port`, '--port');
      throw err;
    });
    if (server.warning) console.warn(`cifar101: warning: ${server.warning}`);
    console.log(`labeling ${args.release ? `release ${args.release}` : 'every running build'} at ${server.url} (Ctrl-C to stop)`);
    if (!(await new LabelerRegistry(outDir).activeCount())) {
      console.log(`nobody can sign in yet: npx cifar101 labelers add NAME --role admin --url ${server.url} prints a login link`);
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
  } finally {
    await connection.close();
  }
}

async function readPem(file: string, option: string): Promise<Buffer> {
  const pem = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.code === 'ENOENT' ? 'file not found' : err.message, `${option} ${file}`);
  });
  if (!pem.includes('-----BEGIN ')) throw new InputError('not a PEM file', `${option} ${file}`);
  return pem;
}
