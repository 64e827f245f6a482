/* Fits every map whose figure names a box (layout.meta.fit = [west, south, east, north]) to the
   size it is drawn at, so the whole box shows on any screen, a phone's too: plotly's MapLibre map
   has no "fit bounds" setting (map.bounds only restricts panning). Same maths as
   data/geo.py fit_view; runs again after every redraw (new figure, window resized). */
(function () {
  var TILE = 512, PAD = 0.04, MAX_ZOOM = 9.0;
  function merc(lat) { return Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360)); }
  function view(box, w, h) {
    var x = Math.max(box[2] - box[0], 1e-6) / 360;
    var y = Math.max(merc(box[3]) - merc(box[1]), 1e-6) / (2 * Math.PI);
    var u = 1 - 2 * PAD;
    var zoom = Math.min(Math.log2(w * u / (TILE * x)), Math.log2(h * u / (TILE * y)), MAX_ZOOM);
    var mid = (merc(box[3]) + merc(box[1])) / 2;
    return {zoom: zoom, lon: (box[0] + box[2]) / 2, lat: (2 * Math.atan(Math.exp(mid)) - Math.PI / 2) * 180 / Math.PI};
  }
  function fit(gd) {
    var full = gd._fullLayout, meta = gd.layout && gd.layout.meta, box = meta && meta.fit;
    if (!box || !full || !full.map || !full._size || !window.Plotly) return;
    var v = view(box, full._size.w, full._size.h), cur = full.map;
    if (Math.abs(cur.zoom - v.zoom) < 0.01 && Math.abs(cur.center.lat - v.lat) < 1e-4 &&
        Math.abs(cur.center.lon - v.lon) < 1e-4) return;
    window.Plotly.relayout(gd, {"map.zoom": v.zoom, "map.center": {lat: v.lat, lon: v.lon}});
  }
  function hook(gd) {
    if (gd.__fitHooked || typeof gd.on !== "function") return;
    gd.__fitHooked = true;
    gd.on("plotly_afterplot", function () { fit(gd); });
    fit(gd);
  }
  new MutationObserver(function () {
    document.querySelectorAll(".js-plotly-plot").forEach(hook);
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
