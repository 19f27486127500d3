// My Apps: filter the tiles as the user types in #app-search. Without this script the search box is a GET form
// that the server answers with the matching tiles.
(function () {
  "use strict";
  var input = document.getElementById("app-search");
  var tiles = document.getElementById("tiles");
  var none = document.getElementById("no-match");
  if (!input || !tiles) {
    return;
  }
  function filter() {
    var q = input.value.trim().toLowerCase();
    var shown = 0;
    var items = tiles.querySelectorAll("a.tile");
    for (var i = 0; i < items.length; i++) {
      var match = q === "" || (items[i].getAttribute("data-name") || "").toLowerCase().indexOf(q) >= 0;
      items[i].parentNode.hidden = !match;
      if (match) {
        shown++;
      }
    }
    if (none) {
      none.hidden = shown > 0;
    }
  }
  input.addEventListener("input", filter);
  input.form.addEventListener("submit", function (e) {
    e.preventDefault();
    filter();
  });
  filter();
})();
