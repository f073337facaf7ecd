import { type ClassKeyword, DEMO_DESIGN, type DemoClass, type DemoKeyword } from './design';

type RGB = readonly [number, number, number];
type Paint = 'body' | 'accent' | RGB;
/** [ellipse | rectangle | triangle (apex up, down when h < 0), centre x, centre y, half width, half height, paint], in object units. */
type Part = readonly ['e' | 'r' | 't', number, number, number, number, Paint];

/** What a keyword's pictures look like: a two-band background and an object drawn from parts. */
export interface Look {
  sky: readonly [RGB, RGB];
  ground: readonly [RGB, RGB];
  /** Row where the ground starts (32: no ground). */
  horizon: number;
  /** Object centre (column, row) and pixels per object unit, before jitter. */
  at: readonly [number, number];
  size: number;
  parts: readonly Part[];
  body: RGB;
  accent: RGB;
}

export interface Rng {
  (): number;
  /** Uniform in [-d, d]. */
  jitter(d: number): number;
}

const DARK: RGB = [30, 30, 35];
const LIGHT: RGB = [240, 240, 236];
const GLASS: RGB = [165, 200, 230];
const SKY: Look['sky'] = [[100, 150, 215], [200, 222, 240]];

type Base = Omit<Look, 'body' | 'accent'>;
type Variant = { body: RGB; accent: RGB; extra?: readonly Part[]; size?: number };

const legs = (y: number, h: number, xs: number[], w = 0.07): Part[] => xs.map((x) => ['r', x, y, w, h, 'body'] as const);

const BASES: Record<DemoClass, Base> = {
  airplane: {
    sky: SKY, ground: [LIGHT, LIGHT], horizon: 32, at: [16, 15], size: 11,
    parts: [['e', 0, 0, 1.1, 0.16, 'body'], ['e', 0.05, 0, 0.22, 0.95, 'body'], ['e', -0.95, 0, 0.1, 0.38, 'body'], ['e', 0, 0, 0.95, 0.05, 'accent'], ['e', 0.85, 0, 0.12, 0.07, DARK]],
  },
  automobile: {
    sky: [[150, 190, 230], [215, 225, 238]], ground: [[95, 95, 100], [60, 60, 66]], horizon: 19, at: [16, 19], size: 10,
    parts: [['r', 0, 0.1, 1.05, 0.27, 'body'], ['r', -0.05, -0.32, 0.55, 0.2, 'body'], ['r', -0.05, -0.3, 0.45, 0.13, GLASS], ['e', -0.62, 0.42, 0.24, 0.24, DARK], ['e', 0.62, 0.42, 0.24, 0.24, DARK], ['e', 1.0, 0.0, 0.07, 0.07, [250, 240, 170]]],
  },
  bird: {
    sky: [[120, 170, 220], [205, 222, 235]], ground: [[95, 120, 55], [60, 85, 35]], horizon: 25, at: [15, 16], size: 10,
    parts: [['e', 0, 0, 0.7, 0.45, 'body'], ['e', -0.75, 0.12, 0.35, 0.1, 'accent'], ['e', -0.1, -0.05, 0.45, 0.25, 'accent'], ['e', 0.6, -0.42, 0.33, 0.3, 'body'], ['e', 0.96, -0.38, 0.16, 0.07, [235, 170, 40]], ['e', 0.7, -0.48, 0.07, 0.07, DARK], ...legs(0.6, 0.16, [-0.1, 0.15], 0.03)],
  },
  cat: {
    sky: [[205, 185, 150], [180, 160, 130]], ground: [[130, 95, 60], [100, 70, 45]], horizon: 24, at: [16, 17], size: 10,
    parts: [['e', 0, 0.45, 0.62, 0.55, 'body'], ['t', -0.3, -0.85, 0.16, 0.22, 'body'], ['t', 0.3, -0.85, 0.16, 0.22, 'body'], ['e', 0, -0.42, 0.46, 0.4, 'body'], ['e', -0.17, -0.5, 0.09, 0.07, 'accent'], ['e', 0.17, -0.5, 0.09, 0.07, 'accent'], ['e', 0, -0.32, 0.06, 0.04, [225, 130, 135]]],
  },
  deer: {
    sky: [[130, 165, 115], [90, 125, 75]], ground: [[115, 95, 55], [80, 65, 40]], horizon: 22, at: [15, 16], size: 10,
    parts: [['e', 0, 0, 0.75, 0.33, 'body'], ...legs(0.55, 0.38, [-0.55, -0.35, 0.35, 0.55], 0.06), ['e', 0.6, -0.4, 0.13, 0.38, 'body'], ['e', 0.78, -0.76, 0.26, 0.14, 'body'], ['e', 0, 0.15, 0.5, 0.13, 'accent'], ['e', 0.6, -0.98, 0.05, 0.1, DARK]],
  },
  dog: {
    sky: [[150, 200, 235], [205, 226, 240]], ground: [[80, 150, 60], [55, 115, 40]], horizon: 17, at: [15, 17], size: 10,
    parts: [['e', 0, 0, 0.7, 0.32, 'body'], ...legs(0.45, 0.32, [-0.5, -0.3, 0.35, 0.55], 0.08), ['r', -0.8, -0.2, 0.22, 0.05, 'body'], ['e', 0.75, -0.42, 0.3, 0.26, 'body'], ['e', 1.0, -0.34, 0.17, 0.1, 'body'], ['e', 0.62, -0.35, 0.1, 0.24, 'accent'], ['e', 1.14, -0.36, 0.05, 0.05, DARK]],
  },
  frog: {
    sky: [[60, 125, 115], [35, 90, 90]], ground: [[35, 90, 90], [35, 90, 90]], horizon: 32, at: [16, 16], size: 10,
    parts: [['e', -0.7, 0.45, 0.32, 0.16, 'body'], ['e', 0.7, 0.45, 0.32, 0.16, 'body'], ['e', 0, 0.1, 0.75, 0.55, 'body'], ['e', 0, -0.4, 0.5, 0.35, 'body'], ['e', -0.32, -0.66, 0.15, 0.15, 'accent'], ['e', 0.32, -0.66, 0.15, 0.15, 'accent'], ['e', -0.32, -0.66, 0.06, 0.06, DARK], ['e', 0.32, -0.66, 0.06, 0.06, DARK]],
  },
  horse: {
    sky: [[140, 180, 225], [210, 220, 235]], ground: [[125, 160, 70], [90, 125, 50]], horizon: 19, at: [15, 16], size: 10,
    parts: [['e', -0.9, 0.1, 0.1, 0.38, 'accent'], ['e', 0, 0, 0.8, 0.35, 'body'], ...legs(0.62, 0.42, [-0.6, -0.4, 0.4, 0.6]), ['e', 0.62, -0.45, 0.16, 0.42, 'body'], ['e', 0.88, -0.78, 0.32, 0.13, 'body'], ['e', 0.5, -0.52, 0.08, 0.36, 'accent']],
  },
  ship: {
    sky: [[150, 190, 230], [212, 225, 240]], ground: [[45, 85, 155], [20, 50, 110]], horizon: 19, at: [16, 17], size: 11,
    parts: [['r', 0, 0.1, 1.1, 0.2, 'body'], ['t', 1.1, 0.1, 0.15, -0.2, 'body'], ['r', -0.45, -0.26, 0.3, 0.17, 'accent'], ['r', -0.45, -0.55, 0.08, 0.14, DARK]],
  },
  truck: {
    sky: [[160, 190, 220], [212, 220, 235]], ground: [[88, 88, 92], [60, 60, 64]], horizon: 19, at: [16, 17], size: 10,
    parts: [['r', -0.25, -0.15, 0.78, 0.42, 'accent'], ['r', 0.78, 0, 0.28, 0.3, 'body'], ['r', 0.85, -0.12, 0.16, 0.11, GLASS], ['e', -0.65, 0.36, 0.18, 0.18, DARK], ['e', 0.05, 0.36, 0.18, 0.18, DARK], ['e', 0.78, 0.36, 0.18, 0.18, DARK]],
  },
};

const spots = (paint: Paint, at: [number, number][], r = 0.09): Part[] => at.map(([x, y]) => ['e', x, y, r, r, paint] as const);

const VARIANTS: Record<ClassKeyword, Variant> = {
  airliner: { body: [238, 238, 242], accent: [40, 80, 170] },
  jetliner: { body: [185, 192, 205], accent: [190, 40, 40] },
  biplane: { body: [200, 45, 40], accent: [235, 200, 60], extra: [['e', 0.4, 0, 0.16, 0.85, 'accent']], size: 9 },
  stealth_bomber: { body: [50, 52, 60], accent: [35, 35, 40], extra: [['t', 0.1, 0.05, 0.65, 1.0, 'body']] },
  jumbo_jet: { body: [240, 240, 240], accent: [200, 150, 40], size: 13 },
  fighter_aircraft: { body: [125, 135, 145], accent: [90, 95, 105], extra: [['t', -0.15, 0, 0.45, 0.85, 'accent']] },

  sedan: { body: [180, 30, 35], accent: GLASS },
  coupe: { body: [230, 190, 40], accent: GLASS, extra: [['r', 0.2, -0.3, 0.3, 0.16, GLASS]] },
  convertible: { body: [40, 80, 190], accent: GLASS, extra: [['r', -0.05, -0.34, 0.5, 0.16, [215, 200, 170]]] },
  station_wagon: { body: [40, 130, 70], accent: GLASS, extra: [['r', -0.35, -0.3, 0.6, 0.18, [40, 130, 70]]] },
  cruiser: { body: [235, 235, 235], accent: GLASS, extra: [['r', 0, 0.1, 0.35, 0.27, DARK], ['r', -0.05, -0.55, 0.14, 0.05, [220, 40, 40]]] },
  hatchback: { body: [230, 120, 30], accent: GLASS, size: 9 },

  sparrow: { body: [145, 105, 65], accent: [90, 62, 38] },
  house_finch: { body: [200, 90, 70], accent: [120, 95, 75] },
  robin: { body: [110, 92, 75], accent: [70, 60, 50], extra: [['e', 0.35, 0.05, 0.3, 0.3, [215, 95, 40]]] },
  cardinal: { body: [205, 30, 30], accent: [140, 20, 25], extra: [['t', 0.55, -0.75, 0.12, 0.2, [205, 30, 30]]] },
  bluebird: { body: [60, 110, 215], accent: [40, 70, 150], extra: [['e', 0.35, 0.1, 0.3, 0.25, [225, 140, 70]]] },
  ostrich: { body: [40, 35, 35], accent: [235, 230, 225], extra: [['r', 0.6, -0.7, 0.07, 0.5, [210, 170, 150]]], size: 12 },

  tabby_cat: { body: [220, 140, 60], accent: [90, 170, 60] },
  kitten: { body: [150, 150, 158], accent: [70, 150, 190], size: 8 },
  house_cat: { body: [40, 40, 45], accent: [230, 200, 40] },
  tomcat: { body: [120, 85, 55], accent: [180, 170, 60], size: 11 },
  siamese_cat: { body: [228, 212, 182], accent: [60, 120, 220], extra: [['e', 0, -0.38, 0.24, 0.2, [95, 70, 55]]] },
  persian_cat: { body: [238, 236, 230], accent: [200, 120, 50], size: 12 },

  fallow_deer: { body: [175, 115, 60], accent: [240, 230, 210], extra: spots([240, 230, 210], [[-0.4, -0.15], [-0.1, -0.2], [0.2, -0.15], [-0.25, 0.05]], 0.07) },
  roe_deer: { body: [150, 90, 50], accent: [200, 170, 140] },
  red_deer: { body: [140, 70, 40], accent: [190, 150, 110], extra: [['r', 0.62, -1.08, 0.03, 0.18, [90, 70, 50]], ['r', 0.85, -1.08, 0.03, 0.18, [90, 70, 50]]] },
  white_tailed_deer: { body: [165, 125, 85], accent: [245, 245, 240], extra: [['e', -0.78, -0.1, 0.12, 0.12, [245, 245, 240]]] },
  elk: { body: [110, 75, 45], accent: [80, 55, 35], extra: [['t', 0.72, -1.15, 0.35, 0.2, [120, 100, 75]]], size: 12 },
  mule_deer: { body: [130, 112, 92], accent: [215, 205, 190], extra: [['e', 0.62, -0.95, 0.16, 0.08, [130, 112, 92]]] },

  golden_retriever: { body: [215, 165, 75], accent: [185, 125, 50] },
  beagle: { body: [180, 120, 60], accent: [60, 45, 35], extra: [['e', -0.1, -0.12, 0.45, 0.18, [60, 45, 35]], ['e', 0, 0.2, 0.5, 0.1, LIGHT]] },
  dalmatian: { body: [242, 242, 242], accent: DARK, extra: spots(DARK, [[-0.4, -0.1], [-0.05, 0.1], [0.25, -0.12], [-0.3, 0.15], [0.8, -0.5]]) },
  german_shepherd: { body: [175, 120, 60], accent: [40, 32, 28], extra: [['e', -0.05, -0.15, 0.55, 0.18, [40, 32, 28]]] },
  poodle: { body: [250, 248, 245], accent: [220, 215, 210], extra: spots([225, 222, 218], [[-0.3, -0.2], [0.2, -0.2], [0.75, -0.65]], 0.15), size: 9 },
  pug: { body: [215, 185, 135], accent: [50, 40, 35], extra: [['e', 1.0, -0.34, 0.17, 0.12, [50, 40, 35]]], size: 8 },

  bullfrog: { body: [95, 125, 50], accent: [200, 190, 90] },
  tree_frog: { body: [80, 205, 60], accent: [225, 40, 30] },
  green_frog: { body: [55, 160, 65], accent: [190, 170, 60], size: 9 },
  toad: { body: [135, 112, 72], accent: [170, 140, 60], extra: spots([105, 85, 55], [[-0.35, 0], [0.3, 0.15], [0, 0.35], [-0.1, -0.15]], 0.08) },
  leopard_frog: { body: [115, 165, 85], accent: [210, 200, 100], extra: spots([40, 70, 40], [[-0.35, 0.05], [0.3, 0.1], [0, 0.4], [-0.15, -0.2], [0.35, -0.25]], 0.11) },
  wood_frog: { body: [155, 112, 72], accent: [60, 45, 35], extra: [['e', 0, -0.5, 0.45, 0.08, [60, 45, 35]]] },

  stallion: { body: [90, 55, 30], accent: [25, 20, 18] },
  mare: { body: [155, 95, 52], accent: [70, 45, 30] },
  racehorse: { body: [60, 40, 25], accent: [20, 18, 16], extra: [['r', 0, -0.15, 0.25, 0.2, [240, 240, 240]]] },
  pony: { body: [185, 145, 105], accent: [90, 70, 55], size: 8 },
  palomino: { body: [222, 182, 102], accent: [245, 240, 222] },
  arabian_horse: { body: [222, 222, 222], accent: [150, 150, 155], size: 9 },

  container_ship: { body: [55, 58, 70], accent: [240, 240, 240], extra: [['r', 0.1, -0.2, 0.12, 0.12, [200, 50, 40]], ['r', 0.37, -0.2, 0.12, 0.12, [40, 110, 190]], ['r', 0.64, -0.2, 0.12, 0.12, [230, 170, 40]]] },
  cargo_ship: { body: [125, 40, 40], accent: [230, 225, 215] },
  ocean_liner: { body: [245, 245, 245], accent: [245, 245, 245], extra: [['r', 0, -0.2, 0.8, 0.12, [245, 245, 245]], ['r', 0, 0.05, 0.9, 0.03, DARK]], size: 12 },
  tanker: { body: [150, 32, 32], accent: [235, 235, 235], extra: [['r', 0.2, -0.14, 0.6, 0.05, [70, 70, 75]]] },
  battleship: { body: [120, 126, 136], accent: [100, 106, 116], extra: [['r', 0.35, -0.2, 0.2, 0.12, [100, 106, 116]], ['r', 0.65, -0.25, 0.25, 0.03, DARK]] },
  ferry: { body: [240, 240, 240], accent: [30, 90, 170], extra: [['r', 0, -0.05, 1.05, 0.05, [30, 90, 170]]], size: 9 },

  dump_truck: { body: [230, 180, 30], accent: [230, 180, 30], extra: [['t', -0.25, -0.45, 0.8, -0.15, [190, 150, 30]]] },
  fire_truck: { body: [205, 30, 30], accent: [205, 30, 30], extra: [['r', -0.25, -0.63, 0.72, 0.05, [220, 220, 220]]] },
  tractor_trailer: { body: [40, 80, 170], accent: [240, 240, 240] },
  pickup_truck: { body: [70, 95, 150], accent: [70, 95, 150], extra: [['r', -0.25, -0.42, 0.8, 0.16, SKY[1]]], size: 9 },
  garbage_truck: { body: [50, 135, 60], accent: [50, 135, 60], extra: [['r', -0.25, -0.1, 0.7, 0.05, [230, 230, 230]]] },
  tow_truck: { body: [235, 125, 30], accent: [60, 60, 65], extra: [['r', -0.5, -0.3, 0.5, 0.03, [60, 60, 65]], ['r', -1.0, -0.05, 0.03, 0.3, [60, 60, 65]]] },
};

const FILLER: Record<(typeof DEMO_DESIGN.fillerKeywords)[number], Look> = {
  sunset: { sky: [[240, 140, 60], [120, 55, 110]], ground: [[35, 22, 40], [20, 15, 25]], horizon: 24, at: [16, 20], size: 6, parts: [['e', 0, 0, 1, 1, 'body']], body: [255, 215, 120], accent: DARK },
  mountain: { sky: SKY, ground: [[90, 130, 60], [60, 95, 40]], horizon: 24, at: [16, 14], size: 10, parts: [['t', 0, 0, 1.3, 1, 'body'], ['t', 0, -0.65, 0.45, 0.35, 'accent']], body: [110, 110, 120], accent: [245, 245, 250] },
  text: { sky: [[242, 240, 232], [230, 228, 220]], ground: [LIGHT, LIGHT], horizon: 32, at: [16, 16], size: 11, parts: [-0.9, -0.55, -0.2, 0.15, 0.5, 0.85].map((y, i) => ['r', i % 2 ? -0.15 : 0, y, i % 2 ? 1.05 : 1.2, 0.07, 'body'] as const), body: [35, 35, 40], accent: DARK },
  forest: { sky: [[70, 120, 60], [40, 85, 35]], ground: [[70, 55, 35], [50, 40, 25]], horizon: 26, at: [16, 16], size: 10, parts: [['r', -1, 0.3, 0.08, 1, 'body'], ['r', 0, 0.3, 0.1, 1, 'body'], ['r', 1, 0.3, 0.08, 1, 'body'], ['e', -0.5, -0.6, 0.6, 0.5, 'accent'], ['e', 0.6, -0.7, 0.6, 0.5, 'accent']], body: [75, 50, 30], accent: [30, 100, 40] },
  beach: { sky: [[90, 160, 225], [180, 215, 240]], ground: [[225, 205, 155], [205, 180, 130]], horizon: 18, at: [16, 17], size: 10, parts: [['r', 0, 0, 2, 0.18, 'body'], ['e', 1, 0.9, 0.3, 0.12, 'accent']], body: [40, 120, 190], accent: [220, 60, 60] },
  snow: { sky: [[200, 205, 215], [225, 228, 235]], ground: [[245, 245, 250], [230, 232, 240]], horizon: 20, at: [16, 18], size: 8, parts: [['e', 0, 0.55, 0.55, 0.55, 'body'], ['e', 0, -0.35, 0.4, 0.4, 'body'], ['e', 0.1, -0.35, 0.12, 0.05, 'accent']], body: [250, 250, 252], accent: [235, 120, 40] },
  skyline: { sky: [[60, 70, 110], [150, 130, 150]], ground: [[40, 40, 45], [30, 30, 35]], horizon: 28, at: [16, 18], size: 10, parts: [['r', -1, 0.3, 0.3, 1, 'body'], ['r', -0.3, 0, 0.28, 1.3, 'accent'], ['r', 0.4, 0.4, 0.3, 0.9, 'body'], ['r', 1.05, 0.1, 0.25, 1.1, 'accent']], body: [70, 72, 85], accent: [100, 100, 115] },
  flower: { sky: [[70, 130, 60], [50, 105, 45]], ground: [[50, 105, 45], [50, 105, 45]], horizon: 32, at: [16, 16], size: 9, parts: [['e', -0.5, 0, 0.45, 0.3, 'body'], ['e', 0.5, 0, 0.45, 0.3, 'body'], ['e', 0, -0.5, 0.3, 0.45, 'body'], ['e', 0, 0.5, 0.3, 0.45, 'body'], ['e', 0, 0, 0.28, 0.28, 'accent']], body: [235, 110, 170], accent: [245, 210, 50] },
};

/** The look of every keyword of the demo corpus. */
export const LOOKS = Object.fromEntries([
  ...Object.entries(DEMO_DESIGN.keywords).flatMap(([cls, keywords]) =>
    keywords.map((keyword) => {
      const base = BASES[cls as DemoClass];
      const { extra = [], size = base.size, ...colours } = VARIANTS[keyword as ClassKeyword];
      return [keyword, { ...base, ...colours, size, parts: [...base.parts, ...extra] }];
    }),
  ),
  ...Object.entries(FILLER),
]) as Record<DemoKeyword, Look>;

/** The look of an off-topic candidate of class `c`: half show another class (which one is returned), half plain clutter. */
export function offTopicLook(c: number, rng: Rng): { look: Look; looksLike?: number } {
  if (rng() < 0.5) return { look: clutterLook(rng) };
  const other = (c + 1 + Math.floor(rng() * 9)) % 10;
  const keywords = DEMO_DESIGN.keywords[DEMO_DESIGN.classes[other]];
  return { look: LOOKS[keywords[Math.floor(rng() * keywords.length)]], looksLike: other };
}

/** A look of nothing in particular: random colours and shapes. */
export function clutterLook(rng: Rng): Look {
  const colour = (): RGB => [rng() * 255, rng() * 255, rng() * 255];
  const kinds = ['e', 'r', 't'] as const;
  const parts = Array.from({ length: 3 + Math.floor(rng() * 4) }, (): Part =>
    [kinds[Math.floor(rng() * 3)], rng.jitter(1), rng.jitter(1), 0.2 + rng() * 0.6, 0.2 + rng() * 0.6, colour()]);
  return { sky: [colour(), colour()], ground: [colour(), colour()], horizon: 10 + rng() * 22, at: [16, 16], size: 10, parts, body: colour(), accent: colour() };
}

const fold = (v: number): number => (v > 215 ? Math.max(40, 430 - v) : v < 40 ? Math.min(215, 80 - v) : v);

/**
 * Renders one 32×32 HWC picture of a look with random position, size, mirror,
 * colours, background texture, lighting and mild noise. The variation is wide
 * on purpose: distinct pictures must be far apart in L2, as real photos are.
 */
export function render(look: Look, rng: Rng): Uint8Array {
  // Colours move in brightness and hue, folded back into 40..215 so texture and noise stay visible (clipping would flatten them).
  const tint = (c: RGB, light: number, hue: number): RGB => {
    const l = rng.jitter(light);
    return [0, 1, 2].map((ch) => fold(c[ch] + l + rng.jitter(hue))) as unknown as RGB;
  };
  const shade = rng.jitter(65);
  const bg = (c: RGB): RGB => tint([c[0] + shade, c[1] + shade, c[2] + shade], 20, 30);
  const [sky0, sky1, ground0, ground1] = [bg(look.sky[0]), bg(look.sky[1]), bg(look.ground[0]), bg(look.ground[1])];
  const paints = { body: tint(look.body, 40, 20), accent: tint(look.accent, 40, 20) };
  const horizon = Math.round(look.horizon + (look.horizon < 32 ? rng.jitter(5) : 0));
  // Clouds, shade and ripples: soft waves of random direction, frequency, phase and strength, summed into one texture.
  const texture = new Float64Array(1024);
  const [waveX, waveY] = [new Float64Array(64), new Float64Array(64)];
  for (let k = 0; k < 4; k++) {
    const [angle, cycles, phase, amp] = [rng() * Math.PI * 2, 1.2 + rng() * 1.8, rng() * Math.PI * 2, 36 + rng() * 10];
    const fx = (Math.cos(angle) * cycles * 2 * Math.PI) / 32;
    const fy = (Math.sin(angle) * cycles * 2 * Math.PI) / 32;
    // amp·sin(fx·c + fy·r + phase) = sin(fx·c)·amp·cos(fy·r + phase) + cos(fx·c)·amp·sin(fy·r + phase)
    for (let i = 0; i < 32; i++) {
      waveX[i] = Math.sin(fx * i);
      waveX[i + 32] = Math.cos(fx * i);
      waveY[i] = amp * Math.cos(fy * i + phase);
      waveY[i + 32] = amp * Math.sin(fy * i + phase);
    }
    for (let p = 0; p < 1024; p++) texture[p] += waveX[p & 31] * waveY[p >> 5] + waveX[(p & 31) + 32] * waveY[(p >> 5) + 32];
  }
  const canvas = new Float64Array(3072);
  for (let p = 0; p < 1024; p++) {
    const r = p >> 5;
    const sky = r < horizon;
    const t = sky ? r / horizon : (r - horizon) / (32 - horizon);
    for (let ch = 0; ch < 3; ch++) canvas[p * 3 + ch] = (sky ? sky0[ch] * (1 - t) + sky1[ch] * t : ground0[ch] * (1 - t) + ground1[ch] * t) + texture[p];
  }

  const size = look.size * (0.75 + rng() * 0.55);
  const [cx, cy] = [look.at[0] + rng.jitter(6), look.at[1] + rng.jitter(5)];
  const flip = rng() < 0.5 ? -1 : 1;
  for (const [kind, x, y, w, h, paint] of look.parts) {
    const colour = typeof paint === 'string' ? paints[paint] : tint(paint, 15, 10);
    const [px, py, hw, hh] = [cx + flip * x * size, cy + y * size, w * size, h * size];
    for (let r = Math.max(0, Math.floor(py - Math.abs(hh))); r < Math.min(32, Math.ceil(py + Math.abs(hh))); r++) {
      for (let c = Math.max(0, Math.floor(px - hw)); c < Math.min(32, Math.ceil(px + hw)); c++) {
        const u = (c + 0.5 - px) / hw;
        const v = (r + 0.5 - py) / hh;
        const inside = kind === 'e' ? u * u + v * v <= 1 : kind === 'r' ? Math.abs(u) <= 1 && Math.abs(v) <= 1 : Math.abs(v) <= 1 && Math.abs(u) <= (v + 1) / 2;
        if (inside) for (let ch = 0; ch < 3; ch++) canvas[(r * 32 + c) * 3 + ch] = colour[ch];
      }
    }
  }

  // Mild noise in -7.5..7.5 from a xorshift seeded by `rng`: a seedrandom call per byte would dominate the corpus build.
  let state = Math.floor(rng() * 0xffffffff) | 1;
  const out = new Uint8ClampedArray(3072); // clamps to 0..255 and rounds
  for (let i = 0; i < 3072; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = canvas[i] + (state & 15) - 7.5;
  }
  return new Uint8Array(out.buffer);
}
