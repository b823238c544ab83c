// The gap map: the largest towns with no partnership within reach, each with a way to start one.
// Everything shown here is also in the table under the map, which works without JavaScript.
import { countIcon, createMap, el, readConfig } from "./basemap.js";

const config = readConfig("coverage-map-config");
const container = document.getElementById("coverage-map");

if (config && container && window.L && config.towns.length) {
  container.hidden = false;
  const map = createMap(container, config);
  for (const town of config.towns) {
    const marker = L.marker([town.lat, town.lon], {
      icon: countIcon(1, "gap"),
      title: town.name,
      keyboard: true,
    });
    const popup = el("div", null, { class: "map-popup" });
    popup.append(el("strong", town.name));
    popup.append(el("span", town.label, { class: "map-popup-facts" }));
    popup.append(el("a", "Start a partnership here", { href: town.startUrl }));
    marker.bindPopup(popup);
    marker.addTo(map);
  }
  const [west, south, east, north] = config.extent;
  map.fitBounds([
    [south, west],
    [north, east],
  ]);
}
