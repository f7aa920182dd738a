// From control values to the traces of a figure the server drew, in the browser, while a control
// moves: the same placement as app/figures/scenes.py and the same point lists as
// app/figures/geometry.py (trace roles are tagged with `meta` there), so the figure the server
// sends on release looks the same as the last one drawn here. Styles are never restated: every
// trace keeps the server's style and only its coordinates, texts and z change.
// Needs geometry.js and labels.js (concatenated before this file).

const DEG = Math.PI / 180;

export function formatG(value) {
  return String(Number(Number(value).toPrecision(6)));
}

function linspace(start, end, count) {
  if (count === 1) return [start];
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? end : start + ((end - start) * i) / (count - 1)));
}

function rayPoints(angles, reach) {
  const x = [];
  const y = [];
  for (const angle of angles) x.push(0, reach * Math.cos(angle), NaN), y.push(0, reach * Math.sin(angle), NaN);
  return { x, y };
}

function arcAngles(start, end, step) {
  return linspace(start, end, Math.max(2, Math.ceil((end - start) / step - 1e-9) + 1)); // arc_points
}

function wedgePoints(arcs, reach, step) {
  const x = [];
  const y = [];
  for (const [start, end] of arcs) {
    x.push(0);
    y.push(0);
    for (const angle of arcAngles(start, end, step)) x.push(reach * Math.cos(angle)), y.push(reach * Math.sin(angle));
    x.push(0, NaN);
    y.push(0, NaN);
  }
  return { x, y };
}

function markPoints(marks, step) {
  const x = [];
  const y = [];
  for (const mark of marks) {
    for (const angle of arcAngles(mark.start, mark.end, step)) {
      x.push(mark.radius * Math.cos(angle));
      y.push(mark.radius * Math.sin(angle));
    }
    x.push(NaN);
    y.push(NaN);
  }
  return { x, y };
}

// The member a chart's values choose: choices[values[picker]] (the spec of
// app.explorer_controls.MemberChoice) with each field's shown value times its factor (degrees to
// radians), and its label as MemberChoice.describe writes it.
export function memberOf(values, choices, picker) {
  const choice = choices[values[picker]];
  const member = { name: choice.name };
  const shown = choice.fields.map(([name, key, factor, unit]) => {
    member[name] = values[key] * factor;
    return `${name} = ${formatG(values[key])}${unit}`;
  });
  return { member, label: `${choice.label} ${shown.join(", ")}` };
}

// The chosen member's scene and, when values.vs names one, the compared member's arcs and gaps.
function planeScene(weights, values, constants, extra) {
  const { member, label } = memberOf(values, constants.members, "loss");
  const arcs = feasibleArcs(weights, member);
  const gaps = marginGaps(arcs);
  const scene = { weights, member, arcs, gaps, softmax: softmaxRays(weights, member), overlay: null, labels: [label] };
  if (values.vs && values.vs !== "none") {
    const other = memberOf(values, constants.overlays, "vs");
    const overlayArcs = feasibleArcs(weights, other.member);
    const overlayGaps = marginGaps(overlayArcs).filter((gap) => gap.end - gap.start > 1e-9);
    scene.overlay = { arcs: overlayArcs, gaps: overlayGaps };
    scene.labels.push(other.label);
  }
  return { ...scene, ...extra(scene) };
}

function memberTitle(scene) {
  return scene.overlay ? `${scene.labels[0]} vs ${scene.labels[1]}` : scene.labels[0];
}

// Two classes (binary_view): W1, W2 symmetric about the vertical axis, W1 on the right.
export function binaryScene(values, constants) {
  const half = (values.t12 * DEG) / 2;
  const first = Math.PI / 2 - half;
  const norm2 = values.lock ? values.n1 : values.n2;
  const weights = [
    { angle: first, norm: values.n1 },
    { angle: Math.PI / 2 + half, norm: norm2 },
  ];
  return planeScene(weights, values, constants, (scene) => {
    const { member } = scene;
    const boundaries = binaryBoundaries(values.n1, norm2, values.t12 * DEG, member);
    const marks = [{ start: first, end: first + 2 * half, radius: constants.theta12_radius, text: `θ<sub>12</sub> = ${formatG(values.t12)}°` }];
    if (boundaries.margin !== null && boundaries.margin > 1e-9) {
      const start = first + (boundaries.class1 || 0);
      const text = `margin ${(boundaries.margin / DEG).toFixed(1)}°`;
      marks.push({ start, end: start + boundaries.margin, radius: constants.margin_radius, text });
    }
    const sampleAngle = first + values.xa * DEG;
    const sample = values.xa === null ? null : [values.xn * Math.cos(sampleAngle), values.xn * Math.sin(sampleAngle)];
    const drawn = values.field !== "off" && member.name === "LSoftmax"; // the field is L-Softmax's only
    const field = drawn ? class1Field(weights, values.field === "softmax" ? 1 : member.m, constants.field_axis) : null;
    const title = binaryTitle(memberTitle(scene), values.n1, norm2, member);
    return { boundaries, marks, sample, field, title, overlayRadius: constants.overlay_radius };
  });
}

// The binary plane's title (app.explorer_controls.binary_title): the members, and the norms where they count.
export function binaryTitle(members, norm1, norm2, member) {
  return TARGETS[member.name].normalised ? members : `${members}, |W1| = ${formatG(norm1)}, |W2| = ${formatG(norm2)}`;
}

// K classes (multiclass_scene): the margin gaps wider than 4 degrees get a mark.
export function multiclassScene(values, constants) {
  const weights = values.angles.map((angle, j) => ({ angle: angle * DEG, norm: values.norms[j] }));
  return planeScene(weights, values, constants, (scene) => {
    const marks = scene.gaps
      .filter((gap) => gap.end - gap.start > 4 * DEG)
      .map((gap) => ({ start: gap.start, end: gap.end, radius: constants.multiclass_mark_radius, text: `${((gap.end - gap.start) / DEG).toFixed(0)}°` }));
    return { marks, title: `K = ${weights.length}, ${memberTitle(scene)}`, overlayRadius: constants.multiclass_overlay_radius };
  });
}

// The server figure's traces with this scene's coordinates (same order, same styles).
export function planeData(data, scene, constants) {
  const reach = 1.5 * constants.extent;
  const step = constants.arc_step;
  let wedge = 0;
  let edges = 0;
  let overlayEdges = 0;
  return data.map((trace) => {
    switch (trace.meta) {
      case "wedge":
        return { ...trace, ...wedgePoints(scene.arcs[wedge++] || [], reach, step) };
      case "gaps": {
        const name = scene.overlay ? `margin: ${scene.labels[0]}` : trace.name; // PlaneScene.margin_name
        return { ...trace, name, ...wedgePoints(scene.gaps.filter((gap) => gap.end - gap.start > 1e-9).map((gap) => [gap.start, gap.end]), reach, step) };
      }
      case "softmax":
        return { ...trace, ...rayPoints(scene.softmax, reach) };
      case "edges": {
        const arcs = scene.arcs[edges++] || [];
        return { ...trace, ...rayPoints(arcs.filter(([s, e]) => e - s < 2 * Math.PI - 1e-9).flat(), reach) };
      }
      case "overlay_edges": {
        const arcs = scene.overlay ? scene.overlay.arcs[overlayEdges++] || [] : [];
        return { ...trace, ...rayPoints(arcs.filter(([s, e]) => e - s < 2 * Math.PI - 1e-9).flat(), reach) };
      }
      case "overlay_gaps": {
        const gaps = scene.overlay ? scene.overlay.gaps : [];
        return { ...trace, ...markPoints(gaps.map((gap) => ({ ...gap, radius: scene.overlayRadius })), step) };
      }
      case "marks":
        return { ...trace, ...markPoints(scene.marks, step) };
      case "sample":
        return scene.sample ? { ...trace, x: [scene.sample[0]], y: [scene.sample[1]], text: ["x"] } : trace;
      case "field":
        return scene.field ? { ...trace, z: scene.field } : trace;
      default:
        return trace;
    }
  });
}

// Centres of the class-vector names, then of the mark labels (app.figures.geometry.plane_labels).
export function planeLabels(scene, constants) {
  const units = (2 * constants.extent) / constants.label_plot_px;
  const labels = [];
  scene.weights.forEach(({ angle, norm }, j) => {
    const direction = [Math.cos(angle), Math.sin(angle)];
    const [width, height] = textSize(`W${j + 1}`, constants.w_label_px, units);
    const tip = [norm * direction[0], norm * direction[1]];
    labels.push({ x: tip[0] + constants.label_gap * direction[0], y: tip[1] + constants.label_gap * direction[1], width, height, direction });
  });
  for (const mark of scene.marks) {
    const middle = 0.5 * (mark.start + mark.end);
    const radius = mark.radius + constants.mark_gap;
    const [width, height] = textSize(mark.text, constants.mark_note.font.size, units);
    labels.push({ x: radius * Math.cos(middle), y: radius * Math.sin(middle), width, height, direction: [Math.cos(middle), Math.sin(middle)] });
  }
  const tip = constants.obstacle_px * units;
  const obstacles = scene.weights.map(({ angle, norm }) => boxOf(norm * Math.cos(angle), norm * Math.sin(angle), tip, tip));
  if (scene.sample) obstacles.push(boxOf(scene.sample[0] + tip / 2, scene.sample[1] + tip / 2, 3 * tip, 3 * tip)); // star and "x"
  const e = constants.extent;
  return placeLabels(labels, obstacles, null, [-e, -e, e, e]);
}

// The server's annotations moved to this scene: per class an arrow and a name, then one label
// per mark (styled as constants.mark_note), at the places planeLabels finds.
export function planeAnnotations(annotations, scene, constants) {
  const notes = [];
  const spots = planeLabels(scene, constants);
  scene.weights.forEach(({ angle, norm }, j) => {
    notes.push({ ...annotations[2 * j], x: norm * Math.cos(angle), y: norm * Math.sin(angle) });
    notes.push({ ...annotations[2 * j + 1], x: spots[j][0], y: spots[j][1] });
  });
  scene.marks.forEach((mark, i) => {
    const [x, y] = spots[scene.weights.length + i];
    notes.push({ ...constants.mark_note, x, y, text: mark.text });
  });
  return notes;
}

// psi for m = 1..M against cos, and the blend (psi_figure): the server's cos trace, its first
// psi trace's style for every psi curve (colour from the palette), its blend trace's style.
export function psiData(data, values, constants) {
  const theta = linspace(0, Math.PI, constants.points);
  const degrees = theta.map((t) => t / DEG);
  const [cosine, firstPsi] = data;
  const blend = data[data.length - 1];
  const curves = [];
  for (let m = 1; m <= values.mmax; m += 1) {
    curves.push({
      ...firstPsi,
      x: degrees,
      y: theta.map((t) => psi(t, m)),
      name: `ψ, m = ${m}`,
      line: { ...firstPsi.line, color: constants.colors[(m - 1) % constants.colors.length] },
    });
  }
  const blended = { ...blend, x: degrees, y: theta.map((t) => blendedPsi(t, values.m, values.lam)), name: `blend, m = ${values.m}, λ = ${formatG(values.lam)}` };
  const lowest = Math.min(-1, ...curves.map((curve) => Math.min(...curve.y)));
  return { data: [cosine, ...curves, blended], yRange: [lowest - 0.5, 1.5] };
}
