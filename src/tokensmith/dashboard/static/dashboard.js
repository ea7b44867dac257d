// Tokensmith dashboard: copy buttons, secret reveal, theme picker, menu, tabs (WAI-ARIA tabs
// pattern), confirmations. No library. Every page works without it; theme.js (in <head>) marks
// the page as scripted so these controls show.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var THEME_KEY = "tokensmith-theme";
  var root = document.documentElement;
  var announcer = document.getElementById("announcer");

  // Polite live region: cleared first, so the same message is announced again.
  function announce(message) {
    if (!announcer) return;
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = message; }, 50);
  }

  // -- copy: the real value (a masked secret copies in clear) --------------------------------
  function valueOf(target) {
    return target.tagName === "INPUT" || target.tagName === "TEXTAREA" ? target.value : target.textContent;
  }

  function select(el) {
    if (el.select) { el.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var label = button.textContent;
    var timer = null;
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) return;
      var done = function () {
        button.textContent = "Copied";
        announce("Copied");
        clearTimeout(timer);
        timer = setTimeout(function () { button.textContent = label; }, 2000);
      };
      var manual = function () {
        select(target);
        announce("Selected: press Ctrl+C to copy");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(valueOf(target)).then(done, manual);
      } else {
        try {
          select(target);
          if (document.execCommand("copy")) done(); else manual();
        } catch (e) { manual(); }
      }
    });
  });

  // -- reveal: secrets are masked while shown; the page itself renders them in clear ----------
  document.querySelectorAll("[data-reveal]").forEach(function (button) {
    var input = document.querySelector(button.getAttribute("data-reveal"));
    if (!input) return;
    function show(visible) {
      input.type = visible ? "text" : "password";
      button.setAttribute("aria-pressed", visible ? "true" : "false");
    }
    show(false);
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-pressed") !== "true");
    });
  });

  // -- theme: light, dark or the system's; remembered in this browser -----------------------
  var themeButtons = document.querySelectorAll("[data-theme-choice]");
  function currentTheme() { return root.getAttribute("data-theme") || "system"; }
  function markTheme() {
    var theme = currentTheme();
    themeButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-theme-choice") === theme ? "true" : "false");
    });
  }
  themeButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      var theme = button.getAttribute("data-theme-choice");
      try {
        if (theme === "system") window.localStorage.removeItem(THEME_KEY);
        else window.localStorage.setItem(THEME_KEY, theme);
      } catch (e) { /* storage disabled: this page only */ }
      if (theme === "system") root.removeAttribute("data-theme");
      else root.setAttribute("data-theme", theme);
      markTheme();
    });
  });
  markTheme();

  // -- menu: the sidebar collapses on narrow screens --------------------------------------------
  var toggle = document.querySelector(".nav-toggle");
  var nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
      root.classList.toggle("menu-open", open);
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        toggle.setAttribute("aria-expanded", "false");
        nav.classList.remove("open");
        root.classList.remove("menu-open");
        toggle.focus();
      }
    });
  }

  // -- tabs ------------------------------------------------------------------------------------
  document.querySelectorAll("[data-tabs]").forEach(function (container) {
    var tabs = Array.prototype.slice.call(container.querySelectorAll("[role=tab]"));
    function activate(tab, focus) {
      tabs.forEach(function (t) {
        var selected = t === tab;
        t.setAttribute("aria-selected", selected ? "true" : "false");
        t.tabIndex = selected ? 0 : -1;
        document.getElementById(t.getAttribute("aria-controls")).hidden = !selected;
      });
      if (focus) tab.focus();
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { activate(tab, false); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
        if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
        if (event.key === "Home") next = tabs[0];
        if (event.key === "End") next = tabs[tabs.length - 1];
        if (next) { event.preventDefault(); activate(next, true); }
      });
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
});
