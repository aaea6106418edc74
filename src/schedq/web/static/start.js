// The start page: "Use my location" asks the browser for the position only when pressed (consent),
// then sends it through the same form as a typed place ("latitude, longitude"); the server does the rest.
"use strict";
(() => {
  const button = document.getElementById("locate");
  const field = document.getElementById("near");
  const status = document.getElementById("locate-status");
  if (button && field && "geolocation" in navigator) {
    button.hidden = false;
    button.addEventListener("click", () => {
      button.disabled = true;
      status.textContent = schedq.say("locating");
      navigator.geolocation.getCurrentPosition(
        (position) => {
          const { latitude, longitude } = position.coords;
          field.value = `${latitude.toFixed(4)}, ${longitude.toFixed(4)}`;
          field.form.submit();
        },
        (error) => {
          button.disabled = false;
          status.textContent = schedq.say(error.code === error.PERMISSION_DENIED ? "denied" : "unavailable");
          field.focus();
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 },
      );
    });
  } else if (status) {
    status.textContent = schedq.say("unsupported");
  }
  document.body.dataset.loaded = "true";
})();
