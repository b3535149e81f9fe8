/* Registers the portal's service worker (portal/static/portal/sw.js, served at /account/sw.js by
   portal.pwa.service_worker_view with "Service-Worker-Allowed: /account/") so the member's card opens without a
   network. Load it on the cabinet's pages, e.g. <script src="{% static 'portal/register-sw.js' %}" defer>. */

(function () {
  "use strict";

  if (!("serviceWorker" in navigator)) {
    return; // an old browser: the cabinet simply needs the network
  }

  function register() {
    navigator.serviceWorker.register("/account/sw.js", { scope: "/account/" }).catch(function (error) {
      console.warn("Kartka: the card will not be kept for offline use:", error);
    });
  }

  // After the page has loaded, so installing the worker doesn't compete with the card for the network.
  if (document.readyState === "complete") {
    register();
  } else {
    window.addEventListener("load", register);
  }
})();
