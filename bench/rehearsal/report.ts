// bench/rehearsal.md from the rehearsal's results.
import type { Results } from '../rehearsal';
import { STAGE_WORK } from './stages';

const n = (x: number) => x.toLocaleString('en');
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 1)} MiB`;
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const exp = (e: number | null) => (e === null ? '—' : e.toFixed(2));

export function seconds(s: number | null): string {
  if (s === null) return '—';
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

type StageRow = Results['cold']['stages'][number];

function stageTable(rows: StageRow[]): string[] {
  return [
    '| release | stage | wall | activity time | worker CPU | activities (cached) | retried | peak RSS | largest payload |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    ...rows.map((s) => `| ${s.release} | ${s.stage} | ${seconds(s.wallSeconds)} | ${seconds(s.activitySeconds)} | ${s.cpuSeconds === undefined ? '—' : seconds(s.cpuSeconds)} | ${s.activities}${s.cached ? ` (${s.cached})` : ''} | ${
      s.retried.length ? s.retried.map((r) => `${r.type} attempt ${r.attempt}${r.lastFailure ? ` (${r.lastFailure})` : ''}`).join('; ') : ''
    } | ${mb(s.peakRssBytes)} | ${kb(s.largestPayloadBytes)} |`),
  ];
}

export function markdown(r: Results): string {
  const c = r.corpus;
  const k = r.killedWorker;
  const lines = [
    `# Rehearsal at full shape (${r.mode})`,
    '',
    `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB; Node ${r.machine.node}; ${r.machine.date}. The machine is shared with other work: load average at start ${r.machine.loadAverageAtStart.join(' ')}, at end ${r.machine.loadAverageAtEnd.join(' ')}; each phase notes its own. Whole run ${seconds(r.totalSeconds)}.`,
    '',
    `Builds: one \`v6\` build per phase (\`configs/v6.yaml\`, simulated labeler, near-duplicate review auto), whose workflow runs the \`v4\` build first as its child workflow; one worker process (\`node ${r.cold.workerCommand}\`, the \`cifar101 worker\` command, 2 activity slots) on a Temporal dev server of the rehearsal's own; the build started as a client (\`runBuild({ worker: false })\`). Each phase has its own task queue name (\`rehearsal-<phase>\`), so its workflow IDs are its own.`,
    '',
    '## Corpus',
    '',
    `${n(c.images)} TinyImages images, ${n(c.cifar10)} CIFAR-10 images, ${n(c.candidates)} candidates (v4 built on ${n(c.candidatesByRelease.v4 ?? 0)}, v6 on ${n(c.candidatesByRelease.v6 ?? 0)}); ${gb(c.bytes)} in \`${c.dir}\`. Generated in ${seconds(c.generateSeconds)}${c.generatedNow ? '' : ' (cached: the time of the run that generated it)'}, load average ${c.loadAverageAtGeneration.join(' ')} at its start.`,
    '',
    `## Cold build: ${seconds(r.cold.wallSeconds)}`,
    '',
    `Empty artifact store, corpus generated before. The v4 workflow (v6's child) ${seconds(r.cold.releases.v4 ?? null)}; the v6 workflow ${seconds(r.cold.releases.v6 ?? null)} from its start to its end, v4 included. Load average at start ${r.cold.loadAverageAtStart.join(' ')}, at end ${r.cold.loadAverageAtEnd.join(' ')}; tiny_images.bin ${r.cold.tinyImagesInPageCache === null ? '?' : `${Math.round(r.cold.tinyImagesInPageCache * 100)}%`} in the page cache at the start.`,
    '',
    'Per stage: wall = first schedule to last completion of its activities; activity time = the sum of their started → completed (last attempt); worker CPU = CPU seconds (user + system, all threads) the worker process used in the stage\'s window; peak RSS = the largest sample of the worker process in that window; payloads of its activities and child workflow.',
    '',
    ...stageTable(r.cold.stages),
    '',
    `## Warm rebuild: ${seconds(r.warm.wallSeconds)}`,
    '',
    `The same store again, every stage found: ${seconds(r.warm.wallSeconds)} with a worker process already polling (${r.warm.releases.v4 === undefined ? 'v6 takes the v4 release recorded in the store' : `v4 built again as v6's child in ${seconds(r.warm.releases.v4)}`}); ${seconds(r.warm.cliWallSeconds)} as \`cifar101 build\` runs it, with its worker in the client process (bundling the workflows first). Load average at start ${r.warm.loadAverageAtStart.join(' ')}.`,
    '',
    ...stageTable(r.warm.stages),
    '',
    '## Growth with the work',
    '',
    `Images and candidates scaled together (CIFAR-10 kept at ${n(c.cifar10)}): ${r.sizes.map((s) => `${s.fraction === 1 ? 'full' : `1/${Math.round(1 / s.fraction)}`}: ${n(s.images)} images, v6 ${n(s.candidatesByRelease.v6 ?? 0)} / v4 ${n(s.candidatesByRelease.v4 ?? 0)} candidates, cold ${seconds(s.wallSeconds)} (load ${s.loadAverageAtStart[0]})`).join('; ')}. Exponent = ln(cost ratio) / ln(work ratio) between consecutive sizes, 1 linear, 0 flat; the cost is the worker's CPU seconds in the stage's window (the machine is shared, so wall time moves with the load; CPU time also counts attempts the history forgets), wall exponents in brackets. Fit: least squares cost = fixed + per unit × work over the sizes (CPU). Stages that computed (not found in the store); cells are CPU (wall).`,
    '',
    `| release | stage | its work | ${r.sizes.map((s) => (s.fraction === 1 ? 'full' : `1/${Math.round(1 / s.fraction)}`)).join(' | ')} | exponents | fit |`,
    `| --- | --- | --- | ${r.sizes.map(() => '---:').join(' | ')} | --- | --- |`,
    ...r.growth.map((g) => `| ${g.release} | ${g.stage} | ${STAGE_WORK[g.stage] ?? g.driver} | ${g.points.map((p) => `${seconds(g.cost === 'cpu' ? p.cpuSeconds : g.cost === 'wall' ? p.wallSeconds : p.activitySeconds)} (${seconds(p.wallSeconds)})`).join(' | ')} | ${g.exponents.map(exp).join(', ')}${g.cost === 'cpu' ? '' : ` of ${g.cost}`} (${g.wallExponents.map(exp).join(', ')}) | ${g.fit ? `${seconds(g.fit.fixed)} + ${g.fit.perUnit.toExponential(2)} s/${g.driver === 'images' ? 'image' : 'candidate'}` : '—'} |`),
    '',
    `## Projection to ${n(r.projections.images)} images: ${seconds(r.projections.wallSeconds)}`,
    '',
    r.projections.method,
    '',
    '| release | stage | measured | seconds per unit | projected |',
    '| --- | --- | ---: | ---: | ---: |',
    ...r.projections.stages.map((p) => `| ${p.release} | ${p.stage} | ${seconds(p.measuredWallSeconds)} | ${p.rate.toExponential(3)} s/${p.driver === 'images' ? 'image' : 'candidate'} | ${seconds(p.projectedWallSeconds)} |`),
    '',
    '## Temporal limits',
    '',
    `Largest payload ${kb(r.limits.largestPayloadBytes)} (${r.limits.largestPayloadAt.workflowId}, event ${r.limits.largestPayloadAt.eventId} ${r.limits.largestPayloadAt.eventType}, stage ${r.limits.largestPayloadAt.stage}); most events ${n(r.limits.maxHistoryEvents)} (${r.limits.maxHistoryEventsAt}); largest history ${mb(r.limits.maxHistoryBytes)} of JSON (${r.limits.maxHistoryBytesAt}; the server counts ${mb(r.limits.maxServerHistoryBytes)} at most); longest workflow task ${seconds(r.limits.maxWorkflowTaskSeconds)} (${r.limits.maxWorkflowTaskAt}). \`history-budget --file\` on every exported history: ${r.limits.historyBudget.withinLimits} of ${r.limits.historyBudget.checked} within the limits.`,
    '',
    `Histories: \`<out>/histories/\`, one file per workflow run as \`temporal workflow show -o json\` writes it, named ${r.limits.historyFiles}.`,
    '',
    '| phase | workflow | events | JSON | server bytes | largest payload | workflow tasks (max) | history-budget |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.limits.workflows.map((w) => `| ${w.phase} | ${w.workflowId} | ${n(w.events)} | ${mb(w.jsonBytes)} | ${mb(w.serverBytes)} | ${kb(w.largestPayloadBytes)} (${w.largestPayloadStage}) | ${w.workflowTasks} (${seconds(w.maxWorkflowTaskSeconds)}) | ${w.budgetOk === null ? 'not run' : w.budgetOk ? 'ok' : '**over**'} |`),
    '',
    '## Memory',
    '',
    `Peak RSS of a worker process ${mb(r.memory.peakRssBytes)} (${r.memory.peakRssProcess}); the harness (client and corpus generator) ${mb(r.memory.harnessPeakRssBytes)}; the numpy check ${mb(r.memory.numpyPeakRssBytes)}. ${r.memory.method}`,
    '',
    '| process | peak RSS |',
    '| --- | ---: |',
    ...r.memory.byProcess.map((p) => `| ${p.name} (pid ${p.pid}) | ${mb(p.peakRssBytes)} |`),
    '',
  ];
  if (k) {
    lines.push(
      '## A worker killed in the middle of computeDistances',
      '',
      `A cold build in a fresh store (load average ${k.loadAverageAtStart.join(' ')} at its start). ${seconds(k.killedAt.secondsIntoStage)} into ${k.release}'s computeDistances child workflow, with ${k.killedAt.shardsCompleted} of ${k.killedAt.shards} shards complete and the running ones at ${k.shards.map((p) => `${n(p.doneAtKill)}/${n(p.total)}`).join(', ')} (their last heartbeats; ${k.killedAt.checkpointFiles} checkpoint files of ${k.killedAt.chunk ?? '?'} candidates on disk), the worker was SIGKILLed and a new one started. The retries began ${k.shards.map((s) => seconds(s.retryStartedSecondsAfterKill)).join(', ')} after the kill (the heartbeat timeout is 10 s; a retry then waits in the task queue behind the shards already scheduled), resumed ${k.shards.map((s) => n(s.resumed ?? 0)).join(', ')} candidates from the checkpoints; shards complete before the kill run again: ${k.rerunCompleted}.`,
      '',
      `**Redone: ${(k.redoneFraction * 100).toFixed(3)}% of the stage's work, the ${n(k.computedCandidates ?? k.stageCandidates)} candidates it computed** (of its ${n(k.stageCandidates)}; the others' shards were in the store); between ${n(k.redoneLower)} and ${n(k.redoneUpper)} candidates. A killed shard had computed at least the \`done\` of its last heartbeat (each heartbeat follows a written checkpoint) and at most its checkpoints plus the chunk in flight; its retry took \`resumed\` candidates from the checkpoints (ShardResult.resumed) and computed the rest again. redoneFraction = Σ (max(done, resumed) − resumed + min(chunk, total − max(done, resumed))) / candidates the stage computed: the upper bound, the chunk in flight counted whole.`,
      '',
      `The stage took ${seconds(k.stageWallSeconds)} against ${seconds(k.uninterruptedStageWallSeconds)} uninterrupted; the whole build ${seconds(k.wallSeconds)}. Releases against the uninterrupted build (manifest.json and every file's SHA-256): ${k.releases.map((c) => `${c.release} ${c.differ.length ? `differs in ${c.differ.join(', ')}` : `identical (${c.files} files)`}`).join('; ')}.`,
      '',
    );
  }
  const e = r.exactness;
  lines.push(
    '## Exactness of computeDistances',
    '',
    `${n(e.checked)} candidates checked, ${e.mismatches} mismatches. ${e.releases.map((x) => `${x.release}: ${n(x.checked)} of ${n(x.candidates)} candidates (numpy default_rng(${x.seed})), ${x.mismatches} mismatches, ${seconds(x.seconds)}`).join('; ')}. The merged \`neighbors.npy\`/\`distances.npy\` against a float64 brute force over all ${n(e.releases[0]?.references ?? 0)} CIFAR-10 images (every term an integer below 2^53, so exact): the ${e.releases[0]?.k ?? 10} distances equal the smallest exactly, and each index is an image at exactly its distance (ties may be ordered differently).`,
    '',
    '## Disk',
    '',
    `Corpus ${gb(r.disk.corpusBytes)} (smaller sizes' corpora ${gb(r.disk.smallCorpusBytes)}, kept as cache); cold store ${gb(r.disk.coldStoreBytes)}; kill store ${r.disk.killStoreBytes === null ? '—' : gb(r.disk.killStoreBytes)}; smaller sizes' stores ${r.disk.smallStoreBytes.map(gb).join(', ')} (removed after each); histories ${mb(r.disk.historiesBytes)}; dev server ${mb(r.disk.serverBytes)}. A full run needs about ${gb(r.disk.fullRunPeakBytes)} at its peak (stores removed at the end unless --keep-stores).`,
    '',
    ...flags(r),
    '## Targets',
    '',
    '| target | measured | met |',
    '| --- | --- | --- |',
    ...r.targets.map((t) => `| ${t.target} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`),
    '',
  );
  return lines.join('\n');
}

/** What the figures flag, computed: retried activities outside the kill, payloads over 256 KB, the stages that dominate, growth far from linear. */
function flags(r: Results): string[] {
  const phases = [
    ...r.sizes.filter((x) => x.fraction !== 1).map((x) => ({ phase: `1/${Math.round(1 / x.fraction)}`, stages: x.stages })),
    { phase: 'cold', stages: r.cold.stages },
    { phase: 'warm', stages: r.warm.stages },
  ];
  const retried = phases.flatMap(({ phase, stages }) => stages.flatMap((x) => x.retried.map((t) => `${phase} ${x.release} ${x.stage}: ${t.type} attempt ${t.attempt} (${t.lastFailure ?? '?'}), stage wall ${seconds(x.wallSeconds)}`)));
  const over = r.limits.workflows.filter((w) => w.largestPayloadBytes > 256 * 1024).map((w) => `${w.workflowId}: ${kb(w.largestPayloadBytes)} (${w.largestPayloadStage})`);
  const total = r.cold.stages.reduce((n, x) => n + x.wallSeconds, 0);
  const top = [...r.cold.stages].sort((a, b) => b.wallSeconds - a.wallSeconds).slice(0, 4);
  // Only stages that matter: at least 5 s and 1% of the cold build at the full shape (below that, timer and load noise).
  const bent = r.growth.filter((g) => {
    const e = g.exponents[g.exponents.length - 1];
    const last = g.points[g.points.length - 1];
    const cost = g.cost === 'cpu' ? last.cpuSeconds ?? 0 : g.cost === 'wall' ? last.wallSeconds : last.activitySeconds;
    return e !== null && (e < 0.75 || e > 1.25) && cost >= Math.max(5, r.cold.wallSeconds / 100);
  });
  return [
    '## Flags',
    '',
    `- Cold build: ${top.map((x) => `${x.release} ${x.stage} ${seconds(x.wallSeconds)} (${Math.round((x.wallSeconds / r.cold.wallSeconds) * 100)}%)`).join(', ')} of ${seconds(r.cold.wallSeconds)}; the stages' walls add up to ${seconds(total)}.`,
    `- Retried activities (not the kill): ${retried.length ? '' : 'none.'}`,
    ...retried.map((x) => `  - ${x}`),
    `- Payloads over 256 KB: ${over.length ? over.join('; ') : 'none.'}`,
    `- Growth far from linear between the two largest sizes (exponent outside 0.75 to 1.25, stages of at least 5 s and 1% of the cold build): ${bent.length ? '' : 'none.'}`,
    ...bent.map((g) => `  - ${g.release} ${g.stage}: ${g.exponents.map(exp).join(', ')} (${g.cost})${g.fit ? `, fit ${seconds(g.fit.fixed)} fixed + ${g.fit.perUnit.toExponential(2)} s per ${g.driver === 'images' ? 'image' : 'candidate'}` : ''}; its work: ${STAGE_WORK[g.stage] ?? g.driver}`),
    ...(bent.some((g) => g.fit && g.fit.fixed > 0)
      ? ['', 'An exponent under 1 with a fit of a fixed part plus a part per unit is a stage whose fixed cost (reading CIFAR-10, building its hash index, loading the kernels, training the baselines) weighs more at the smaller sizes; what it costs per unit stays the same, so it grows linearly beyond its fixed part. A stage whose work is fixed (evaluateModels: CIFAR-10 and a release of ~2,000 images) is not expected to grow.']
      : []),
    '',
  ];
}
