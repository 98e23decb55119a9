/*
 * Readiness signals of the pages, for whoever drives them (the browser tests
 * wait on these instead of sleeping):
 *
 *   window.shouwangReady.dashIdle()    no Dash callback is in flight
 *   window.shouwangReady.mapIdle(id)   the map in #id has drawn its last
 *                                       change: MapLibre's "idle" (style and
 *                                       tiles loaded, no camera move, no fade)
 *                                       came after its latest frame
 *
 * The map wall also exposes window.shouwangWall (connected, haveSnapshot),
 * see wall.js.
 */
(function () {
  "use strict";

  function graphOf(id) {
    var outer = document.getElementById(id);
    if (!outer) return null;
    return outer.classList.contains("js-plotly-plot") ? outer : outer.querySelector(".js-plotly-plot");
  }

  function mapOf(id) {
    var gd = graphOf(id);
    var sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    return (sub && sub.map) || null;
  }

  function watch(map) {
    // Plotly may replace the MapLibre map when a figure changes: state lives on the map.
    if (map.__shouwangIdle !== undefined) return;
    map.__shouwangIdle = false;
    map.on("render", function () { map.__shouwangIdle = false; });
    map.on("idle", function () { map.__shouwangIdle = true; });
    map.triggerRepaint(); // an already quiet map draws once more, then says idle
  }

  window.shouwangReady = {
    dashIdle: function () {
      return !document.querySelector('[data-dash-is-loading="true"]');
    },
    mapIdle: function (id) {
      var map = mapOf(id);
      if (!map) return false;
      watch(map);
      return map.__shouwangIdle === true && map.loaded();
    },
  };
})();
