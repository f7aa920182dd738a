// One plotly div per chart, redrawn in place with Plotly.react (never remounted).
//
// The server sends bytes: a little-endian uint32 header length, a JSON header
// {figure, height, step, config}, then (once per browser session) plotly.min.js
// gzip-compressed. Plotly is loaded from those bytes into window.Plotly; every
// instance of this component shares it, because the module is imported once.

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
      if (window.Plotly && host.__draws) window.Plotly.Plots.resize(host);
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
      host.__next = null;
      if (revision === host.__revision) continue; // the figure shown already
      host.__revision = revision;
      await Plotly.react(host, figure.data, figure.layout, config);
      host.__draws += 1;
      host.dataset.step = String(step);
      host.dataset.draws = String(host.__draws);
    }
  } finally {
    host.__busy = false;
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  const { header, bundle } = decode(data);
  const host = hostFor(parentElement, header.height);
  if (!window.Plotly && !state.loading) {
    if (bundle.length) startLoading(bundle);
    else askForBundle(setTriggerValue);
  }
  draw(host, header);
}
