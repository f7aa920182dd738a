// Label placement without overlaps, in the browser: the same greedy routine as
// app/figures/labels.py (a browser test checks they agree). Boxes are [left, bottom, right, top].

const DISTANCES = [0];
for (let k = 1; k < 16; k += 1) DISTANCES.push(k, -k);
const SIDEWAYS = [0, 1, -1, 2, -2];

function inside(box, bounds) {
  return !bounds || (box[0] >= bounds[0] && box[1] >= bounds[1] && box[2] <= bounds[2] && box[3] <= bounds[3]);
}

export function boxOf(x, y, width, height) {
  return [x - width / 2, y - height / 2, x + width / 2, y + height / 2];
}

export function overlaps(a, b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

// labels: {x, y, width, height, direction: [dx, dy]}; returns [x, y] centres, in order.
export function placeLabels(labels, obstacles = [], step = null, bounds = null) {
  if (step === null) step = 0.5 * Math.max(1e-300, ...labels.map((label) => label.height));
  const taken = obstacles.slice();
  return labels.map((label) => {
    const length = Math.hypot(...label.direction) || 1;
    const dx = label.direction[0] / length;
    const dy = label.direction[1] / length;
    let spot = [label.x, label.y];
    search: for (const outward of DISTANCES) {
      for (const side of SIDEWAYS) {
        const x = label.x + step * (outward * dx - side * dy);
        const y = label.y + step * (outward * dy + side * dx);
        const box = boxOf(x, y, label.width, label.height);
        if (inside(box, bounds) && !taken.some((other) => overlaps(box, other))) {
          spot = [x, y];
          break search;
        }
      }
    }
    taken.push(boxOf(spot[0], spot[1], label.width, label.height));
    return spot;
  });
}

// Estimated [width, height] in plot units of a one-line label (tags such as <sub> not counted).
export function textSize(text, fontPx, unitsPerPx) {
  const visible = Array.from(String(text).replace(/<[^>]*>/g, "")).length;
  return [(0.62 * fontPx * visible + 6) * unitsPerPx, 1.35 * fontPx * unitsPerPx];
}
