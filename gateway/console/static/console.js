// Live updates for the incident console (docs/console.md): the element with data-live names a server-sent
// events stream; each "update" event carries {element id: HTML rendered by the gateway}, swapped in place.
// Without JavaScript every page still works (forms post, a reload shows the news).
(function () {
  "use strict";
  var status = document.querySelector("[data-live]");
  if (!status || !window.EventSource) return;
  var source = new EventSource(status.getAttribute("data-live"));
  function say(text) {
    var marker = status.querySelector(".live-state");
    if (!marker) {
      marker = document.createElement("span");
      marker.className = "live-state";
      status.appendChild(marker);
    }
    marker.textContent = text;
  }
  source.addEventListener("update", function (event) {
    var regions = JSON.parse(event.data);
    Object.keys(regions).forEach(function (id) {
      var element = document.getElementById(id);
      if (element) element.innerHTML = regions[id];
    });
    say(" · live updates on, last at " + new Date().toLocaleTimeString());
  });
  source.addEventListener("problem", function (event) {
    say(" · live updates paused: " + JSON.parse(event.data));
  });
  source.addEventListener("open", function () { say(" · live updates on"); });
  source.addEventListener("error", function () { say(" · live updates reconnecting…"); });
})();
