// The patient's pages that need no script of their own: marked loaded once the page is ready.
"use strict";
document.body.dataset.loaded = "true";
