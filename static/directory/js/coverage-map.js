// The gap map: the largest towns with no partnership within reach, drawn as circles sized by
// population, each with a way to start a partnership there. Everything shown here is also in the
// table under the map (the keyboard's and screen reader's way in), so the circles are for
// pointing at: many overlap at national zoom, which focusable markers must not.
import { createMap, el, readConfig } from "./basemap.js";
import { gettext } from "./translation.js";

const config = readConfig("coverage-map-config");
const container = document.getElementById("coverage-map");

function radius(population, largest) {
  return 5 + 11 * Math.sqrt(population / largest);
}

if (config && container && window.L && config.towns.length) {
  container.hidden = false;
  const map = createMap(container, config);
  const largest = Math.max(...config.towns.map((town) => town.population), 1);
  const circles = config.towns.map((town) => {
    const circle = L.circleMarker([town.lat, town.lon], {
      radius: radius(town.population, largest),
      color: "#ffffff",
      weight: 2,
      fillColor: "#8a3b00",
      fillOpacity: 0.85,
      className: "coverage-town",
      // Above the offline outline, which is fetched later and would otherwise cover them.
      pane: "markerPane",
    });
    const popup = el("div", null, { class: "map-popup" });
    popup.append(el("strong", town.name));
    popup.append(el("span", town.label, { class: "map-popup-facts" }));
    popup.append(el("a", gettext("Start a partnership here"), { href: town.startUrl }));
    circle.bindPopup(popup);
    return circle.addTo(map);
  });
  map.fitBounds(L.featureGroup(circles).getBounds(), { padding: [30, 30], maxZoom: 9 });
}
