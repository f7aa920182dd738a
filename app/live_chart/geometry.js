// The decision geometry of the angular-margin family in the plane, in the browser: the same
// algorithms as lsoftmax/geometry.py, lsoftmax/margin.py and lsoftmax/margins.py (the Python
// library is the reference; a browser test compares the two on hundreds of random configurations
// for every member). Pure functions, no DOM.
//
// Angles are radians, counter-clockwise from the x axis. A class vector is {angle, norm}.
// A member is {name, ...params} in the library's units (radians, cosine units), name a key of
// TARGETS (lsoftmax.margins.MEMBERS); a plain number m means {name: "LSoftmax", m}.
export const TWO_PI = 2 * Math.PI;
const MAX_GRID_POINTS = 1 << 16;
const MIN_SPLIT_WIDTH = 1e-10;

// T_m(c) by the three-term recurrence (eq 7 without the binomial sum).
export function chebyshev(c, m) {
  let previous = 1;
  let current = c;
  if (m === 0) return previous;
  for (let i = 1; i < m; i += 1) {
    const next = 2 * c * current - previous;
    previous = current;
    current = next;
  }
  return current;
}

// psi (eq 6): (-1)^k cos(m theta) - 2k on segment k = floor(theta m / pi), theta in [0, pi].
export function psi(theta, m) {
  const k = Math.min(m - 1, Math.max(0, Math.floor(theta * (m / Math.PI))));
  const sign = k % 2 === 0 ? 1 : -1;
  return sign * chebyshev(Math.cos(theta), m) - 2 * k;
}

// The lambda-blended target of the paper's code: (lam cos + psi) / (1 + lam).
export function blendedPsi(theta, m, lam) {
  return (lam * Math.cos(theta) + psi(theta, m)) / (1 + lam);
}

// psi as a function of c = cos(theta): the segment k from a table of cos(j pi / m) (c <= cos(j pi/m)
// exactly when theta >= j pi/m), then (-1)^k T_m(c) - 2k. No trigonometry per class and direction.
function psiFromCos(m) {
  const table = Array.from({ length: m }, (_, j) => Math.cos((j * Math.PI) / m));
  return (c) => {
    let k = 0;
    while (k + 1 < m && c <= table[k + 1]) k += 1;
    return (k % 2 === 0 ? 1 : -1) * chebyshev(c, m) - 2 * k;
  };
}

// Target transforms of the target logit, one entry per member of lsoftmax.margins:
// fromCos(p) -> (c -> t) with c = cos(theta); lipschitz(p) bounds |dt/dtheta| (to isolate roots);
// breakpoints(p): angles in (0, pi) where t or its slope jumps; normalised: W is normalised, so
// the norms |W_j| drop out of the criterion (margin-family.md section 2). p holds the member's
// parameters; s never appears: it scales every logit of a normalised member alike and cancels.
function psiBreakpoints(p) {
  return Array.from({ length: p.m - 1 }, (_, k) => ((k + 1) * Math.PI) / p.m);
}

// ArcFace: cos(theta + m) while theta <= pi - m, else cos(theta) - m sin(m) (the official branch).
function arcFaceFromCos(p) {
  const cosM = Math.cos(p.m);
  const sinM = Math.sin(p.m);
  return (c) => (c >= -cosM ? c * cosM - Math.sqrt(Math.max(0, 1 - c * c)) * sinM : c - p.m * sinM);
}

function combinedTurn(p) {
  return (Math.PI - p.m2) / p.m1;
}

// Combined margin: cos(m1 theta + m2) - m3, continued past the turn as the library does.
function combinedFromCos(p) {
  const turn = combinedTurn(p);
  const offset = turn < Math.PI ? -Math.cos(turn) - 1 - p.m3 : 0;
  return (c) => {
    const angle = p.m1 * Math.acos(c) + p.m2;
    return angle <= Math.PI ? Math.cos(angle) - p.m3 : c + offset;
  };
}

const NO_BREAKS = () => [];
const LSOFTMAX = { fromCos: (p) => psiFromCos(p.m), lipschitz: (p) => p.m, breakpoints: psiBreakpoints, normalised: false };
export const TARGETS = {
  LSoftmax: LSOFTMAX,
  SphereFace: { ...LSOFTMAX, normalised: true },
  CosFace: { fromCos: (p) => (c) => c - p.m, lipschitz: () => 1, breakpoints: NO_BREAKS, normalised: true },
  ArcFace: { fromCos: arcFaceFromCos, lipschitz: () => 1, breakpoints: (p) => (p.m > 0 ? [Math.PI - p.m] : []), normalised: true },
  CombinedMargin: {
    fromCos: combinedFromCos,
    lipschitz: (p) => Math.max(p.m1, 1),
    breakpoints: (p) => (combinedTurn(p) < Math.PI ? [combinedTurn(p)] : []),
    normalised: true,
  },
};

// A member as {name, ...params}; a number m is L-Softmax(m) (lsoftmax.margins.as_margin).
export function asMember(margin) {
  const member = typeof margin === "number" ? { name: "LSoftmax", m: margin } : margin;
  if (!TARGETS[member.name]) throw new Error(`unknown margin member ${member.name}`);
  return member;
}

// t(theta) of a member, theta in [0, pi] (Margin.target).
export function memberTarget(margin, theta) {
  const member = asMember(margin);
  return TARGETS[member.name].fromCos(member)(Math.cos(theta));
}

export function angleBetween(phi, direction) {
  let difference = (phi - direction) % TWO_PI;
  if (difference < 0) difference += TWO_PI;
  return Math.min(difference, TWO_PI - difference);
}

function mod2pi(angle) {
  const value = angle % TWO_PI;
  return value < 0 ? value + TWO_PI : value;
}

// slack(phi, out): for every class j at direction phi,
// scale_j t(theta_j) - max over i != j of scale_i cos(theta_i) (lsoftmax.geometry.criterion_slack),
// scale_j = |W_j| for L-Softmax, 1 for the members that normalise W.
function slackFunction(vectors, member) {
  const K = vectors.length;
  const cosines = vectors.map(({ direction }) => Math.cos(direction));
  const sines = vectors.map(({ direction }) => Math.sin(direction));
  const norms = vectors.map(({ scale }) => scale);
  const t = TARGETS[member.name].fromCos(member);
  const c = new Float64Array(K);
  return (phi, out = new Float64Array(K)) => {
    const cosPhi = Math.cos(phi);
    const sinPhi = Math.sin(phi);
    let top = -Infinity;
    let second = -Infinity;
    let topIndex = -1;
    for (let j = 0; j < K; j += 1) {
      c[j] = Math.min(1, Math.max(-1, cosPhi * cosines[j] + sinPhi * sines[j]));
      const value = norms[j] * c[j];
      if (value > top) {
        second = top;
        top = value;
        topIndex = j;
      } else if (value > second) second = value;
    }
    for (let j = 0; j < K; j += 1) out[j] = norms[j] * t(c[j]) - (j === topIndex ? second : top);
    return out;
  };
}

// Each class's direction and the factor of its logit that survives |x| (Margin.class_scales).
function prepared(weights, member) {
  const normalised = TARGETS[member.name].normalised;
  return weights.map(({ angle, norm }) => ({ direction: mod2pi(angle), scale: normalised ? 1 : norm }));
}

function lipschitzBounds(vectors, member) {
  const bound = TARGETS[member.name].lipschitz(member);
  return vectors.map((vector, j) => {
    let rival = 0;
    vectors.forEach((other, i) => {
      if (i !== j) rival = Math.max(rival, other.scale);
    });
    return vector.scale * bound + rival;
  });
}

// A fine grid plus, around every W_j, where theta turns round (0, pi) and the member's breakpoints.
function initialGrid(vectors, member) {
  const breaks = TARGETS[member.name].breakpoints(member);
  const offsets = [0, Math.PI, ...breaks, ...breaks.map((angle) => -angle)];
  const points = [];
  for (let i = 0; i < 1025; i += 1) points.push(i === 1024 ? TWO_PI : (TWO_PI / 1024) * i);
  for (const { direction } of vectors) {
    for (const offset of offsets) points.push(mod2pi(direction + offset));
  }
  points.push(TWO_PI);
  points.sort((a, b) => a - b);
  return points.filter((value, index) => index === 0 || value !== points[index - 1]);
}

// Refine the grid until every interval changes sign or provably holds no root of any class.
function isolate(slack, bounds, grid) {
  const K = bounds.length;
  let values = grid.map((phi) => slack(phi));
  for (let round = 0; round < 40; round += 1) {
    const split = [];
    for (let p = 0; p + 1 < grid.length; p += 1) {
      const width = grid[p + 1] - grid[p];
      if (!(width > MIN_SPLIT_WIDTH)) continue;
      for (let j = 0; j < K; j += 1) {
        const a = values[p][j];
        const b = values[p + 1][j];
        if (a > 0 === b > 0 && Math.abs(a) + Math.abs(b) <= bounds[j] * width) {
          split.push(p);
          break;
        }
      }
    }
    if (!split.length || grid.length + split.length > MAX_GRID_POINTS) break;
    const nextGrid = [];
    const nextValues = [];
    let s = 0;
    for (let p = 0; p < grid.length; p += 1) {
      nextGrid.push(grid[p]);
      nextValues.push(values[p]);
      if (s < split.length && split[s] === p) {
        const middle = 0.5 * (grid[p] + grid[p + 1]);
        nextGrid.push(middle);
        nextValues.push(slack(middle));
        s += 1;
      }
    }
    grid = nextGrid;
    values = nextValues;
  }
  return { grid, values };
}

function bisect(f, low, high, iterations) {
  let fLow = f(low);
  for (let i = 0; i < iterations; i += 1) {
    const middle = 0.5 * (low + high);
    const fMiddle = f(middle);
    if (fMiddle > 0 === fLow > 0) {
      low = middle;
      fLow = fMiddle;
    } else high = middle;
  }
  return 0.5 * (low + high);
}

// Class j's arcs from its sign on the grid and its sign changes (in order).
function arcsFromEdges(positive, edges, rising) {
  if (positive.every(Boolean)) return [[0, TWO_PI]];
  if (!positive.some(Boolean)) return [];
  const starts = edges.filter((_, i) => rising[i]);
  let ends = edges.filter((_, i) => !rising[i]);
  if (positive[0]) {
    ends = ends.slice(1).concat([ends[0] + TWO_PI]);
  }
  return starts.map((start, i) => {
    const begin = mod2pi(start);
    return [begin, begin + (ends[i] - start)];
  });
}

// For each class, the arcs [start, end] of directions where its criterion holds
// (0 <= start < 2 pi, start < end <= start + 2 pi): lsoftmax.geometry.feasible_arcs.
// margin: a member {name, ...params} or an integer m (L-Softmax).
export function feasibleArcs(weights, margin) {
  const member = asMember(margin);
  const vectors = prepared(weights, member);
  const K = vectors.length;
  const slack = slackFunction(vectors, member);
  const { grid, values } = isolate(slack, lipschitzBounds(vectors, member), initialGrid(vectors, member));
  const last = grid.length - 1;
  const arcs = [];
  for (let j = 0; j < K; j += 1) {
    const positive = values.map((row) => row[j] > 0);
    positive[last] = positive[0];
    const edges = [];
    const rising = [];
    const scratch = new Float64Array(K);
    const f = (phi) => slack(phi, scratch)[j];
    for (let p = 0; p < last; p += 1) {
      if (positive[p] !== positive[p + 1]) {
        edges.push(bisect(f, grid[p], grid[p + 1], 60));
        rising.push(!positive[p]);
      }
    }
    arcs.push(arcsFromEdges(positive, edges, rising));
  }
  return arcs;
}

// The gaps no class claims between consecutive arcs around the circle: lsoftmax.geometry.margin_gaps.
export function marginGaps(arcs) {
  const owned = [];
  arcs.forEach((classArcs, j) => classArcs.forEach(([start, end]) => owned.push([start, end, j])));
  owned.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  return owned.map(([, end, owner], index) => {
    let [nextStart, , nextOwner] = owned[(index + 1) % owned.length];
    if (index + 1 === owned.length) nextStart += TWO_PI;
    const width = Math.max(0, nextStart - end);
    const start = mod2pi(end);
    return { before: owner, after: nextOwner, start, end: start + (width > 1e-9 ? width : 0) };
  });
}

// Directions of the member's plain softmax boundaries: where the m = 1 arcs start, with the
// norms set to 1 when the member normalises W (its plain rule compares cosines alone).
export function softmaxRays(weights, margin = 1) {
  const normalised = TARGETS[asMember(margin).name].normalised;
  return feasibleArcs(normalised ? weights.map(({ angle }) => ({ angle, norm: 1 })) : weights, 1)
    .flatMap((classArcs) => classArcs.map(([start]) => start))
    .sort((a, b) => a - b);
}

function wedgeRoot(f, theta12) {
  const fLow = f(0);
  const fHigh = f(theta12);
  if (fLow < 0 || fHigh > 0) return null;
  if (fLow === 0) return 0;
  if (fHigh === 0) return theta12;
  return bisect(f, 0, theta12, 80);
}

// Two classes at angle theta12: boundary angles from W1 towards W2 (null outside the wedge) and
// the margin between them: lsoftmax.geometry.binary_boundaries (scales as in prepared).
export function binaryBoundaries(norm1, norm2, theta12, chosen) {
  const member = asMember(chosen);
  const fromCos = TARGETS[member.name].fromCos(member);
  const t = (theta) => fromCos(Math.cos(theta));
  if (TARGETS[member.name].normalised) norm1 = norm2 = 1;
  const class1 = wedgeRoot((phi) => norm1 * t(phi) - norm2 * Math.cos(theta12 - phi), theta12);
  const class2Flipped = wedgeRoot((phi) => -(norm1 * Math.cos(theta12 - phi) - norm2 * t(phi)), theta12);
  const class2 = class2Flipped === null ? null : theta12 - class2Flipped;
  let softmax = Math.atan2(norm1 - norm2 * Math.cos(theta12), norm2 * Math.sin(theta12));
  if (!(softmax >= 0 && softmax <= theta12)) softmax = null;
  let margin = null;
  if (!(class1 === null && class2 === null) && class2 !== null) {
    margin = Math.max(0, class2 - (class1 === null ? 0 : class1));
  }
  return { class1, class2, softmax, margin };
}

// P(class 1) at each point of a square grid (rows along y), K = 2, lambda = 0:
// m = 1 the softmax probability, else the L-Softmax probability with class 1 as the label.
export function class1Field(weights, m, axis) {
  const [w1, w2] = weights.map(({ angle, norm }) => [norm * Math.cos(angle), norm * Math.sin(angle)]);
  const norm1 = weights[0].norm;
  const rows = [];
  for (const y of axis) {
    const row = new Float64Array(axis.length);
    axis.forEach((x, c) => {
      const plain1 = w1[0] * x + w1[1] * y;
      const plain2 = w2[0] * x + w2[1] * y;
      let target = plain1;
      const scale = norm1 * Math.hypot(x, y);
      if (m > 1) {
        const cosine = scale > 0 ? Math.min(1, Math.max(-1, plain1 / scale)) : 0;
        target = scale * psi(Math.acos(cosine), m);
      }
      const d = plain2 - target;  // P = 1 / (1 + e^d), stable for either sign
      row[c] = d > 0 ? Math.exp(-d) / (1 + Math.exp(-d)) : 1 / (1 + Math.exp(d));
    });
    rows.push(row);
  }
  return rows;
}
