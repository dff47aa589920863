// The book's service worker (docs/hooks/browser.py serves it as sw.js at the site's root; run.js
// registers it). It keeps what a visit fetched, so that a second visit's first Run downloads
// nothing and a visited book reads and runs with the network off.
//
// - The runtime (assets/dlfs/: Pyodide, the wheels, MNIST, the scripts) is served from the cache
//   first: its cache is named after this build's runtime (BUILD, a digest of every file's
//   sha256 and of the pages' Markdown), so a new build starts a new cache and the old one is deleted.
// - Everything else (the pages, their figures, styles, KaTeX) comes from the network first, and
//   from the cache when the network fails.
"use strict";

const BUILD = "__DLFS_BUILD__";
const RUNTIME = `dlfs-runtime-${BUILD}`;
const PAGES = "dlfs-pages";
const root = new URL("./", self.location.href).href;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("dlfs-runtime-") && name !== RUNTIME) await caches.delete(name);
    }
    await self.clients.claim(); // this visit's Run already goes through the cache
  })());
});

async function cacheFirst(request) {
  const cache = await caches.open(RUNTIME);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.status === 200) await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok && response.status === 200) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
    if (kept) return kept;
    throw error;
  }
}

// run.js, once this worker controls the page, sends the page's own address and every file it
// loaded before: they are kept too, so the page opens offline the next time.
self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "keep") return;
  event.waitUntil(Promise.all(event.data.urls.map(async (url) => {
    url = url.split("#")[0];
    if (!url.startsWith(root)) return;
    const cache = await caches.open(url.startsWith(root + "assets/dlfs/") ? RUNTIME : PAGES);
    if (await cache.match(url)) return;
    try {
      const response = await fetch(url);
      if (response.ok && response.status === 200) await cache.put(url, response);
    } catch { /* offline already: nothing more to keep */ }
  })));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(root) || request.headers.has("range")) return;
  event.respondWith(request.url.startsWith(root + "assets/dlfs/") ? cacheFirst(request) : networkFirst(request));
});
