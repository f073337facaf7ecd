import path from 'node:path';
import { InputError } from '../lib/errors';
import { startLabelServer } from '../web/server';
import { connect, resolveTarget } from './connection';
import { DEFAULT_LABEL_PORT } from './defaults';

/**
 * `cifar101 label [<release>] [--port N]`: serves the labeling page for the
 * pending tasks of the running builds (of `release` when given) until
 * SIGINT/SIGTERM. Bound to 127.0.0.1 unless `host` says otherwise: the page
 * sends decisions to the builds, so it is not for the open network.
 */
export async function labelCommand(args: { outDir: string; port?: number; release?: string; host?: string }): Promise<void> {
  const port = args.port ?? DEFAULT_LABEL_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`expected a port number from 0 to 65535, got ${args.port}`, '--port');
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
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new InputError(`port ${port} is in use: pick another with --port`, '--port');
      throw err;
    });
    console.log(`labeling ${args.release ? `release ${args.release}` : 'every running build'} at ${server.url} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
  } finally {
    await connection.close();
  }
}
