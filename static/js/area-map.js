/* The area page's map: boundaries and resource points from the JSON the page carries
 * (json_script "area-map-data"), drawn with the vendored Leaflet.
 *
 * Progressive enhancement: without JavaScript the page lists the same places; the map container
 * stays hidden. Boundaries and points are vector layers (SVG), so they draw even when no tile
 * server answers (closed networks): the tile layer is only a background.
 */
(function () {
  "use strict";

  function start() {
    var container = document.getElementById("area-map");
    var source = document.getElementById("area-map-data");
    if (!container || !source || typeof L === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    container.hidden = false;
    document.querySelectorAll(".area-map-legend").forEach(function (legend) {
      legend.hidden = false;
    });

    var map = L.map(container, { scrollWheelZoom: false });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { attribution: data.attribution, maxZoom: 18 }).addTo(map);
    }

    var layers = [];
    var boundaries = L.geoJSON(data.boundaries, {
      style: function (feature) {
        var outline = feature.properties.role === "outline";
        return {
          className: "area-map__boundary area-map__boundary--" + feature.properties.role,
          color: outline ? "#1a1a1c" : "#0031d8",
          weight: outline ? 3 : 2,
          fillOpacity: outline ? 0 : 0.08,
        };
      },
      onEachFeature: function (feature, layer) {
        var popup = document.createElement("div");
        var link = document.createElement(feature.properties.url ? "a" : "strong");
        link.textContent = feature.properties.name;
        if (feature.properties.url) {
          link.href = feature.properties.url;
        }
        popup.appendChild(link);
        layer.bindPopup(popup);
      },
    }).addTo(map);
    if (data.boundaries.features.length) {
      layers.push(boundaries);
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
    if (data.points.length) {
      layers.push(points);
    }

    var bounds = L.latLngBounds([]);
    layers.forEach(function (layer) {
      bounds.extend(layer.getBounds());
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16 });
    }
    container.dataset.ready = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
