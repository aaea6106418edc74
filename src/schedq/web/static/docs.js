// The API reference: the packaged Swagger UI reading the app's own OpenAPI document.
"use strict";

window.ui = SwaggerUIBundle({
  url: document.body.dataset.specUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
});
