// Starts Swagger UI on the document this app serves (the page gives its address in data-openapi).
window.addEventListener("load", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list",
    tryItOutEnabled: false,
    // No badge: it would send the document to an online validator.
    validatorUrl: null,
  });
});
