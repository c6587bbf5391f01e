/* Maps on the public site: the points a page carries as JSON (cms/includes/map.html), drawn
 * with the vendored Leaflet. The page always lists the same places as text; the map is an
 * addition, shown only when JavaScript runs. Points are vector circles, so they draw even
 * when no tile server answers (closed networks, or MAP_TILE_URL left empty).
 */
(function () {
  "use strict";

  var maps = {};

  function draw() {
    document.querySelectorAll(".public-map").forEach(function (container) {
      if (typeof L === "undefined") {
        return;
      }
      var source = document.getElementById(container.dataset.points);
      var tiles = document.getElementById(container.id + "-tiles");
      if (!source) {
        return;
      }
      if (maps[container.id]) {
        maps[container.id].remove();
      }
      var points = JSON.parse(source.textContent);
      if (!points.length) {
        return;
      }
      container.hidden = false;
      var canvas = document.createElement("div");
      canvas.style.height = "100%";
      container.replaceChildren(canvas);
      var map = L.map(canvas, { scrollWheelZoom: false });
      maps[container.id] = map;
      var tileData = tiles ? JSON.parse(tiles.textContent) : {};
      if (tileData.url) {
        L.tileLayer(tileData.url, { attribution: tileData.attribution, maxZoom: 18 }).addTo(map);
      }
      var group = L.featureGroup();
      points.forEach(function (point) {
        var marker = L.circleMarker([point.lat, point.lon], {
          radius: 8, color: "#0017c1", fillColor: "#3460fb", fillOpacity: 0.85, weight: 2,
        });
        var label = document.createElement("span");
        label.textContent = point.name + (point.place ? " (" + point.place + ")" : "");
        marker.bindPopup(label);
        group.addLayer(marker);
      });
      group.addTo(map);
      if (points.length === 1) {
        map.setView([points[0].lat, points[0].lon], 16);
      } else {
        map.fitBounds(group.getBounds(), { padding: [24, 24], maxZoom: 16 });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
