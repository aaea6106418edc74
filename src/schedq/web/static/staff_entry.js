// The staff entry page: links only, rendered on the server; it says when it is ready, like every page.
"use strict";

document.body.dataset.loaded = "true";
