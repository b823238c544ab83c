// The directory map: fetches clustered map data for the visible area with the same query string as
// the list beside it, so the two always show the same partnerships.
import { countIcon, createMap, el, readConfig } from "./basemap.js";
import { gettext, ngettext, words } from "./translation.js";

const config = readConfig("map-config");
const container = document.getElementById("directory-map");

if (config && container && window.L) {
  container.hidden = false;
  const status = document.getElementById("map-status");
  const map = createMap(container, config);
  const layer = L.layerGroup().addTo(map);
  let pending = null;

  const say = (text) => {
    if (status) status.textContent = text;
  };

  const popupFor = (partnerships, count) => {
    const box = el("div", null, { class: "map-popup" });
    const list = el("ul");
    for (const partnership of partnerships) {
      const item = el("li");
      item.append(el("a", partnership.name, { href: partnership.url }));
      const members = words(ngettext("%(count)s member", "%(count)s members", partnership.members), {
        count: partnership.members,
      });
      const facts = [partnership.area, members].filter(Boolean).join(" · ");
      item.append(el("span", facts, { class: "map-popup-facts" }));
      // The date comes formatted from the server; "stale" adds words, not only a colour.
      const confirmed = partnership.confirmed
        ? words(gettext("Last confirmed %(date)s"), { date: partnership.confirmed })
        : gettext("Not yet confirmed");
      const freshness = partnership.stale
        ? words(gettext("%(confirmed)s: may be out of date"), { confirmed })
        : confirmed;
      item.append(el("span", freshness, {
        class: partnership.stale ? "map-popup-facts map-popup-stale" : "map-popup-facts",
      }));
      list.append(item);
    }
    box.append(list);
    const more = count - partnerships.length;
    if (more > 0) {
      box.append(el("p", words(ngettext("and %(count)s more in the list", "and %(count)s more in the list", more), { count: more })));
    }
    return box;
  };

  const draw = (collection) => {
    layer.clearLayers();
    let shown = 0;
    for (const feature of collection.features) {
      const [lon, lat] = feature.geometry.coordinates;
      const props = feature.properties;
      shown += props.count;
      if (props.cluster) {
        const marker = L.marker([lat, lon], {
          icon: countIcon(props.count, "cluster"),
          title: words(
            ngettext(
              "%(count)s partnership here: select to zoom in",
              "%(count)s partnerships here: select to zoom in",
              props.count,
            ),
            { count: props.count },
          ),
          keyboard: true,
        });
        marker.on("click", () => {
          const [west, south, east, north] = props.bounds;
          map.fitBounds([[south, west], [north, east]], { padding: [40, 40], maxZoom: 18 });
        });
        layer.addLayer(marker);
      } else {
        const names = props.partnerships.map((p) => p.name).join(", ");
        const marker = L.marker([lat, lon], {
          icon: countIcon(props.count, "point"),
          title:
            props.count > 1
              ? words(ngettext("%(count)s partnership: %(names)s", "%(count)s partnerships: %(names)s", props.count), {
                  count: props.count,
                  names,
                })
              : names,
          keyboard: true,
        });
        marker.bindPopup(popupFor(props.partnerships, props.count));
        layer.addLayer(marker);
      }
    }
    say(
      words(
        ngettext("%(count)s partnership in this part of the map.", "%(count)s partnerships in this part of the map.", shown),
        { count: shown },
      ),
    );
  };

  const load = () => {
    if (pending) pending.abort();
    pending = new AbortController();
    const bounds = map.getBounds();
    const params = new URLSearchParams(config.query);
    params.set("bbox", [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((n) => n.toFixed(5)).join(","));
    params.set("zoom", String(map.getZoom()));
    container.setAttribute("aria-busy", "true");
    fetch(`${config.dataUrl}?${params}`, { signal: pending.signal, headers: { Accept: "application/geo+json" } })
      .then((response) => {
        if (!response.ok) {
          throw new Error(words(gettext("The map could not be loaded (%(status)s)."), { status: response.status }));
        }
        return response.json();
      })
      .then(draw)
      .catch((error) => {
        if (error.name !== "AbortError") say(error.message);
      })
      .finally(() => container.removeAttribute("aria-busy"));
  };

  // The view is kept in the address (#map=zoom/lat/lon) so a copied link reproduces it.
  const saveView = () => {
    const centre = map.getCenter();
    const hash = `#map=${map.getZoom()}/${centre.lat.toFixed(4)}/${centre.lng.toFixed(4)}`;
    history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
    // The "Cymraeg" / "English" link carries the view too: the browser keeps a link's #fragment
    // across the server's redirect to the same page in the other language.
    for (const link of document.querySelectorAll("a[data-keep-view]")) link.hash = hash;
  };

  const saved = /^#map=(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(location.hash);
  map.on("moveend", () => {
    load();
    if (!config.embedded) saveView();
  });
  if (saved) {
    map.setView([Number(saved[2]), Number(saved[3])], Number(saved[1]));
  } else if (config.extent) {
    const [west, south, east, north] = config.extent;
    map.fitBounds([[south, west], [north, east]], { padding: [30, 30], maxZoom: 12 });
  } else {
    map.setView(config.center, config.zoom);
  }
}
