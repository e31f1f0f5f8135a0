/* Precomputed interactive figures for the static book (no kernel, no network).
 *
 * Each figure is a <div class="cnn-widget"> written by cnn_course.widgets.core: sliders,
 * selects and checkboxes (data-control), or a fixed value (<span data-control data-value>)
 * where the book keeps a control at one value; one <img class="cnn-widget-frame">; a caption;
 * and a JSON block {"index": {"i|j": [image, caption]}, "images": [data URIs],
 * "captions": [text], "title": text}. The key of a frame is the controls' positions joined
 * with "|", in document order. Each control's data-texts holds its values in words: the
 * slider's aria-valuetext, and (after the title) the frame's alt text.
 *
 * Every figure image of a page (players and static figures) is drawn at 2x and shown at its
 * CSS size; on a narrow screen it shrinks to at most 3/4 of that, then scrolls sideways in
 * its own box (min-width), so its text stays readable.
 */
(function () {
  "use strict";

  var PHONE_MIN_SCALE = 0.75;   // cnn_course.widgets.style.PHONE_MIN_SCALE

  function position(c) {
    if (c.type === "checkbox") { return c.checked ? 1 : 0; }
    if (c.value === undefined || c.tagName === "SPAN") { return +(c.dataset.value || 0); }
    return +c.value;
  }

  function setup(root) {
    var dataNode = root.querySelector("script.cnn-widget-data");
    var img = root.querySelector("img.cnn-widget-frame");
    if (!dataNode || !img || root.dataset.cnnReady) { return; }
    root.dataset.cnnReady = "1";
    var data = JSON.parse(dataNode.textContent);
    var caption = root.querySelector(".cnn-widget-caption");
    var controls = Array.prototype.slice.call(root.querySelectorAll("[data-control]"));

    function words(c) {
      var texts = c.dataset.texts ? JSON.parse(c.dataset.texts) : null;
      return texts ? texts[position(c)] : "";
    }

    function update() {
      var key = controls.map(function (c) { return String(position(c)); }).join("|");
      controls.forEach(function (c) {
        var out = c.parentNode.querySelector("output");
        if (out && c.dataset.labels) { out.textContent = JSON.parse(c.dataset.labels)[position(c)]; }
        if (c.type === "range") { c.setAttribute("aria-valuetext", words(c)); }
      });
      var entry = data.index[key];
      if (!entry) { return; }
      img.src = data.images[entry[0]];
      if (data.title) {
        img.alt = data.title + ". " + controls.map(words).filter(Boolean).join("; ");
      }
      if (caption) { caption.textContent = data.captions[entry[1]]; }
    }

    controls.forEach(function (c) {
      if (c.tagName === "SPAN") { return; }
      c.addEventListener("input", update);
      c.addEventListener("change", update);
    });
    update();
  }

  // A static figure (myst-nb writes its CSS size as width/height): never narrower than
  // PHONE_MIN_SCALE of it; its output box scrolls sideways instead.
  function keepReadable(img) {
    if (img.dataset.cnnMin) { return; }
    var width = parseFloat(img.getAttribute("width")) ||
                parseFloat(img.style.width) || 0;
    if (!width) { return; }
    img.dataset.cnnMin = "1";
    img.style.minWidth = Math.floor(PHONE_MIN_SCALE * width) + "px";
  }

  // A figure wider than its box (on a phone) scrolls sideways: fade the edge that has more
  // to see (cnn_widgets.css), so that the reader knows to scroll; none once at that end.
  var scrollMarks = [];
  function markScrollable(box) {
    function mark() {
      var hidden = box.scrollWidth - box.clientWidth;
      box.classList.toggle("cnn-more-right", hidden - box.scrollLeft > 2);
      box.classList.toggle("cnn-more-left", hidden > 2 && box.scrollLeft > 2);
    }
    box.addEventListener("scroll", mark, {passive: true});
    Array.prototype.forEach.call(box.querySelectorAll("img"), function (img) {
      img.addEventListener("load", mark);
    });
    scrollMarks.push(mark);
    mark();
  }
  window.addEventListener("resize", function () {
    scrollMarks.forEach(function (mark) { mark(); });
  });

  function setupAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".cnn-widget"), setup);
    Array.prototype.forEach.call(
      document.querySelectorAll(".cell_output img, .output img, img.cnn-figure"), keepReadable);
    Array.prototype.forEach.call(
      document.querySelectorAll(".cnn-widget-figure, .bd-content div.cell_output"),
      markScrollable);
  }

  // The language switch (book/_ext/translation.py) leads to the same page in the other
  // edition; keep the reader's place there too: the section or glossary term (#...) and a
  // search query (?q=...). Both editions use the same ids.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.cnn-lang-switch") : null;
    if (link) {
      link.href = link.href.split(/[?#]/)[0] + window.location.search + window.location.hash;
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupAll);
  } else {
    setupAll();
  }
})();
