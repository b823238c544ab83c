// The base map every page shares: Leaflet from django-leaflet's local copy, tiles from settings.
// Configuration comes from a json_script element; URLs are reversed on the server, never built here.
import { gettext, words } from "./translation.js";

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
    zoomControl: false,
  });
  // Leaflet's own controls speak English: give them the page's words.
  L.control.zoom({ zoomInTitle: gettext("Zoom in"), zoomOutTitle: gettext("Zoom out") }).addTo(map);
  const leaflet = el("a", "Leaflet", {
    href: "https://leafletjs.com",
    title: gettext("A JavaScript library for interactive maps"),
  });
  map.attributionControl.setPrefix(leaflet.outerHTML);
  map.on("popupopen", (event) => {
    const close = event.popup.getElement()?.querySelector(".leaflet-popup-close-button");
    if (close) close.setAttribute("aria-label", gettext("Close popup"));
  });
  if (config.tileUrl) {
    const tiles = L.tileLayer(config.tileUrl, { attribution: config.attribution, maxZoom: 18 });
    // Behind a firewall that blocks the tile server, fall back to the outline.
    tiles.once("tileerror", () => showOutline(map, config));
    tiles.addTo(map);
  } else {
    showOutline(map, config);
  }
  return map;
}

// An offline outline of the UK and Ireland (Natural Earth, served from this site), drawn when no
// tile server is configured or its tiles fail to load, so the map still shows where things are.
// It is fetched only then, and drawn once, as SVG paths beneath the markers.
const outlines = new WeakMap();

export function showOutline(map, config) {
  if (!config.outlineUrl || outlines.has(map)) return outlines.get(map);
  const shown = fetch(config.outlineUrl, { headers: { Accept: "application/geo+json" } })
    .then((response) => {
      if (!response.ok) {
        throw new Error(words(gettext("The map outline could not be loaded (%(status)s)."), { status: response.status }));
      }
      return response.json();
    })
    .then((outline) => {
      map.getContainer().classList.add("map-offline");
      return L.geoJSON(outline, {
        attribution: gettext("Outline: Natural Earth"),
        interactive: false,
        style: (feature) =>
          feature.properties.kind === "border"
            ? { color: "#6b6b6b", weight: 1, dashArray: "4 3", fill: false }
            : { color: "#6b6b6b", weight: 1, fillColor: "#f7f4ec", fillOpacity: 1 },
      }).addTo(map);
    })
    .catch(() => null);
  outlines.set(map, shown);
  return shown;
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
