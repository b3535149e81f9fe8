/* Kartka's portal service worker: served at /account/sw.js (portal/pwa.py), scope /account/.

   It keeps one screen working without a network: the member's card, so a cashier can scan it in a shop with no
   signal.

   - Opening /account/card/: the network first; a good answer is copied to the cache, and offline (or while the
     server is failing) the copy is shown.
   - Files the cabinet's pages load from /static/ (and images from /media/): from the cache once fetched. In
     production static file names carry a hash of their content, so a cached file is never stale. (In development
     they don't: tick "Update on reload" in the browser's tools, or sign out, which empties the caches.)
   - Any other page under /account/: the network only; offline, the cached card if there is one.
   - Everything else (forms, scripts' own requests, other hosts): left to the browser.

   Signing out (a POST to /account/sign-out/) or a {type: "clear"} message empties every cache, so a phone that
   was signed out keeps no member's card. */

"use strict";

// Bump when what is cached changes: activation drops the caches of every other version.
const VERSION = "v1";
const CARD_CACHE = `kartka-card-${VERSION}`;
const ASSET_CACHE = `kartka-assets-${VERSION}`;

const SCOPE = "/account/";
const CARD_URL = "/account/card/";
const SIGN_OUT_URL = "/account/sign-out/";
const ASSET_PREFIXES = ["/static/", "/media/"];

self.addEventListener("install", () => {
  // Nothing an older worker holds is needed by this one: take over at once.
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const current = [CARD_CACHE, ASSET_CACHE];
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith("kartka-") && !current.includes(name)).map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

function clearCaches() {
  return caches.keys().then((names) => Promise.all(names.map((name) => caches.delete(name))));
}

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "clear") {
    event.waitUntil(clearCaches());
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && url.pathname === SIGN_OUT_URL) {
    // Forget the card while the server forgets the session; the sign-out itself goes to the network untouched.
    event.waitUntil(clearCaches());
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate" && url.pathname === CARD_URL) {
    event.respondWith(cardNetworkFirst(event));
  } else if (request.mode === "navigate" && url.pathname.startsWith(SCOPE)) {
    event.respondWith(networkOrCachedCard(request));
  } else if (ASSET_PREFIXES.some((prefix) => url.pathname.startsWith(prefix))) {
    event.respondWith(assetCacheFirst(event));
  }
});

// The card page as last seen, or undefined. Stored under the bare URL, whatever query string it was opened with.
async function cachedCard() {
  const cache = await caches.open(CARD_CACHE);
  return cache.match(CARD_URL, { ignoreVary: true });
}

async function cardNetworkFirst(event) {
  let response;
  try {
    response = await fetch(event.request);
  } catch (error) {
    return (await cachedCard()) || Response.error();
  }
  // Only the card itself: a redirect (to sign in, once the session is gone) comes back "opaqueredirect", not ok.
  if (response.status === 200 && response.type === "basic") {
    const copy = response.clone();
    event.waitUntil(caches.open(CARD_CACHE).then((cache) => cache.put(CARD_URL, copy)).catch(() => {}));
    return response;
  }
  if (response.status >= 500) {
    return (await cachedCard()) || response;
  }
  return response;
}

async function networkOrCachedCard(request) {
  try {
    return await fetch(request);
  } catch (error) {
    // Response.error() lets the browser show its own offline page.
    return (await cachedCard()) || Response.error();
  }
}

async function assetCacheFirst(event) {
  const cache = await caches.open(ASSET_CACHE);
  const cached = await cache.match(event.request);
  if (cached) {
    return cached;
  }
  const response = await fetch(event.request);
  if (response.status === 200 && response.type === "basic") {
    const copy = response.clone();
    event.waitUntil(cache.put(event.request, copy).catch(() => {}));
  }
  return response;
}
