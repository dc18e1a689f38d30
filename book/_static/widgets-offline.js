/*
 * Glue between the ipywidgets HTML manager and the rest of the book, loaded on pages
 * with saved widget state (see nb_ipywidgets_js in _config.yml): after RequireJS,
 * before @jupyter-widgets/html-manager's embed-amd.js.
 *
 * 1. embed-amd.js finds its web fonts next to the AMD module it defines, whose URL
 *    RequireJS derives from the page's folder. Point that module at the copy the build
 *    ships in _static/npm/jupyter-widgets/ so the fonts load from there.
 * 2. The manager typesets widget labels with the MathJax 2 call
 *    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]). The book runs MathJax 3,
 *    which has no Hub: give it a small Hub that forwards to MathJax.typesetPromise.
 */
(function () {
  "use strict";

  var here = document.currentScript && document.currentScript.src;
  if (here && typeof window.require === "function" && window.require.config) {
    var dist = new URL("npm/jupyter-widgets/", here).href.replace(/\/$/, "");
    window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": dist } });
  }

  function typeset(element) {
    var mj = window.MathJax;
    if (!mj || !mj.startup || !mj.startup.promise) {
      return;
    }
    mj.startup.promise = mj.startup.promise
      .then(function () {
        return mj.typesetPromise(element ? [element] : undefined);
      })
      .catch(function (err) {
        console.warn("MathJax could not typeset a widget label:", err);
      });
  }

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") {
          typeset(job[2]);
        }
      }
    },
  };

  function attach(mj) {
    // Only the loaded MathJax 3 object (it has a version); never the config object
    // that the page sets before MathJax loads.
    if (mj && typeof mj === "object" && typeof mj.version === "string" && !mj.Hub) {
      mj.Hub = hub;
    }
    return mj;
  }

  // MathJax 3 replaces window.MathJax when it starts; catch that assignment.
  var current = attach(window.MathJax);
  try {
    Object.defineProperty(window, "MathJax", {
      configurable: true,
      enumerable: true,
      get: function () {
        return current;
      },
      set: function (value) {
        current = attach(value);
      },
    });
  } catch (err) {
    window.addEventListener("load", function () {
      attach(window.MathJax);
    });
  }
})();
