/* The staff directory's map: the places of the organisations found, from the JSON the page
 * carries (json_script "directory-map-data"), drawn with the vendored Leaflet.
 *
 * Progressive enhancement: without JavaScript the map view is a list of the same places with
 * links; the map container stays hidden. The results are swapped in by htmx when the filters
 * change or the view switches, so the map is (re)drawn after every swap and after the browser
 * restores a page from htmx's history. Points are vector layers, so they draw even when no tile
 * server answers (closed networks).
 */
(function () {
  "use strict";

  var map = null;

  function draw() {
    var container = document.getElementById("directory-map");
    var source = document.getElementById("directory-map-data");
    if (map && (!container || !container.contains(map.getContainer()))) {
      map.remove(); // its container was swapped out
      map = null;
    }
    if (!container || !source || typeof L === "undefined" || container.dataset.ready) {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.points.length) {
      return; // nothing to place: the page says so below
    }
    container.hidden = false;
    document.querySelectorAll(".area-map-legend").forEach(function (legend) {
      legend.hidden = false;
    });

    // A fresh element each time: a container restored from history still carries the old map.
    var canvas = document.createElement("div");
    canvas.className = "directory-map__canvas";
    canvas.style.height = "100%";
    container.replaceChildren(canvas);
    map = L.map(canvas, { scrollWheelZoom: false });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { attribution: data.attribution, maxZoom: 18 }).addTo(map);
    }

    var points = L.featureGroup();
    data.points.forEach(function (point) {
      var marker = L.circleMarker([point.lat, point.lon], {
        className: "area-map__point" + (point.hidden ? " area-map__point--hidden-address" : ""),
        radius: point.hidden ? 7 : 6,
        color: point.hidden ? "#c0392b" : "#0031d8",
        fillColor: point.hidden ? "#ec0000" : "#3460fb",
        fillOpacity: 0.8,
        weight: 2,
      });
      // Text nodes only: names come from the directory and are never parsed as HTML.
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.name;
      popup.appendChild(link);
      [point.place, point.kind, point.hidden ? data.labels.hiddenAddress : ""].forEach(
        function (text) {
          if (text) {
            popup.appendChild(document.createElement("br"));
            popup.appendChild(document.createTextNode(text));
          }
        }
      );
      marker.bindPopup(popup);
      points.addLayer(marker);
    });
    points.addTo(map);
    map.fitBounds(points.getBounds(), { padding: [16, 16], maxZoom: 16 });
    container.dataset.ready = "true";
  }

  function restored() {
    var container = document.getElementById("directory-map");
    if (container) {
      delete container.dataset.ready;
    }
    map = null;
    draw();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  document.addEventListener("htmx:afterSettle", draw);
  document.addEventListener("htmx:historyRestore", restored);
})();
