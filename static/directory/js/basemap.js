// The base map every page shares: Leaflet from django-leaflet's local copy, tiles from settings.
// Configuration comes from a json_script element; URLs are reversed on the server, never built here.

export function readConfig(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

export function createMap(container, config) {
  const map = L.map(container, {
    keyboard: true,
    minZoom: 4,
    maxZoom: 18,
    worldCopyJump: false,
  });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.attribution, maxZoom: 18 }).addTo(map);
  }
  return map;
}

// A marker drawn with the DOM (no HTML strings), large enough to be a comfortable target. The
// server keeps markers from touching, so its `marker_size()` (directory/mapdata.py) must give the
// same widths: clusters grow 4 px a digit, from 32 px up to 44 px. Counts of 10,000 or more are
// shortened ("12k") to fit; the marker's title gives the exact count.
export function countIcon(count, kind) {
  const element = document.createElement("span");
  element.className = `map-icon map-icon-${kind}`;
  element.textContent = count < 2 ? "" : count < 10000 ? String(count) : `${Math.floor(count / 1000)}k`;
  const digits = String(Math.max(count, 1)).length;
  const size = kind === "cluster" ? Math.min(44, 32 + 4 * (digits - 1)) : 28;
  return L.divIcon({ html: element, className: "map-icon-wrap", iconSize: [size, size] });
}

export function el(tag, text, attributes = {}) {
  const element = document.createElement(tag);
  if (text !== undefined && text !== null) element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}
