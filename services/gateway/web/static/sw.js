// The Web Push service worker (served at /sw.js so that its scope is the whole site).
// The push carries {title, body, link, kind, tag, notification_id}; a click opens the
// link, on this site only.
self.addEventListener("install", (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (notJson) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const title = data.title || self.registration.scope;
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    icon: "/ui/static/icon.svg",
    data: { link: data.link || "/notifications", notification_id: data.notification_id || null },
  }));
});

function sameSitePath(link) {
  try {
    const url = new URL(link, self.location.origin);
    return url.origin === self.location.origin ? url.pathname + url.search + url.hash : "/notifications";
  } catch (bad) {
    return "/notifications";
  }
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = sameSitePath((event.notification.data || {}).link);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).pathname === target.split("?")[0] && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(target);
  })());
});
