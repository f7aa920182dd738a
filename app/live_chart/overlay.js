// While a control moves, the chart's traces and labels are drawn by this file as a few plain SVG
// paths over plotly's own axes (about a millisecond a frame) instead of a full Plotly.react (tens
// of milliseconds on a busy laptop or this 2-core machine). It reads the figure the same way
// plotly would: fills, lines, dashes, markers and annotations keep the server's colours and sizes.
// When the control is released, plotly draws the real figure again and the overlay goes away.

const SVG = "http://www.w3.org/2000/svg";
const DASHES = { dash: "9,6", dot: "3,4", dashdot: "9,4,3,4" };

function svgElement(name, attributes = {}) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

function decodeArray(value) {
  if (!value || Array.isArray(value) || ArrayBuffer.isView(value)) return value || [];
  if (value.bdata) {
    const bytes = Uint8Array.from(atob(value.bdata), (c) => c.charCodeAt(0));
    const types = { f4: Float32Array, f8: Float64Array, i4: Int32Array, u1: Uint8Array, i1: Int8Array, i2: Int16Array, u2: Uint16Array, u4: Uint32Array };
    return new types[value.dtype](bytes.buffer);
  }
  return [];
}

// Data -> pixel mapping of the plot's current axes (the user's zoom included).
function pixelMap(host) {
  const { xaxis, yaxis } = host._fullLayout;
  return {
    x: (value) => xaxis._offset + xaxis.l2p(value),
    y: (value) => yaxis._offset + yaxis.l2p(value),
    box: [xaxis._offset, yaxis._offset, xaxis._length, yaxis._length],
  };
}

function pathOf(xs, ys, map, close) {
  let d = "";
  let open = false;
  for (let i = 0; i < xs.length; i += 1) {
    const x = xs[i];
    const y = ys[i];
    if (x === null || y === null || Number.isNaN(x) || Number.isNaN(y)) {
      if (open && close) d += "Z";
      open = false;
      continue;
    }
    d += `${open ? "L" : "M"}${map.x(x).toFixed(1)},${map.y(y).toFixed(1)}`;
    open = true;
  }
  return open && close ? `${d}Z` : d;
}

function hatch(defs, id, pattern) {
  const tile = svgElement("pattern", { id, width: pattern.size || 14, height: pattern.size || 14, patternUnits: "userSpaceOnUse" });
  const size = pattern.size || 14;
  tile.appendChild(svgElement("path", { d: `M0,${size} L${size},0`, stroke: pattern.fgcolor || "#999", "stroke-width": 1.5, opacity: Math.min(1, 4 * (pattern.solidity || 0.2)) }));
  defs.appendChild(tile);
  return `url(#${id})`;
}

function traceElements(trace, map, defs, index) {
  const xs = decodeArray(trace.x);
  const ys = decodeArray(trace.y);
  const parts = [];
  const line = trace.line || {};
  if (trace.fill === "toself") {
    const fill = trace.fillpattern && trace.fillpattern.shape ? hatch(defs, `lsoftmax-hatch-${index}`, trace.fillpattern) : trace.fillcolor;
    parts.push(svgElement("path", { d: pathOf(xs, ys, map, true), fill: fill || "none", stroke: "none" }));
  }
  if ((trace.mode || "lines").includes("lines") && (line.width === undefined || line.width > 0) && trace.fill !== "toself") {
    const attributes = { d: pathOf(xs, ys, map, false), fill: "none", stroke: line.color || "#444", "stroke-width": line.width || 2 };
    if (DASHES[line.dash]) attributes["stroke-dasharray"] = DASHES[line.dash];
    parts.push(svgElement("path", attributes));
  }
  if ((trace.mode || "").includes("markers")) {
    const marker = trace.marker || {};
    for (let i = 0; i < xs.length; i += 1) {
      const x = map.x(xs[i]);
      const y = map.y(ys[i]);
      const r = (marker.size || 10) / 2;
      const points = Array.from({ length: 10 }, (_, k) => {
        const angle = -Math.PI / 2 + (k * Math.PI) / 5;
        const radius = k % 2 ? r * 0.45 : r;
        return `${(x + radius * Math.cos(angle)).toFixed(1)},${(y + radius * Math.sin(angle)).toFixed(1)}`;
      });
      const outline = marker.line || {};
      parts.push(svgElement("polygon", { points: points.join(" "), fill: marker.color || "#444", stroke: outline.color || "none", "stroke-width": outline.width || 0 }));
      if ((trace.mode || "").includes("text") && trace.text) {
        const label = svgElement("text", { x: x + r, y: y - r, "font-size": (trace.textfont && trace.textfont.size) || 14, fill: "#222" });
        label.textContent = trace.text[i];
        parts.push(label);
      }
    }
  }
  return parts;
}

function hexRgb(color) {
  const match = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  return match ? match.slice(1).map((part) => parseInt(part, 16)) : [255, 255, 255];
}

// A heatmap (the probability field) as an image: its colour scale interpolated per cell, drawn
// smooth over the cells' extent, at the trace's opacity.
function heatmapElement(trace, map) {
  const rows = trace.z;
  const axisX = decodeArray(trace.x);
  const axisY = decodeArray(trace.y);
  if (!rows || !rows.length || !axisX.length || !axisY.length) return null;
  const stops = (trace.colorscale || []).map(([at, color]) => [Number(at), hexRgb(color)]);
  const low = trace.zmin ?? 0;
  const high = trace.zmax ?? 1;
  const canvas = document.createElement("canvas");
  canvas.width = rows[0].length;
  canvas.height = rows.length;
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  rows.forEach((row, r) => {
    for (let c = 0; c < row.length; c += 1) {
      const t = Math.min(1, Math.max(0, (row[c] - low) / (high - low)));
      let k = 1;
      while (k < stops.length - 1 && stops[k][0] < t) k += 1;
      const [a, from] = stops[k - 1];
      const [b, to] = stops[k];
      const f = b > a ? (t - a) / (b - a) : 0;
      const offset = 4 * ((canvas.height - 1 - r) * canvas.width + c); // row 0 is the lowest y
      for (let channel = 0; channel < 3; channel += 1) image.data[offset + channel] = from[channel] + f * (to[channel] - from[channel]);
      image.data[offset + 3] = 255;
    }
  });
  context.putImageData(image, 0, 0);
  const left = map.x(axisX[0]);
  const right = map.x(axisX[axisX.length - 1]);
  const top = map.y(axisY[axisY.length - 1]);
  const bottom = map.y(axisY[0]);
  return svgElement("image", {
    href: canvas.toDataURL(), x: left, y: top, width: right - left, height: bottom - top,
    preserveAspectRatio: "none", opacity: trace.opacity ?? 1,
  });
}

// Plotly's annotation text is a little HTML: <b>, <sub>. Enough of it for our labels.
function labelElement(note, x, y) {
  const font = note.font || {};
  const size = font.size || 14;
  const text = svgElement("text", { x, y, "text-anchor": "middle", "dominant-baseline": "central", "font-size": size, fill: font.color || "#222", "font-family": "Inter, Helvetica, Arial, sans-serif" });
  if (/<b>/.test(note.text)) text.setAttribute("font-weight", "bold");
  for (const piece of String(note.text).replace(/<\/?b>/g, "").split(/(<sub>.*?<\/sub>)/)) {
    if (!piece) continue;
    const sub = piece.match(/^<sub>(.*)<\/sub>$/);
    const span = svgElement("tspan", sub ? { "font-size": size * 0.7, dy: size * 0.3 } : {});
    span.textContent = sub ? sub[1] : piece;
    text.appendChild(span);
    if (sub) text.appendChild(Object.assign(svgElement("tspan", { dy: -size * 0.3 }), { textContent: "\u200b" }));
  }
  return text;
}

function noteElements(note, map, defs, index) {
  const x = map.x(note.x);
  const y = map.y(note.y);
  if (note.showarrow) {
    const color = note.arrowcolor || "#444";
    const id = `lsoftmax-arrow-${index}`;
    const head = svgElement("marker", { id, viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 4, markerHeight: 4, orient: "auto" });
    head.appendChild(svgElement("path", { d: "M0,0 L10,5 L0,10 Z", fill: color }));
    defs.appendChild(head);
    const start = [map.x(note.ax || 0), map.y(note.ay || 0)];
    return [svgElement("line", { x1: start[0], y1: start[1], x2: x, y2: y, stroke: color, "stroke-width": note.arrowwidth || 2, "marker-end": `url(#${id})` })];
  }
  const parts = [];
  if (note.bgcolor) {
    const size = (note.font && note.font.size) || 14;
    const width = 0.55 * size * String(note.text).replace(/<[^>]+>/g, "").length + 6;
    parts.push(svgElement("rect", { x: x - width / 2, y: y - 0.7 * size, width, height: 1.4 * size, fill: note.bgcolor }));
  }
  parts.push(labelElement(note, x, y));
  return parts;
}

// Draw figure's scatter traces and annotations over the host's plot; hides plotly's own.
export function drawOverlay(host, figure) {
  let svg = host.querySelector(":scope > svg.lsoftmax-live-overlay");
  const main = host.querySelector("svg.main-svg");
  if (!svg) {
    svg = svgElement("svg", { class: "lsoftmax-live-overlay" });
    host.appendChild(svg);
  }
  svg.setAttribute("width", main.getAttribute("width"));
  svg.setAttribute("height", main.getAttribute("height"));
  host.classList.add("lsoftmax-overlaid");
  const map = pixelMap(host);
  const defs = svgElement("defs");
  const clip = svgElement("clipPath", { id: "lsoftmax-overlay-clip" });
  const [left, top, width, height] = map.box;
  clip.appendChild(svgElement("rect", { x: left, y: top, width, height }));
  defs.appendChild(clip);
  const plot = svgElement("g", { "clip-path": "url(#lsoftmax-overlay-clip)" });
  figure.data.forEach((trace, index) => {
    if (trace.visible === false) return;
    if (trace.type === "heatmap") {
      const field = heatmapElement(trace, map);
      if (field) plot.appendChild(field);
      return;
    }
    traceElements(trace, map, defs, index).forEach((element) => plot.appendChild(element));
  });
  const notes = svgElement("g");
  (figure.layout.annotations || []).forEach((note, index) => noteElements(note, map, defs, index).forEach((element) => notes.appendChild(element)));
  svg.replaceChildren(defs, plot, notes);
  const title = host.querySelector(".gtitle");
  if (title && figure.layout.title && figure.layout.title.text) title.textContent = figure.layout.title.text;
}

export function removeOverlay(host) {
  const svg = host.querySelector(":scope > svg.lsoftmax-live-overlay");
  if (svg) svg.remove();
  host.classList.remove("lsoftmax-overlaid");
}
