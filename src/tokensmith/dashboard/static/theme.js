// Runs in <head>, before the first paint: applies the remembered colour theme (no flash of the
// wrong theme) and marks the page as scripted, so the stylesheet can show the controls that need
// JavaScript. The theme is kept in this browser only (localStorage); "system" follows
// prefers-color-scheme.
"use strict";
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var theme = window.localStorage.getItem("tokensmith-theme");
    if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
  } catch (e) { /* storage disabled: follow the system */ }
})();
