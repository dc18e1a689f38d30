/*
 * The primary-sidebar and contents buttons of the article header did nothing: the theme
 * (pydata-sphinx-theme and sphinx-book-theme) binds its click handlers to the *first*
 * .primary-toggle / .secondary-toggle of the page, which is a copy in the site header
 * that the book theme hides. A click on any other copy is forwarded to that bound one,
 * so the theme's own behaviour runs (a drawer below 992 px, collapsing the sidebar above).
 */
(function () {
  "use strict";

  function forward(selector) {
    var buttons = document.querySelectorAll(selector);
    var bound = buttons[0];
    for (var i = 1; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        bound.click();
      });
    }
  }

  function setup() {
    forward(".primary-toggle");
    forward(".secondary-toggle");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
