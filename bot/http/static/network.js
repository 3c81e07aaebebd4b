// The network picture: zoom with the buttons or the wheel, drag to pan, a focused node is brought
// into view. Everything moves the SVG viewBox; the layout itself comes from the server.
(function () {
  "use strict";
  const svg = document.getElementById("network");
  if (!svg) return;
  const full = { x: 0, y: 0, w: Number(svg.dataset.width), h: Number(svg.dataset.height) };
  let view = Object.assign({}, full);

  function apply() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map((v) => v.toFixed(1)).join(" "));
  }

  function clamp() {
    view.w = Math.min(Math.max(view.w, full.w / 12), full.w);
    view.h = view.w * (full.h / full.w);
    view.x = Math.min(Math.max(view.x, 0), full.w - view.w);
    view.y = Math.min(Math.max(view.y, 0), full.h - view.h);
  }

  function zoom(factor, cx, cy) {
    const x = cx === undefined ? view.x + view.w / 2 : cx;
    const y = cy === undefined ? view.y + view.h / 2 : cy;
    view.x = x - (x - view.x) * factor;
    view.y = y - (y - view.y) * factor;
    view.w *= factor;
    clamp();
    apply();
  }

  function toPicture(event) {
    const box = svg.getBoundingClientRect();
    return {
      x: view.x + ((event.clientX - box.left) / box.width) * view.w,
      y: view.y + ((event.clientY - box.top) / box.height) * view.h,
    };
  }

  document.querySelectorAll("[data-zoom]").forEach((button) => {
    button.addEventListener("click", () => {
      const how = button.dataset.zoom;
      if (how === "in") zoom(0.7);
      else if (how === "out") zoom(1 / 0.7);
      else { view = Object.assign({}, full); apply(); }
    });
  });

  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const at = toPicture(event);
    zoom(event.deltaY < 0 ? 0.85 : 1 / 0.85, at.x, at.y);
  }, { passive: false });

  let drag = null;
  svg.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, view: Object.assign({}, view) };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const box = svg.getBoundingClientRect();
    view.x = drag.view.x - ((event.clientX - drag.x) / box.width) * view.w;
    view.y = drag.view.y - ((event.clientY - drag.y) / box.height) * view.h;
    clamp();
    apply();
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("pointercancel", () => { drag = null; });

  // A node reached by Tab while zoomed in is moved into the visible part.
  svg.querySelectorAll(".node").forEach((node) => {
    node.addEventListener("focus", () => {
      const circle = node.querySelector("circle");
      const cx = Number(circle.getAttribute("cx"));
      const cy = Number(circle.getAttribute("cy"));
      if (cx < view.x || cx > view.x + view.w || cy < view.y || cy > view.y + view.h) {
        view.x = cx - view.w / 2;
        view.y = cy - view.h / 2;
        clamp();
        apply();
      }
    });
  });
})();
