/* Precomputed interactive figures for the static book (no kernel, no network).
 *
 * Each figure is a <div class="cnn-widget"> written by cnn_course.widgets.core: sliders and
 * selects (data-control), one <img class="cnn-widget-frame">, a caption, and a JSON block
 * {"index": {"i|j": [image, caption]}, "images": [data URIs], "captions": [text]}.
 * The key of a frame is the controls' positions joined with "|", in document order.
 */
(function () {
  "use strict";

  function setup(root) {
    var dataNode = root.querySelector("script.cnn-widget-data");
    var img = root.querySelector("img.cnn-widget-frame");
    if (!dataNode || !img || root.dataset.cnnReady) { return; }
    root.dataset.cnnReady = "1";
    var data = JSON.parse(dataNode.textContent);
    var caption = root.querySelector(".cnn-widget-caption");
    var controls = Array.prototype.slice.call(root.querySelectorAll("[data-control]"));

    function update() {
      var key = controls.map(function (c) { return String(c.value); }).join("|");
      controls.forEach(function (c) {
        var out = c.parentNode.querySelector("output");
        if (out && c.dataset.labels) { out.textContent = JSON.parse(c.dataset.labels)[+c.value]; }
      });
      var entry = data.index[key];
      if (!entry) { return; }
      img.src = data.images[entry[0]];
      if (caption) { caption.textContent = data.captions[entry[1]]; }
    }

    controls.forEach(function (c) {
      c.addEventListener("input", update);
      c.addEventListener("change", update);
    });
  }

  function setupAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".cnn-widget"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupAll);
  } else {
    setupAll();
  }
})();
