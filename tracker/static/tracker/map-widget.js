// Maps in the incident and area forms (tracker/widgets.py), also in the admin:
//   [data-map-widget="polygon"]  draw, reshape, drag or remove polygons (leaflet-geoman);
//                                the text box data-input holds them as GeoJSON
//   [data-map-widget="point"]    click to place the marker, drag it to move it; the
//                                boxes data-input (longitude) and data-lat-input hold it
// Typing in the boxes moves the shapes on the map. Other areas show faintly for context;
// data-ready is set on the map once they are in and the view has settled.
(function () {
  const DEFAULT_CENTER = [48.8566, 2.3522];

  function makeMap(element) {
    const map = L.map(element).setView(DEFAULT_CENTER, 5);
    L.control.layers(Basemap.addTo(map)).addTo(map);
    const context = L.geoJSON(null, {interactive: false, pmIgnore: true,
                                     style: {color: "#6c757d", weight: 1, dashArray: "4", fillOpacity: 0.05}});
    context.addTo(map);
    if (element.dataset.context) {
      fetch(element.dataset.context, {credentials: "same-origin"})
        .then((response) => (response.ok ? response.json() : null))
        .then((collection) => {
          if (collection) context.addData(collection);
          map.fire("tracker:context", {context});
          element.dataset.ready = "true";  // the view is settled: drawing may start
        });
    } else {
      element.dataset.ready = "true";
    }
    return map;
  }

  // Without a shape of its own yet, the map shows where the other areas are.
  function fitToContextUnless(map, shown) {
    map.on("tracker:context", ({context}) => {
      if (!shown && context.getLayers().length) {
        map.fitBounds(context.getBounds().pad(0.1), {maxZoom: 14, animate: false});
      }
    });
  }

  function polygonWidget(element) {
    const input = document.getElementById(element.dataset.input);
    const map = makeMap(element);
    const drawn = L.featureGroup().addTo(map);
    map.pm.setGlobalOptions({layerGroup: drawn});
    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawCircle: false,
      drawText: false, cutPolygon: false, rotateMode: false,
    });

    function save() {
      const polygons = [];
      drawn.eachLayer((layer) => {
        const geometry = layer.toGeoJSON().geometry;
        if (geometry.type === "Polygon") polygons.push(geometry.coordinates);
        else if (geometry.type === "MultiPolygon") polygons.push(...geometry.coordinates);
      });
      input.value = !polygons.length ? "" : JSON.stringify(polygons.length === 1
        ? {type: "Polygon", coordinates: polygons[0]} : {type: "MultiPolygon", coordinates: polygons});
    }
    function watch(layer) {
      layer.on("pm:edit pm:dragend", save);
    }
    function load() {
      drawn.clearLayers();
      let geometry;
      try { geometry = JSON.parse(input.value); } catch (error) { return false; }
      if (geometry && geometry.type === "Feature") geometry = geometry.geometry;
      if (!geometry || !["Polygon", "MultiPolygon"].includes(geometry.type)) return false;
      L.geoJSON(geometry).eachLayer((layer) => { drawn.addLayer(layer); watch(layer); });
      map.fitBounds(drawn.getBounds().pad(0.3), {maxZoom: 16});
      return true;
    }
    map.on("pm:create", (event) => { drawn.addLayer(event.layer); watch(event.layer); save(); });
    map.on("pm:remove", save);
    input.addEventListener("change", load);
    fitToContextUnless(map, load());
  }

  function pointWidget(element) {
    const lonInput = document.getElementById(element.dataset.input);
    const latInput = document.getElementById(element.dataset.latInput);
    const map = makeMap(element);
    let marker = null;

    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); return; }
      marker = L.marker(latlng, {draggable: true, title: "The incident (drag to move)"}).addTo(map);
      marker.on("dragend", () => write(marker.getLatLng()));
    }
    function write(latlng) {
      const wrapped = latlng.wrap();
      lonInput.value = wrapped.lng.toFixed(6);
      latInput.value = wrapped.lat.toFixed(6);
    }
    function read() {
      const lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
      if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lat) > 90) return false;
      place([lat, lon]);
      map.setView([lat, lon], Math.max(map.getZoom(), 13));
      return true;
    }
    map.on("click", (event) => { place(event.latlng); write(event.latlng); });
    lonInput.addEventListener("change", read);
    latInput.addEventListener("change", read);
    fitToContextUnless(map, read());
  }

  function start() {
    document.querySelectorAll("[data-map-widget=polygon]").forEach(polygonWidget);
    document.querySelectorAll("[data-map-widget=point]").forEach(pointWidget);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
