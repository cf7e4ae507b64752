// The live map (map.html). It keeps a snapshot from the GeoJSON collections, reloaded
// on every (re)connect together with the stored alerts, and applies the socket's
// notifications to it:
//   {"type": "post_save", "created", "feature"}  add or move (closed incidents go away)
//   {"type": "post_delete", "feature"}            remove
//   {"type": "alert", "id", "created", "feature", "areas_of_interest": [{id, name, severity, url}]}
// Drawing (leaflet-geoman): a new polygon becomes an area, a new marker an incident,
// after a small form; what the user may change (theirs, or anything for staff) can be
// reshaped and dragged, and is saved through the same forms as the pages.
(function () {
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const SEVERITIES = [["UR", "urgent", "#8b0000"], ["HI", "high", "#e03000"], ["ME", "medium", "#f08c00"],
                      ["LO", "low", "#2f80ed"], ["IN", "info", "#6c757d"]];
  const COLORS = Object.fromEntries(SEVERITIES.map(([code, , color]) => [code, color]));
  const TOAST_SECONDS = 12;
  const FIT_MAX_ZOOM = 14;  // a lone incident shows its surroundings
  const alertList = document.getElementById("alerts");
  const csrfToken = document.querySelector("#new-feature-form [name=csrfmiddlewaretoken]").value;

  // The map, its base layers, overlays and legend

  // Zoomed out until features come: the offline layer shows countries, not streets.
  const map = L.map("map").setView([48.8566, 2.3522], 5);
  const areasLayer = L.featureGroup().addTo(map);
  const incidentsLayer = L.featureGroup().addTo(map);
  L.control.layers(Basemap.addTo(map), {"Areas of interest": areasLayer, "Incidents": incidentsLayer},
                   {collapsed: window.innerWidth < 768}).addTo(map);
  const legend = L.control({position: "bottomright"});
  legend.onAdd = () => {
    const box = L.DomUtil.create("section", "legend");
    box.setAttribute("aria-label", "Severity colours");
    box.innerHTML = "<h2>Severity</h2><ul>" + SEVERITIES.map(([code, label]) =>
      `<li><span class="severity severity-${code}" aria-hidden="true"></span>${label}</li>`).join("") + "</ul>";
    return box;
  };
  legend.addTo(map);
  map.pm.addControls({
    position: "topleft", drawCircleMarker: false, drawPolyline: false, drawCircle: false, drawText: false,
    drawRectangle: false, cutPolygon: false, rotateMode: false, removalMode: false,
  });

  const layers = new Map();  // feature id ("incident.3", "area.7") -> Leaflet layer
  let loading = null, fitted = false;

  function mayChange(feature) {
    return config.user.staff || feature.properties.created_by === config.user.id;
  }
  function popup(feature) {
    const p = feature.properties;
    const box = document.createElement("div");
    const link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.name;
    box.append(link, ` (${p.model}, ${p.severity_label})`);
    if (mayChange(feature)) box.append(document.createElement("br"), "yours to edit, drag or reshape");
    return box;
  }
  function layerFor(feature) {
    const p = feature.properties;
    const color = COLORS[p.severity] || "#333";
    const className = `${p.model} ${p.model}-${p.id} severity-${p.severity}`;
    const pmIgnore = !mayChange(feature);
    if (p.model === "incident") {
      const [lon, lat] = feature.geometry.coordinates;
      return L.circleMarker([lat, lon], {radius: 8, color: "#222", weight: 1, fillColor: color, fillOpacity: 0.9,
                                         className, pmIgnore});
    }
    return L.geoJSON(feature, {style: {color, weight: 2, fillOpacity: 0.15, className}, pmIgnore}).getLayers()[0];
  }
  function remove(feature) {
    const layer = layers.get(feature.id);
    if (layer) {
      layer.remove();
      layers.delete(feature.id);
    }
  }
  function put(feature) {
    remove(feature);
    if (feature.properties.closed) return;  // closed incidents leave the map
    const layer = layerFor(feature).bindPopup(() => popup(feature));
    layer.feature = feature;
    layer.addTo(feature.properties.model === "incident" ? incidentsLayer : areasLayer);
    if (feature.properties.model === "area") layer.bringToBack();
    layer.on("pm:edit pm:dragend", () => saveGeometry(layer));
    layers.set(feature.id, layer);
  }

  // Alerts: a list that survives reloads, an unread count, and toasts

  function setUnread(count) {
    const badge = document.getElementById("unread-alerts");
    if (!badge) return;
    badge.textContent = count;
    badge.setAttribute("aria-label", `${count} unread`);
    badge.hidden = !count;
  }
  function alertItem(alert) {
    const p = alert.feature.properties;
    const item = document.createElement("li");
    item.className = `alert alert-incident-${p.id}` + (alert.unread === false ? " read" : "");
    const time = document.createElement("time");
    time.dateTime = alert.created;
    time.textContent = new Date(alert.created).toLocaleString();
    const link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.name;
    item.append(time, `${p.severity_label} incident `, link, " in ");
    alert.areas_of_interest.forEach((area, index) => {
      const areaLink = document.createElement("a");
      areaLink.href = area.url;
      areaLink.textContent = area.name;
      item.append(index ? ", " : "", areaLink);
    });
    return item;
  }
  function showAlerts(alerts) {
    alertList.replaceChildren(...alerts.map(alertItem));
    if (!alerts.length) alertList.innerHTML = '<li id="no-alerts" class="read">None yet.</li>';
  }
  function toast(item) {
    const box = document.createElement("div");
    box.className = "toast";
    const close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => box.remove());
    box.append(close, ...item.cloneNode(true).childNodes);
    document.getElementById("toasts").append(box);
    setTimeout(() => box.remove(), TOAST_SECONDS * 1000);
  }
  function showAlert(alert) {
    document.getElementById("no-alerts")?.remove();
    const item = alertItem(alert);
    alertList.prepend(item);
    toast(item);
    const badge = document.getElementById("unread-alerts");
    setUnread((parseInt(badge?.textContent, 10) || 0) + 1);
    const marker = layers.get(alert.feature.id);
    if (marker && marker.setStyle) marker.setStyle({weight: 3, color: "#b00"});
  }
  document.getElementById("mark-read").addEventListener("click", async () => {
    const response = await post(config.alertsSeen, new URLSearchParams());
    if (response.ok) {
      setUnread(0);
      alertList.querySelectorAll("li").forEach((item) => item.classList.add("read"));
    }
  });

  // The snapshot and the socket

  function apply(data) {
    if (data.type === "post_save") put(data.feature);
    else if (data.type === "post_delete") remove(data.feature);
    else if (data.type === "alert") showAlert(data);
  }
  async function getJSON(url) {
    const response = await fetch(url, {credentials: "same-origin", cache: "no-store"});
    if (!response.ok) throw new Error(`could not load ${url} (${response.status})`);
    return response.json();
  }
  async function load() {
    // Notifications that arrive while the snapshot loads are applied after it.
    loading = [];
    try {
      const [areas, incidents, stored] = await Promise.all([...config.collections, config.alerts].map(getJSON));
      areasLayer.clearLayers();
      incidentsLayer.clearLayers();
      layers.clear();
      [...areas.features, ...incidents.features].forEach(put);
      showAlerts(stored.alerts);
      setUnread(stored.unread);
      const queued = loading;
      loading = null;
      queued.forEach((data) => {
        if (data.type !== "alert" || !stored.alerts.some((alert) => alert.id === data.id)) apply(data);
      });
      if (!fitted && layers.size) {
        fitted = true;
        map.fitBounds(L.featureGroup([...layers.values()]).getBounds().pad(0.1), {maxZoom: FIT_MAX_ZOOM});
      }
    } catch (error) {
      loading = null;
      live.reconnect();  // the next open loads again
    }
  }
  const live = LiveSocket({
    path: "/ws/notifications/",
    status: document.getElementById("status"),
    onOpen: load,  // "live" once the snapshot is in
    onMessage(data) {
      if (loading) loading.push(data);
      else apply(data);
    },
    reconnectStatus: ["offline, reconnecting…", "error"],
    ping: {action: "ping"},
  });

  // Saving what is drawn, moved or reshaped, through the forms' views

  function post(url, body, json = false) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body,
      headers: {"X-CSRFToken": csrfToken, "Accept": "application/json",
                ...(json ? {"Content-Type": "application/json"} : {})},
    });
  }
  function errorTexts(errors) {
    return Object.entries(errors).flatMap(([field, list]) =>
      list.map((error) => (field === "__all__" ? error.message : `${field}: ${error.message}`)));
  }
  function geometryOf(layer) {
    return layer instanceof L.CircleMarker || layer instanceof L.Marker
      ? {type: "Point", coordinates: [layer.getLatLng().wrap().lng, layer.getLatLng().lat]}
      : layer.toGeoJSON().geometry;
  }
  async function saveGeometry(layer, confirmFar = false) {
    const p = layer.feature.properties;
    const url = config.geometry[p.model].replace("/0/", `/${p.id}/`);
    const response = await post(url, JSON.stringify({geometry: geometryOf(layer), confirm_far: confirmFar}), true);
    if (response.ok) return put((await response.json()).feature);
    const answer = await response.json().catch(() => ({error: `error ${response.status}`}));
    const text = answer.error || errorTexts(answer.errors).join("\n");
    if (answer.far && window.confirm(text)) return saveGeometry(layer, true);
    if (!answer.far) window.alert(`Not saved: ${text}`);
    put(layer.feature);  // back where the server has it
  }

  const dialog = document.getElementById("new-feature");
  const form = document.getElementById("new-feature-form");
  const errorsBox = document.getElementById("new-feature-errors");
  let drawn = null;  // the layer just drawn, while its form is open

  function closeDialog() {
    if (drawn) drawn.remove();
    drawn = null;
    dialog.close();
  }
  map.on("pm:create", ({layer}) => {
    drawn = layer;
    const model = layer instanceof L.Marker ? "incident" : "area";
    form.dataset.model = model;
    form.reset();
    errorsBox.hidden = true;
    document.getElementById("new-confirm-field").hidden = true;
    document.getElementById("new-description-field").hidden = model !== "incident";
    document.getElementById("new-feature-title").textContent = model === "incident" ? "New incident" : "New area";
    dialog.showModal();
    document.getElementById("new-name").focus();
  });
  document.getElementById("new-cancel").addEventListener("click", closeDialog);
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); closeDialog(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const model = form.dataset.model;
    const body = new URLSearchParams(new FormData(form));
    const geometry = geometryOf(drawn);
    if (model === "incident") {
      body.set("lon", geometry.coordinates[0]);
      body.set("lat", geometry.coordinates[1]);
    } else {
      body.set("polygon", JSON.stringify(geometry));
    }
    const response = await post(config.create[model], body);
    const answer = await response.json().catch(() => ({errors: {__all__: [{message: `error ${response.status}`}]}}));
    if (response.ok) {
      put(answer.feature);
      closeDialog();
      return;
    }
    errorsBox.replaceChildren(...errorTexts(answer.errors).map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    errorsBox.hidden = false;
    document.getElementById("new-confirm-field").hidden = !answer.far;
  });
})();
