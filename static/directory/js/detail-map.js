// The small map on a partnership's page: the partnership and its member organisations.
import { countIcon, createMap, el, readConfig } from "./basemap.js";

const config = readConfig("detail-map-config");
const container = document.getElementById("detail-map");

if (config && container && window.L && config.points.length) {
  container.hidden = false;
  const map = createMap(container, config);
  const markers = config.points.map((point) => {
    const marker = L.marker([point.lat, point.lon], {
      icon: countIcon(1, point.kind),
      title: point.name,
      keyboard: true,
    });
    const popup = el("div", null, { class: "map-popup" });
    popup.append(point.url ? el("a", point.name, { href: point.url }) : el("strong", point.name));
    if (point.label) popup.append(el("span", point.label, { class: "map-popup-facts" }));
    marker.bindPopup(popup);
    return marker.addTo(map);
  });
  const group = L.featureGroup(markers);
  map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 11 });
}
