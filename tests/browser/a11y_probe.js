// The page-side half of tests/browser/a11y.py: measurements that must be taken inside the page.
// Injected through page.evaluate (the DevTools protocol), so the page's CSP does not block it.
// Used only by the tests; never served to respondents.
window.__coformA11y = (function () {
  "use strict";

  // A short selector-like name for an element in a problem report: tag#id "its text".
  function describe(el) {
    if (!el || el === document.body) { return "body"; }
    var name = el.tagName.toLowerCase();
    if (el.id) {
      name += "#" + el.id;
    } else if (el.getAttribute("name")) {
      name += "[name=" + el.getAttribute("name") + "]";
    } else if (typeof el.className === "string" && el.className.trim()) {
      name += "." + el.className.trim().split(/\s+/).join(".");
    }
    var text = (el.innerText || el.value || "").trim().replace(/\s+/g, " ").slice(0, 30);
    return text ? name + ' "' + text + '"' : name;
  }

  function focused() {
    var el = document.activeElement;
    return el && el !== document.body ? el : null;
  }

  function describeFocused() {
    return describe(document.activeElement);
  }

  // A stable key for the focused element, to notice when Tab has come round again.
  function focusKey() {
    var el = focused();
    if (!el) { return null; }
    return el.tagName + ":" + Array.prototype.indexOf.call(document.querySelectorAll("*"), el);
  }

  // The focused element's box grown by `margin`, in document coordinates (so a screenshot of it
  // stays on the same content however the page scrolls), kept inside the document.
  function focusBox(margin) {
    var el = focused();
    if (!el) { return null; }
    var r = el.getBoundingClientRect();
    var root = document.documentElement;
    var x = Math.max(0, r.left + scrollX - margin);
    var y = Math.max(0, r.top + scrollY - margin);
    var right = Math.min(root.scrollWidth, r.right + scrollX + margin);
    var bottom = Math.min(root.scrollHeight, r.bottom + scrollY + margin);
    if (right - x < 1 || bottom - y < 1) { return null; }
    return { x: x, y: y, width: right - x, height: bottom - y };
  }

  // What covers the focused element at its centre, or null when nothing does. A radio or checkbox
  // is a transparent input under its label's drawn face; its own label counts as itself.
  function coveredBy() {
    var el = focused();
    if (!el) { return null; }
    // The centre of the first box inside the window: a tall text area is scrolled only partly into
    // view, and a link wrapped over two lines has two boxes with the gap between them not its own.
    var boxes = Array.prototype.filter.call(el.getClientRects(), function (b) {
      return b.width > 0 && b.height > 0 && b.bottom > 0 && b.top < innerHeight;
    });
    var r = boxes.length ? boxes[0] : el.getBoundingClientRect();
    var left = Math.max(r.left, 0), right = Math.min(r.right, innerWidth);
    var top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
    if (right <= left || bottom <= top) { return "the edge of the window"; }
    var hit = document.elementFromPoint((left + right) / 2, (top + bottom) / 2);
    if (hit && (hit === el || el.contains(hit))) { return null; }
    var labels = el.labels ? Array.prototype.slice.call(el.labels) : [];
    if (hit && labels.some(function (label) { return label === hit || label.contains(hit); })) { return null; }
    return describe(hit);
  }

  function shown(el, style) {
    return style.display !== "none" && style.visibility !== "hidden" && style.display !== "contents";
  }

  function size(el) {
    return el.scrollWidth + "x" + el.scrollHeight + " in " + el.clientWidth + "x" + el.clientHeight;
  }

  // Sideways scrolling (when `reflow`), boxes sticking out of the window, boxes that clip their
  // content (overflow hidden or clip) and boxes whose own text spills out of them.
  function overflow(reflow) {
    var problems = [];
    var root = document.documentElement;
    if (reflow && root.scrollWidth > innerWidth) {
      problems.push("page scrolls sideways: " + root.scrollWidth + " px wide in a " + innerWidth + " px window");
    }
    var skip = ".visually-hidden, .skip-link, head, script, style, [hidden]";
    Array.prototype.forEach.call(document.body.querySelectorAll("*"), function (el) {
      if (el.closest(skip)) { return; }
      var style = getComputedStyle(el);
      if (!shown(el, style)) { return; }
      var r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) { return; }
      if (reflow && style.opacity !== "0" && (r.right > innerWidth + 1 || r.left < -1)) {
        problems.push(describe(el) + " sticks out of the window (" + Math.round(r.left) + " to " + Math.round(r.right) + ")");
        return;
      }
      if (/^(INPUT|SELECT|TEXTAREA|IMG|svg)$/.test(el.tagName)) { return; }
      var tooWide = el.scrollWidth > el.clientWidth + 1;
      var tooTall = el.scrollHeight > el.clientHeight + 1;
      // Glyphs may poke a few pixels out of a tight line box (line-height 1.04) without any text
      // being lost; spilling text by more than that is what 1.4.10 and 1.4.12 are about.
      var spillsWide = el.scrollWidth > el.clientWidth + 4;
      var spillsTall = el.scrollHeight > el.clientHeight + 4;
      var hidesX = style.overflowX === "hidden" || style.overflowX === "clip";
      var hidesY = style.overflowY === "hidden" || style.overflowY === "clip";
      var hasText = Array.prototype.some.call(el.childNodes, function (node) {
        return node.nodeType === 3 && node.textContent.trim();
      });
      if ((hidesX && tooWide) || (hidesY && tooTall)) {
        problems.push(describe(el) + " clips its content (" + size(el) + ")");
      } else if (hasText && el.clientHeight > 0 && (spillsWide || spillsTall) && !el.closest("[aria-hidden=true]")) {
        // A decorative glyph (aria-hidden, such as the warning "!") may spill its line box; words may not.
        problems.push(describe(el) + " text overflows its box (" + size(el) + ")");
      }
      if (reflow && tooWide && (style.overflowX === "auto" || style.overflowX === "scroll")) {
        problems.push(describe(el) + " scrolls sideways inside the page");
      }
    });
    return problems;
  }

  // The drawn face of every visible control, in page coordinates. A radio or checkbox whose real
  // input is transparent is drawn by its label's ::before box, so that box is its face.
  function controlFaces() {
    var selector = "input:not([type=hidden]), select, textarea, button, a.button";
    var faces = [];
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (el) {
      var style = getComputedStyle(el);
      // Not rendered at all (inside a hidden follow-up, say): nothing to see, nothing to miss.
      if (!shown(el, style) || el.closest("[hidden], .visually-hidden") || !el.getClientRects().length) { return; }
      var r = el.getBoundingClientRect();
      if (style.opacity === "0" && el.labels && el.labels.length) {
        var before = getComputedStyle(el.labels[0], "::before");
        var holder = (el.labels[0].offsetParent || el.parentElement).getBoundingClientRect();
        r = {
          left: holder.left + parseFloat(before.left), top: holder.top + parseFloat(before.top),
          width: parseFloat(before.width), height: parseFloat(before.height)
        };
      }
      var box = r.width > 0 && r.height > 0
        ? { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height }
        : null;
      // A file input is its "Choose file" button and plain text beside it: the button's edges
      // are drawn, the text has none, so one drawn side is enough.
      faces.push({ name: describe(el), box: box, allSides: el.type !== "file" });
    });
    return faces;
  }

  // A blinking caret would make a focused text box differ from itself between two screenshots.
  var caret = null;
  function hideCaret() {
    if (caret && document.adoptedStyleSheets.indexOf(caret) !== -1) { return; }
    caret = new CSSStyleSheet();
    caret.replaceSync("* { caret-color: transparent !important; }");
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([caret]);
  }

  var spacing = null;

  // WCAG 1.4.12 spacing through a constructed style sheet: CSSOM, which CSP does not govern.
  function applySpacing(css) {
    spacing = new CSSStyleSheet();
    spacing.replaceSync(css);
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([spacing]);
  }

  function removeSpacing() {
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter(function (s) { return s !== spacing; });
    spacing = null;
  }

  return {
    describe: describe, describeFocused: describeFocused, focusKey: focusKey, focusBox: focusBox, coveredBy: coveredBy,
    overflow: overflow, controlFaces: controlFaces, hideCaret: hideCaret, applySpacing: applySpacing, removeSpacing: removeSpacing
  };
})();
