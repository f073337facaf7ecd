// What a task shows: a page's images in display order, with hidden control images among a
// round-1 page's candidates when the build's config asks for them (labeling.controls), and the
// sheet of those images. The display list stays on the server: the page gets the number of
// images and their pixels by display index, never which of them are controls.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { z } from 'zod';
import { contactSheet } from '../lib/contact-sheet';
import { controlCount, type DisplayItem, planControls } from '../lib/controls';
import { readNpy } from '../lib/formats/npy';
import type { LabelPage, PagesIndex } from '../lib/labeling';
import type { ArtifactStore } from '../lib/store';
import type { ImageSource } from './images';

/** What the labeling server needs of a build's config. */
export interface BuildSettings {
  seed: number;
  classes: string[];
  controls: { rate: number; minAccuracy: number; minControls: number } | null;
}

const NO_SETTINGS: BuildSettings = { seed: 0, classes: [], controls: null };

const buildInput = z.object({
  config: z.object({
    seed: z.number(),
    classes: z.array(z.string()),
    labeling: z.object({ controls: z.object({ rate: z.number(), minAccuracy: z.number(), minControls: z.number() }).optional() }),
  }),
});

/**
 * A build's settings, from its config as the build received it (the input in
 * the first event of its history: nothing to keep in sync with the build's
 * code). A workflow of another shape (a test's stand-in) has no controls.
 */
export async function buildSettings(client: Client, workflowId: string, namespace = 'default'): Promise<BuildSettings> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId }, maximumPageSize: 1 });
  const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const parsed = buildInput.safeParse(payload ? defaultPayloadConverter.fromPayload(payload) : undefined);
  if (!parsed.success) return NO_SETTINGS;
  const { seed, classes, labeling } = parsed.data.config;
  return { seed, classes, controls: labeling.controls ?? null };
}

/** Plans the display lists of tasks, once per page (the same page always shows the same list). */
export class TaskPlanner {
  private readonly labels = new Map<string, Promise<Int32Array>>();
  private readonly plans = new Map<string, Promise<DisplayItem[]>>();

  constructor(private readonly store: ArtifactStore) {}

  /** Whether a page of this build gets controls: round 1, controls in the config, a class CIFAR-10 knows. */
  static hasControls(settings: BuildSettings, page: { round: number; className: string }): boolean {
    return page.round === 1 && !!settings.controls && settings.controls.rate > 0 && settings.classes.includes(page.className);
  }

  /** How many images a page of `count` candidates shows (the task list's count). */
  static shown(settings: BuildSettings, page: { round: number; className: string; count: number }): number {
    return page.count + (TaskPlanner.hasControls(settings, page) && page.count > 0 ? controlCount(page.count, settings.controls!.rate) : 0);
  }

  /**
   * The images `page` shows, in display order: its candidates in page order,
   * and in round 1, with controls, CIFAR-10 images of its class (the right
   * answer: accept; never the reference images shown beside the grid) and of
   * other classes (reject) at places drawn from the build's seed and the page.
   */
  items(settings: BuildSettings, page: LabelPage, index: PagesIndex): Promise<DisplayItem[]> {
    if (!TaskPlanner.hasControls(settings, page)) {
      return Promise.resolve(page.offered.map((_, position) => ({ kind: 'candidate', position })));
    }
    const key = JSON.stringify([index.cifarImages.path, settings.seed, settings.controls!.rate, page.id, page.digest]);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.plan(settings, page, index);
      this.plans.set(key, plan);
      plan.catch(() => this.plans.delete(key));
    }
    return plan;
  }

  private async plan(settings: BuildSettings, page: LabelPage, index: PagesIndex): Promise<DisplayItem[]> {
    const labels = await this.cifarLabels(index);
    const cls = settings.classes.indexOf(page.className);
    const references = new Set(page.references);
    const positives: number[] = [];
    const negatives: number[] = [];
    labels.forEach((label, row) => {
      if (label === cls) {
        if (!references.has(row)) positives.push(row);
      } else if (label >= 0) {
        negatives.push(row);
      }
    });
    return planControls({ pageId: page.id, seed: settings.seed, candidates: page.offered.length, rate: settings.controls!.rate, positives, negatives });
  }

  /** The CIFAR-10 labels beside the images the pages' references index (the extract stage writes both). */
  private cifarLabels(index: PagesIndex): Promise<Int32Array> {
    const file = index.cifarImages.path.replace(/[^/]+$/, 'cifar10_labels.npy');
    let labels = this.labels.get(file);
    if (!labels) {
      labels = readNpy(this.store.resolve(file)).then((arr) => Int32Array.from(arr.data as ArrayLike<number>));
      this.labels.set(file, labels);
      labels.catch(() => this.labels.delete(file));
    }
    return labels;
  }
}

/** A PNG of a task's images in display order, `columns` to a row: controls look like any other image. */
export async function taskSheet(
  images: ImageSource,
  task: { page: LabelPage; index: PagesIndex; items: readonly DisplayItem[] },
  opts: { columns: number; scale: number },
): Promise<Buffer> {
  const { page, index, items } = task;
  const candidates = await images.array(index.images.path);
  const tiles = new Array<Uint8Array>(items.length);
  const candidateAt: number[] = [];
  const controlAt: number[] = [];
  items.forEach((item, i) => (item.kind === 'candidate' ? candidateAt : controlAt).push(i));
  const candidatePixels = await candidates.rows(candidateAt.map((i) => page.rows[(items[i] as { position: number }).position]));
  candidateAt.forEach((i, k) => (tiles[i] = candidatePixels[k]));
  if (controlAt.length) {
    const cifar = await images.array(index.cifarImages.path);
    const controlPixels = await cifar.rows(controlAt.map((i) => (items[i] as { cifarRow: number }).cifarRow));
    controlAt.forEach((i, k) => (tiles[i] = controlPixels[k]));
  }
  return contactSheet(tiles.length ? tiles : [], candidates, { columns: opts.columns, scale: opts.scale, compressionLevel: 3 });
}
