// `cifar101 labelers …`: the labeling team of an artifact store (lib/labelers.ts keeps it in
// `<store>/labelers.json`, tokens as hashes only), and the team's quality from the label server's log.
import path from 'node:path';
import { DEFAULT_QUALITY_OPTIONS, formatQualityTable, labelerQuality, type QualityOptions } from '../lib/labeler-quality';
import { LabelerRegistry, type Role } from '../lib/labelers';
import { loginUrl } from '../web/auth';
import { LabelingLog } from '../web/labeling-log';

/** `labelers add NAME --role R`: adds someone and gives their one-time login link (the only time it is shown). */
export async function addLabeler(args: { outDir: string; name: string; role: Role; reinstate?: boolean; url: string }): Promise<string> {
  const registry = new LabelerRegistry(path.resolve(args.outDir));
  const { loginToken, expires } = await registry.add(args.name, args.role, { reinstate: args.reinstate });
  return linkMessage(`${args.reinstate ? 'reinstated' : 'added'} ${args.name} (${args.role})`, args.url, loginToken, expires);
}

/** `labelers link NAME`: a new one-time login link for someone on the team (lost link, new browser); the previous one stops working. */
export async function newLink(args: { outDir: string; name: string; url: string }): Promise<string> {
  const { loginToken, expires } = await new LabelerRegistry(path.resolve(args.outDir)).link(args.name);
  return linkMessage(`new login link for ${args.name}; any earlier unused one no longer works`, args.url, loginToken, expires);
}

function linkMessage(what: string, url: string, token: string, expires: Date): string {
  return `${what}. Their login link works once, until ${expires.toISOString()}; send it to them privately:\n  ${loginUrl(url, token)}`;
}

/** `labelers list`: the team, revoked members included, never a token. */
export async function listLabelers(args: { outDir: string }): Promise<string> {
  const team = await new LabelerRegistry(path.resolve(args.outDir)).list();
  if (!team.length) return 'nobody on the team yet: cifar101 labelers add NAME --role labeler|verifier|reviewer|admin';
  const rows = team.map((t) => [
    t.name, t.role, t.added.slice(0, 16).replace('T', ' '), t.lastLogin ? t.lastLogin.slice(0, 16).replace('T', ' ') : 'never',
    t.revoked ? `revoked ${t.revoked.slice(0, 10)}` : t.linkPending ? 'link not used yet' : `${t.sessions} session${t.sessions === 1 ? '' : 's'}`,
  ]);
  return table(['name', 'role', 'added (UTC)', 'last sign-in', 'access'], rows);
}

/** `labelers revoke NAME`: ends their sessions and link at once, in every label server on the store; their decisions stay theirs. */
export async function revokeLabeler(args: { outDir: string; name: string }): Promise<string> {
  const { sessionsEnded } = await new LabelerRegistry(path.resolve(args.outDir)).revoke(args.name);
  return `revoked ${args.name}: ${sessionsEnded} session${sessionsEnded === 1 ? '' : 's'} ended, their login link no longer works`;
}

/** `labelers role NAME ROLE`: takes effect on their next request. */
export async function setLabelerRole(args: { outDir: string; name: string; role: Role }): Promise<string> {
  await new LabelerRegistry(path.resolve(args.outDir)).setRole(args.name, args.role);
  return `${args.name} is now ${args.role === 'admin' ? 'an' : 'a'} ${args.role}`;
}

/** `labelers quality`: the admin page's table, from the label server's log in the store. */
export async function labelersQuality(args: { outDir: string; minAccuracy?: number; minControls?: number }): Promise<string> {
  const { decisions, controls } = await new LabelingLog(path.resolve(args.outDir)).read();
  if (!decisions.length) return 'no decisions from the labeling page in this store yet';
  const options: QualityOptions = { ...DEFAULT_QUALITY_OPTIONS, ...(args.minAccuracy !== undefined ? { minAccuracy: args.minAccuracy } : {}), ...(args.minControls !== undefined ? { minControls: args.minControls } : {}) };
  return formatQualityTable(labelerQuality(decisions, controls, options)).trimEnd();
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
