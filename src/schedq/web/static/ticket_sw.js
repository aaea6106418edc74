// The ticket page's notification on phones, where a page cannot show one itself (Chrome on Android
// needs a service worker's showNotification). It caches nothing and handles no fetch: a tap on the
// notification only brings the ticket page back.
"use strict";

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data && event.notification.data.url;
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const page = open.find((client) => url && client.url.split("#")[0] === url.split("#")[0]);
    if (page) return page.focus();
    return url ? self.clients.openWindow(url) : undefined;
  })());
});
