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

  // One Tab stop for the whole picture (then on to the table); the arrow keys go from person to
  // person, Home and End to the first and the last.
  const nodes = [...svg.querySelectorAll(".node")];
  nodes.forEach((node, i) => {
    node.setAttribute("tabindex", i === 0 ? "0" : "-1");
    node.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      let next = null;
      if (step) next = nodes[(i + step + nodes.length) % nodes.length];
      else if (event.key === "Home") next = nodes[0];
      else if (event.key === "End") next = nodes[nodes.length - 1];
      if (!next) return;
      event.preventDefault();
      node.setAttribute("tabindex", "-1");
      next.setAttribute("tabindex", "0");
      next.focus();
    });
  });

  // A node reached by keyboard while zoomed in is moved into the visible part.
  nodes.forEach((node) => {
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
