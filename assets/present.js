/* Presentation mode (pages/present.py): one slide per screen, keyboard paging, full screen.
   ← / PageUp previous, → / PageDown / Space next, Home / End first / last, F full screen.
   The slide number is kept in the URL hash (#3) so a reload stays on the same slide. */
(function () {
  function slides() { return Array.prototype.slice.call(document.querySelectorAll("#deck > .slide")); }
  function current(list) {
    var i = list.findIndex(function (s) { return s.classList.contains("active"); });
    return i < 0 ? 0 : i;
  }
  function show(n) {
    var list = slides();
    if (!list.length || document.querySelector(".print-layout")) { return; }
    n = Math.max(0, Math.min(list.length - 1, n));
    list.forEach(function (s, i) { s.classList.toggle("active", i === n); });
    history.replaceState(null, "", location.pathname + location.search + "#" + (n + 1));
    window.dispatchEvent(new Event("resize"));  // let plotly fit the chart that just appeared
  }
  document.addEventListener("keydown", function (e) {
    if (!document.getElementById("deck") || e.ctrlKey || e.altKey || e.metaKey) { return; }
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA") { return; }
    var list = slides(), i = current(list);
    var keys = {ArrowRight: i + 1, PageDown: i + 1, " ": i + 1, ArrowLeft: i - 1, PageUp: i - 1,
                Home: 0, End: list.length - 1};
    if (e.key in keys) { e.preventDefault(); show(keys[e.key]); return; }
    if (e.key === "f" || e.key === "F") {
      e.preventDefault();
      var root = document.getElementById("present-root");
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (root && root.requestFullscreen) { root.requestFullscreen(); }
    }
  });
  // full screen hides the keyboard hint (assets/present.css); the class covers browsers where
  // the :fullscreen rule does not match
  document.addEventListener("fullscreenchange", function () {
    var root = document.getElementById("present-root");
    if (root) { root.classList.toggle("is-fullscreen", document.fullscreenElement === root); }
  });
  document.addEventListener("click", function (e) {
    var t = e.target && e.target.closest && e.target.closest("[data-action=print]");
    if (t) { window.print(); }
  });
  // open on the slide named in the hash once the deck is drawn
  var seen = null;
  new MutationObserver(function () {
    var deck = document.getElementById("deck");
    if (deck && deck !== seen) {
      seen = deck;
      var n = parseInt((location.hash || "#1").slice(1), 10);
      if (n > 1) { show(n - 1); }
    }
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
