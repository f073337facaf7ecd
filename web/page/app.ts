// The labeling page: pending tasks of the running builds, a keyword's candidates to
// accept or reject, and the near-duplicate review. Bundled by esbuild when the label
// server serves it (web/server.ts); type-checked with the DOM's types by web/page/tsconfig.json.
import type {
  BuildsResponse, BuildSummary, DuplicatesRequest, DuplicatesResponse, DuplicatesWork, LabelsRequest, LabelsResponse, LabelTask, ReviewResponse, TaskResponse,
} from '../api';

interface TaskView {
  kind: 'task';
  workflowId: string;
  task: LabelTask;
  selected: Set<number>;
  undo: number[][];
  focus: number;
  historyUrl: string | null;
}
type Verdict = 'confirmed' | 'dismissed';
interface DuplicatesView {
  kind: 'duplicates';
  workflowId: string;
  duplicates: DuplicatesWork;
  verdicts: Map<string, Verdict>;
  undo: [string, Verdict][][];
  focus: number;
  historyUrl: string | null;
}
/** What localStorage keeps of an unsent task grid, and of an unsent review. */
interface TaskDraft { accepted: number[]; focus: number }
interface DuplicatesDraft { verdicts: [string, Verdict][]; focus: number }

/** Candidate tiles: 32 px images scaled 3× (a whole number keeps the pixels square and sharp). */
const CELL = 96;
const SHEET_COLUMNS = 16;
const REFRESH_MS = 2500;
const LABELER_KEY = 'cifar101.labeler';

const state: { builds: BuildSummary[]; listed: string; view: TaskView | DuplicatesView | null; busy: boolean; keepMessage: boolean } = {
  builds: [], listed: '', view: null, busy: false, keepMessage: false,
};

const byId = (id: string) => document.getElementById(id) as HTMLElement;

/** A route's JSON answer; its `error` when it failed. */
async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

/** Posts a submission to one of the two POST routes: the request and answer types go together. */
function post(url: '/api/labels', body: LabelsRequest): Promise<LabelsResponse>;
function post(url: '/api/duplicates', body: DuplicatesRequest): Promise<ReviewResponse>;
function post(url: string, body: unknown): Promise<unknown> {
  return api(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

let messageTimer: ReturnType<typeof setTimeout> | undefined;
/** Shows a message above the page: errors stay until the next one, notices fade. */
function showMessage(text: string, kind: 'error' | 'ok' = 'error') {
  const box = byId('message');
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
  clearTimeout(messageTimer);
  if (kind === 'ok') messageTimer = setTimeout(() => { box.hidden = true; }, 5000);
}
const clearMessage = () => { byId('message').hidden = true; };
/** An error stays up until the labeler changes something. */
const clearError = () => { if (byId('message').className === 'error') clearMessage(); };

// ---- drafts: an unsent grid survives a reload --------------------------------

const draftKey = (workflowId: string, what: string) => `cifar101.draft.${workflowId}.${what}`;

function loadDraft<T>(key: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function saveDraft() {
  const v = state.view;
  if (!v) return;
  if (v.kind === 'task') {
    localStorage.setItem(draftKey(v.workflowId, v.task.id), JSON.stringify({ accepted: [...v.selected], focus: v.focus } satisfies TaskDraft));
  } else {
    localStorage.setItem(draftKey(v.workflowId, `duplicates-${v.duplicates.round}`), JSON.stringify({ verdicts: [...v.verdicts], focus: v.focus } satisfies DuplicatesDraft));
  }
}

/** The labeler's name, which a submission needs: without one, asks for it and gives an empty string. */
function labeler(): string {
  const name = (byId('labeler') as HTMLInputElement).value.trim();
  if (!name) {
    showMessage('Enter your name as the labeler before submitting.');
    byId('labeler').focus();
  }
  return name;
}

// ---- routing: #/<workflowId>/<taskId> or #/<workflowId>/~duplicates -----------

const hashOf = (workflowId: string, what: string) => `#/${encodeURIComponent(workflowId)}/${encodeURIComponent(what)}`;

/** Counts navigations: a task that loads after the labeler has moved on is not shown. */
let routes = 0;

async function route() {
  const seq = ++routes;
  const current = () => seq === routes;
  const [, wid, what] = location.hash.split('/');
  if (!wid || !what) {
    state.view = null;
    renderIntro();
    renderWork();
    return;
  }
  const workflowId = decodeURIComponent(wid);
  const item = decodeURIComponent(what);
  try {
    if (item === '~duplicates') await openDuplicates(workflowId, current);
    else await openTask(workflowId, item, current);
  } catch (err) {
    if (!current()) return;
    state.view = null;
    renderIntro();
    showMessage(errorText(err));
  }
  renderWork();
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

// ---- the list of pending work ------------------------------------------------

async function refresh() {
  try {
    const data = await api<BuildsResponse>('/api/builds');
    state.builds = data.builds;
    byId('scope').textContent = data.release ? `release ${data.release}` : 'all releases';
    renderWork();
  } catch (err) {
    byId('work').innerHTML = '';
    byId('work').append(el('p', { class: 'error' }, `Cannot list the builds: ${errorText(err)}`));
  }
}

function renderWork() {
  const current = state.view ? (state.view.kind === 'task' ? hashOf(state.view.workflowId, state.view.task.id) : hashOf(state.view.workflowId, '~duplicates')) : '';
  const signature = JSON.stringify([state.builds, current]);
  if (signature === state.listed) return; // unchanged: keep the list (and its scroll position) as is
  state.listed = signature;
  const nav = byId('work');
  nav.innerHTML = '';
  if (state.builds.length === 0) {
    nav.append(el('p', { class: 'muted' }, 'No build is running. Start one with `cifar101 build <config>` (labeling.mode: interactive).'));
    return;
  }
  for (const b of state.builds) {
    const section = el('section', { class: 'build', 'data-workflow': b.workflowId });
    const title = el('h2', {}, `${b.release} `, el('small', {}, b.stage));
    section.append(title);
    if (b.historyUrl) section.append(el('a', { class: 'history', href: b.historyUrl, target: '_blank', rel: 'noopener' }, 'history in Temporal'));
    if (b.error) section.append(el('p', { class: 'error' }, b.error));
    else if (b.tasks.length === 0 && !b.duplicates) section.append(el('p', { class: 'muted' }, `Nothing to label now (the build is at ${b.stage}).`));
    for (const round of [1, 2]) {
      const tasks = b.tasks.filter((t) => t.round === round);
      if (!tasks.length) continue;
      section.append(el('h3', {}, `Round ${round}: ${tasks.length} keyword${tasks.length === 1 ? '' : 's'}`));
      const list = el('ol', { class: 'tasks' });
      for (const t of tasks) {
        const href = hashOf(b.workflowId, t.id);
        list.append(el('li', {}, el('a', { href, class: href === current ? 'current' : '', 'data-task': t.id },
          `${t.className} / ${t.keyword}`, el('span', { class: 'count', title: 'images needed of those offered' }, `${t.needed} of ${t.offered}`))));
      }
      section.append(list);
    }
    if (b.duplicates) {
      const href = hashOf(b.workflowId, '~duplicates');
      section.append(el('h3', {}, 'Near-duplicates'),
        el('a', { href, class: `duplicates ${href === current ? 'current' : ''}` }, `review ${b.duplicates.pairs} pairs (round ${b.duplicates.round})`));
    }
    nav.append(section);
  }
}

/** The help shown when no task is open (taken out of the page while one is). */
const INTRO = document.querySelector('#view .intro');

function renderIntro() {
  byId('view').innerHTML = '';
  delete byId('view').dataset.open;
  byId('view').classList.remove('sent');
  if (INTRO) byId('view').append(INTRO);
}

// ---- a keyword task ------------------------------------------------------------

async function openTask(workflowId: string, taskId: string, current: () => boolean) {
  const { task, historyUrl } = await api<TaskResponse>(`/api/task?workflow=${encodeURIComponent(workflowId)}&task=${encodeURIComponent(taskId)}`);
  if (!current()) return;
  const draft = loadDraft<TaskDraft>(draftKey(workflowId, task.id));
  const offered = new Set(task.offered);
  const initial = draft ? draft.accepted.filter((ti) => offered.has(ti)) : task.preselected ?? [];
  state.view = { kind: 'task', workflowId, task, selected: new Set(initial), undo: [], focus: Math.min(draft?.focus ?? 0, task.offered.length - 1), historyUrl };
  renderTask(Boolean(draft));
}

function renderTask(restored: boolean) {
  const v = state.view as TaskView;
  const { task } = v;
  const sheet = `/img/sheet?ref=${encodeURIComponent(task.images.path)}&cols=${SHEET_COLUMNS}&scale=3&rows=${task.rows.join(',')}`;
  const cells = task.offered.map((ti, i) => el('div', {
    class: 'cell', role: 'gridcell', tabindex: '-1', 'data-index': String(i), 'data-ti': String(ti), title: `TinyImages #${ti}`,
    style: `background-image:url("${sheet}");background-position:${-(i % SHEET_COLUMNS) * CELL}px ${-Math.floor(i / SHEET_COLUMNS) * CELL}px`,
  }));
  const grid = el('div', { id: 'grid', role: 'grid', 'aria-label': `candidates for ${task.keyword}`, 'aria-multiselectable': 'true' }, ...cells);
  grid.addEventListener('click', (e) => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('.cell');
    if (!cell) return;
    const i = Number(cell.dataset.index);
    v.focus = i;
    toggle([i]);
  });
  const refs = el('aside', { class: 'references' },
    el('h3', {}, 'CIFAR-10: ', el('q', {}, task.keyword)),
    ...task.references.map((row) => el('img', {
      src: `/img/candidate?ref=${encodeURIComponent(task.cifarImages.path)}&row=${row}&scale=2`, width: '64', height: '64', alt: `CIFAR-10 image ${row}`,
    })));
  if (!task.references.length) refs.append(el('p', { class: 'muted' }, 'none'));
  const instruction = task.round === 1
    ? ['Accept every image that clearly shows a ', el('b', {}, task.className), ' (keyword ', el('q', {}, task.keyword), ').']
    : ['Confirm the first round\'s choices: they are selected; reject any that is not clearly a ', el('b', {}, task.className), '.'];
  const view = byId('view');
  view.innerHTML = '';
  view.dataset.open = `${v.workflowId}/${task.id}`;
  view.classList.remove('sent');
  view.append(
    el('div', { class: 'task-head' },
      el('h2', {}, `Round ${task.round}: ${task.className} / ${task.keyword}`),
      el('p', { class: 'counter' }, el('b', { id: 'selected-count' }, ''), ' selected · ', el('b', { id: 'needed-count' }, String(task.needed)), ' needed · ',
        `${task.offered.length} offered`),
      v.historyUrl ? el('a', { class: 'history', href: v.historyUrl, target: '_blank', rel: 'noopener' }, 'build history') : ''),
    el('p', { class: 'instruction' }, ...instruction, restored ? el('span', { class: 'restored' }, ' Your unsent choices were restored.') : ''),
    el('div', { class: 'toolbar' },
      button('Accept all', 'a', () => setAll(true)),
      button('Reject all', 'r', () => setAll(false)),
      button('Undo', 'z', undo, 'undo'),
      button('Submit', 'Enter', submitTask, 'submit')),
    el('div', { class: 'task-body' }, grid, refs));
  grid.setAttribute('tabindex', '0');
  grid.focus({ preventScroll: true }); // keys go to the grid, not to the link that opened the task
  updateTask();
}

function button(label: string, key: string, action: () => void, id?: string) {
  const b = el('button', { type: 'button', ...(id ? { id } : {}) }, label, ' ', el('kbd', {}, key));
  b.addEventListener('click', action);
  return b;
}

function updateTask() {
  const v = state.view as TaskView;
  const cells = document.querySelectorAll<HTMLElement>('#grid .cell');
  cells.forEach((cell, i) => {
    const good = v.selected.has(v.task.offered[i]);
    cell.classList.toggle('good', good);
    cell.setAttribute('aria-selected', String(good));
    cell.classList.toggle('focus', i === v.focus);
  });
  const count = byId('selected-count');
  count.textContent = String(v.selected.size);
  count.parentElement?.classList.toggle('short', v.selected.size < v.task.needed);
  (byId('undo') as HTMLButtonElement).disabled = v.undo.length === 0;
  cells[v.focus]?.scrollIntoView({ block: 'nearest' });
}

function editTask(change: (v: TaskView) => void) {
  const v = state.view as TaskView;
  clearError();
  v.undo.push([...v.selected]);
  change(v);
  saveDraft();
  updateTask();
}

const toggle = (indices: number[]) => editTask((v) => {
  for (const i of indices) {
    const ti = v.task.offered[i];
    if (v.selected.has(ti)) v.selected.delete(ti);
    else v.selected.add(ti);
  }
});

const setAll = (good: boolean) => editTask((v) => { v.selected = new Set(good ? v.task.offered : []); });

function undo() {
  const v = state.view;
  if (!v || !v.undo.length) return;
  if (v.kind === 'task') {
    v.selected = new Set(v.undo.pop());
    saveDraft();
    updateTask();
  } else {
    v.verdicts = new Map(v.undo.pop());
    saveDraft();
    updateDuplicates();
  }
}

/** Columns the grid shows now (it reflows with the window). */
function gridColumns() {
  const grid = document.getElementById('grid');
  if (!grid) return 1;
  return Math.max(1, getComputedStyle(grid).gridTemplateColumns.split(' ').filter(Boolean).length);
}

function moveFocus(key: string, focus: number, count: number, columns: number) {
  const steps: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns, ArrowDown: columns, Home: -count, End: count };
  const step = steps[key] ?? 0;
  return Math.max(0, Math.min(count - 1, focus + step));
}

async function submitTask() {
  const v = state.view as TaskView;
  const name = labeler();
  if (!name) return;
  const accepted = v.task.offered.filter((ti) => v.selected.has(ti));
  const from = location.hash;
  const sent = await send(async () => {
    const result = await post('/api/labels', { workflowId: v.workflowId, decision: { taskId: v.task.id, accepted, labeler: name, at: new Date().toISOString() } });
    localStorage.removeItem(draftKey(v.workflowId, v.task.id));
    showMessage(`Submitted ${v.task.className} / ${v.task.keyword} (round ${v.task.round}): ${result.accepted} accepted.`, 'ok');
  });
  if (sent) await nextWork(v.workflowId, v.task.id, from);
}

/**
 * Runs a submission, once at a time; a rejection by the build is shown and nothing else changes.
 * Once it is accepted the view is done with: keys wait for the next one. Whether the build accepted it.
 */
async function send(body: () => Promise<void>): Promise<boolean> {
  if (state.busy) return false;
  state.busy = true;
  clearMessage();
  document.body.classList.add('busy');
  try {
    await body();
    state.view = null;
    byId('view').classList.add('sent');
    return true;
  } catch (err) {
    showMessage(`Not accepted: ${errorText(err)}`);
    return false;
  } finally {
    state.busy = false;
    document.body.classList.remove('busy');
  }
}

/**
 * After a submission: the next pending task of the build (in list order), else its duplicate review, else the list;
 * unless the labeler has opened something else since submitting (`from` is where they were).
 */
async function nextWork(workflowId: string, after: string, from: string) {
  const order = state.builds.find((b) => b.workflowId === workflowId)?.tasks.map((t) => t.id) ?? [];
  await refresh();
  if (location.hash !== from) return; // the labeler picked something else meanwhile
  const build = state.builds.find((b) => b.workflowId === workflowId);
  const tasks = build?.tasks ?? [];
  const position = order.indexOf(after);
  const next = tasks.find((t) => order.indexOf(t.id) > position) ?? tasks[0];
  state.keepMessage = true; // the notice of the submission stays on the next task
  if (next) go(hashOf(workflowId, next.id));
  else if (build?.duplicates) go(hashOf(workflowId, '~duplicates')); // the next round's review has the same address
  else go('#/');
}

/** Opens `hash`, also when it is the address already shown (a hash that does not change fires no event). */
function go(hash: string) {
  if (decodeURIComponent(location.hash) === decodeURIComponent(hash)) {
    state.keepMessage = false;
    void route();
  } else {
    location.hash = hash;
  }
}

// ---- near-duplicate review -------------------------------------------------------

async function openDuplicates(workflowId: string, current: () => boolean) {
  const { duplicates, historyUrl } = await api<DuplicatesResponse>(`/api/duplicates?workflow=${encodeURIComponent(workflowId)}`);
  if (!current()) return;
  const draft = loadDraft<DuplicatesDraft>(draftKey(workflowId, `duplicates-${duplicates.round}`));
  const ids = new Set(duplicates.pairs.map((p) => p.id));
  const verdicts = new Map((draft?.verdicts ?? []).filter(([id]) => ids.has(id)));
  state.view = { kind: 'duplicates', workflowId, duplicates, verdicts, undo: [], focus: Math.min(draft?.focus ?? 0, duplicates.pairs.length - 1), historyUrl };
  renderDuplicates(Boolean(draft));
}

function renderDuplicates(restored: boolean) {
  const v = state.view as DuplicatesView;
  const { duplicates } = v;
  const img = (ref: string, row: number, alt: string) => el('img', { src: `/img/candidate?ref=${encodeURIComponent(ref)}&row=${row}&scale=4`, width: '128', height: '128', alt });
  const pairs = duplicates.pairs.map((p, i) => {
    const otherRef = p.kind === 'within' ? duplicates.candidates.path : duplicates.cifar.path;
    const confirm = el('button', { type: 'button', class: 'confirm' }, 'Duplicate ', el('kbd', {}, 'c'));
    const dismiss = el('button', { type: 'button', class: 'dismiss' }, 'Not a duplicate ', el('kbd', {}, 'd'));
    confirm.addEventListener('click', () => { v.focus = i; setVerdicts([p.id], 'confirmed'); });
    dismiss.addEventListener('click', () => { v.focus = i; setVerdicts([p.id], 'dismissed'); });
    return el('div', { class: 'pair', 'data-pair': p.id, role: 'group', 'aria-label': `pair ${p.id}` },
      el('figure', {}, img(duplicates.candidates.path, p.rows[0], `TinyImages #${p.ti}`), el('figcaption', {}, `new #${p.ti}`)),
      el('figure', {}, img(otherRef, p.rows[1], `${p.kind === 'within' ? 'TinyImages' : 'CIFAR-10'} #${p.other}`),
        el('figcaption', {}, p.kind === 'within' ? `new #${p.other}` : `CIFAR-10 #${p.other}`)),
      el('div', { class: 'pair-info' },
        el('p', {}, el('b', {}, `L2 distance ${p.distance.toFixed(1)}`)),
        el('p', { class: 'muted' }, p.kind === 'within' ? 'two new images' : 'new image and CIFAR-10'),
        el('p', { class: 'verdict' }, ''),
        el('div', { class: 'buttons' }, confirm, dismiss)));
  });
  const view = byId('view');
  view.innerHTML = '';
  view.dataset.open = `${v.workflowId}/~duplicates/${duplicates.round}`;
  view.classList.remove('sent');
  view.append(
    el('div', { class: 'task-head' },
      el('h2', {}, `Near-duplicates, round ${duplicates.round}`),
      el('p', { class: 'counter' }, el('b', { id: 'decided-count' }, ''), ` of ${duplicates.pairs.length} decided`),
      v.historyUrl ? el('a', { class: 'history', href: v.historyUrl, target: '_blank', rel: 'noopener' }, 'build history') : ''),
    el('p', { class: 'instruction' }, 'A confirmed pair blacklists the new image and the sample is drawn again; a dismissed pair is kept.',
      restored ? el('span', { class: 'restored' }, ' Your unsent choices were restored.') : ''),
    el('div', { class: 'toolbar' },
      button('All duplicates', 'a', () => setVerdicts(duplicates.pairs.map((p) => p.id), 'confirmed')),
      button('None duplicates', 'r', () => setVerdicts(duplicates.pairs.map((p) => p.id), 'dismissed')),
      button('Undo', 'z', undo, 'undo'),
      button('Submit', 'Enter', submitDuplicates, 'submit')),
    el('div', { id: 'pairs', tabindex: '0' }, ...pairs));
  byId('pairs').focus({ preventScroll: true });
  updateDuplicates();
}

function updateDuplicates() {
  const v = state.view as DuplicatesView;
  const rows = document.querySelectorAll<HTMLElement>('#pairs .pair');
  rows.forEach((row, i) => {
    const verdict = v.verdicts.get(v.duplicates.pairs[i].id);
    row.classList.toggle('confirmed', verdict === 'confirmed');
    row.classList.toggle('dismissed', verdict === 'dismissed');
    row.classList.toggle('focus', i === v.focus);
    const text = row.querySelector('.verdict');
    if (text) text.textContent = verdict === 'confirmed' ? 'duplicate: blacklist' : verdict === 'dismissed' ? 'not a duplicate: keep' : 'undecided';
  });
  byId('decided-count').textContent = String(v.verdicts.size);
  (byId('undo') as HTMLButtonElement).disabled = v.undo.length === 0;
  rows[v.focus]?.scrollIntoView({ block: 'nearest' });
}

function setVerdicts(ids: string[], verdict: Verdict) {
  const v = state.view as DuplicatesView;
  clearError();
  v.undo.push([...v.verdicts]);
  for (const id of ids) v.verdicts.set(id, verdict);
  saveDraft();
  updateDuplicates();
}

async function submitDuplicates() {
  const v = state.view as DuplicatesView;
  const name = labeler();
  if (!name) return;
  const undecided = v.duplicates.pairs.length - v.verdicts.size;
  if (undecided > 0) {
    showMessage(`${undecided} pair${undecided === 1 ? '' : 's'} still undecided: mark each as duplicate (c) or not (d).`);
    return;
  }
  const ids = v.duplicates.pairs.map((p) => p.id);
  const review: DuplicatesRequest['review'] = {
    round: v.duplicates.round,
    confirmed: ids.filter((id) => v.verdicts.get(id) === 'confirmed'),
    dismissed: ids.filter((id) => v.verdicts.get(id) === 'dismissed'),
    labeler: name,
    at: new Date().toISOString(),
  };
  const from = location.hash;
  const reviewed = await send(async () => {
    const result = await post('/api/duplicates', { workflowId: v.workflowId, review });
    localStorage.removeItem(draftKey(v.workflowId, `duplicates-${v.duplicates.round}`));
    showMessage(`Review sent: ${result.blacklisted} image${result.blacklisted === 1 ? '' : 's'} blacklisted.`, 'ok');
  });
  if (reviewed) await nextWork(v.workflowId, '~duplicates', from);
}

// ---- keyboard ----------------------------------------------------------------

function onKey(e: KeyboardEvent) {
  const target = e.target as HTMLElement;
  if (target.matches('input, textarea, select')) return;
  const v = state.view;
  if (!v || state.busy) return;
  const key = e.key;
  if ((key === 'z' || key === 'Z') && !e.altKey) {
    e.preventDefault();
    undo();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (key === 'Enter') {
    e.preventDefault();
    void (v.kind === 'task' ? submitTask() : submitDuplicates());
    return;
  }
  if (v.kind === 'task') {
    const count = v.task.offered.length;
    if (key.startsWith('Arrow') || key === 'Home' || key === 'End') {
      e.preventDefault();
      v.focus = moveFocus(key, v.focus, count, gridColumns());
      saveDraft();
      updateTask();
    } else if (key === ' ') {
      e.preventDefault();
      if (count) toggle([v.focus]);
    } else if (key === 'a') setAll(true);
    else if (key === 'r') setAll(false);
  } else {
    const ids = v.duplicates.pairs.map((p) => p.id);
    const focused = ids[v.focus];
    if (key.startsWith('Arrow') || key === 'Home' || key === 'End') {
      e.preventDefault();
      v.focus = moveFocus(key === 'ArrowUp' ? 'ArrowLeft' : key === 'ArrowDown' ? 'ArrowRight' : key, v.focus, ids.length, 1);
      updateDuplicates();
    } else if (key === 'c' && focused) setVerdicts([focused], 'confirmed');
    else if (key === 'd' && focused) setVerdicts([focused], 'dismissed');
    else if (key === ' ' && focused) {
      e.preventDefault();
      setVerdicts([focused], v.verdicts.get(focused) === 'confirmed' ? 'dismissed' : 'confirmed');
    } else if (key === 'a') setVerdicts(ids, 'confirmed');
    else if (key === 'r') setVerdicts(ids, 'dismissed');
  }
}

// ---- DOM helper ------------------------------------------------------------------

function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

// ---- start ------------------------------------------------------------------------

function start() {
  const input = byId('labeler') as HTMLInputElement;
  input.value = localStorage.getItem(LABELER_KEY) ?? '';
  input.addEventListener('input', () => localStorage.setItem(LABELER_KEY, input.value.trim()));
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === 'Escape') input.blur(); });
  document.addEventListener('keydown', onKey);
  byId('work').addEventListener('click', (e) => {
    const link = (e.target as HTMLElement).closest('a[href^="#"]');
    if (!link) return;
    e.preventDefault();
    go(link.getAttribute('href') as string);
  });
  window.addEventListener('hashchange', () => {
    if (!state.keepMessage) clearMessage();
    state.keepMessage = false;
    void route();
  });
  void refresh().then(route);
  setInterval(refresh, REFRESH_MS);
}

start();
