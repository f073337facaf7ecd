// The labeling page: sign-in from a login link, pending tasks of the running builds (with who holds
// each), a keyword's images to accept or reject, the near-duplicate review, and for admins the
// team's quality. Bundled by esbuild when the label server serves it (web/server.ts); type-checked
// with the DOM's types by web/page/tsconfig.json.
import type {
  AdminPageResponse, BuildsResponse, BuildSummary, ClaimRequest, ClaimResponse, DuplicatesRequest, DuplicatesResponse, DuplicatesWork,
  LabelsRequest, LabelsResponse, LabelTask, LoginRequest, Me, QualityResponse, ReviewResponse, TaskResponse, TaskSummary,
} from '../api';

interface TaskView {
  kind: 'task';
  workflowId: string;
  task: LabelTask;
  /** Display indices selected. */
  selected: Set<number>;
  undo: number[][];
  focus: number;
  historyUrl: string | null;
  /** The id of the decision as it stands: a resend of it is recorded once; any change makes a new one. */
  requestId: string;
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
  requestId: string;
}
interface AdminView { kind: 'admin' }
type View = TaskView | DuplicatesView | AdminView;
/** What localStorage keeps of an unsent task grid, and of an unsent review. */
interface TaskDraft { accepted: number[]; focus: number; requestId: string }
interface DuplicatesDraft { verdicts: [string, Verdict][]; focus: number; requestId: string }

/** Candidate tiles: 32 px images scaled 3× (a whole number keeps the pixels square and sharp). */
const CELL = 96;
const SHEET_COLUMNS = 16;
const REFRESH_MS = 2500;
/** How often an open task's claim is renewed while its person works on it. */
const RENEW_MS = 30_000;

const state: { me: Me | null; builds: BuildSummary[]; listed: string; view: View | null; busy: boolean; keepMessage: boolean } = {
  me: null, builds: [], listed: '', view: null, busy: false, keepMessage: false,
};

const byId = (id: string) => document.getElementById(id) as HTMLElement;

/** A route's answer was 401: the session is gone (expired, signed out elsewhere, revoked). */
class SignedOut extends Error {}

/** A route's JSON answer; its `error` when it failed. */
async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (res.status === 401) {
    signedOut(body.error ?? 'not signed in');
    throw new SignedOut(body.error);
  }
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

/** Posts to one of the POST routes: the request and answer types go together. */
function post(url: '/api/login', body: LoginRequest): Promise<Me>;
function post(url: '/api/labels', body: LabelsRequest): Promise<LabelsResponse>;
function post(url: '/api/duplicates', body: DuplicatesRequest): Promise<ReviewResponse>;
function post(url: '/api/claim', body: ClaimRequest): Promise<ClaimResponse>;
function post(url: '/api/release', body: ClaimRequest): Promise<{ released: boolean }>;
function post(url: '/api/logout', body: object): Promise<unknown>;
function post(url: string, body: unknown): Promise<unknown> {
  return api(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** A fresh request id (crypto.getRandomValues works over plain HTTP too, unlike randomUUID). */
function newRequestId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
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

// ---- signing in and out ---------------------------------------------------------

/** The page as a signed-out visitor sees it: why, and what to do. */
function signedOut(reason: string) {
  state.me = null;
  state.view = null;
  state.builds = [];
  state.listed = '';
  byId('who').hidden = true;
  byId('work').innerHTML = '';
  byId('work').append(el('p', { class: 'muted' }, 'Not signed in.'));
  renderIntro();
  showMessage(`${reason}`);
}

/** A login link (`/login#token=…`): trades its token for a session, and takes it out of the address bar and history. */
async function signIn(): Promise<boolean> {
  if (location.pathname !== '/login') return true;
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', '/');
  if (!token) {
    signedOut('This login link has no token: copy the whole link an admin gave you.');
    return false;
  }
  try {
    await api<Me>('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token } satisfies LoginRequest) });
    return true;
  } catch (err) {
    if (!(err instanceof SignedOut)) signedOut(`Cannot sign in: ${errorText(err)}`);
    return false;
  }
}

function renderMe(me: Me) {
  byId('who').hidden = false;
  byId('me').textContent = `${me.name} (${me.role})`;
  byId('admin-link').hidden = !me.can.administer;
}

// ---- drafts: an unsent grid survives a reload --------------------------------

const draftKey = (workflowId: string, what: string) => `cifar101.draft.${state.me?.name}.${workflowId}.${what}`;

function loadDraft<T>(key: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function saveDraft() {
  const v = state.view;
  if (v?.kind === 'task') {
    localStorage.setItem(draftKey(v.workflowId, v.task.id), JSON.stringify({ accepted: [...v.selected], focus: v.focus, requestId: v.requestId } satisfies TaskDraft));
  } else if (v?.kind === 'duplicates') {
    localStorage.setItem(draftKey(v.workflowId, `duplicates-${v.duplicates.round}`), JSON.stringify({ verdicts: [...v.verdicts], focus: v.focus, requestId: v.requestId } satisfies DuplicatesDraft));
  }
}

// ---- routing: #/<workflowId>/<taskId>, #/<workflowId>/~duplicates, #/~admin, #/~admin/<entry> ----

const hashOf = (workflowId: string, what: string) => `#/${encodeURIComponent(workflowId)}/${encodeURIComponent(what)}`;

/** Counts navigations: a task that loads after the labeler has moved on is not shown. */
let routes = 0;

async function route() {
  if (!state.me) return;
  const seq = ++routes;
  const current = () => seq === routes;
  releaseClaim();
  const [, wid, what] = location.hash.split('/');
  try {
    if (wid === '~admin') {
      await openAdmin(what === undefined || what === '' ? null : Number(what), current);
    } else if (!wid || !what) {
      state.view = null;
      renderIntro();
    } else {
      const workflowId = decodeURIComponent(wid);
      const item = decodeURIComponent(what);
      if (item === '~duplicates') await openDuplicates(workflowId, current);
      else await openTask(workflowId, item, current);
    }
  } catch (err) {
    if (!current() || err instanceof SignedOut) return;
    state.view = null;
    renderIntro();
    showMessage(errorText(err));
  }
  renderWork();
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

// ---- the list of pending work ------------------------------------------------

async function refresh() {
  if (!state.me) return;
  try {
    const data = await api<BuildsResponse>('/api/builds');
    state.builds = data.builds;
    byId('scope').textContent = data.release ? `release ${data.release}` : 'all releases';
    renderWork();
  } catch (err) {
    if (err instanceof SignedOut) return;
    byId('work').innerHTML = '';
    byId('work').append(el('p', { class: 'error' }, `Cannot list the builds: ${errorText(err)}`));
  }
}

/** "taken by grace, 4 min left", as the list and messages say it. */
function minutesLeft(ms: number) {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

/** Whether the signed-in person can take a task now: not held by someone else, not barred. */
const open = (t: TaskSummary) => !t.blocked && (!t.claim || t.claim.mine);

function currentHash() {
  const v = state.view;
  if (!v) return '';
  if (v.kind === 'admin') return location.hash;
  return v.kind === 'task' ? hashOf(v.workflowId, v.task.id) : hashOf(v.workflowId, '~duplicates');
}

function renderWork() {
  if (!state.me) return;
  const current = currentHash();
  // Claims count down: the list is redrawn when what it shows changes (minutes, not milliseconds).
  const shown = state.builds.map((b) => ({ ...b, tasks: b.tasks.map((t) => ({ ...t, claim: t.claim && { ...t.claim, expiresIn: minutesLeft(t.claim.expiresIn) } })) }));
  const signature = JSON.stringify([shown, current]);
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
    section.append(el('h2', {}, `${b.release} `, el('small', {}, b.stage)));
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
        const classes = [href === current ? 'current' : '', t.blocked ? 'blocked' : '', t.claim && !t.claim.mine ? 'taken' : ''].filter(Boolean).join(' ');
        const item = el('li', {}, el('a', { href, class: classes, 'data-task': t.id, ...(t.blocked ? { title: t.blocked } : {}) },
          `${t.className} / ${t.keyword}`, el('span', { class: 'count', title: 'images needed of those shown' }, `${t.needed} of ${t.offered}`)));
        if (t.claim) {
          item.append(el('div', { class: `claim ${t.claim.mine ? 'mine' : ''}`, 'data-claim': t.id },
            t.claim.mine ? `yours, ${minutesLeft(t.claim.expiresIn)} left` : `taken by ${t.claim.holder}, ${minutesLeft(t.claim.expiresIn)} left`));
        } else if (t.blocked) {
          item.append(el('div', { class: 'claim', 'data-blocked': t.id }, t.blocked.startsWith('two-person rule') ? 'your round-1 keyword: someone else confirms it' : t.blocked));
        }
        list.append(item);
      }
      section.append(list);
    }
    if (b.duplicates) {
      const href = hashOf(b.workflowId, '~duplicates');
      section.append(el('h3', {}, 'Near-duplicates'),
        el('a', { href, class: `duplicates ${href === current ? 'current' : ''} ${b.duplicates.blocked ? 'blocked' : ''}`, ...(b.duplicates.blocked ? { title: b.duplicates.blocked } : {}) },
          `review ${b.duplicates.pairs} pairs (round ${b.duplicates.round})`));
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

// ---- claims: an open task stays yours while you work on it --------------------------------

let lastActivity = Date.now();
let renewing = false;

/** Renews the open task's claim if its person did something since the last renewal (an idle tab lets it lapse). */
async function renewClaim() {
  const v = state.view;
  if (v?.kind !== 'task' || renewing || Date.now() - lastActivity > v.task.claim.leaseMs) return;
  renewing = true;
  try {
    await post('/api/claim', { workflowId: v.workflowId, taskId: v.task.id });
  } catch (err) {
    if (state.view === v && !(err instanceof SignedOut)) showMessage(`This task is no longer yours: ${errorText(err)}`);
  } finally {
    renewing = false;
  }
}

/** Gives the open task up (the person moved on without submitting); a submitted task is released by the server. */
function releaseClaim() {
  const v = state.view;
  if (v?.kind !== 'task' || byId('view').classList.contains('sent')) return;
  void post('/api/release', { workflowId: v.workflowId, taskId: v.task.id }).catch(() => undefined);
}

// ---- a keyword task ------------------------------------------------------------

const taskQuery = (workflowId: string, task: LabelTask) =>
  `workflow=${encodeURIComponent(workflowId)}&task=${encodeURIComponent(task.id)}&v=${task.digest}`;

async function openTask(workflowId: string, taskId: string, current: () => boolean) {
  const { task, historyUrl } = await api<TaskResponse>(`/api/task?workflow=${encodeURIComponent(workflowId)}&task=${encodeURIComponent(taskId)}`);
  if (!current()) {
    // Opened, and so claimed, after the person moved on: give it back.
    void post('/api/release', { workflowId, taskId: task.id }).catch(() => undefined);
    return;
  }
  const draft = loadDraft<TaskDraft>(draftKey(workflowId, task.id));
  const initial = draft ? draft.accepted.filter((i) => i < task.items) : task.preselected ?? [];
  state.view = {
    kind: 'task', workflowId, task, selected: new Set(initial), undo: [], focus: Math.max(0, Math.min(draft?.focus ?? 0, task.items - 1)), historyUrl,
    requestId: draft?.requestId ?? newRequestId(),
  };
  lastActivity = Date.now();
  renderTask(Boolean(draft));
}

function renderTask(restored: boolean) {
  const v = state.view as TaskView;
  const { task } = v;
  const sheet = `/img/task?${taskQuery(v.workflowId, task)}&cols=${SHEET_COLUMNS}&scale=3`;
  const cells = Array.from({ length: task.items }, (_, i) => el('div', {
    class: 'cell', role: 'gridcell', tabindex: '-1', 'data-index': String(i), title: `image ${i + 1}`,
    style: `background-image:url("${sheet}");background-position:${-(i % SHEET_COLUMNS) * CELL}px ${-Math.floor(i / SHEET_COLUMNS) * CELL}px`,
  }));
  const grid = el('div', { id: 'grid', role: 'grid', 'aria-label': `images for ${task.keyword}`, 'aria-multiselectable': 'true' }, ...cells);
  grid.addEventListener('click', (e) => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('.cell');
    if (!cell) return;
    const i = Number(cell.dataset.index);
    v.focus = i;
    toggle([i]);
  });
  const refs = el('aside', { class: 'references' },
    el('h3', {}, 'CIFAR-10: ', el('q', {}, task.keyword)),
    ...Array.from({ length: task.references }, (_, i) => el('img', {
      src: `/img/task?${taskQuery(v.workflowId, task)}&reference=${i}&scale=2`, width: '64', height: '64', alt: `CIFAR-10 image of ${task.keyword}`,
    })));
  if (!task.references) refs.append(el('p', { class: 'muted' }, 'none'));
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
        `${task.items} shown`),
      el('span', { class: 'claim-note' }, `yours while you work on it (${minutesLeft(task.claim.leaseMs)} without activity)`),
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
    const good = v.selected.has(i);
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
  v.requestId = newRequestId(); // another decision than any sent before
  saveDraft();
  updateTask();
}

const toggle = (indices: number[]) => editTask((v) => {
  for (const i of indices) {
    if (v.selected.has(i)) v.selected.delete(i);
    else v.selected.add(i);
  }
});

const setAll = (good: boolean) => editTask((v) => { v.selected = new Set(good ? Array.from({ length: v.task.items }, (_, i) => i) : []); });

function undo() {
  const v = state.view;
  if (v?.kind === 'task' && v.undo.length) {
    v.selected = new Set(v.undo.pop());
    v.requestId = newRequestId();
    saveDraft();
    updateTask();
  } else if (v?.kind === 'duplicates' && v.undo.length) {
    v.verdicts = new Map(v.undo.pop());
    v.requestId = newRequestId();
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
  const accepted = [...v.selected].sort((a, b) => a - b);
  const from = location.hash;
  const sent = await send(async () => {
    const result = await post('/api/labels', { workflowId: v.workflowId, requestId: v.requestId, decision: { taskId: v.task.id, accepted } });
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
    byId('view').classList.add('sent');
    state.view = null;
    return true;
  } catch (err) {
    if (!(err instanceof SignedOut)) showMessage(`Not accepted: ${errorText(err)}`);
    return false;
  } finally {
    state.busy = false;
    document.body.classList.remove('busy');
  }
}

/**
 * After a submission: the next pending task of the build (in list order) that is free for this person, else its
 * duplicate review, else the list; unless the labeler has opened something else since submitting (`from` is where they were).
 */
async function nextWork(workflowId: string, after: string, from: string) {
  const order = state.builds.find((b) => b.workflowId === workflowId)?.tasks.map((t) => t.id) ?? [];
  await refresh();
  if (location.hash !== from) return; // the labeler picked something else meanwhile
  const build = state.builds.find((b) => b.workflowId === workflowId);
  const tasks = (build?.tasks ?? []).filter(open);
  const position = order.indexOf(after);
  const next = tasks.find((t) => order.indexOf(t.id) > position) ?? tasks[0];
  state.keepMessage = true; // the notice of the submission stays on the next task
  if (next) go(hashOf(workflowId, next.id));
  else if (build?.duplicates && !build.duplicates.blocked) go(hashOf(workflowId, '~duplicates')); // the next round's review has the same address
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
  state.view = {
    kind: 'duplicates', workflowId, duplicates, verdicts, undo: [], focus: Math.max(0, Math.min(draft?.focus ?? 0, duplicates.pairs.length - 1)), historyUrl,
    requestId: draft?.requestId ?? newRequestId(),
  };
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
  v.requestId = newRequestId();
  saveDraft();
  updateDuplicates();
}

async function submitDuplicates() {
  const v = state.view as DuplicatesView;
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
  };
  const from = location.hash;
  const reviewed = await send(async () => {
    const result = await post('/api/duplicates', { workflowId: v.workflowId, requestId: v.requestId, review });
    localStorage.removeItem(draftKey(v.workflowId, `duplicates-${v.duplicates.round}`));
    showMessage(`Review sent: ${result.blacklisted} image${result.blacklisted === 1 ? '' : 's'} blacklisted.`, 'ok');
  });
  if (reviewed) await nextWork(v.workflowId, '~duplicates', from);
}

// ---- the admin page: the team's quality ------------------------------------------------

const percent = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)}%`);
const minutes = (ms: number) => {
  const min = Math.round(ms / 60_000);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
};

function table(id: string, head: string[], rows: HTMLElement[]) {
  return el('table', { class: 'data', id }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}
const cell = (text: string | number, cls = '') => el('td', cls ? { class: cls } : {}, String(text));

async function openAdmin(entry: number | null, current: () => boolean) {
  if (entry !== null) return openAdminPage(entry, current);
  const q = await api<QualityResponse>('/api/quality');
  if (!current()) return;
  state.view = { kind: 'admin' };
  const view = byId('view');
  view.innerHTML = '';
  view.dataset.open = '~admin';
  view.classList.remove('sent');
  const quality = q.labelers.map((l) => el('tr', { 'data-labeler': l.labeler, class: l.flagged ? 'flagged' : '' },
    cell(l.labeler), cell(l.pages.length, 'num'), cell(l.decisions, 'num'),
    cell(l.controls.answered ? `${percent(l.controls.accuracy)} (${l.controls.correct}/${l.controls.answered})` : '–', 'num accuracy'),
    cell(`${l.controls.positives.correct}/${l.controls.positives.answered}`, 'num'), cell(`${l.controls.negatives.correct}/${l.controls.negatives.answered}`, 'num'),
    cell(l.perHour === null ? '–' : Math.round(l.perHour), 'num'),
    // κ beside the share of same verdicts: against round 1, a verifier's κ is near 0 by construction (they see only accepts).
    cell(l.agreement.kappa === null ? '–' : `${l.agreement.kappa.toFixed(2)} · ${percent(l.agreement.observed)} same (${l.agreement.images})`, 'num kappa'),
    cell(minutes(l.timeMs), 'num'), cell(l.flagReason ?? '', 'flag')));
  const review = q.review.map((r) => el('section', { class: 'review', 'data-labeler': r.labeler },
    el('h3', {}, `${r.labeler}: ${r.pages.length} page${r.pages.length === 1 ? '' : 's'} to review`),
    el('ul', {}, ...r.pages.map((p) => el('li', {}, el('a', { href: `#/~admin/${p.entry}`, 'data-entry': String(p.entry) },
      `round ${p.round}: ${p.className} / ${p.keyword} (${p.pageId})`), ` — ${p.accepted} of ${p.offered} accepted, ${new Date(p.submittedAt).toLocaleString()}`)))));
  const team = q.team.map((t) => el('tr', { 'data-labeler': t.name },
    cell(t.name), cell(t.role), cell(t.lastLogin ? new Date(t.lastLogin).toLocaleString() : 'never'),
    cell(t.revoked ? `revoked ${new Date(t.revoked).toLocaleString()}` : t.linkPending ? 'login link not used yet' : `${t.sessions} session${t.sessions === 1 ? '' : 's'}`)));
  const claims = q.claims.map((c) => el('tr', {}, cell(c.pageId), cell(c.holder), cell(`${minutesLeft(c.expiresIn)} left`)));
  view.append(
    el('h2', {}, 'The team'),
    el('p', { class: 'instruction' }, `Accuracy on hidden control images (CIFAR-10 images of the page's class to accept, of other classes to reject) in round 1; `,
      `a labeler under ${percent(q.options.minAccuracy)} after ${q.options.minControls} controls is flagged, and their pages are listed for review. `,
      'Their decisions stand in the build (round 2 confirms every accepted image); nothing is dropped.'),
    table('quality', ['labeler', 'pages', 'images decided', 'controls correct', 'positives', 'negatives', 'images per hour', 'κ with others · agreement (images)', 'time', 'flag'], quality),
    ...(review.length ? [el('h2', {}, 'Flagged for review'), ...review] : [el('p', { class: 'muted', id: 'no-flags' }, 'Nobody is flagged.')]),
    el('h2', {}, 'Members'),
    table('team', ['name', 'role', 'last sign-in', 'access'], team),
    el('h2', {}, 'Claims'),
    claims.length ? table('claims', ['page', 'held by', 'time left'], claims) : el('p', { class: 'muted' }, 'No task is claimed now.'));
}

async function openAdminPage(entry: number, current: () => boolean) {
  const p = await api<AdminPageResponse>(`/api/admin/page?entry=${entry}`);
  if (!current()) return;
  state.view = { kind: 'admin' };
  const sheet = `/img/sheet?ref=${encodeURIComponent(p.images.path)}&cols=${SHEET_COLUMNS}&scale=3&rows=${p.rows.join(',')}`;
  const cells = p.rows.map((_, i) => el('div', {
    class: `cell ${p.accepted[i] ? 'good' : ''}`,
    style: `background-image:url("${sheet}");background-position:${-(i % SHEET_COLUMNS) * CELL}px ${-Math.floor(i / SHEET_COLUMNS) * CELL}px`,
  }));
  const view = byId('view');
  view.innerHTML = '';
  view.dataset.open = `~admin/${entry}`;
  view.append(
    el('p', {}, el('a', { href: '#/~admin' }, '← the team')),
    el('h2', {}, `${p.page.labeler}, round ${p.page.round}: ${p.page.className} / ${p.page.keyword}`),
    el('p', { class: 'instruction' }, `${p.page.accepted} of ${p.page.offered} accepted (green), ${new Date(p.page.submittedAt).toLocaleString()}; build ${p.page.workflowId}.`),
    el('div', { id: 'review-grid' }, ...cells));
}

// ---- keyboard ----------------------------------------------------------------

function onKey(e: KeyboardEvent) {
  lastActivity = Date.now();
  const target = e.target as HTMLElement;
  if (target.matches('input, textarea, select')) return;
  const v = state.view;
  if (!v || v.kind === 'admin' || state.busy) return;
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
    const count = v.task.items;
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

async function start() {
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', () => { lastActivity = Date.now(); });
  byId('work').addEventListener('click', (e) => {
    const link = (e.target as HTMLElement).closest('a[href^="#"]');
    if (!link) return;
    e.preventDefault();
    go(link.getAttribute('href') as string);
  });
  byId('sign-out').addEventListener('click', () => {
    releaseClaim();
    void post('/api/logout', {}).catch(() => undefined).then(() => signedOut('Signed out. Open a new login link to sign in again.'));
  });
  window.addEventListener('hashchange', () => {
    if (!state.keepMessage) clearMessage();
    state.keepMessage = false;
    void route();
  });
  if (!(await signIn())) return;
  try {
    state.me = await api<Me>('/api/me');
  } catch (err) {
    if (!(err instanceof SignedOut)) showMessage(`Cannot reach the label server: ${errorText(err)}`);
    return;
  }
  renderMe(state.me);
  await refresh();
  await route();
  setInterval(refresh, REFRESH_MS);
  setInterval(() => void renewClaim(), RENEW_MS);
}

void start();
