// The report's print button (an external script: the page's CSP allows no inline script).
document.getElementById("print")?.addEventListener("click", () => window.print());
