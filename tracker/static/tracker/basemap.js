// The maps' base layers: countries and coastlines drawn offline from the vendored
// world-atlas TopoJSON (with topojson-client), on by default, and OpenStreetMap tiles
// for those online. Load after leaflet.js and topojson-client.min.js.
//
//   const bases = Basemap.addTo(map);   // adds the offline layer, returns both by name
//   L.control.layers(bases, overlays).addTo(map);
(function () {
  const atlasUrl = new URL("vendor/world-atlas/countries-50m.json", document.currentScript.src).href;
  let countries = null;  // one fetch per page, shared by its maps

  function loadCountries() {
    countries = countries || fetch(atlasUrl)
      .then((response) => response.json())
      .then((topology) => topojson.feature(topology, topology.objects.countries));
    return countries;
  }

  window.Basemap = {
    addTo(map) {
      map.createPane("basemap").style.zIndex = 150;
      const offline = L.geoJSON(null, {
        pane: "basemap", interactive: false, pmIgnore: true, renderer: L.canvas({pane: "basemap"}),
        style: {color: "#8795a1", weight: 0.8, fillColor: "#f6f3ec", fillOpacity: 1},
      });
      loadCountries().then((data) => offline.addData(data));
      const online = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
        maxZoom: 19, attribution: "&copy; OpenStreetMap contributors",
      });
      offline.addTo(map);
      map.getContainer().classList.add("has-basemap");
      return {"Countries (offline)": offline, "OpenStreetMap (online)": online};
    },
  };
})();
