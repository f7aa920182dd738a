// One plotly div per chart, redrawn in place with Plotly.react (never remounted).
//
// The server sends bytes: a little-endian uint32 header length, a JSON header
// {figure, height, step, config, live}, then (once per browser session) plotly.min.js
// gzip-compressed. Plotly is loaded from those bytes into window.Plotly; every
// instance of this component shares it, because the module is imported once.
//
// With a `live` spec the chart carries its own controls (a bar above the plot): while one
// moves, the figure is recomputed here (geometry.js, scenes.js, concatenated before this file)
// on every animation frame; on release the settled values go to the server as the trigger
// "settled", and the server's own figure, readouts and URL follow.

const MAX_ASKS = 5; // times one page asks the server to resend plotly.js
const state = { loading: null, asking: false, asks: 0, waiters: [] };

function whenPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  return new Promise((resolve) => state.waiters.push(resolve));
}

async function loadBundle(gzipped) {
  const stream = new Blob([gzipped]).stream().pipeThrough(new DecompressionStream("gzip"));
  const source = await new Response(stream).text();
  if (!window.Plotly) {
    const script = document.createElement("script");
    script.textContent = source;
    document.head.appendChild(script); // runs synchronously and sets window.Plotly
  }
  state.waiters.splice(0).forEach((resolve) => resolve(window.Plotly));
}

function startLoading(gzipped) {
  state.loading = loadBundle(gzipped).catch((error) => {
    console.error("lsoftmax live chart: could not load plotly.js", error);
    state.loading = null;
  });
}

// This page has no plotly yet and the message carried none (the server believes it sent it,
// or the message that did was superseded): ask again after a grace period, a few times.
function askForBundle(setTriggerValue) {
  if (state.asking || state.asks >= MAX_ASKS) return;
  state.asking = true;
  setTimeout(() => {
    state.asking = false;
    if (window.Plotly || state.loading) return;
    state.asks += 1;
    setTriggerValue("bundle_needed", state.asks);
  }, 1500);
}

function decode(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  return { header, bundle: bytes.subarray(4 + length) };
}

function hostFor(parentElement, height) {
  let host = parentElement.querySelector(":scope > .lsoftmax-live-chart");
  if (!host) {
    host = document.createElement("div");
    host.className = "lsoftmax-live-chart";
    host.__draws = 0;
    parentElement.appendChild(host);
    // plotly's own "responsive" follows the window only; the sidebar also changes our width.
    new ResizeObserver(() => {
      // A chart being replaced (its key changed) or hidden shrinks to nothing: plotly would reject
      // resizing a div that is not displayed ("Resize must be passed a displayed plot div element").
      if (!host.isConnected || host.offsetParent === null) return;
      if (host.__fit) host.__fit();
      // A chart leaving the page (a rerun that drops it) reports size 0 last: plotly rejects a
      // resize of a div that is not displayed, and logs it as an error.
      const displayed = host.isConnected && getComputedStyle(host).display !== "none";
      if (window.Plotly && host.__draws && displayed) window.Plotly.Plots.resize(host);
      const live = host.__live;
      if (live && live.kind !== "psi" && host.__shown && host.__draws) scheduleFrame(host, true); // re-place labels
      const narrow = !live && host.__shown && narrowOf(host.__shown.figure);
      if (narrow && host.__header && isNarrow(host, narrow) !== host.__narrow) {
        host.__revision = null; // the same figure, its panels arranged for the new width
        draw(host, host.__header);
      }
    }).observe(host);
  }
  host.style.height = `${height}px`;
  return host;
}

// Draw the newest figure only: if updates arrive faster than plotly draws,
// the ones in between are skipped rather than queued.
async function draw(host, header) {
  host.__next = header;
  if (host.__busy) return;
  host.__busy = true;
  try {
    const Plotly = await whenPlotly();
    while (host.__next) {
      const { figure, step, config, revision } = host.__next;
      host.__header = host.__next;
      host.__next = null;
      if (revision === host.__revision) continue; // the figure shown already
      host.__revision = revision;
      if (host.__live) {
        // A chart with its own controls sizes itself (fitPlane, fitViewport): plotly follows the div.
        figure.layout = { ...figure.layout, autosize: true };
        delete figure.layout.height;
      }
      host.__shown = { figure, config };
      const plane = host.__live && host.__live.kind !== "psi";
      const local = host.__live && (host.__live.pending || plane) ? liveFigure(host) : arranged(host, figure);
      await Plotly.react(host, local.data, local.layout, config);
      removeOverlay(host);
      if (host.__fit) host.__fit();
      countDraw(host);
      host.dataset.step = String(step);
    }
  } finally {
    host.__busy = false;
  }
}

function countDraw(host) {
  host.__draws += 1;
  host.dataset.draws = String(host.__draws);
}

// ---------------------------------------------------------------- live controls

const KINDS = {
  binary: {
    read: (values, key) => values[key],
    write: (values, key, value) => {
      values[key] = value;
    },
    settled: (values, controls) => Object.fromEntries(controls.map(({ key }) => [key, values[key]])),
    figure: (base, values, constants) => {
      const scene = binaryScene(values, constants);
      return planeFigure(base, scene, constants);
    },
  },
  multiclass: {
    read: (values, key) => (key === "angle" ? values.angles[values.pick - 1] : key === "norm" ? values.norms[values.pick - 1] : values[key]),
    write: (values, key, value) => {
      if (key === "angle") values.angles[values.pick - 1] = value;
      else if (key === "norm") values.norms[values.pick - 1] = value;
      else values[key] = value;
    },
    settled: (values, controls) => {
      const result = {}; // the member's parameters, then every vector
      for (const { key } of controls) if (!["pick", "angle", "norm"].includes(key)) result[key] = values[key];
      values.angles.forEach((angle, j) => {
        result[`a${j + 1}`] = angle;
        result[`n${j + 1}`] = values.norms[j];
      });
      return result;
    },
    figure: (base, values, constants) => planeFigure(base, multiclassScene(values, constants), constants),
  },
  psi: {
    read: (values, key) => values[key],
    write: (values, key, value) => {
      values[key] = value;
    },
    settled: (values, controls) => Object.fromEntries(controls.map(({ key }) => [key, values[key]])),
    figure: (base, values, constants) => {
      const { data, yRange } = psiData(base.data, values, constants);
      const yaxis = { ...base.layout.yaxis, range: yRange };
      return { data, layout: { ...base.layout, yaxis } };
    },
  },
};

function planeFigure(base, scene, constants) {
  const layout = { ...base.layout, annotations: planeAnnotations(base.layout.annotations || [], scene, constants) };
  if (scene.title && layout.title) layout.title = { ...layout.title, text: scene.title };
  return { data: planeData(base.data, scene, constants), layout };
}

// The plot's width in pixels: labels are placed for the size they are drawn at.
function plotPixels(host) {
  const axis = host._fullLayout && host._fullLayout.xaxis;
  if (axis && axis._length > 0) return axis._length;
  return Math.max(200, Math.min(host.clientWidth - 60, host.clientHeight - 130));
}

function liveFigure(host) {
  const live = host.__live;
  const constants = { ...live.constants, label_plot_px: plotPixels(host) };
  const figure = KINDS[live.kind].figure(host.__shown.figure, live.values, constants);
  figure.layout = { ...figure.layout, datarevision: (host.__frames = (host.__frames || 0) + 1) };
  return figure;
}

function shownText(control, value) {
  return `${control.step < 1 ? Number(value).toFixed(control.step < 0.1 ? 2 : 1) : value}${control.unit || ""}`;
}

function syncInputs(host) {
  const live = host.__live;
  for (const control of live.controls) {
    const input = live.bar.querySelector(`input[data-key="${control.key}"]`);
    const value = KINDS[live.kind].read(live.values, control.key);
    if (control.key === "pick") input.max = String(live.values.angles.length);
    input.value = String(value);
    input.nextElementSibling.textContent = shownText(control, value);
  }
}

// During a move only coordinates and labels change: overlay.js draws them as plain SVG over
// plotly's axes (a millisecond or two); a full Plotly.react draws the first frame and the last
// one after a release (the probability field included), and removes the overlay.
async function drawFrame(host, full) {
  const began = performance.now();
  const figure = liveFigure(host);
  if (full || window.__lsoftmaxFullFrames) {
    await window.Plotly.react(host, figure.data, figure.layout, host.__shown.config);
    removeOverlay(host);
  } else {
    drawOverlay(host, figure);
  }
  countDraw(host);
  const took = performance.now() - began;
  host.__frameTimes = (host.__frameTimes || []).slice(-199).concat([[took, full]]); // bench/ui_drag.py
}

function scheduleFrame(host, full = false) {
  const live = host.__live;
  live.fullQueued = live.fullQueued || full;
  if (live.frameQueued) return;
  live.frameQueued = true;
  requestAnimationFrame(async () => {
    live.frameQueued = false;
    if (!window.Plotly || !host.__shown || live.drawing) {
      if (live.drawing) scheduleFrame(host);
      return;
    }
    const whole = live.fullQueued;
    live.fullQueued = false;
    live.drawing = true;
    try {
      await drawFrame(host, whole);
    } finally {
      live.drawing = false;
    }
  });
}

function onInput(host, control, input) {
  const live = host.__live;
  const value = Number(input.value);
  live.pending = true;
  if (control.key === "pick") live.values.pick = value;
  else KINDS[live.kind].write(live.values, control.key, value);
  if (control.key === "pick") syncInputs(host);
  else input.nextElementSibling.textContent = shownText(control, value);
  if (control.key !== "pick") scheduleFrame(host);
}

// Held keys and drags end in bursts of change events: send the state once they pause.
function onChange(host, control) {
  const live = host.__live;
  if (control.key === "pick") return;
  scheduleFrame(host, true);
  clearTimeout(live.settleTimer);
  live.settleTimer = setTimeout(() => {
    live.sent = KINDS[live.kind].settled(live.values, live.controls);
    live.setTriggerValue("settled", live.sent);
  }, 150);
}

function buildBar(host, live) {
  const bar = document.createElement("div");
  bar.className = "lsoftmax-live-controls";
  for (const control of live.controls) {
    const label = document.createElement("label");
    const name = document.createElement("span");
    name.className = "lsoftmax-live-name";
    name.textContent = control.label;
    const input = document.createElement("input");
    Object.assign(input, { type: "range", min: control.min, max: control.max, step: control.step });
    input.dataset.key = control.key;
    input.setAttribute("aria-label", control.label);
    const output = document.createElement("output");
    label.append(name, input, output);
    input.addEventListener("input", () => onInput(host, control, input));
    input.addEventListener("change", () => onChange(host, control));
    bar.appendChild(label);
  }
  host.parentElement.insertBefore(bar, host);
  return bar;
}

function sameControls(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function settledEqual(sent, values, kind, controls) {
  if (!sent) return true;
  const now = KINDS[kind].settled(values, controls);
  return Object.keys(sent).every((key) => Math.abs(Number(sent[key]) - Number(now[key])) < 1e-9);
}

// The server's spec arrives with every message: its values win unless a move is in flight here.
function updateLive(host, spec, setTriggerValue) {
  if (!spec) return;
  let live = host.__live;
  if (!live || live.kind !== spec.kind || !sameControls(live.controls, spec.controls)) {
    if (live) live.bar.remove();
    live = { ...spec, values: structuredClone(spec.values), pending: false };
    if (spec.kind === "multiclass") live.values.pick = (host.__live && host.__live.values.pick) || 1;
    host.__live = live;
    live.bar = buildBar(host, live);
  }
  live.setTriggerValue = setTriggerValue;
  live.constants = spec.constants;
  const serverValues = structuredClone(spec.values);
  if (spec.kind === "multiclass") serverValues.pick = Math.min(live.values.pick || 1, serverValues.angles.length);
  if (live.pending && live.sent && settledEqual(live.sent, serverValues, spec.kind, spec.controls)) {
    live.pending = false;
    live.sent = null;
  }
  if (!live.pending) live.values = serverValues;
  syncInputs(host);
}

// A figure with layout.meta.narrow (the training lab's panels, app/figures/training.py) stacks
// its panels in one column while the chart is narrower than narrow.below px, narrow.height tall:
// each key of narrow.layout is merged into the layout's own.
function narrowOf(figure) {
  const meta = figure && figure.layout && figure.layout.meta;
  return meta && meta.narrow ? meta.narrow : null;
}

function isNarrow(host, narrow) {
  return Boolean(narrow) && host.clientWidth > 0 && host.clientWidth < narrow.below;
}

function arranged(host, figure) {
  const narrow = narrowOf(figure);
  host.__narrow = isNarrow(host, narrow);
  if (!host.__narrow) return figure;
  const layout = { ...figure.layout };
  for (const [name, part] of Object.entries(narrow.layout)) layout[name] = { ...layout[name], ...part };
  if (layout.height) layout.height = narrow.height;
  return { ...figure, layout };
}

function fitNarrow(host, height, narrow) {
  setHeight(host, isNarrow(host, narrow) ? narrow.height : height);
}

function setHeight(host, height) {
  const value = `${Math.round(height)}px`;
  if (host.style.height !== value) host.style.height = value;
}

// Presenter mode: a chart with its own controls fills the viewport's height below its top edge.
function fitViewport(host) {
  const top = host.getBoundingClientRect().top;
  setHeight(host, Math.max(360, window.innerHeight - Math.max(0, top) - 16));
}

// A plane is square: as tall as its width plus the title and the legend (as drawn), at most the
// server's height, so a narrow column or a phone gets no empty band above and below the plot.
function fitPlane(host, height) {
  const legend = host.querySelector("g.legend");
  const legendHeight = legend ? legend.getBoundingClientRect().height : 60;
  setHeight(host, Math.min(height, Math.max(320, host.clientWidth + 70 + legendHeight)));
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  const { header, bundle } = decode(data);
  const host = hostFor(parentElement, header.height);
  updateLive(host, header.live, setTriggerValue);
  if (header.present && header.live) host.__fit = () => fitViewport(host);
  else if (header.live && header.live.kind !== "psi") host.__fit = () => fitPlane(host, header.height);
  else if (narrowOf(header.figure)) host.__fit = () => fitNarrow(host, header.height, narrowOf(header.figure));
  else host.__fit = null;
  if (host.__fit) host.__fit();
  if (!host.__resizes) {
    host.__resizes = true;
    window.addEventListener("resize", () => host.__fit && host.__fit());
  }
  if (!window.Plotly && !state.loading) {
    if (bundle.length) startLoading(bundle);
    else askForBundle(setTriggerValue);
  }
  draw(host, header);
}
